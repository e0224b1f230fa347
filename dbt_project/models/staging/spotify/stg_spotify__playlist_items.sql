with source as (
    select * from {{ source('spotify', 'playlist_items') }}
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
