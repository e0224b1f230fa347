{#-
    The entries of the playlists in the account's list now, at their current snapshot (see
    int_playlist_entries__current); playlist_tracks_history keeps the entries removed and those of removed playlists.
    An episode's name and show come from the episodes met in playlists (tracks have their own mart, `tracks`).
-#}
with entries as (
    select * from {{ ref('int_playlist_entries__current') }}
),

episodes as (
    select episode_id, episode_name, show_name from {{ ref('stg_spotify__episodes') }}
)

select
    entries.playlist_id,
    entries.position,
    entries.user_id,
    entries.track_id,
    entries.episode_id,
    episodes.episode_name,
    episodes.show_name,
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
left join episodes on episodes.episode_id = entries.episode_id
