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

{#-
    New plays only, with a look-back of `recently_played_lookback_hours` for plays loaded late, counted from each
    account's own newest play: an account loaded days behind another is not skipped.
-#}
with staged as (
    select * from {{ ref('stg_spotify__recently_played') }}
),

{% if is_incremental() %}
loaded as (
    -- dateadd gives a DATETIME on BigQuery, which does not compare with a TIMESTAMP: the bound is cast back.
    select
        user_id,
        cast(
            {{ dbt.dateadd('hour', -1 * var('recently_played_lookback_hours'), 'max(played_at)') }}
            as {{ spotify_type('timestamp') }}
        ) as reread_from
    from {{ this }}
    group by user_id
),
{% endif %}

plays as (
    select staged.*
    from staged
    {% if is_incremental() %}
    left join loaded on loaded.user_id = staged.user_id
    where loaded.reread_from is null or staged.played_at >= loaded.reread_from
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
