"""The Audio features page's statements (none for development-tier apps: Spotify serves them no features)."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.registry import HISTORY, UNIT_FEATURES, query


@query
def feature_coverage(d: Dialect) -> str:
    """How many tracks have audio features at all (none for development-tier apps)."""
    return f"""
    select (select count(*) from {d.table(FINAL, "tracks")}) as tracks,
           (select count(*) from {d.table(FINAL, "track_audio_features")}) as tracks_with_features
    """


_FEATURE_COLUMNS = ", ".join(f"f.{name}" for name in (*UNIT_FEATURES, "tempo", "loudness"))


@query
def features_of_liked_songs(d: Dialect) -> str:
    """Audio features of the liked songs, one row per track."""
    return f"""
    select t.track_name, t.primary_artist_name as artist_name, {_FEATURE_COLUMNS}
    from {d.table(FINAL, "saved_tracks")} as s
    join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = s.track_id
    where s.user_id = @user_id
    """


@query
def features_of_playlist(d: Dialect) -> str:
    """Audio features of one playlist's tracks, one row per entry."""
    return f"""
    select t.track_name, t.primary_artist_name as artist_name, {_FEATURE_COLUMNS}
    from {d.table(FINAL, "playlist_tracks")} as pt
    join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = pt.track_id
    where pt.user_id = @user_id and pt.playlist_id = @playlist_id
    """


@query
def features_of_library(d: Dialect) -> str:
    """Audio features of every track of the user's library (liked, in playlists, played, top), one row each."""
    return f"""
    with library as (
        select track_id from {d.table(FINAL, "saved_tracks")} where user_id = @user_id
        union distinct
        select track_id from {d.table(FINAL, "playlist_tracks")} where user_id = @user_id and track_id is not null
        union distinct
        select track_id from {d.table(FINAL, HISTORY)}
        where user_id = @user_id and played_at >= @start_at and played_at < @end_at and track_id is not null
    )
    select t.track_name, t.primary_artist_name as artist_name, {_FEATURE_COLUMNS}
    from library
    join {d.table(FINAL, "tracks")} as t on t.track_id = library.track_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = library.track_id
    """


@query
def playlist_feature_profiles(d: Dialect) -> str:
    """Average audio features per playlist: each playlist's sound at a glance."""
    averages = ", ".join(f"avg(f.{name}) as {name}" for name in UNIT_FEATURES)
    return f"""
    select pl.playlist_name, count(*) as tracks, {averages}, avg(f.tempo) as tempo
    from {d.table(FINAL, "playlist_tracks")} as pt
    join {d.table(FINAL, "playlists")} as pl on pl.playlist_id = pt.playlist_id and pl.user_id = pt.user_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = pt.track_id
    where pt.user_id = @user_id
    group by pl.playlist_id, pl.playlist_name
    order by pl.playlist_name
    """
