{%- set columns = {
    "id": spotify_type('string'), "user_id": spotify_type('string'), "name": spotify_type('string'),
    "description": spotify_type('string'), "owner_id": spotify_type('string'),
    "owner_display_name": spotify_type('string'), "is_public": spotify_type('boolean'),
    "is_collaborative": spotify_type('boolean'), "snapshot_id": spotify_type('string'),
    "items_total": spotify_type('integer'), "image_url": spotify_type('string'),
    "listing_position": spotify_type('integer'), "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'playlists', columns) }}
),

renamed as (
    select
        cast(id as {{ spotify_type('string') }}) as playlist_id,
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(name as {{ spotify_type('string') }}) as playlist_name,
        cast(description as {{ spotify_type('string') }}) as description,
        cast(owner_id as {{ spotify_type('string') }}) as owner_id,
        cast(owner_display_name as {{ spotify_type('string') }}) as owner_name,
        cast(is_public as {{ spotify_type('boolean') }}) as is_public,
        cast(is_collaborative as {{ spotify_type('boolean') }}) as is_collaborative,
        cast(snapshot_id as {{ spotify_type('string') }}) as snapshot_id,
        cast(items_total as {{ spotify_type('integer') }}) as track_count,
        cast(image_url as {{ spotify_type('string') }}) as image_url,
        cast(listing_position as {{ spotify_type('integer') }}) as listing_position,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
