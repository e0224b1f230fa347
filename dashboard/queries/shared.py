"""Statements every page needs: which tables exist, the accounts, and the range of the listening history."""

from __future__ import annotations

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.registry import HISTORY, query


@query
def catalog(d: Dialect) -> str:
    """Which datasets and tables exist: decides between the dashboard and its "no data yet" page."""
    return d.catalog()


@query
def users(d: Dialect) -> str:
    """The accounts in the warehouse (a warehouse may hold several)."""
    return f"""
    select user_id, coalesce(display_name, user_id) as display_name, country, product, followers
    from {d.table(FINAL, "users")}
    order by display_name, user_id
    """


@query
def play_bounds(d: Dialect) -> str:
    """First and last play of the user, and how many: the range every date filter defaults to."""
    return f"""
    select min(played_at) as first_played_at, max(played_at) as last_played_at, count(*) as plays
    from {d.table(FINAL, HISTORY)}
    where user_id = @user_id
    """
