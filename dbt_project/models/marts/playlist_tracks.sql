{#-
    A playlist's entries at its current snapshot. Entries read at an older snapshot are left out: a playlist that
    became empty, or lost entries at the end, leaves such rows in the raw table (a delete-insert with nothing to
    insert deletes nothing).
-#}
with entries as (
    select * from {{ ref('stg_spotify__playlist_items') }}
),

playlists as (
    select playlist_id, snapshot_id from {{ ref('stg_spotify__playlists') }}
)

select
    entries.playlist_id,
    entries.position,
    entries.user_id,
    entries.track_id,
    entries.episode_id,
    entries.item_type,
    entries.is_local,
    entries.local_uri,
    entries.local_name,
    entries.local_artist_name,
    entries.item_duration_ms,
    entries.added_at,
    entries.added_by,
    entries.extracted_at
from entries
inner join playlists
    on playlists.playlist_id = entries.playlist_id and playlists.snapshot_id = entries.snapshot_id
