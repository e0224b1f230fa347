"""The Together page's statements: two accounts of the same warehouse compared (`@user_id` and `@other_user_id`).

The play rules are Wrapped's, read from the same mart (`play_lengths`), so the figures agree with each person's
Wrapped: an artist or a track is *played* by someone who has a stream of it that counts as a play (30 s or more,
`counts_as_play`); minutes are all the time played (`played_ms`, skips included); an artist is the track's primary
artist, else the name the export gave (`ARTIST`), a track its id, else its names (`TRACK_KEY`). Music only.

Each person's plays are read by a scan of their own (`user_id = @...`, bounded on `played_at`, which BigQuery
partitions and clusters by user), then put side by side with `union all`: no full outer join, which the two
engines and the BigQuery emulator spell alike. The page passes one period for everything but the discoveries, for
which it passes the whole history of both.
"""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.listening import TRACK_KEY
from dashboard.queries.registry import limit_rows, query
from dashboard.queries.wrapped import ARTIST

# Who is who in every statement: person `a` is `@user_id` (the account chosen in the sidebar), `b` the other.
PEOPLE = (("a", "@user_id"), ("b", "@other_user_id"))


def _plays(d: Dialect, *, month: bool = False) -> str:
    """Both people's music streams of [@start_at, @end_at), one row each, tagged `person` = 'a' or 'b'
    (`month`: with the local month of each, in `@tz`)."""
    month_column = f"{d.month_start(d.local_day('p.played_at'))} as month, " if month else ""
    return "\n        union all".join(
        f"""
        select
            '{person}' as person, {month_column}{ARTIST} as artist, {TRACK_KEY} as track_key, p.track_name,
            p.played_at, coalesce(p.played_ms, 0) as played_ms, p.counts_as_play
        from {d.table(FINAL, "play_lengths")} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where p.user_id = {parameter} and p.played_at >= @start_at and p.played_at < @end_at
            and p.content_type = 'track'"""
        for person, parameter in PEOPLE
    )


# Each person's plays (streams that count) and milliseconds (all streams) of a group, side by side. Sums stay
# integers until the last step: a float summed in parallel may differ in its last digit from one run to the next.
SIDE_BY_SIDE = """
        sum(case when person = 'a' and counts_as_play then 1 else 0 end) as plays_a,
        sum(case when person = 'b' and counts_as_play then 1 else 0 end) as plays_b,
        sum(case when person = 'a' then played_ms else 0 end) as ms_a,
        sum(case when person = 'b' then played_ms else 0 end) as ms_b"""
MINUTES = "ms_a / 60000.0 as minutes_a, ms_b / 60000.0 as minutes_b"


@query
def together_artists(d: Dialect, limit: int = 20) -> str:
    """The period's artists both people played, ranked by the smaller of the two play counts (an artist ranks as
    high as the one who played it less lets it), then by both plays together, then by name."""
    return f"""
    with by_artist as (
        select artist, {SIDE_BY_SIDE}
        from ({_plays(d)}
        ) as plays
        where artist is not null
        group by artist
    )
    select artist as name, least(plays_a, plays_b) as shared_plays, plays_a, plays_b, {MINUTES}
    from by_artist
    where plays_a > 0 and plays_b > 0
    order by shared_plays desc, plays_a + plays_b desc, name
    {limit_rows(limit)}
    """


@query
def together_tracks(d: Dialect, limit: int = 20) -> str:
    """The period's tracks both people played, ranked like the artists (the smaller play count first)."""
    return f"""
    with by_track as (
        select track_key, min(track_name) as name, min(artist) as artist, {SIDE_BY_SIDE}
        from ({_plays(d)}
        ) as plays
        group by track_key
    )
    select name, artist, least(plays_a, plays_b) as shared_plays, plays_a, plays_b, {MINUTES}
    from by_track
    where plays_a > 0 and plays_b > 0
    order by shared_plays desc, plays_a + plays_b desc, name, artist
    {limit_rows(limit)}
    """


