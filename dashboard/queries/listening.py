"""The Listening page's statements (listening_history: API plays and data exports; always filtered on played_at).

Overview, Artists and Data health show some of them too."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.registry import HISTORY, limit_rows, query

PLAYS = "p.user_id = @user_id and p.played_at >= @start_at and p.played_at < @end_at"
# A play's length: what the export measured (ms_played), else the track's length (plays only the API saw).
PLAYED_MS = "coalesce(p.ms_played, t.duration_ms)"
# One key per track: its Spotify id, or for account-data plays of unknown tracks, its names.
TRACK_KEY = "coalesce(p.track_id, concat('name:', lower(p.track_name), '|', lower(p.artist_name)))"


@query
def listening_totals(d: Dialect) -> str:
    """Headline numbers of a period: plays, listening time (measured where the export says), distinct tracks,
    artists and days, the skip rate where known, and how many plays each origin holds."""
    return f"""
    select
        count(*) as plays,
        coalesce(sum({PLAYED_MS}), 0) / 3600000.0 as hours,
        coalesce(sum(p.ms_played), 0) / 3600000.0 as measured_hours,
        count(distinct case when p.content_type = 'track' then {TRACK_KEY} end) as tracks,
        count(distinct case when p.content_type = 'track' then coalesce(t.primary_artist_name, p.artist_name) end)
            as artists,
        count(distinct {d.local_day("p.played_at")}) as active_days,
        count(p.is_skipped) as plays_with_skip_info,
        coalesce(sum(case when p.is_skipped then 1 else 0 end), 0) as skipped,
        coalesce(sum(case when p.is_in_api then 1 else 0 end), 0) as in_api,
        coalesce(sum(case when p.is_in_extended_export then 1 else 0 end), 0) as in_extended_export,
        coalesce(sum(case when p.is_in_account_export then 1 else 0 end), 0) as in_account_export
    from {d.table(FINAL, HISTORY)} as p
    left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    where {PLAYS}
    """


def _local_plays(d: Dialect) -> str:
    """The period's plays with their local day and length: what the per-day and per-week series group."""
    return f"""
        select {d.local_day("p.played_at")} as played_day, {PLAYED_MS} as played_ms
        from {d.table(FINAL, HISTORY)} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {PLAYS}"""


@query
def plays_by_day(d: Dialect) -> str:
    """Plays and listening minutes per local day."""
    return f"""
    select played_day, count(*) as plays, coalesce(sum(played_ms), 0) / 60000.0 as minutes
    from ({_local_plays(d)}
    ) as plays
    group by played_day
    order by played_day
    """


@query
def plays_by_week(d: Dialect) -> str:
    """Plays and listening minutes per ISO week (starting Monday), local time."""
    return f"""
    select week_start, count(*) as plays, coalesce(sum(played_ms), 0) / 60000.0 as minutes
    from (
        select {d.week_start("played_day")} as week_start, played_ms
        from ({_local_plays(d)}
        ) as days
    ) as weeks
    group by week_start
    order by week_start
    """


@query
def plays_by_hour_and_weekday(d: Dialect) -> str:
    """The heatmap: plays per (ISO weekday, local hour)."""
    return f"""
    select weekday, hour_of_day, count(*) as plays
    from (
        select {d.iso_weekday("p.played_at")} as weekday, {d.local_hour("p.played_at")} as hour_of_day
        from {d.table(FINAL, HISTORY)} as p
        where {PLAYS}
    ) as plays
    group by weekday, hour_of_day
    order by weekday, hour_of_day
    """


@query
def listening_streaks(d: Dialect) -> str:
    """Runs of consecutive local days with at least one play (gaps and islands), longest first."""
    return f"""
    with days as (
        select distinct {d.local_day("p.played_at")} as played_day
        from {d.table(FINAL, HISTORY)} as p
        where {PLAYS}
    ),
    numbered as (
        select played_day, row_number() over (order by played_day) as day_number
        from days
    ),
    islands as (
        select played_day, {d.minus_days("played_day", "day_number")} as island
        from numbered
    )
    select min(played_day) as first_day, max(played_day) as last_day, count(*) as days
    from islands
    group by island
    order by days desc, last_day desc
    """


