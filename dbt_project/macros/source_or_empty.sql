{#-
    `select * from source(...)`, or an empty relation with the given typed columns when the raw table does not
    exist. Every staging model reads its raw table through this macro: dlt creates a table only when rows arrive,
    and an account without playlists, likes or plays, a development-mode app (no audio features) or a warehouse
    that holds only a data export (no API tables at all) must still build every final table, empty where there is
    nothing. In a unit test `source()` names the test's fixture, which always exists.
-#}
{% macro source_or_empty(source_name, table_name, columns) %}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set existing = adapter.get_relation(
            database=source_relation.database, schema=source_relation.schema, identifier=source_relation.identifier
        ) if execute and source_relation.database is not none and source_relation.identifier is not none else source_relation -%}
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
