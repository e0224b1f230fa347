"""The dashboard on its BigQuery path, against the local BigQuery emulator (no Google account, no network).

The warehouse is the one tests/bigquery/conftest.py builds once per session for the dbt checks too (the real
source through dlt's bigquery destination, then `dbt build --target bigquery`). Every statement then goes through
google-cloud-bigquery exactly as in production (QueryJobConfig with the bytes-billed cap and typed query parameters,
typed results), and every page runs in AppTest with SPOTIFY_DESTINATION=bigquery.

What this cannot show: the emulator runs BigQuery SQL by translating it to DuckDB, so it accepts some SQL BigQuery
would refuse and it neither bills nor prunes partitions. Passing here means the client code, the parameters and the
dialect's spelling work end to end; BigQuery's own type checker and costs are only checked against Google.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import streamlit as st
from google.cloud import bigquery

from dashboard import queries, warehouse
from tests.bigquery.conftest import DUMMY_TOKEN, BigQueryEmulator
from tests.bigquery.dbt_runs import DbtRun
from tests.dashboard.test_pages import NEEDS_TWO_ACCOUNTS, PAGES, assert_clean, charts, metrics, number, open_page

pytestmark = pytest.mark.filterwarnings("ignore:Cannot create BigQuery Storage client:UserWarning")


@pytest.fixture(scope="module")
def bigquery_settings(bigquery_build: DbtRun, bigquery_raw: BigQueryEmulator) -> dict[str, str]:
    """The environment that points the dashboard at the emulator's warehouse."""
    assert bigquery_build.result.success, f"dbt build --target bigquery failed: {bigquery_build.failures()}"
    return {
        "SPOTIFY_DESTINATION": "bigquery",
        "SPOTIFY_BIGQUERY_PROJECT": bigquery_raw.project,
        "SPOTIFY_BIGQUERY_TOKEN": DUMMY_TOKEN,
        "SPOTIFY_BIGQUERY_API_ENDPOINT": bigquery_raw.url,
        "SPOTIFY_BIGQUERY_MAX_BYTES_BILLED": "100000000",
    }


def scalar(emulator: BigQueryEmulator, sql: str) -> Any:
    """A number asked directly of the emulator, without the dashboard's code."""
    return next(iter(emulator.client().query(sql).result()))[0]


def test_every_statement_runs_through_the_bigquery_client(
    bigquery_settings: dict[str, str],
    bigquery_raw: BigQueryEmulator,
) -> None:
    store = warehouse.open_warehouse(warehouse.load_config(bigquery_settings))
    assert isinstance(store, warehouse.BigQueryWarehouse)
    project = bigquery_raw.project
    user_id = scalar(bigquery_raw, f"select user_id from `{project}.spotify.users`")
    playlist_id = scalar(bigquery_raw, f"select playlist_id from `{project}.spotify.playlist_tracks` limit 1")
    snapshot = scalar(bigquery_raw, f"select max(snapshot_date) from `{project}.spotify.top_tracks`")
    always = dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    params = {
        "user_id": user_id,
        "other_user_id": user_id,  # Together's second person: the warehouse holds one account, compared with itself
        "playlist_id": playlist_id,
        "tz": "Europe/Stockholm",
        "start_at": always[0],
        "end_at": always[1],
        "time_range": "short_term",
        "snapshot_date": snapshot,
        "previous_date": snapshot - dt.timedelta(days=1),
        "from_at": always[0],
        "to_at": always[1],
        "snapshot_from_at": always[0],
        "history_start_at": always[0],
        "top_n": 10,
    }
    empty = []
    for name, query in queries.QUERIES.items():
        frame = store.run(query.render(store.dialect), params)
        if frame.empty:
            empty.append(name)
    # By design of this warehouse (one load, one build): the emulator's library warns of nothing, and nothing was
    # removed, and without an imported export no play is a podcast's (the API's recently played lists tracks
    # only), so those three run (on BigQuery's SQL) and return no rows.
    assert set(empty) <= {"data_quality_warnings", "removed_playlists", "recap_top_podcasts"}, f"no rows from {empty}"

    totals = store.run(queries.listening_totals.render(store.dialect), params).iloc[0]
    assert int(totals["plays"]) == scalar(bigquery_raw, f"select count(*) from `{project}.spotify.listening_history`")
    catalog = store.run(queries.catalog.render(store.dialect), {})
    assert {("spotify", table) for table in queries.FINAL_TABLES} <= set(
        zip(catalog["dataset"], catalog["table_name"], strict=True)
    )


def test_a_query_over_the_cap_is_refused_by_the_job_settings(bigquery_raw: BigQueryEmulator) -> None:
    """The cap travels with every job (the emulator does not bill, so this checks what is sent, not enforced)."""
    config = warehouse.bigquery_job_config(queries.users.render(queries.BigQueryDialect(bigquery_raw.project)), {}, 1)
    assert isinstance(config, bigquery.QueryJobConfig) and config.maximum_bytes_billed == 1


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_draws_on_bigquery(
    title: str,
    bigquery_settings: dict[str, str],
    bigquery_raw: BigQueryEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in bigquery_settings.items():
        monkeypatch.setenv(name, value)
    app = open_page(title)
    assert_clean(app, title)
    assert charts(app) >= 1 or title in NEEDS_TWO_ACCOUNTS  # one account here: Together explains, no chart
    assert any("BigQuery · test-project" in item.value for item in app.sidebar.caption)
    if title == "Overview":
        plays = scalar(bigquery_raw, f"select count(*) from `{bigquery_raw.project}.spotify.listening_history`")
        assert number(metrics(app)["Plays"]) == plays > 0


@pytest.mark.parametrize("title", ["Overview", "Listening", "Data health"])
def test_every_job_a_page_sends_carries_the_bytes_billed_cap(
    title: str,
    bigquery_settings: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the pages really send (recorded at google-cloud-bigquery's Client.query): each job's config has the
    configured maximum_bytes_billed, the cost report's INFORMATION_SCHEMA queries on Data health included."""
    for name, value in bigquery_settings.items():
        monkeypatch.setenv(name, value)
    sent: list[tuple[str, Any]] = []
    original = bigquery.Client.query

    def recording(self: bigquery.Client, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append((query, kwargs.get("job_config")))
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(bigquery.Client, "query", recording)
    st.cache_data.clear()  # results other tests cached would spare the page its queries
    app = open_page(title)
    assert_clean(app, title)
    assert sent, "the page sent no query"
    uncapped = [query for query, config in sent if config is None or config.maximum_bytes_billed != 100_000_000]
    assert not uncapped, uncapped
    if title == "Data health":
        assert any("INFORMATION_SCHEMA" in query for query, _ in sent)


def test_data_health_shows_the_costs_on_bigquery(
    bigquery_settings: dict[str, str],
    bigquery_raw: BigQueryEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The emulator bills nothing and serves no TABLE_STORAGE or JOBS view: the page shows the fallbacks'
    figures (each dataset's PARTITIONS view, the jobs API), 0 bytes, and says where they come from."""
    for name, value in bigquery_settings.items():
        monkeypatch.setenv(name, value)
    app = open_page("Data health")
    assert_clean(app, "Data health")
    shown = metrics(app)
    assert shown["Storage"] == "0 B" and shown["Queries this month"] == "0 B", shown
    assert any("INFORMATION_SCHEMA.PARTITIONS and jobs.list" in caption.value for caption in app.caption)
