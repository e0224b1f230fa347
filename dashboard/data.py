"""The pages' only way to the warehouse: cached connection, cached results, friendly failures.

- `st.cache_resource` keeps one `Warehouse` per configuration (for BigQuery: one client; for DuckDB: the handle that
  opens a short read-only connection per statement, see warehouse.py).
- `st.cache_data(ttl=...)` keeps results keyed by statement, parameters and the warehouse's fingerprint (the DuckDB
  file's modification time), so a finished pipeline run shows up on the next rerun and repeated widget changes cost
  nothing.
- A `WarehouseError` becomes a message with what to do, then the page stops: no traceback reaches the browser.

Small derivations the pages need (local dates to UTC instants, run summaries parsed from JSON) live here too, so
pages stay widgets → query → chart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from dashboard import queries, warehouse
from dashboard.queries import FINAL, Query
from dashboard.recap import utc_bounds as utc_bounds  # the pages turn local days into UTC instants with it

log = logging.getLogger(__name__)

RESULT_TTL_SECONDS = 600


def config() -> warehouse.WarehouseConfig:
    """The warehouse settings: environment first, then `[warehouse]` of .streamlit/secrets.toml if there is one
    (`destination = "bigquery"`, `bigquery_project = ...`)."""
    try:
        settings: Mapping[str, Any] = dict(st.secrets.get("warehouse", {}))
    except Exception:  # no secrets file at all is the normal case
        settings = {}
    try:
        return warehouse.load_config(os.environ, settings)
    except warehouse.WarehouseError as exc:
        stop_with(exc)
        raise  # unreachable: stop_with stops the page


@st.cache_resource(show_spinner=False)
def _open(config: warehouse.WarehouseConfig) -> warehouse.Warehouse:
    return warehouse.open_warehouse(config)


def current_warehouse() -> warehouse.Warehouse:
    """The open warehouse of the current configuration."""
    try:
        return _open(config())
    except warehouse.WarehouseError as exc:
        stop_with(exc)
        raise


@st.cache_data(ttl=RESULT_TTL_SECONDS, show_spinner=False, max_entries=2000)
def _cached(
    name: str, params: tuple[tuple[str, Any], ...], options: tuple[tuple[str, Any], ...], fingerprint: str
) -> pd.DataFrame:
    store = current_warehouse()
    sql = queries.QUERIES[name].render(store.dialect, **dict(options))
    return store.run(sql, dict(params))


def fetch(
    query: Query, /, *, limit: int | None = None, options: Mapping[str, Any] | None = None, **params: Any
) -> pd.DataFrame:
    """The rows of one statement, from the cache when fresh; stops the page with a message on any failure.

    `params` are bound; `limit` and `options` are trusted constants the statement is written with."""
    store = current_warehouse()
    written = dict(options or {}) | ({"limit": limit} if limit is not None else {})
    try:
        return _cached(
            query.name,
            tuple(sorted(params.items())),
            tuple(sorted(written.items())),
            store.fingerprint(),
        ).copy()
    except warehouse.WarehouseError as exc:
        stop_with(exc)
        raise


def stop_with(exc: warehouse.WarehouseError) -> None:
    """Show what went wrong and what to do, then stop the page (the rest would only fail the same way)."""
    if isinstance(exc, warehouse.WarehouseMissing):
        st.info(f"**{exc.title}**\n\n{exc.hint}", icon=":material/database_off:")
    elif isinstance(exc, warehouse.WarehouseBusy):
        st.warning(f"**{exc.title}**\n\n{exc.hint}", icon=":material/hourglass_top:")
    else:
        st.error(f"**{exc.title}**\n\n{exc.hint}", icon=":material/error:")
    st.stop()


# --- what is in the warehouse ---


@dataclass(frozen=True)
class Status:
    """What the warehouse holds: decides between the pages and the "no data yet" page."""

    description: str
    tables: frozenset[tuple[str, str]]
    users: pd.DataFrame = field(compare=False)

    def has(self, dataset: str, table: str) -> bool:
        return (dataset, table) in self.tables

    @property
    def final_tables(self) -> list[str]:
        return [table for table in queries.FINAL_TABLES if self.has(FINAL, table)]

    @property
    def has_data(self) -> bool:
        return not self.users.empty


def status() -> Status:
    """The warehouse's tables and accounts (stops the page with a message when the warehouse cannot be read)."""
    store = current_warehouse()
    catalog = fetch(queries.catalog)
    tables = frozenset(zip(catalog["dataset"], catalog["table_name"], strict=True))
    users = fetch(queries.users) if (FINAL, "users") in tables else pd.DataFrame()
    return Status(store.describe(), tables, users)


