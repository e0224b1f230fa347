"""The Wrapped recap as data: one dict for a user, a period and a time zone, from the statements of
dashboard/queries/wrapped.py. The Wrapped page and `python pipeline.py wrapped` both call `build_recap`, each with
its own way to run a statement (the page's cache, the command's one connection), so their figures are the same.

Rules (the dbt marts hold them; see dashboard/queries/wrapped.py): a play is a stream of 30 s or more
(`play_lengths.counts_as_play`); minutes are all the time played; days, months and sessions' times are in the
time zone the caller gives. A period is local dates, both ends included.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.queries import QUERIES, Query

Runner = Callable[[Query, Mapping[str, Any], Mapping[str, Any]], pd.DataFrame]
"""Runs a statement: (query, trusted options such as `limit`, bound parameters) -> rows."""

TOP = 5
HISTORY_START = dt.datetime(2006, 1, 1, tzinfo=dt.UTC)
"""Before Spotify existed: the lower bound of "every play before the period" (BigQuery prunes by it)."""


@dataclass(frozen=True)
class Period:
    """Local dates [start, end], both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def is_calendar_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31) and (
            self.start.year == self.end.year
        )

    @property
    def label(self) -> str:
        if self.is_calendar_year:
            return str(self.start.year)
        return f"{_day_label(self.start)} – {_day_label(self.end)}"

    def previous(self) -> Period:
        """The period to compare with: the year before a calendar year, else as many days just before."""
        if self.is_calendar_year:
            return calendar_year(self.start.year - 1)
        days = (self.end - self.start).days + 1
        return Period(self.start - dt.timedelta(days=days), self.start - dt.timedelta(days=1))

    def months(self) -> list[str]:
        """Every month the period touches, as YYYY-MM."""
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def calendar_year(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


def default_period(first_day: dt.date, last_day: dt.date) -> Period:
    """The last complete calendar year in the data (its last play falls after that year's end); with none, the
    year of the last play so far."""
    complete = last_day.year if (last_day.month, last_day.day) == (12, 31) else last_day.year - 1
    if complete < first_day.year:
        return Period(dt.date(last_day.year, 1, 1), last_day)
    return calendar_year(complete)


def utc_bounds(start: dt.date, end: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """Local days [start, end] (end inclusive) as UTC instants [start_at, end_at): exact and partition-prunable.
    (Here, not in dashboard/data.py, so that the command line needs no Streamlit; data.py uses this one.)"""
    zone = ZoneInfo(tz)
    start_at = dt.datetime.combine(start, dt.time(0), zone).astimezone(dt.UTC)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    return start_at, end_at


def build_recap(
    run: Runner, *, user_id: str, period: Period, tz: str, display_name: str | None = None, top: int = TOP
) -> dict[str, Any]:
    """Everything the recap shows, as JSON-ready values (numbers rounded for people: minutes to 0.01)."""
    start_at, end_at = utc_bounds(period.start, period.end, tz)
    params = {"user_id": user_id, "start_at": start_at, "end_at": end_at, "tz": tz}

    def rows(name: str, limit: int | None = None, **extra: Any) -> pd.DataFrame:
        options = {"limit": limit} if limit is not None else {}
        return run(QUERIES[name], options, params | extra)

    totals = _totals(rows("recap_totals"))
    days = rows("recap_days")
    sessions = rows("recap_sessions")
    new_artists = rows("recap_new_artists", history_start_at=HISTORY_START).iloc[0]
    coverage = rows("recap_genre_coverage").iloc[0]
    previous = period.previous()
    previous_start, previous_end = utc_bounds(previous.start, previous.end, tz)
    previous_params = params | {"start_at": previous_start, "end_at": previous_end}
    previous_totals = _totals(run(QUERIES["recap_totals"], {}, previous_params))
    previous_days = run(QUERIES["recap_days"], {}, previous_params)
    return {
        "user_id": user_id,
        "display_name": display_name,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "label": period.label},
        "time_zone": tz,
        **totals,
        "top_artists": _records(rows("recap_top_artists", top), name=str, plays=int, minutes=_minutes),
        "top_tracks": _records(rows("recap_top_tracks", top), name=str, artist=str, plays=int, minutes=_minutes),
        "top_genres": _records(rows("recap_top_genres").head(top), name=str, minutes=_minutes),
        "genre_coverage": {
            "minutes_with_genre": _minutes(coverage["minutes_with_genre"]),
            "minutes_without_genre": _minutes(coverage["minutes_without_genre"]),
        },
        "top_podcasts": _records(rows("recap_top_podcasts", top), name=str, minutes=_minutes),
        "new_artists_share": _new_artists_share(new_artists, start_at),
        "busiest_day": _busiest_day(days),
        "longest_session": _session(sessions.head(1), tz),
        "sessions": len(sessions),
        "typical_session_minutes": _minutes(sessions["minutes"].median()) if len(sessions) else None,
        "longest_streak_days": longest_streak(days.loc[days["plays"] > 0, "day"]),
        "minutes_by_month": _by_month(days, period),
        "previous_period": {
            "period": {"from": previous.start.isoformat(), "to": previous.end.isoformat(), "label": previous.label},
            **previous_totals,
            "minutes_by_month": _by_month(previous_days, previous),
        },
    }


def longest_streak(days: pd.Series) -> int:
    """The most consecutive local days in `days` (dates, any order)."""
    ordered = sorted({pd.Timestamp(day).date() for day in days})
    best = run = 0
    for index, day in enumerate(ordered):
        run = run + 1 if index and (day - ordered[index - 1]).days == 1 else 1
        best = max(best, run)
    return best


def _totals(frame: pd.DataFrame) -> dict[str, Any]:
    row = frame.iloc[0]
    return {
        "minutes_listened": _minutes(row["minutes_listened"]),
        "plays": int(row["plays"] or 0),
        "distinct_tracks": int(row["distinct_tracks"] or 0),
        "distinct_artists": int(row["distinct_artists"] or 0),
        "streams": int(row["streams"] or 0),
        "music_minutes": _minutes(row["music_minutes"]),
        "podcast_minutes": _minutes(row["podcast_minutes"]),
    }


def _records(frame: pd.DataFrame, **columns: Callable[[Any], Any]) -> list[dict[str, Any]]:
    return [
        {name: (None if _missing(row[name]) else convert(row[name])) for name, convert in columns.items()}
        for _, row in frame.iterrows()
    ]


def _new_artists_share(row: pd.Series, start_at: dt.datetime) -> float | None:
    """None when the history starts within the period (every artist would be "new") or no artist was played."""
    first = row["history_first_played_at"]
    if _missing(first) or pd.Timestamp(first) >= pd.Timestamp(start_at) or not int(row["artists"] or 0):
        return None
    return round(int(row["new_artists"]) / int(row["artists"]), 4)


def _busiest_day(days: pd.DataFrame) -> dict[str, Any] | None:
    if days.empty:
        return None
    best = days.sort_values(["minutes", "day"], ascending=[False, True]).iloc[0]
    return {"date": pd.Timestamp(best["day"]).date().isoformat(), "minutes": _minutes(best["minutes"])}


def _session(frame: pd.DataFrame, tz: str) -> dict[str, Any] | None:
    if frame.empty:
        return None
    row = frame.iloc[0]
    return {
        "start": _local(row["started_at"], tz),
        "end": _local(row["ended_at"], tz),
        "minutes": _minutes(row["minutes"]),
        "plays": int(row["plays"]),
        "top_artist": None if _missing(row["top_artist_name"]) else str(row["top_artist_name"]),
    }


def _by_month(days: pd.DataFrame, period: Period) -> list[dict[str, Any]]:
    minutes = dict.fromkeys(period.months(), 0.0)
    for _, row in days.iterrows():
        month = pd.Timestamp(row["day"]).strftime("%Y-%m")
        minutes[month] = minutes.get(month, 0.0) + float(row["minutes"] or 0)
    return [{"month": month, "minutes": _minutes(value)} for month, value in minutes.items()]


def _local(value: Any, tz: str) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(tz).isoformat(timespec="seconds")


def _minutes(value: Any) -> float:
    return 0.0 if _missing(value) else round(float(value), 2)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, dict, str)) and bool(pd.isna(value)))


def _day_label(day: dt.date) -> str:
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"
