{%- set columns = {
    "id": spotify_type('string'), "name": spotify_type('string'), "album_id": spotify_type('string'),
    "album_name": spotify_type('string'), "album_type": spotify_type('string'),
    "album_release_date": spotify_type('string'), "album_release_date_precision": spotify_type('string'),
    "album_image_url": spotify_type('string'), "duration_ms": spotify_type('integer'),
    "popularity": spotify_type('integer'), "is_explicit": spotify_type('boolean'), "isrc": spotify_type('string'),
    "extracted_at": spotify_type('timestamp'), "_dlt_id": spotify_type('string'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'tracks', columns) }}
),

renamed as (
    select
        cast(id as {{ spotify_type('string') }}) as track_id,
        cast(name as {{ spotify_type('string') }}) as track_name,
        cast(album_id as {{ spotify_type('string') }}) as album_id,
        cast(album_name as {{ spotify_type('string') }}) as album_name,
        -- Top tracks send `ALBUM`/`SINGLE`; everywhere else Spotify uses lower case.
        cast(lower(album_type) as {{ spotify_type('string') }}) as album_type,
        cast(album_release_date as {{ spotify_type('string') }}) as release_date_text,
        cast(album_release_date_precision as {{ spotify_type('string') }}) as release_date_precision,
        cast(album_image_url as {{ spotify_type('string') }}) as album_image_url,
        cast(duration_ms as {{ spotify_type('integer') }}) as duration_ms,
        cast(popularity as {{ spotify_type('integer') }}) as popularity,
        cast(is_explicit as {{ spotify_type('boolean') }}) as is_explicit,
        cast(isrc as {{ spotify_type('string') }}) as isrc,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at,
        _dlt_id as track_row_id
    from source
)

select
    *,
    {{ release_date('release_date_text', 'release_date_precision') }} as release_date
from renamed
