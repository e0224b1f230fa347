{%- set columns = {
    "id": spotify_type('string'), "display_name": spotify_type('string'), "country": spotify_type('string'),
    "product": spotify_type('string'), "followers": spotify_type('integer'), "image_url": spotify_type('string'),
    "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'users', columns) }}
),

renamed as (
    select
        cast(id as {{ spotify_type('string') }}) as user_id,
        cast(display_name as {{ spotify_type('string') }}) as display_name,
        cast(country as {{ spotify_type('string') }}) as country,
        cast(product as {{ spotify_type('string') }}) as product,
        cast(followers as {{ spotify_type('integer') }}) as followers,
        cast(image_url as {{ spotify_type('string') }}) as image_url,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
