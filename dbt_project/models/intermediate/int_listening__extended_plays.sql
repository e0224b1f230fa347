{#-
    listening_history, step 2 of 3 origins: the extended streaming history, one row per play. Spotify repeats rows
    of one play (same `ts` and URI) within and across export files: the row with the longest `ms_played` is kept.
-#}
with ranked as (
    select
        *,
        cast(load_id as {{ spotify_type('float') }}) as load_number,
        row_number() over (
            partition by
                user_id, ended_at,
                coalesce(track_uri, episode_uri, audiobook_chapter_uri, audiobook_uri, play_key)
            order by ms_played desc, play_key
        ) as repeat_rank
    from {{ ref('stg_spotify__export_streams') }}
    where export_kind = 'extended'
)

select * from ranked where repeat_rank = 1
