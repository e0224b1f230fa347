{{
    config(
        partition_by=(
            {'field': 'extracted_at', 'data_type': 'timestamp', 'granularity': 'day'}
            if target.type == 'bigquery' else none
        ),
        cluster_by=(['user_id'] if target.type == 'bigquery' else none),
    )
}}

{#- Daily snapshots of the top list: one row per (user, time range, day, rank), so rank history accumulates. -#}
select
    user_id,
    time_range,
    snapshot_date,
    rank,
    track_id,
    extracted_at
from {{ ref('stg_spotify__top_tracks') }}
