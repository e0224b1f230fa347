{#- A micro-genre or keyword as the parent-genre rules compare them (seeds/_seeds.yml): lower case, hyphens and
    underscores as spaces, spaces trimmed and collapsed, so "Lo-Fi  Beats " and "lo fi beats" are one name. -#}
{% macro parent_genre_key(column) -%}
    trim(replace(replace(replace(replace(lower({{ column }}), '-', ' '), '_', ' '), '  ', ' '), '  ', ' '))
{%- endmacro %}
