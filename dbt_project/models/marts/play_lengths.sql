{#-
    How long each play of listening_history lasted, and whether it counts as a play: the one rule the Wrapped recap,
    the Listening page and listening_sessions share. It repeats what the recap groups by (content type, track, the
    names), so the recap and the sessions read this table alone instead of joining it back to listening_history.

    - `played_ms`: the export's `ms_played` where a play has it (`length_rule = 'measured'`). A play only the API saw
      has no measured length: it gets the track's length, capped by the time since the user's previous play ended
      (`played_at` marks when a stream *ended*, so a play cannot have lasted longer than that; `'capped'`), else
      the whole length (`'track_length'`); with no known length it is null (`'unknown'`).
    - `counts_as_play`: Spotify counts a stream of 30 seconds or more; the threshold is the dbt var
      `counted_play_min_seconds` (default 30). A play of unknown length does not count.

    Incremental like listening_history: a build replaces the UTC days that received plays since the last build
    (`source_load_id`, the newest load a row was made from) and the day after each, whose first play may be capped
    by a new one. A play's previous play is looked up on its day and the day before: one further back ended over a
    day earlier, longer than any track.
-#}
{{
    config(
        materialized='incremental',
        unique_key='played_date',
        incremental_strategy='insert_overwrite' if target.type == 'bigquery' else 'delete+insert',
        partition_by=(
            {'field': 'played_at', 'data_type': 'timestamp', 'granularity': 'day'}
            if target.type == 'bigquery' else none
        ),
        cluster_by=(['user_id'] if target.type == 'bigquery' else none),
        on_schema_change='fail',
    )
}}

{%- set float = spotify_type('float') -%}
{%- set integer = spotify_type('integer') -%}

with
{% if is_incremental() %}
last_build as (
    select coalesce(max(source_load_id), 0) as load_id from {{ this }}
),

new_days as (
    select distinct played_date as day
    from {{ ref('listening_history') }}
    where source_load_id > (select load_id from last_build)
),

-- A new play can cap the next play, which may fall on the next day.
affected_days as (
    select distinct cast(day as date) as day from (
        select day from new_days
        union all
        select {{ dbt.dateadd('day', 1, 'day') }} as day from new_days
    ) as days
),

-- Each affected day and the day before it: where the previous play of each of its plays lies.
days_in_scope as (
    select distinct cast(day as date) as day from (
        select day from affected_days
        union all
        select {{ dbt.dateadd('day', -1, 'day') }} as day from affected_days
    ) as days
),
{% endif %}

history as (
    select
        play_id, user_id, played_at, played_date, content_type, track_id, track_name, artist_name, show_name,
        ms_played, source_load_id
    from {{ ref('listening_history') }}
    {% if is_incremental() %}
    where played_date in (select day from days_in_scope)
    {% endif %}
),

with_previous as (
    select
        history.*,
        lag(played_at) over (partition by user_id order by played_at, play_id) as previous_played_at,
        lag(source_load_id) over (partition by user_id order by played_at, play_id) as previous_load_id
    from history
),

measured as (
    select
        with_previous.play_id,
        with_previous.user_id,
        with_previous.played_at,
        with_previous.played_date,
        with_previous.content_type,
        with_previous.track_id,
        with_previous.track_name,
        with_previous.artist_name,
        with_previous.show_name,
        with_previous.source_load_id,
        with_previous.previous_load_id,
        with_previous.ms_played,
        tracks.duration_ms,
        cast(
            {{ seconds_between('with_previous.previous_played_at', 'with_previous.played_at') }} * 1000 as {{ integer }}
        ) as ms_since_previous
    from with_previous
    left join {{ ref('tracks') }} as tracks on tracks.track_id = with_previous.track_id
),

lengths as (
    select
        measured.*,
        case
            when ms_played is not null then ms_played
            when duration_ms is null then null
            when ms_since_previous < duration_ms then ms_since_previous
            else duration_ms
        end as played_ms,
        case
            when ms_played is not null then 'measured'
            when duration_ms is null then 'unknown'
            when ms_since_previous < duration_ms then 'capped'
            else 'track_length'
        end as length_rule
    from measured
)

select
    play_id,
    user_id,
    played_at,
    {{ minus_milliseconds('played_at', 'cast(coalesce(played_ms, 0) as ' ~ integer ~ ')') }} as started_at,
    played_date,
    content_type,
    track_id,
    track_name,
    artist_name,
    show_name,
    cast(played_ms as {{ integer }}) as played_ms,
    length_rule,
    coalesce(played_ms >= {{ var('counted_play_min_seconds') }} * 1000, false) as counts_as_play,
    -- A play whose cap a newer play set is as new as that play: listening_sessions rebuilds around it.
    cast(greatest(source_load_id, coalesce(previous_load_id, 0)) as {{ float }}) as source_load_id
from lengths
{% if is_incremental() %}
where played_date in (select day from affected_days)
{% endif %}
