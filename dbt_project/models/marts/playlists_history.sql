{#-
    Each version of each playlist the account has listed: a new row when its name, description, visibility,
    owner or contents (`snapshot_id`) changed, from the build that saw it (`valid_from`) to the build that saw the
    next version or the playlist gone from the list (`valid_to`, null for the version listed now).
-#}
select
    playlist_id,
    user_id,
    playlist_name,
    description,
    owner_id,
    is_public,
    is_collaborative,
    snapshot_id,
    track_count,
    cast(dbt_valid_from as {{ spotify_type('timestamp') }}) as valid_from,
    cast(dbt_valid_to as {{ spotify_type('timestamp') }}) as valid_to,
    dbt_valid_to is null as is_current
from {{ ref('playlists_snapshot') }}