@query
def top_played_tracks(d: Dialect, limit: int = 10) -> str:
    """The period's most played tracks (music only), including tracks only the data export knows."""
    return f"""
    with plays as (
        select {TRACK_KEY} as track_key,
               coalesce(t.track_name, p.track_name) as track_name,
               coalesce(t.primary_artist_name, p.artist_name) as artist_name,
               coalesce(t.album_name, p.album_name) as album_name,
               {PLAYED_MS} as played_ms,
               p.played_at
        from {d.table(FINAL, HISTORY)} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {PLAYS} and p.content_type = 'track' and coalesce(p.track_id, p.track_name) is not null
    )
    select max(track_name) as track_name, max(artist_name) as artist_name, max(album_name) as album_name,
           count(*) as plays, coalesce(sum(played_ms), 0) / 60000.0 as minutes, max(played_at) as last_played_at
    from plays
    group by track_key
    order by plays desc, last_played_at desc, track_name
    {limit_rows(limit)}
    """


@query
def top_played_artists(d: Dialect, limit: int = 10) -> str:
    """The period's most played artists (a play counts for the track's primary artist; an export's play of a track
    the warehouse does not know counts for the artist it names), with what is known of them."""
    return f"""
    with plays as (
        select coalesce(t.primary_artist_id, concat('name:', lower(p.artist_name))) as artist_key,
               coalesce(t.primary_artist_name, p.artist_name) as artist_name,
               {TRACK_KEY} as track_key,
               {PLAYED_MS} as played_ms
        from {d.table(FINAL, HISTORY)} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {PLAYS} and p.content_type = 'track' and coalesce(t.primary_artist_id, p.artist_name) is not null
    ),
    by_artist as (
        select artist_key, max(artist_name) as artist_name, count(*) as plays, count(distinct track_key) as tracks,
               coalesce(sum(played_ms), 0) / 60000.0 as minutes
        from plays
        group by artist_key
    ),
    genres as (
        select artist_id, string_agg(genre, ', ' order by genre) as genres
        from {d.table(FINAL, "artist_genres")}
        group by artist_id
    )
    select coalesce(a.artist_name, by_artist.artist_name) as artist_name, by_artist.plays, by_artist.tracks,
           by_artist.minutes, a.popularity, a.followers, genres.genres
    from by_artist
    left join {d.table(FINAL, "artists")} as a on a.artist_id = by_artist.artist_key
    left join genres on genres.artist_id = by_artist.artist_key
    order by by_artist.plays desc, by_artist.minutes desc, artist_name
    {limit_rows(limit)}
    """


@query
def recent_plays(d: Dialect, limit: int = 10) -> str:
    """The period's latest plays, newest first (tracks, episodes, audiobooks alike)."""
    return f"""
    select p.played_at,
           coalesce(t.track_name, p.track_name, p.episode_name, p.audiobook_chapter_title, p.audiobook_title)
               as track_name,
           coalesce(t.primary_artist_name, p.artist_name, p.show_name, p.audiobook_title) as artist_name,
           p.context_type
    from {d.table(FINAL, HISTORY)} as p
    left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    where {PLAYS}
    order by p.played_at desc
    {limit_rows(limit)}
    """


@query
def plays_by_content(d: Dialect) -> str:
    """What was played: music, podcast episodes, audiobooks, videos (and export rows with no metadata)."""
    return f"""
    select p.content_type, count(*) as plays
    from {d.table(FINAL, HISTORY)} as p
    where {PLAYS}
    group by p.content_type
    order by plays desc
    """


@query
def longest_silences(d: Dialect, limit: int = 10) -> str:
    """The longest stretches between two consecutive plays of the period (hours)."""
    return f"""
    with ordered as (
        select p.played_at, lag(p.played_at) over (order by p.played_at) as previous_played_at
        from {d.table(FINAL, HISTORY)} as p
        where {PLAYS}
    )
    select previous_played_at as silent_from, played_at as silent_until,
           {d.hours_between("previous_played_at", "played_at")} as hours
    from ordered
    where previous_played_at is not null
    order by hours desc
    {limit_rows(limit)}
    """