# --- time ---


def viewer_timezone() -> str:
    """The browser's time zone (days and hours are the viewer's), UTC when unknown or not a real zone."""
    try:
        name = st.context.timezone
    except Exception:
        name = None
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def day_bounds_utc(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC days [first, last] as instants, with a day's margin each side (snapshot day vs extraction instant)."""
    start = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(0), dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(0), dt.UTC)
    return start, end


@dataclass(frozen=True)
class PlayRange:
    """The user's listening history as the viewer sees it: first and last local day, play count."""

    first_day: dt.date
    last_day: dt.date
    plays: int


def play_range(user_id: str, tz: str) -> PlayRange | None:
    """The first and last day with plays (None without plays): periods default to the data, not to today."""
    bounds = fetch(queries.play_bounds, user_id=user_id)
    if bounds.empty or not int(bounds["plays"].iloc[0]):
        return None
    zone = ZoneInfo(tz)
    first = pd.Timestamp(bounds["first_played_at"].iloc[0]).to_pydatetime().astimezone(zone).date()
    last = pd.Timestamp(bounds["last_played_at"].iloc[0]).to_pydatetime().astimezone(zone).date()
    return PlayRange(first, last, int(bounds["plays"].iloc[0]))


def to_local(value: Any, tz: str) -> dt.datetime | None:
    """A UTC timestamp from the warehouse as a local datetime (None for missing values)."""
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(tz).to_pydatetime()


# --- runs ---


# What each run fetched: columns of the mart `pipeline_runs` (null for a run from before the counter existed).
RUN_COUNTERS = ("api_requests", "plays_fetched", "playlists_read", "artists_fetched", "audio_features_fetched")


@dataclass(frozen=True)
class Run:
    """One pipeline run as the Data health page shows it."""

    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    tier: str | None
    batch_endpoints: bool | None
    audio_features: bool | None
    notes: list[str]
    gaps: list[dict[str, str]]
    counts: dict[str, int]


def runs(current: Status, user_id: str, limit: int = 30) -> list[Run]:
    """The latest runs, newest first, with their notes, gaps and counters (empty when none are recorded, or when the
    warehouse's last dbt build predates the mart `pipeline_runs`)."""
    if not current.has(FINAL, "pipeline_runs"):
        return []
    frame = fetch(queries.pipeline_runs, user_id=user_id, limit=limit)
    return [
        Run(
            started_at=_timestamp(row["run_started_at"]),
            finished_at=_timestamp(row["run_finished_at"]),
            tier=None if pd.isna(row["tier"]) else str(row["tier"]),
            batch_endpoints=_optional_bool(row["is_batch_endpoints_available"]),
            audio_features=_optional_bool(row["is_audio_features_available"]),
            notes=[str(note) for note in _json_list(row["notes_json"])],
            gaps=[
                {str(key): str(value) for key, value in gap.items()}
                for gap in _json_list(row["gaps_json"])
                if isinstance(gap, dict)
            ],
            counts={column: int(row[column]) for column in RUN_COUNTERS if pd.notna(row[column])},
        )
        for _, row in frame.iterrows()
    ]


EXPORT_KINDS = ("extended", "account")


