{%- set columns = {
    "id": spotify_type('string'), "name": spotify_type('string'), "popularity": spotify_type('integer'),
    "followers": spotify_type('integer'), "image_url": spotify_type('string'),
    "extracted_at": spotify_type('timestamp'), "_dlt_id": spotify_type('string'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'artists', columns) }}
),

renamed as (
    select
        cast(id as {{ spotify_type('string') }}) as artist_id,
        cast(name as {{ spotify_type('string') }}) as artist_name,
        cast(popularity as {{ spotify_type('integer') }}) as popularity,
        cast(followers as {{ spotify_type('integer') }}) as followers,
        cast(image_url as {{ spotify_type('string') }}) as image_url,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at,
        _dlt_id as artist_row_id
    from source
)

select * from renamed
