{#-
    Matcher 1 of 3: extended export <-> API. The same track, the export's `ts` within
    `listening_match_window_seconds` of the API's `played_at` (both mark when the stream ended); each side is
    matched at most once, nearest first, so repeated plays of one track stay separate.
-#}
{%- set window = var('listening_match_window_seconds') -%}

with extended as (
    select * from {{ ref('int_listening__extended_plays') }}
),

api as (
    select * from {{ ref('int_listening__api_plays') }}
),

candidates as (
    select
        extended.play_key,
        api.user_id,
        api.played_at as api_played_at,
        abs({{ seconds_between('api.played_at', 'extended.ended_at') }}) as distance
    from extended
    inner join api
        on api.user_id = extended.user_id
        and api.track_id = extended.track_id
        and extended.ended_at >= {{ add_seconds('api.played_at', -1 * window) }}
        and extended.ended_at <= {{ add_seconds('api.played_at', window) }}
),

ranked as (
    select
        *,
        row_number() over (partition by play_key order by distance, api_played_at) as extended_rank,
        row_number() over (partition by user_id, api_played_at order by distance, play_key) as api_rank
    from candidates
)

select play_key, user_id, api_played_at from ranked where extended_rank = 1 and api_rank = 1
