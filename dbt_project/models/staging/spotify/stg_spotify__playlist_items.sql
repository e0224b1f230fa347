{%- set columns = {
    "playlist_id": spotify_type('string'), "position": spotify_type('integer'), "user_id": spotify_type('string'),
    "snapshot_id": spotify_type('string'), "item_type": spotify_type('string'), "track_id": spotify_type('string'),
    "episode_id": spotify_type('string'), "is_local": spotify_type('boolean'), "local_uri": spotify_type('string'),
    "local_name": spotify_type('string'), "local_artist_name": spotify_type('string'),
    "item_duration_ms": spotify_type('integer'), "added_at": spotify_type('timestamp'),
    "added_by": spotify_type('string'), "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'playlist_items', columns) }}
),

renamed as (
    select
        cast(playlist_id as {{ spotify_type('string') }}) as playlist_id,
        cast(position as {{ spotify_type('integer') }}) as position,
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(snapshot_id as {{ spotify_type('string') }}) as snapshot_id,
        cast(item_type as {{ spotify_type('string') }}) as item_type,
        cast(track_id as {{ spotify_type('string') }}) as track_id,
        cast(episode_id as {{ spotify_type('string') }}) as episode_id,
        cast(is_local as {{ spotify_type('boolean') }}) as is_local,
        cast(local_uri as {{ spotify_type('string') }}) as local_uri,
        cast(local_name as {{ spotify_type('string') }}) as local_name,
        cast(local_artist_name as {{ spotify_type('string') }}) as local_artist_name,
        cast(item_duration_ms as {{ spotify_type('integer') }}) as item_duration_ms,
        cast(added_at as {{ spotify_type('timestamp') }}) as added_at,
        cast(added_by as {{ spotify_type('string') }}) as added_by,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
