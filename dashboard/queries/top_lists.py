"""The Top lists page's statements (top_tracks, top_artists; always filtered on extracted_at)."""

from __future__ import annotations

from collections.abc import Callable

from dashboard.queries.dialect import FINAL, Dialect
from dashboard.queries.registry import query, register


@query
def top_snapshots(d: Dialect) -> str:
    """The days each top list was read, per kind and time range, newest first."""
    return f"""
    select 'tracks' as kind, time_range, snapshot_date, count(*) as entries
    from {d.table(FINAL, "top_tracks")}
    where user_id = @user_id
    group by time_range, snapshot_date
    union all
    select 'artists' as kind, time_range, snapshot_date, count(*) as entries
    from {d.table(FINAL, "top_artists")}
    where user_id = @user_id
    group by time_range, snapshot_date
    order by kind, time_range, snapshot_date desc
    """


# What differs between the two top lists: their table, key, and where the names come from.
_TOP_LISTS = {
    "tracks": ("top_tracks", "track_id", "tracks", "track_name"),
    "artists": ("top_artists", "artist_id", "artists", "artist_name"),
}


def _snapshot(d: Dialect, kind: str, day: str) -> str:
    table, key, _, _ = _TOP_LISTS[kind]
    return (
        f"select rank, {key} from {d.table(FINAL, table)} where user_id = @user_id and time_range = @time_range "
        f"and snapshot_date = {day} and extracted_at >= @from_at and extracted_at < @to_at"
    )


_MOVEMENT = """
        case when j.rank is null then 'out'
             when j.previous_rank is null then 'new'
             when j.previous_rank > j.rank then 'up'
             when j.previous_rank < j.rank then 'down'
             else 'same' end as movement,
        j.previous_rank - j.rank as places"""


def _movement(kind: str) -> Callable[[Dialect], str]:
    _, key, _, _ = _TOP_LISTS[kind]

    def build(d: Dialect) -> str:
        joined = f"""
    with current_list as ({_snapshot(d, kind, "@snapshot_date")}),
    previous_list as ({_snapshot(d, kind, "@previous_date")}),
    j as (
        select coalesce(c.{key}, p.{key}) as {key}, c.rank as rank, p.rank as previous_rank
        from current_list as c
        full outer join previous_list as p on p.{key} = c.{key}
    )"""
        if kind == "tracks":
            return f"""{joined}
    select j.rank, j.previous_rank, {_MOVEMENT},
        t.track_name, t.primary_artist_name as artist_name, t.album_name, t.popularity
    from j
    left join {d.table(FINAL, "tracks")} as t on t.track_id = j.track_id
    order by j.rank asc nulls last, j.previous_rank asc
    """
        return f"""{joined},
    genres as (
        select artist_id, string_agg(genre, ', ' order by genre) as genres
        from {d.table(FINAL, "artist_genres")}
        group by artist_id
    )
    select j.rank, j.previous_rank, {_MOVEMENT},
        a.artist_name, a.popularity, a.followers, genres.genres
    from j
    left join {d.table(FINAL, "artists")} as a on a.artist_id = j.artist_id
    left join genres on genres.artist_id = j.artist_id
    order by j.rank asc nulls last, j.previous_rank asc
    """

    build.__doc__ = f"A top-{kind} snapshot beside the previous one: rank, previous rank, up/down/new/out."
    return build


def _in_chosen_top(d: Dialect, kind: str) -> str:
    table, key, _, _ = _TOP_LISTS[kind]
    return f"""h.{key} in (
          select {key} from {d.table(FINAL, table)}
          where user_id = @user_id and time_range = @time_range and snapshot_date = @snapshot_date
            and rank <= @top_n and extracted_at >= @snapshot_from_at and extracted_at < @to_at
      )"""


def _history(kind: str) -> Callable[[Dialect], str]:
    table, key, names, name = _TOP_LISTS[kind]

    def build(d: Dialect) -> str:
        return f"""
    select h.snapshot_date, h.rank, n.{name} as name
    from {d.table(FINAL, table)} as h
    join {d.table(FINAL, names)} as n on n.{key} = h.{key}
    where h.user_id = @user_id and h.time_range = @time_range
      and h.extracted_at >= @from_at and h.extracted_at < @to_at
      and {_in_chosen_top(d, kind)}
    order by h.snapshot_date, h.rank
    """

    build.__doc__ = f"Rank per snapshot of the {kind} in the chosen snapshot's top `@top_n`, within the window."
    return build


def _across_ranges(kind: str) -> Callable[[Dialect], str]:
    table, key, names, name = _TOP_LISTS[kind]

    def build(d: Dialect) -> str:
        return f"""
    select h.time_range, h.rank, n.{name} as name
    from {d.table(FINAL, table)} as h
    join {d.table(FINAL, names)} as n on n.{key} = h.{key}
    where h.user_id = @user_id and h.snapshot_date = @snapshot_date
      and h.extracted_at >= @snapshot_from_at and h.extracted_at < @to_at
      and {_in_chosen_top(d, kind)}
    order by h.time_range, h.rank
    """

    build.__doc__ = f"The chosen top {kind}' ranks in all three time ranges of the same snapshot: rising or lasting."
    return build


top_tracks_movement = register("top_tracks_movement", _movement("tracks"))
top_artists_movement = register("top_artists_movement", _movement("artists"))
top_tracks_history = register("top_tracks_history", _history("tracks"))
top_artists_history = register("top_artists_history", _history("artists"))
top_tracks_across_ranges = register("top_tracks_across_ranges", _across_ranges("tracks"))
top_artists_across_ranges = register("top_artists_across_ranges", _across_ranges("artists"))
