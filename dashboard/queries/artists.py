"""The Artists & genres page's statements."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.listening import PLAYED_MS, PLAYS
from dashboard.queries.registry import HISTORY, limit_rows, query

# A play or a liked song counts for the primary parent genre of its track's primary artist: once, so the parents'
# shares add up to the whole (artist_parent_genres.is_primary).
PRIMARY_PARENT = "g.artist_id = t.primary_artist_id and g.is_primary"
# A micro-genre of `artist_genres` inside its artist's row of `artist_parent_genres` (micro_genres is ", "-joined).
IN_PARENT = "strpos(concat(', ', pg.micro_genres, ', '), concat(', ', ag.genre, ', ')) > 0"


@query
def parent_genres_by_plays(d: Dialect, limit: int = 25) -> str:
    """Listening time and plays of the period by parent genre (the primary parent of each track's primary
    artist); music with no known genre is left out here and counted by `genre_coverage`."""
    return f"""
    select g.parent_genre, count(*) as plays, coalesce(sum({PLAYED_MS}), 0) / 60000.0 as minutes,
           count(distinct g.artist_id) as artists
    from {d.table(FINAL, HISTORY)} as p
    join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    join {d.table(FINAL, "artist_parent_genres")} as g on {PRIMARY_PARENT}
    where {PLAYS} and p.content_type = 'track'
    group by g.parent_genre
    order by minutes desc, plays desc, g.parent_genre
    {limit_rows(limit)}
    """


@query
def parent_genres_in_liked_songs(d: Dialect, limit: int = 25) -> str:
    """Liked songs by parent genre (the primary parent of each track's primary artist)."""
    return f"""
    select g.parent_genre, count(*) as tracks, count(distinct g.artist_id) as artists
    from {d.table(FINAL, "saved_tracks")} as s
    join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    join {d.table(FINAL, "artist_parent_genres")} as g on {PRIMARY_PARENT}
    where s.user_id = @user_id
    group by g.parent_genre
    order by tracks desc, g.parent_genre
    {limit_rows(limit)}
    """


@query
def micro_genres_by_plays(d: Dialect) -> str:
    """The period's plays and listening time by micro-genre, with the parent each belongs to: a play counts for
    every micro-genre of its track's primary artist (the page lists one parent's micro-genres)."""
    return f"""
    select pg.parent_genre, ag.genre, count(*) as plays, coalesce(sum({PLAYED_MS}), 0) / 60000.0 as minutes,
           count(distinct ag.artist_id) as artists
    from {d.table(FINAL, HISTORY)} as p
    join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    join {d.table(FINAL, "artist_genres")} as ag on ag.artist_id = t.primary_artist_id
    join {d.table(FINAL, "artist_parent_genres")} as pg on pg.artist_id = ag.artist_id and {IN_PARENT}
    where {PLAYS} and p.content_type = 'track'
    group by pg.parent_genre, ag.genre
    order by minutes desc, plays desc, ag.genre
    """


@query
def micro_genres_in_liked_songs(d: Dialect) -> str:
    """Liked songs by micro-genre, with the parent each belongs to (a song counts for each micro-genre of its
    track's primary artist)."""
    return f"""
    select pg.parent_genre, ag.genre, count(*) as tracks, count(distinct ag.artist_id) as artists
    from {d.table(FINAL, "saved_tracks")} as s
    join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    join {d.table(FINAL, "artist_genres")} as ag on ag.artist_id = t.primary_artist_id
    join {d.table(FINAL, "artist_parent_genres")} as pg on pg.artist_id = ag.artist_id and {IN_PARENT}
    where s.user_id = @user_id
    group by pg.parent_genre, ag.genre
    order by tracks desc, ag.genre
    """


@query
def genre_coverage(d: Dialect) -> str:
    """How much of the period's music has a genre: plays and minutes whose track's primary artist has one, against
    all. Without a genre: artists not fetched yet (the development tier's budget, which Spotify sends no genres
    to anyway), artists Spotify gives none, and export plays of tracks the warehouse does not know."""
    return f"""
    select count(*) as plays,
           sum(case when g.artist_id is not null then 1 else 0 end) as plays_with_genre,
           coalesce(sum({PLAYED_MS}), 0) / 60000.0 as minutes,
           coalesce(sum(case when g.artist_id is not null then {PLAYED_MS} end), 0) / 60000.0 as minutes_with_genre
    from {d.table(FINAL, HISTORY)} as p
    left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    left join {d.table(FINAL, "artist_parent_genres")} as g on {PRIMARY_PARENT}
    where {PLAYS} and p.content_type = 'track'
    """


@query
def liked_genre_coverage(d: Dialect) -> str:
    """How many liked songs have a genre (through the track's primary artist), against all."""
    return f"""
    select count(*) as tracks, sum(case when g.artist_id is not null then 1 else 0 end) as tracks_with_genre
    from {d.table(FINAL, "saved_tracks")} as s
    left join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    left join {d.table(FINAL, "artist_parent_genres")} as g on {PRIMARY_PARENT}
    where s.user_id = @user_id
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