def export_spans(params: dict[str, Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    """From first to last play, what each imported data export covers (`params`: a listening period's)."""
    row = fetch(queries.export_coverage, **params).iloc[0]
    spans = [
        (_timestamp(row[f"{kind}_first_played_at"]), _timestamp(row[f"{kind}_last_played_at"])) for kind in EXPORT_KINDS
    ]
    return [(first, last) for first, last in spans if first is not None and last is not None]


def is_covered(gap: dict[str, str], spans: list[tuple[dt.datetime, dt.datetime]]) -> bool:
    """A gap a run reported lies inside an export's span: the export holds every play of it, so none is lost."""
    after, before = _timestamp(gap["gap_after"]), _timestamp(gap["gap_before"])
    return after is not None and before is not None and any(first <= after and before <= last for first, last in spans)


def _timestamp(value: Any) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return (stamp if stamp.tzinfo else stamp.tz_localize("UTC")).to_pydatetime()


def _optional_bool(value: Any) -> bool | None:
    return None if value is None or pd.isna(value) else bool(value)


def _json_list(value: Any) -> list[Any]:
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return []
    if isinstance(value, list):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return parsed if isinstance(parsed, list) else [parsed]


@dataclass(frozen=True)
class SpotifyLogin:
    """The login behind the latest run: Spotify ends its refresh token 6 months after it (`invalid_grant`), and
    every run fails from then until `python pipeline.py auth` is run again."""

    logged_in_at: dt.datetime | None
    expires_at: dt.datetime | None

    WARN_DAYS = 14

    def days_left(self, now: dt.datetime) -> float | None:
        return None if self.expires_at is None else (self.expires_at - now).total_seconds() / 86400

    def state(self, now: dt.datetime) -> str:
        """`unknown` (not logged in through `auth`, or not recorded), `ok`, `expiring` (last two weeks), `expired`."""
        left = self.days_left(now)
        if left is None:
            return "unknown"
        return "expired" if left <= 0 else ("expiring" if left <= self.WARN_DAYS else "ok")


def spotify_login(current: Status, user_id: str) -> SpotifyLogin:
    """The login age the latest run recorded (unknown when it recorded none)."""
    if not current.has(FINAL, "pipeline_runs"):
        return SpotifyLogin(None, None)
    frame = fetch(queries.spotify_login, user_id=user_id)
    if frame.empty:
        return SpotifyLogin(None, None)
    row = frame.iloc[0]
    return SpotifyLogin(_timestamp(row["logged_in_at"]), _timestamp(row["refresh_token_expires_at"]))


def last_refreshed(current: Status, user_id: str) -> dt.datetime | None:
    """When the pipeline last finished a run for the user (None when no run is recorded)."""
    recorded = runs(current, user_id, limit=1)
    if not recorded:
        return None
    return recorded[0].finished_at or recorded[0].started_at


def data_quality_warnings(current: Status) -> pd.DataFrame | None:
    """The last dbt build's warnings (an empty frame when none); None when the warehouse predates the table (its
    dbt build ran before warnings were recorded), so the page can say so instead of failing."""
    if not current.has(FINAL, "data_quality_warnings"):
        return None
    return fetch(queries.data_quality_warnings)


def row_counts(current: Status) -> pd.DataFrame:
    """Rows per final table that exists."""
    return fetch(queries.row_counts, options={"tables": tuple(current.final_tables)})


@st.cache_data(ttl=RESULT_TTL_SECONDS, show_spinner=False)
def _cost_report(fingerprint: str) -> Any:
    """spotify_pipeline.costs' report of the open warehouse (imported by the dashboard: it has no side effects and
    imports neither the pipeline nor the source). On BigQuery every query carries the dashboard's bytes cap."""
    from spotify_pipeline import costs

    store = current_warehouse()
    if isinstance(store, warehouse.BigQueryWarehouse):
        settings = store.config
        return costs.bigquery_report(
            store.client(),
            str(settings.bigquery_project),
            settings.bigquery_location,
            dt.datetime.now(dt.UTC),
            max_bytes_billed=settings.bigquery_max_bytes_billed,
        )
    return costs.duckdb_report(store.path)  # type: ignore[attr-defined]


def cost_report() -> Any:
    """Storage and this month's query bytes against BigQuery's free tier (DuckDB: file size and rows), or a
    sentence saying why they cannot be read (the account lacks a role, ...): a health page never fails on it."""
    from google.api_core import exceptions as google_errors

    from spotify_pipeline import costs

    try:
        return _cost_report(current_warehouse().fingerprint())
    except (costs.CostsUnavailable, google_errors.GoogleAPICallError, warehouse.WarehouseError) as exc:
        return f"Costs could not be read: {str(exc).splitlines()[0]}"
