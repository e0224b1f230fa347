{%- set columns = {
    "run_started_at": spotify_type('timestamp'), "run_finished_at": spotify_type('timestamp'),
    "user_id": spotify_type('string'), "tier": spotify_type('string'),
    "batch_endpoints_available": spotify_type('boolean'), "audio_features_available": spotify_type('boolean'),
    "notes": spotify_type('string'), "gaps": spotify_type('string'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'extraction_runs', columns) }}
),

renamed as (
    select
        cast(run_started_at as {{ spotify_type('timestamp') }}) as run_started_at,
        cast(run_finished_at as {{ spotify_type('timestamp') }}) as run_finished_at,
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(tier as {{ spotify_type('string') }}) as tier,
        cast(batch_endpoints_available as {{ spotify_type('boolean') }}) as is_batch_endpoints_available,
        cast(audio_features_available as {{ spotify_type('boolean') }}) as is_audio_features_available,
        cast(notes as {{ spotify_type('string') }}) as notes_json,
        cast(gaps as {{ spotify_type('string') }}) as gaps_json,
        {#- When the login behind the run happened and when Spotify ends its refresh token (null: not recorded). -#}
        {{ column_or_null(source('spotify', 'extraction_runs'), 'logged_in_at', spotify_type('timestamp')) }}
            as logged_in_at,
        {{ column_or_null(source('spotify', 'extraction_runs'), 'refresh_token_expires_at', spotify_type('timestamp')) }}
            as refresh_token_expires_at,
        {#- The run read the whole list of liked songs / of playlists: what it did not see is gone (null: not
            recorded, a run from before these columns, which proves nothing). -#}
        {{ column_or_null(source('spotify', 'extraction_runs'), 'saved_tracks_complete', spotify_type('boolean')) }}
            as is_saved_tracks_complete,
        {{ column_or_null(source('spotify', 'extraction_runs'), 'playlists_complete', spotify_type('boolean')) }}
            as is_playlists_complete,
        {#- What the run fetched (dlt adds a `count_*` column the first time a run reports that counter). -#}
        {%- for counter in ('api_requests', 'plays_fetched', 'playlists_read', 'artists_fetched', 'audio_features_fetched') %}
        {{ column_or_null(source('spotify', 'extraction_runs'), 'count_' ~ counter, spotify_type('integer')) }}
            as {{ counter }}{{ ',' if not loop.last }}
        {%- endfor %}
    from source
)

select * from renamed
