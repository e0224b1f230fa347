{%- set columns = {
    "user_id": spotify_type('string'), "time_range": spotify_type('string'), "snapshot_date": spotify_type('date'),
    "rank": spotify_type('integer'), "track_id": spotify_type('string'), "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'top_tracks', columns) }}
),

renamed as (
    select
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(time_range as {{ spotify_type('string') }}) as time_range,
        cast(snapshot_date as {{ spotify_type('date') }}) as snapshot_date,
        cast(rank as {{ spotify_type('integer') }}) as rank,
        cast(track_id as {{ spotify_type('string') }}) as track_id,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
