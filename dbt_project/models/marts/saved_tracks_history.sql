{#-
    Every like the warehouse has known, one row per period it lasted: from `added_at` (Spotify's own time of the
    like) to `valid_to`, the build that first found it gone (null while still liked). A song liked again is a new
    period. "When did I un-like this?" is `valid_to`; "what did I like on 1 March?" is
    `valid_from <= '03-01' and (valid_to is null or valid_to > '03-01')`.
-#}
select
    user_id,
    track_id,
    added_at,
    added_at as valid_from,
    cast(dbt_valid_to as {{ spotify_type('timestamp') }}) as valid_to,
    dbt_valid_to is null as is_current
from {{ ref('saved_tracks_snapshot') }}
