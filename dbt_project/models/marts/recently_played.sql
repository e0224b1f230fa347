{{
    config(
        materialized='incremental',
        unique_key=['user_id', 'played_at'],
        incremental_strategy='merge' if target.type == 'bigquery' else 'delete+insert',
        partition_by=(
            {'field': 'played_at', 'data_type': 'timestamp', 'granularity': 'day'}
            if target.type == 'bigquery' else none
        ),
        cluster_by=(['user_id'] if target.type == 'bigquery' else none),
        partition_expiration_days=(
            var('recently_played_partition_expiration_days') if target.type == 'bigquery' else none
        ),
        on_schema_change='fail',
    )
}}

{#- New plays only, with a look-back of `recently_played_lookback_hours` for plays loaded late. -#}
with plays as (
    select * from {{ ref('stg_spotify__recently_played') }}
    {% if is_incremental() %}
    -- dateadd gives a DATETIME on BigQuery, which does not compare with a TIMESTAMP: the bound is cast back.
    where played_at >= (
        select cast(
            {{ dbt.dateadd('hour', -1 * var('recently_played_lookback_hours'), 'max(played_at)') }}
            as {{ spotify_type('timestamp') }}
        )
        from {{ this }}
    )
    {% endif %}
)

select
    user_id,
    played_at,
    track_id,
    context_type,
    context_uri,
    {{ utc_date('played_at') }} as played_date,
    extracted_at
from plays
