"""The Wrapped recap's statements (the page and `python pipeline.py wrapped` run the same ones).

The rules live in dbt, not here: `play_lengths` says how long each play lasted and whether it counts as a play
(30 s or more, the dbt var `counted_play_min_seconds`); `listening_sessions` holds the sessions. Minutes are all
the time played (skips, podcasts and audiobooks included); `plays` counts only the streams that count as plays; top
lists rank music by those rules. Days and months are local to `@tz`; periods are UTC instants from local dates.
"""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.listening import PLAYS, TRACK_KEY
from dashboard.queries.registry import limit_rows, query

# The music a play names: its track's primary artist when the track is known, else the name the export gave.
ARTIST = "coalesce(t.primary_artist_name, p.artist_name)"


def _recap_plays(d: Dialect) -> str:
    """The period's plays with their length and whether they count: `play_lengths` carries what the recap groups
    by, so it is read alone (pruned to the period) with the tracks beside it."""
    return f"""
        select
            p.play_id, p.played_at, p.content_type, p.track_id, p.track_name, p.artist_name, p.show_name,
            {ARTIST} as artist, t.primary_artist_id, {TRACK_KEY} as track_key,
            coalesce(p.played_ms, 0) as played_ms, p.counts_as_play
        from {d.table(FINAL, "play_lengths")} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {PLAYS}"""


@query
def recap_totals(d: Dialect) -> str:
    """A period's totals: minutes of everything played, plays (streams that count), distinct tracks and artists
    among the music plays, and the minutes of music and of podcasts."""
    return f"""
    select
        coalesce(sum(played_ms), 0) / 60000.0 as minutes_listened,
        coalesce(sum(case when counts_as_play then 1 else 0 end), 0) as plays,
        count(*) as streams,
        count(distinct case when counts_as_play and content_type = 'track' then track_key end) as distinct_tracks,
        count(distinct case when counts_as_play and content_type = 'track' then artist end) as distinct_artists,
        coalesce(sum(case when content_type = 'track' then played_ms else 0 end), 0) / 60000.0 as music_minutes,
        coalesce(sum(case when content_type = 'episode' then played_ms else 0 end), 0) / 60000.0 as podcast_minutes
    from ({_recap_plays(d)}
    ) as plays
    """


@query
def recap_top_artists(d: Dialect, limit: int = 10) -> str:
    """The period's artists by minutes of music (ties: more plays first, then by name)."""
    return f"""
    select
        artist as name,
        sum(case when counts_as_play then 1 else 0 end) as plays,
        sum(played_ms) / 60000.0 as minutes
    from ({_recap_plays(d)}
    ) as plays
    where content_type = 'track' and artist is not null
    group by artist
    order by minutes desc, plays desc, name
    {limit_rows(limit)}
    """


@query
def recap_top_tracks(d: Dialect, limit: int = 10) -> str:
    """The period's tracks by plays (ties: more minutes first, then by name)."""
    return f"""
    select
        min(track_name) as name,
        min(artist) as artist,
        sum(case when counts_as_play then 1 else 0 end) as plays,
        sum(played_ms) / 60000.0 as minutes
    from ({_recap_plays(d)}
    ) as plays
    where content_type = 'track'
    group by track_key
    order by plays desc, minutes desc, name
    {limit_rows(limit)}
    """


@query
def recap_top_podcasts(d: Dialect, limit: int = 5) -> str:
    """The period's podcasts (shows) by minutes."""
    return f"""
    select show_name as name, sum(played_ms) / 60000.0 as minutes
    from ({_recap_plays(d)}
    ) as plays
    where content_type = 'episode' and show_name is not null
    group by show_name
    order by minutes desc, name
    {limit_rows(limit)}
    """


@query
def recap_top_genres(d: Dialect) -> str:
    """The period's music minutes by parent genre, most first. A play's minutes go to one genre, the primary parent
    genre (artist_parent_genres.is_primary) of its track's primary artist, so the genres add up to the music that
    has one; `recap_genre_coverage` says how much has none."""
    return f"""
    select g.parent_genre as name, sum(plays.played_ms) / 60000.0 as minutes
    from ({_recap_plays(d)}
    ) as plays
    inner join {d.table(FINAL, "artist_parent_genres")} as g
        on g.artist_id = plays.primary_artist_id and g.is_primary
    where plays.content_type = 'track'
    group by g.parent_genre
    order by minutes desc, name
    """


@query
def recap_genre_coverage(d: Dialect) -> str:
    """The period's music minutes with a parent genre and without one: artists whose profile was not fetched (the
    development tier), artists Spotify gives no genre, export plays of tracks the warehouse does not know."""
    return f"""
    select
        coalesce(sum(case when g.artist_id is not null then plays.played_ms end), 0) / 60000.0 as minutes_with_genre,
        coalesce(sum(case when g.artist_id is null then plays.played_ms end), 0) / 60000.0 as minutes_without_genre
    from ({_recap_plays(d)}
    ) as plays
    left join {d.table(FINAL, "artist_parent_genres")} as g
        on g.artist_id = plays.primary_artist_id and g.is_primary
    where plays.content_type = 'track'
    """


@query
def recap_days(d: Dialect) -> str:
    """Minutes and plays per local day of the period: the busiest day, the streaks and the months come from it."""
    return f"""
    select day, sum(played_ms) / 60000.0 as minutes, sum(case when counts_as_play then 1 else 0 end) as plays
    from (
        select {d.local_day("played_at")} as day, played_ms, counts_as_play
        from ({_recap_plays(d)}
        ) as plays
    ) as days
    group by day
    order by day
    """


@query
def recap_new_artists(d: Dialect) -> str:
    """How many of the period's artists (music plays that count) were never played before it, and when the
    history starts (no share is given for a period the history starts in: every artist would be new)."""
    return f"""
    with artists as (
        select {ARTIST} as artist, min(p.played_at) as first_played_at, max(p.played_at) as last_played_at
        from {d.table(FINAL, "play_lengths")} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where p.user_id = @user_id and p.played_at >= @history_start_at and p.played_at < @end_at
            and p.content_type = 'track' and p.counts_as_play
        group by {ARTIST}
    )
    select
        count(case when last_played_at >= @start_at and first_played_at >= @start_at then artist end)
            as new_artists,
        count(case when last_played_at >= @start_at then artist end) as artists,
        min(first_played_at) as history_first_played_at
    from artists
    where artist is not null
    """


@query
def recap_sessions(d: Dialect) -> str:
    """The period's listening sessions (those starting in it), longest first."""
    return f"""
    select started_at, ended_at, streams, plays, minutes, top_artist_name
    from {d.table(FINAL, "listening_sessions")}
    where user_id = @user_id and started_at >= @start_at and started_at < @end_at
    order by minutes desc, started_at
    """
