{#-
    The entries of the playlists in the account's list now, at their current snapshot (see
    int_playlist_entries__current); playlist_tracks_history keeps the entries removed and those of removed playlists.
-#}
select
    playlist_id,
    position,
    user_id,
    track_id,
    episode_id,
    item_type,
    is_local,
    local_uri,
    local_name,
    local_artist_name,
    item_duration_ms,
    added_at,
    added_by,
    extracted_at
from {{ ref('int_playlist_entries__current') }}
