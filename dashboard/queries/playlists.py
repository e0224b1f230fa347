"""The Playlists page's statements, and the likes per month (the same history shape) the Overview shows."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.registry import limit_rows, query


@query
def playlist_summaries(d: Dialect) -> str:
    """Every playlist with its size, duration, owner, top three artists and genres."""
    return f"""
    with entries as (
        select pt.playlist_id, pt.track_id, pt.item_duration_ms, t.primary_artist_id, t.primary_artist_name
        from {d.table(FINAL, "playlist_tracks")} as pt
        left join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
        where pt.user_id = @user_id
    ),
    sizes as (
        select playlist_id, count(*) as entries_loaded, coalesce(sum(item_duration_ms), 0) / 3600000.0 as hours,
               count(distinct primary_artist_id) as artists
        from entries
        group by playlist_id
    ),
    artist_counts as (
        select playlist_id, primary_artist_name as artist_name, count(*) as n,
               row_number() over (partition by playlist_id order by count(*) desc, primary_artist_name) as position
        from entries
        where primary_artist_name is not null
        group by playlist_id, primary_artist_name
    ),
    genre_counts as (
        select e.playlist_id, g.genre, count(*) as n,
               row_number() over (partition by e.playlist_id order by count(*) desc, g.genre) as position
        from entries as e
        join {d.table(FINAL, "artist_genres")} as g on g.artist_id = e.primary_artist_id
        group by e.playlist_id, g.genre
    ),
    top_artists as (
        select playlist_id, string_agg(artist_name, ', ' order by position) as top_artists
        from artist_counts where position <= 3 group by playlist_id
    ),
    top_genres as (
        select playlist_id, string_agg(genre, ', ' order by position) as top_genres
        from genre_counts where position <= 3 group by playlist_id
    )
    select pl.playlist_id, pl.playlist_name, coalesce(pl.owner_name, pl.owner_id) as owner,
           pl.owner_id = pl.user_id as is_own, pl.track_count, coalesce(sizes.entries_loaded, 0) as entries_loaded,
           coalesce(sizes.hours, 0) as hours, coalesce(sizes.artists, 0) as artists, top_artists.top_artists,
           top_genres.top_genres, pl.is_public, pl.is_collaborative, pl.is_items_accessible, pl.description
    from {d.table(FINAL, "playlists")} as pl
    left join sizes on sizes.playlist_id = pl.playlist_id
    left join top_artists on top_artists.playlist_id = pl.playlist_id
    left join top_genres on top_genres.playlist_id = pl.playlist_id
    where pl.user_id = @user_id
    order by pl.track_count desc, pl.playlist_name
    """


@query
def playlist_entries(d: Dialect) -> str:
    """One playlist's entries in order, local files and episodes included."""
    return f"""
    select pt.position + 1 as position,
           coalesce(t.track_name, pt.local_name,
                    case when pt.item_type = 'episode' then 'Podcast episode' else 'Unavailable' end) as title,
           coalesce(t.primary_artist_name, pt.local_artist_name) as artist_name,
           t.album_name, pt.item_duration_ms / 60000.0 as minutes, pt.item_type, pt.added_at, pt.added_by
    from {d.table(FINAL, "playlist_tracks")} as pt
    left join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
    where pt.user_id = @user_id and pt.playlist_id = @playlist_id
    order by pt.position
    """


@query
def playlist_genres(d: Dialect, limit: int = 10) -> str:
    """Genres of one playlist's tracks (through each track's primary artist)."""
    return f"""
    select g.genre, count(*) as tracks
    from {d.table(FINAL, "playlist_tracks")} as pt
    join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
    join {d.table(FINAL, "artist_genres")} as g on g.artist_id = t.primary_artist_id
    where pt.user_id = @user_id and pt.playlist_id = @playlist_id
    group by g.genre
    order by tracks desc, g.genre
    {limit_rows(limit)}
    """


def _gains_and_losses(d: Dialect, table: str, where: str) -> str:
    """Per month (in `@tz`): rows of a history table whose period began (added) and ended (removed)."""
    return f"""
    with periods as (
        select valid_from, valid_to from {d.table(FINAL, table)} where {where}
    ),
    changes as (
        select {d.month_start(d.local_day("valid_from"))} as month, 'added' as change from periods
        union all
        select {d.month_start(d.local_day("valid_to"))} as month, 'removed' as change from periods
        where valid_to is not null
    )
    select month,
           count(case when change = 'added' then 1 end) as added,
           count(case when change = 'removed' then 1 end) as removed
    from changes
    group by month
    order by month
    """


@query
def likes_by_month(d: Dialect) -> str:
    """Songs liked and un-liked per month (saved_tracks_history: un-likes dated when a run first missed them)."""
    return _gains_and_losses(d, "saved_tracks_history", "user_id = @user_id")


@query
def playlist_changes_by_month(d: Dialect) -> str:
    """One playlist's entries added and removed per month (playlist_tracks_history)."""
    return _gains_and_losses(d, "playlist_tracks_history", "user_id = @user_id and playlist_id = @playlist_id")


@query
def removed_playlists(d: Dialect) -> str:
    """Playlists that left the account's list (deleted or unfollowed): their last version and when it ended."""
    return f"""
    with last_versions as (
        select playlist_id, playlist_name, owner_id, track_count, valid_to,
               row_number() over (partition by playlist_id order by valid_from desc) as recency
        from {d.table(FINAL, "playlists_history")}
        where user_id = @user_id
    )
    select playlist_name, owner_id, track_count, valid_to as removed_at
    from last_versions
    where recency = 1 and valid_to is not null
    order by valid_to desc
    """
