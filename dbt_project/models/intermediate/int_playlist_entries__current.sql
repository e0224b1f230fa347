{#-
    The entries of the current playlists at their current snapshot, each with `entry_key`: what stays the same for
    an entry while it is in the playlist, however it moves (its position does not). Spotify gives entries no id: the
    key is the playlist, the item (track, episode or local file), when it was added, and which of identical entries
    it is, in order (a playlist may hold the same track twice, added at the same moment). People of a household may
    list the same playlist: each has its entries (the key of an entry is `user_id` and `entry_key`).
    Entries read at an older snapshot are left out: a playlist that became empty, or lost entries at the end,
    leaves such rows in the raw table (a delete-insert with nothing to insert deletes nothing).
-#}
with entries as (
    select * from {{ ref('stg_spotify__playlist_items') }}
),

playlists as (
    select user_id, playlist_id, snapshot_id from {{ ref('int_playlists__current') }}
),

current_entries as (
    select
        entries.*,
        coalesce(entries.track_id, entries.episode_id, entries.local_uri, 'unavailable') as item_key,
        row_number() over (
            partition by
                entries.user_id,
                entries.playlist_id,
                coalesce(entries.track_id, entries.episode_id, entries.local_uri, 'unavailable'),
                entries.added_at
            order by entries.position
        ) as occurrence
    from entries
    inner join playlists
        on playlists.user_id = entries.user_id
        and playlists.playlist_id = entries.playlist_id
        and playlists.snapshot_id = entries.snapshot_id
)

select
    *,
    playlist_id || '|' || item_key || '|' || coalesce(cast(added_at as {{ spotify_type('string') }}), '')
        || '|' || cast(occurrence as {{ spotify_type('string') }}) as entry_key
from current_entries
