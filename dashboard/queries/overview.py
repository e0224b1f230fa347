"""The Overview page's own statement (it also shows listening, top played and likes: see those modules)."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.registry import query


@query
def library_counts(d: Dialect) -> str:
    """Playlists and liked songs of the user: the library side of the headline numbers."""
    return f"""
    select
        (select count(*) from {d.table(FINAL, "playlists")} where user_id = @user_id) as playlists,
        (select count(*) from {d.table(FINAL, "saved_tracks")} where user_id = @user_id) as saved_tracks
    """
