{#-
    Listening sessions: plays less than `listening_session_gap_minutes` (default 30) apart form one session. A play
    joins the session before it when it started (play_lengths.started_at) less than the gap after the previous play
    ended; otherwise it starts a new one. Every stream counts towards a session, skips too; `plays` counts those
    that count as plays (play_lengths.counts_as_play), `minutes` all time played. A session is one row however many
    midnights it crosses; its day, in any time zone, is the reader's choice.

    Incremental: a build recomputes the sessions of each user between the first and last play new since the last
    build (`source_load_id`), widened by the gap and then to the whole of every stored session it touches, so each
    recomputed session holds all its plays. They are merged by `session_id`; sessions the new plays joined together
    are removed by the post-hook (macros/listening_sessions.sql).
-#}
{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy='merge' if target.type == 'bigquery' else 'delete+insert',
        partition_by=(
            {'field': 'started_at', 'data_type': 'timestamp', 'granularity': 'month'}
            if target.type == 'bigquery' else none
        ),
        cluster_by=(['user_id'] if target.type == 'bigquery' else none),
        on_schema_change='fail',
        post_hook="{{ delete_superseded_sessions(this) }}",
    )
}}

{%- set gap_seconds = var('listening_session_gap_minutes') * 60 -%}
{%- set float = spotify_type('float') -%}
{%- set integer = spotify_type('integer') -%}

with
{% if is_incremental() %}
last_build as (
    select coalesce(max(source_load_id), 0) as load_id from {{ this }}
),

new_ranges as (
    select
        user_id,
        {{ add_seconds('min(started_at)', -1 * gap_seconds) }} as range_start,
        {{ add_seconds('max(played_at)', gap_seconds) }} as range_end
    from {{ ref('play_lengths') }}
    where source_load_id > (select load_id from last_build)
    group by user_id
),

-- The range, widened to the stored sessions it touches (they are rebuilt whole).
scopes as (
    select
        new_ranges.user_id,
        least(min(new_ranges.range_start), coalesce(min(sessions.started_at), min(new_ranges.range_start)))
            as scope_start,
        greatest(max(new_ranges.range_end), coalesce(max(sessions.ended_at), max(new_ranges.range_end)))
            as scope_end
    from new_ranges
    left join {{ this }} as sessions
        on sessions.user_id = new_ranges.user_id
        and sessions.started_at <= new_ranges.range_end
        and sessions.ended_at >= new_ranges.range_start
    group by new_ranges.user_id
),
{% endif %}

plays as (
    select
        lengths.play_id,
        lengths.user_id,
        lengths.started_at,
        lengths.played_at,
        coalesce(lengths.played_ms, 0) as played_ms,
        lengths.counts_as_play,
        lengths.source_load_id,
        case
            when lengths.content_type = 'track' then coalesce(tracks.primary_artist_name, lengths.artist_name)
        end as artist_name
    from {{ ref('play_lengths') }} as lengths
    left join {{ ref('tracks') }} as tracks on tracks.track_id = lengths.track_id
    {% if is_incremental() %}
    inner join scopes
        on scopes.user_id = lengths.user_id
        and lengths.played_at >= scopes.scope_start
        and lengths.played_at <= scopes.scope_end
    {% endif %}
),

with_previous as (
    select
        plays.*,
        lag(played_at) over (partition by user_id order by played_at, play_id) as previous_played_at
    from plays
),

numbered as (
    select
        with_previous.*,
        sum(
            case
                when previous_played_at is null then 1
                when {{ seconds_between('previous_played_at', 'started_at') }} >= {{ gap_seconds }} then 1
                else 0
            end
        ) over (partition by user_id order by played_at, play_id rows unbounded preceding) as session_number
    from with_previous
),

sessions as (
    select
        user_id,
        session_number,
        min(started_at) as started_at,
        max(played_at) as ended_at,
        count(*) as streams,
        sum(case when counts_as_play then 1 else 0 end) as plays,
        sum(played_ms) / 60000.0 as minutes,
        max(source_load_id) as source_load_id
    from numbered
    group by user_id, session_number
),

artist_minutes as (
    select user_id, session_number, artist_name, sum(played_ms) as played_ms
    from numbered
    where artist_name is not null
    group by user_id, session_number, artist_name
),

top_artists as (
    select user_id, session_number, artist_name
    from (
        select
            artist_minutes.*,
            row_number() over (
                partition by user_id, session_number order by played_ms desc, artist_name
            ) as artist_rank
        from artist_minutes
    ) as ranked
    where artist_rank = 1
)

select
    {{ dbt.hash("concat(sessions.user_id, '|', cast(sessions.started_at as " ~ spotify_type('string') ~ "))") }}
        as session_id,
    sessions.user_id,
    sessions.started_at,
    sessions.ended_at,
    cast(sessions.streams as {{ integer }}) as streams,
    cast(sessions.plays as {{ integer }}) as plays,
    cast(sessions.minutes as {{ float }}) as minutes,
    top_artists.artist_name as top_artist_name,
    cast(sessions.source_load_id as {{ float }}) as source_load_id
from sessions
left join top_artists
    on top_artists.user_id = sessions.user_id and top_artists.session_number = sessions.session_number
