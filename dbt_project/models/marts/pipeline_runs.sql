{#-
    The pipeline's run log as the dashboard's Data health page shows it: one row per extraction run, with what the
    app's tier allowed, what the run fetched, its notes and gaps (JSON text, parsed by the page), whether it read the
    library whole, and the age of the login behind it. A mart, so the dashboard reads no staging or raw table.
-#}
select
    user_id,
    run_started_at,
    run_finished_at,
    tier,
    is_batch_endpoints_available,
    is_audio_features_available,
    is_saved_tracks_complete,
    is_playlists_complete,
    api_requests,
    plays_fetched,
    playlists_read,
    artists_fetched,
    audio_features_fetched,
    notes_json,
    gaps_json,
    logged_in_at,
    refresh_token_expires_at
from {{ ref('stg_spotify__extraction_runs') }}
