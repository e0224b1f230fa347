{%- set columns = {
    "user_id": spotify_type('string'), "track_id": spotify_type('string'), "added_at": spotify_type('timestamp'),
    "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'saved_tracks', columns) }}
),

renamed as (
    select
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(track_id as {{ spotify_type('string') }}) as track_id,
        cast(added_at as {{ spotify_type('timestamp') }}) as added_at,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
