{#- Column types by name, so contracts and casts read the same on DuckDB and BigQuery (adapter.dispatch). -#}
{% macro spotify_type(name) %}{{ return(adapter.dispatch('spotify_type', 'spotify_warehouse')(name)) }}{% endmacro %}

{% macro default__spotify_type(name) %}
    {{ return({
        "string": "varchar", "integer": "bigint", "float": "double", "boolean": "boolean",
        "timestamp": "timestamp with time zone", "date": "date",
    }[name]) }}
{% endmacro %}

{% macro bigquery__spotify_type(name) %}
    {{ return({
        "string": "string", "integer": "int64", "float": "float64", "boolean": "bool",
        "timestamp": "timestamp", "date": "date",
    }[name]) }}
{% endmacro %}
