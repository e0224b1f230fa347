"""The Artists & genres page's statements."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.listening import PLAYS
from dashboard.queries.registry import HISTORY, limit_rows, query


@query
def genres_by_plays(d: Dialect, limit: int = 10) -> str:
    """Genre distribution of the period's plays (through each track's primary artist)."""
    return f"""
    select g.genre, count(*) as plays, count(distinct g.artist_id) as artists
    from {d.table(FINAL, HISTORY)} as p
    join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    join {d.table(FINAL, "artist_genres")} as g on g.artist_id = t.primary_artist_id
    where {PLAYS}
    group by g.genre
    order by plays desc, g.genre
    {limit_rows(limit)}
    """


@query
def genres_in_liked_songs(d: Dialect, limit: int = 10) -> str:
    """Genre distribution of the liked songs (through each track's primary artist)."""
    return f"""
    select g.genre, count(*) as tracks, count(distinct g.artist_id) as artists
    from {d.table(FINAL, "saved_tracks")} as s
    join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    join {d.table(FINAL, "artist_genres")} as g on g.artist_id = t.primary_artist_id
    where s.user_id = @user_id
    group by g.genre
    order by tracks desc, g.genre
    {limit_rows(limit)}
    """


@query
def artist_coverage(d: Dialect) -> str:
    """What the warehouse knows about artists: full profiles (genres), popularity, genres at all."""
    return f"""
    select count(*) as artists,
           sum(case when is_full_profile then 1 else 0 end) as full_profiles,
           sum(case when popularity is not null then 1 else 0 end) as with_popularity,
           sum(case when genre_count > 0 then 1 else 0 end) as with_genres
    from {d.table(FINAL, "artists")}
    """
