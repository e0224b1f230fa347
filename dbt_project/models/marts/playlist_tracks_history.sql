{#-
    Every playlist entry the warehouse has known, one row per period it was in its playlist: from when it was
    added (Spotify's `added_at`; the build that first saw it where Spotify has no date) to the build that found it
    removed, or its playlist deleted or unfollowed (`valid_to`, null while it is there). "What was in this
    playlist on 1 March?" is one filter on `valid_from` and `valid_to`. `first_position` is where the entry was
    when first seen (positions shift as other entries come and go).
-#}
select
    playlist_id,
    entry_key,
    user_id,
    track_id,
    episode_id,
    item_type,
    is_local,
    local_uri,
    local_name,
    position as first_position,
    added_at,
    added_by,
    cast(dbt_valid_from as {{ spotify_type('timestamp') }}) as first_seen_at,
    coalesce(added_at, cast(dbt_valid_from as {{ spotify_type('timestamp') }})) as valid_from,
    cast(dbt_valid_to as {{ spotify_type('timestamp') }}) as valid_to,
    dbt_valid_to is null as is_current
from {{ ref('playlist_entries_snapshot') }}
