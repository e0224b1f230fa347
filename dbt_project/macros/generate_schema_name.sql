{#- Schemas are named exactly (`spotify_staging`, `spotify`), not prefixed with the target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
