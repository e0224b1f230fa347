{%- set columns = {
    "artist_id": spotify_type('string'), "artist_name": spotify_type('string'), "position": spotify_type('integer'),
    "_dlt_parent_id": spotify_type('string'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'tracks__artists', columns) }}
),

renamed as (
    select
        _dlt_parent_id as track_row_id,
        cast(artist_id as {{ spotify_type('string') }}) as artist_id,
        cast(artist_name as {{ spotify_type('string') }}) as artist_name,
        cast(position as {{ spotify_type('integer') }}) as artist_position
    from source
)

select * from renamed
