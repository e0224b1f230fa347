{#-
    A column of a raw table cast to a type, or a typed null when the table has no such column yet. dlt adds a
    column when a version of the source first writes it: a warehouse loaded by an older version lacks it until the
    next run, and staging must still build on it (and on an empty relation from source_or_empty).
-#}
{% macro column_or_null(relation, column_name, data_type) %}
    {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) if execute else none -%}
    {%- set names = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list
        if existing is not none else [] -%}
    {%- if column_name | lower in names -%}
        cast({{ column_name }} as {{ data_type }})
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{% endmacro %}
