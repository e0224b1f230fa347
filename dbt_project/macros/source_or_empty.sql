{#-
    `select * from source(...)`, or an empty relation with the given typed columns when the raw table does not
    exist. dlt creates a table only when rows arrive: a development-mode app never gets audio features, and a
    library without podcasts has no episodes, yet the staging model and everything after it must build.
-#}
{% macro source_or_empty(source_name, table_name, columns) %}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set existing = adapter.get_relation(
            database=source_relation.database, schema=source_relation.schema, identifier=source_relation.identifier
        ) if execute else source_relation -%}
    {%- if existing is not none -%}
        select * from {{ source_relation }}
    {%- else -%}
        select
        {%- for name, data_type in columns.items() %}
            cast(null as {{ data_type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        from (select 1) as no_rows
        where 1 = 0
    {%- endif -%}
{% endmacro %}