def _overlap(d: Dialect, *, by_month: bool) -> str:
    """How much two sets of artists overlap, per local month or over the whole period.

    - `jaccard`: the artists both played over the artists either played (0: nothing in common, 1: the same set);
    - `shared_minutes_share`: of both people's music minutes, the share spent on those shared artists."""
    group = "month, " if by_month else ""
    outer_group = "group by month" if by_month else ""
    outer_order = "where any_artists > 0 order by month" if by_month else ""
    return f"""
    with by_artist as (
        select {group}artist, {SIDE_BY_SIDE}
        from ({_plays(d, month=by_month)}
        ) as plays
        where artist is not null
        group by {group}artist
    ),
    overlap as (
        select
            {group}
            count(case when plays_a > 0 then artist end) as artists_a,
            count(case when plays_b > 0 then artist end) as artists_b,
            count(case when plays_a > 0 and plays_b > 0 then artist end) as shared_artists,
            count(case when plays_a > 0 or plays_b > 0 then artist end) as any_artists,
            coalesce(sum(ms_a), 0) as ms_a,
            coalesce(sum(ms_b), 0) as ms_b,
            coalesce(sum(case when plays_a > 0 and plays_b > 0 then ms_a + ms_b end), 0) as shared_ms
        from by_artist
        {outer_group}
    )
    select
        {group}artists_a, artists_b, shared_artists, any_artists, {MINUTES}, shared_ms / 60000.0 as shared_minutes,
        1.0 * shared_artists / nullif(any_artists, 0) as jaccard,
        1.0 * shared_ms / nullif(ms_a + ms_b, 0) as shared_minutes_share
    from overlap
    {outer_order}
    """


@query
def together_overlap(d: Dialect) -> str:
    """The period's taste overlap in one row: the artists each played, those both played, their Jaccard index, and
    the share of both people's music minutes spent on shared artists."""
    return _overlap(d, by_month=False)


@query
def together_overlap_by_month(d: Dialect) -> str:
    """The taste overlap per local month of the period (months in which either has a play of music)."""
    return _overlap(d, by_month=True)


def _discoveries(d: Dialect) -> str:
    """The artists both have played (streams that count), with each one's first play and who came first: `a`,
    `b`, or `both` for the very same instant; `days_ahead`: how long before the other."""
    return f"""
    with firsts as (
        select
            artist,
            min(case when person = 'a' then played_at end) as first_played_a,
            min(case when person = 'b' then played_at end) as first_played_b
        from ({_plays(d)}
        ) as plays
        where artist is not null and counts_as_play
        group by artist
    ),
    shared as (
        select
            artist, first_played_a, first_played_b,
            case
                when first_played_a < first_played_b then 'a'
                when first_played_b < first_played_a then 'b'
                else 'both'
            end as first_by,
            least(first_played_a, first_played_b) as discovered_at,
            {d.hours_between("least(first_played_a, first_played_b)", "greatest(first_played_a, first_played_b)")}
                / 24.0 as days_ahead
        from firsts
        where first_played_a is not null and first_played_b is not null
    )"""


@query
def together_discovery_counts(d: Dialect) -> str:
    """Of the artists both have played, how many each found first (and how many at the same instant)."""
    return f"""
    {_discoveries(d)}
    select
        count(*) as shared_artists,
        count(case when first_by = 'a' then artist end) as found_first_a,
        count(case when first_by = 'b' then artist end) as found_first_b,
        count(case when first_by = 'both' then artist end) as found_together
    from shared
    """


@query
def together_discoveries(d: Dialect, limit: int = 15) -> str:
    """The latest discoveries among the artists both have played: whoever played the artist first, when, and how
    long before the other (newest discovery first)."""
    return f"""
    {_discoveries(d)}
    select artist as name, first_by, discovered_at, first_played_a, first_played_b, days_ahead
    from shared
    order by discovered_at desc, name
    {limit_rows(limit)}
    """
