{#-
    Spotify's release dates come at three precisions: "1981", "1981-12", "1981-12-15". A date column needs a day,
    so a year becomes its 1 January and a month its first day; the precision column says how much is real.
    Real answers also hold "0000" and precisions the reference does not list: such a text becomes a null date
    instead of a cast error that would stop the whole build (the precision's accepted_values test warns).
-#}
{% macro release_date(date_column, precision_column) %}
    {{ spotify_safe_cast(
        "case " ~ precision_column
        ~ " when 'year' then " ~ date_column ~ " || '-01-01'"
        ~ " when 'month' then " ~ date_column ~ " || '-01'"
        ~ " else " ~ date_column ~ " end",
        "date") }}
{% endmacro %}

{#- A cast that gives null instead of failing: for values Spotify controls (`try_cast` / BigQuery's `safe_cast`). -#}
{% macro spotify_safe_cast(expression, type_name) %}{{ return(adapter.dispatch('spotify_safe_cast', 'spotify_warehouse')(expression, type_name)) }}{% endmacro %}
{% macro default__spotify_safe_cast(expression, type_name) %}try_cast({{ expression }} as {{ type_name }}){% endmacro %}
{% macro bigquery__spotify_safe_cast(expression, type_name) %}safe_cast({{ expression }} as {{ type_name }}){% endmacro %}

{#- The UTC calendar day of a timestamp (dlt stores timestamps in UTC; DuckDB's session runs in UTC). -#}
{% macro utc_date(timestamp_column) %}{{ return(adapter.dispatch('utc_date', 'spotify_warehouse')(timestamp_column)) }}{% endmacro %}
{% macro default__utc_date(timestamp_column) %}cast(timezone('UTC', {{ timestamp_column }}) as date){% endmacro %}
{% macro bigquery__utc_date(timestamp_column) %}date({{ timestamp_column }}, 'UTC'){% endmacro %}

{#- A timestamp moved by a whole number of seconds (stays a TIMESTAMP on both warehouses; dbt.dateadd gives a
    DATETIME on BigQuery). -#}
{% macro add_seconds(timestamp_column, seconds) %}{{ return(adapter.dispatch('add_seconds', 'spotify_warehouse')(timestamp_column, seconds)) }}{% endmacro %}
{% macro default__add_seconds(timestamp_column, seconds) %}({{ timestamp_column }} + to_seconds({{ seconds }})){% endmacro %}
{% macro bigquery__add_seconds(timestamp_column, seconds) %}timestamp_add({{ timestamp_column }}, interval {{ seconds }} second){% endmacro %}

{#- Seconds from one timestamp to another, with sub-second precision (for "within N seconds" matches). -#}
{% macro seconds_between(start_column, end_column) %}{{ return(adapter.dispatch('seconds_between', 'spotify_warehouse')(start_column, end_column)) }}{% endmacro %}
{% macro default__seconds_between(start_column, end_column) %}(epoch({{ end_column }}) - epoch({{ start_column }})){% endmacro %}
{% macro bigquery__seconds_between(start_column, end_column) %}(unix_micros({{ end_column }}) - unix_micros({{ start_column }})) / 1000000{% endmacro %}

{#- The minute a timestamp falls in (account-data exports keep only minutes). -#}
{% macro utc_minute(timestamp_column) %}{{ return(adapter.dispatch('utc_minute', 'spotify_warehouse')(timestamp_column)) }}{% endmacro %}
{% macro default__utc_minute(timestamp_column) %}date_trunc('minute', {{ timestamp_column }}){% endmacro %}
{% macro bigquery__utc_minute(timestamp_column) %}timestamp_trunc({{ timestamp_column }}, minute){% endmacro %}

{#- A timestamp moved back by a number of milliseconds (an integer expression): a play's start from its end. -#}
{% macro minus_milliseconds(timestamp_column, milliseconds) %}{{ return(adapter.dispatch('minus_milliseconds', 'spotify_warehouse')(timestamp_column, milliseconds)) }}{% endmacro %}
{% macro default__minus_milliseconds(timestamp_column, milliseconds) %}({{ timestamp_column }} - to_milliseconds({{ milliseconds }})){% endmacro %}
{% macro bigquery__minus_milliseconds(timestamp_column, milliseconds) %}timestamp_sub({{ timestamp_column }}, interval {{ milliseconds }} millisecond){% endmacro %}
