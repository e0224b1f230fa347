{#-
    Per account, the latest run that read each list whole (extraction_runs): everything such a run did not see has
    left the library since. Null: no complete read recorded (a warehouse loaded before these were recorded).
-#}
select
    user_id,
    max(case when is_saved_tracks_complete then run_started_at end) as last_saved_tracks_read_at,
    max(case when is_playlists_complete then run_started_at end) as last_playlists_read_at
from {{ ref('stg_spotify__extraction_runs') }}
group by user_id
