{#-
    Spotify's release dates come at three precisions: "1981", "1981-12", "1981-12-15". A date column needs a day,
    so a year becomes its 1 January and a month its first day; the precision column says how much is real.
-#}
{% macro release_date(date_column, precision_column) %}
    cast(
        case {{ precision_column }}
            when 'year' then {{ date_column }} || '-01-01'
            when 'month' then {{ date_column }} || '-01'
            else {{ date_column }}
        end as date
    )
{% endmacro %}

{#- The UTC calendar day of a timestamp (dlt stores timestamps in UTC; DuckDB's session runs in UTC). -#}
{% macro utc_date(timestamp_column) %}{{ return(adapter.dispatch('utc_date', 'spotify_warehouse')(timestamp_column)) }}{% endmacro %}
{% macro default__utc_date(timestamp_column) %}cast(timezone('UTC', {{ timestamp_column }}) as date){% endmacro %}
{% macro bigquery__utc_date(timestamp_column) %}date({{ timestamp_column }}, 'UTC'){% endmacro %}
