"""The dashboard's SQL in both dialects, without a network: rendering, bound parameters, partition filters, and the
BigQuery text checked two ways: parsed as BigQuery by sqlglot, and (transpiled by sqlglot to DuckDB) answering
like the DuckDB text on a demo warehouse.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dashboard import queries, warehouse
from tests.dashboard.conftest import Warehouse

DUCKDB = queries.DuckDBDialect()
BIGQUERY = queries.BigQueryDialect("test-project")
UTC = dt.UTC


def sample_params(database: Warehouse) -> dict[str, Any]:
    """A value for every parameter any statement uses, taken from the warehouse."""
    user_id, playlist_id = database.query(
        "select p.user_id, p.playlist_id from spotify.playlist_tracks p group by all order by count(*) desc limit 1"
    )[0]
    snapshot = database.scalar("select max(snapshot_date) from spotify.top_tracks")
    return {
        "user_id": user_id,
        "other_user_id": user_id,  # Together compares two accounts; one compared with itself shares everything
        "playlist_id": playlist_id,
        "tz": "Europe/Stockholm",
        "start_at": dt.datetime(2000, 1, 1, tzinfo=UTC),
        "end_at": dt.datetime(2100, 1, 1, tzinfo=UTC),
        "time_range": "short_term",
        "snapshot_date": snapshot,
        "previous_date": snapshot - dt.timedelta(days=1),
        "from_at": dt.datetime(2000, 1, 1, tzinfo=UTC),
        "to_at": dt.datetime(2100, 1, 1, tzinfo=UTC),
        "snapshot_from_at": dt.datetime(2000, 1, 1, tzinfo=UTC),
        "history_start_at": dt.datetime(2000, 1, 1, tzinfo=UTC),
        "top_n": 10,
    }


def test_every_statement_renders_in_both_dialects() -> None:
    assert len(queries.QUERIES) >= 30
    for name, query in queries.QUERIES.items():
        duck, big = query.render(DUCKDB), query.render(BIGQUERY)
        assert "@" not in duck, f"{name}: DuckDB takes $name parameters"
        assert "$" not in big, f"{name}: BigQuery takes @name parameters"
        assert queries.parameter_names(duck.replace("$", "@")) == queries.parameter_names(big), name
        assert "warehouse.spotify" in duck or name == "catalog", name
        assert re.search(r"`test-project\.spotify\.\w+`", big) or name == "catalog", name
        assert query.doc, f"{name} says what it is for"


def test_bigquery_text_parses_as_bigquery() -> None:
    sqlglot = pytest.importorskip("sqlglot")  # a dependency of dlt
    for name, query in queries.QUERIES.items():
        sqlglot.parse_one(query.render(BIGQUERY), read="bigquery")  # raises on a syntax error
        assert name


def test_partitioned_tables_are_always_filtered_on_their_partition_column() -> None:
    """BigQuery bills what it scans: each read of a partitioned table bounds its partition column with parameters,
    except the few statements that find the data's own range (listed, with the reason, in FULL_SCAN_BY_DESIGN)."""
    for name, query in queries.QUERIES.items():
        if name in queries.FULL_SCAN_BY_DESIGN:
            continue
        sql = query.render(BIGQUERY)
        for table, column in queries.PARTITIONED.items():
            reads = len(re.findall(rf"\.{table}`", sql))
            lower = len(re.findall(rf"\b{column} >= @\w+", sql))
            upper = len(re.findall(rf"\b{column} < @\w+", sql))
            assert lower >= reads and upper >= reads, f"{name} reads {table} without bounding {column}"


def test_user_input_only_travels_as_parameters() -> None:
    """No statement has a slot for text: rendering takes only the dialect and trusted, checked table names."""
    with pytest.raises(ValueError, match="trusted identifier"):
        DUCKDB.table("spotify", "users; drop table users")
    sql = queries.row_counts.render(DUCKDB, tables=("users", "not_a_final_table"))
    assert "not_a_final_table" not in sql
    assert queries.top_played_tracks.render(BIGQUERY, limit=7).endswith("limit 7")
    for bad in ("7; drop table users", 0, True):
        with pytest.raises(ValueError, match="row limit"):
            queries.top_played_tracks.render(DUCKDB, limit=bad)
    with pytest.raises(ValueError):
        queries.BigQueryDialect("bad project`; select 1 --").table("spotify", "users")


def test_bigquery_weekday_is_iso() -> None:
    """BigQuery's DAYOFWEEK (1 = Sunday) becomes ISO (1 = Monday), the arithmetic of BigQueryDialect.iso_weekday."""
    sunday_first = {1: 7, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6}
    assert {day: (day + 5) % 7 + 1 for day in range(1, 8)} == sunday_first
    assert BIGQUERY.iso_weekday("x") == "(mod(extract(dayofweek from x at time zone @tz) + 5, 7) + 1)"


# Statements whose BigQuery text sqlglot cannot carry over to DuckDB faithfully, and why.
NOT_TRANSPILABLE = {
    "catalog": "INFORMATION_SCHEMA differs by design (a Dialect method); covered by the page tests",
    "plays_by_hour_and_weekday": "sqlglot keeps EXTRACT(DAYOFWEEK) as is: 1-7 in BigQuery, 0-6 in DuckDB",
    "plays_by_week": "the same: the week's Monday is computed from DAYOFWEEK",
}


def test_bigquery_text_answers_like_the_duckdb_text(demo_warehouse: Warehouse, tmp_path: Path) -> None:
    """Every statement's BigQuery text, transpiled by sqlglot to DuckDB, returns the rows its DuckDB text returns:
    the closest check of the BigQuery SQL's meaning that runs without Google."""
    sqlglot = pytest.importorskip("sqlglot")
    # The file's name becomes its catalog: `test-project`, so that `test-project.spotify.users` resolves.
    copy = tmp_path / "test-project.duckdb"
    shutil.copy(demo_warehouse.path, copy)
    params = sample_params(demo_warehouse)
    store = warehouse.DuckDBWarehouse(demo_warehouse.path)
    with duckdb.connect(str(copy), read_only=True) as connection:
        connection.execute("SET TimeZone='UTC'")
        for name, query in queries.QUERIES.items():
            if name in NOT_TRANSPILABLE:
                continue
            options = {"tables": queries.FINAL_TABLES} if name == "row_counts" else {}
            transpiled = sqlglot.transpile(query.render(BIGQUERY, **options), read="bigquery", write="duckdb")[0]
            from_bigquery = connection.execute(transpiled, warehouse.bind(transpiled.replace("$", "@"), params)).df()
            from_duckdb = store.run(query.render(DUCKDB, **options), params)
            # The demo's build warns of nothing and removes nothing: those tables are empty by design (the rows of
            # removed_playlists are checked in tests/dbt/test_library_changes.py, after real removals).
            nothing_by_design = ("longest_silences", "data_quality_warnings", "removed_playlists")
            assert len(from_duckdb) > 0 or name in nothing_by_design, f"{name} returned nothing to compare"
            assert from_bigquery.astype(str).values.tolist() == from_duckdb.astype(str).values.tolist(), name


def test_every_statement_runs_on_duckdb(demo_warehouse: Warehouse) -> None:
    store = warehouse.DuckDBWarehouse(demo_warehouse.path)
    params = sample_params(demo_warehouse)
    for name, query in queries.QUERIES.items():
        frame = store.run(query.render(DUCKDB), params)
        assert frame is not None, name


# --- BigQuery parameters and job settings ---


def test_bigquery_parameters_are_typed() -> None:
    from google.cloud import bigquery

    cases = {
        "text": ("Europe/Stockholm", "STRING"),
        "count": (10, "INT64"),
        "share": (0.5, "FLOAT64"),
        "flag": (True, "BOOL"),
        "day": (dt.date(2026, 10, 31), "DATE"),
        "moment": (dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC), "TIMESTAMP"),
    }
    for name, (value, type_name) in cases.items():
        parameter = warehouse.bigquery_parameter(name, value)
        assert isinstance(parameter, bigquery.ScalarQueryParameter)
        assert (parameter.name, parameter.type_, parameter.value) == (name, type_name, value)
    array = warehouse.bigquery_parameter("ids", ["a", "b"])
    assert isinstance(array, bigquery.ArrayQueryParameter) and array.array_type == "STRING"
    local = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert warehouse.bigquery_parameter("at", local).value == dt.datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        warehouse.bigquery_parameter("naive", dt.datetime(2026, 10, 31))
    with pytest.raises(TypeError):
        warehouse.bigquery_parameter("odd", object())


def test_every_bigquery_job_is_capped_and_parameterised() -> None:
    sql = queries.listening_totals.render(BIGQUERY)
    params = {
        "user_id": "u",
        "tz": "UTC",
        "start_at": dt.datetime(2026, 1, 1, tzinfo=UTC),
        "end_at": dt.datetime(2026, 2, 1, tzinfo=UTC),
        "unused": "dropped",
    }
    config = warehouse.bigquery_job_config(sql, params, 12345)
    assert config.maximum_bytes_billed == 12345
    assert {p.name for p in config.query_parameters} == {"user_id", "tz", "start_at", "end_at"}
    with pytest.raises(ValueError, match="missing query parameters: end_at"):
        warehouse.bigquery_job_config(sql, {k: v for k, v in params.items() if k != "end_at"}, 1)


class FakeField:
    def __init__(self, name: str, field_type: str) -> None:
        self.name, self.field_type = name, field_type


class FakeRows(list):
    """What QueryJob.result() returns: iterable rows (with .values()) and the result's schema."""

    def __init__(self, schema: list[FakeField], rows: list[dict[str, Any]]) -> None:
        super().__init__(rows)
        self.schema = schema


class FakeJob:
    def __init__(self, rows: FakeRows) -> None:
        self.rows = rows

    def result(self, timeout: float) -> FakeRows:
        return self.rows


class FakeClient:
    """Stands in for google.cloud.bigquery.Client: records the jobs, answers rows or raises."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.jobs: list[tuple[str, Any, str]] = []

    def query(self, sql: str, job_config: Any, location: str) -> FakeJob:
        self.jobs.append((sql, job_config, location))
        if isinstance(self.answer, Exception):
            raise self.answer
        return FakeJob(self.answer)


def bigquery_store(answer: Any, **settings: Any) -> tuple[warehouse.BigQueryWarehouse, FakeClient]:
    config = warehouse.WarehouseConfig(kind="bigquery", bigquery_project="my-project", **settings)
    store = warehouse.BigQueryWarehouse(config)
    client = FakeClient(answer)
    store._client = client
    return store, client


def test_bigquery_warehouse_runs_capped_jobs_in_its_location() -> None:
    rows = FakeRows(
        [FakeField("played_day", "DATE"), FakeField("plays", "INTEGER"), FakeField("at", "TIMESTAMP")],
        [{"played_day": dt.date(2026, 10, 31), "plays": 3, "at": dt.datetime(2026, 10, 31, 22, tzinfo=UTC)}],
    )
    store, client = bigquery_store(rows, bigquery_location="europe-west1", bigquery_max_bytes_billed=5_000_000)
    sql = queries.plays_by_day.render(store.dialect)
    result = store.run(sql, {"user_id": "u", "tz": "UTC", "start_at": dt.datetime(2026, 1, 1, tzinfo=UTC),
                             "end_at": dt.datetime(2026, 12, 1, tzinfo=UTC)})  # fmt: skip
    ((sent, job_config, location),) = client.jobs
    assert "`my-project.spotify.listening_history`" in sent and "played_at >= @start_at" in sent
    assert job_config.maximum_bytes_billed == 5_000_000
    assert location == "europe-west1"
    assert str(result["played_day"].dtype).startswith("datetime64")
    assert str(result["at"].dtype) == "datetime64[us, UTC]" or str(result["at"].dtype).endswith(", UTC]")
    assert result["plays"].tolist() == [3]


def test_bigquery_failures_become_messages() -> None:
    from google.api_core import exceptions as google_errors

    cases = [
        (google_errors.NotFound("Dataset my-project:spotify was not found"), warehouse.WarehouseMissing),
        (google_errors.Forbidden("Access Denied"), warehouse.WarehouseNotConfigured),
        (
            google_errors.BadRequest("Query exceeded limit for bytes billed: 1000. 20000 or higher required."),
            warehouse.QueryFailed,
        ),
        (google_errors.BadRequest("Syntax error"), warehouse.QueryFailed),
    ]
    from google.auth import exceptions as auth_errors

    cases += [
        (auth_errors.RefreshError("invalid_grant: Token expired"), warehouse.WarehouseNotConfigured),
        (ConnectionError("Connection refused"), warehouse.QueryFailed),
    ]
    for error, expected in cases:
        store, _ = bigquery_store(error)
        with pytest.raises(expected) as raised:
            store.run(queries.users.render(store.dialect), {})
        assert raised.value.title and raised.value.hint
    store, _ = bigquery_store(cases[2][0])
    with pytest.raises(warehouse.QueryFailed, match="SPOTIFY_BIGQUERY_MAX_BYTES_BILLED"):
        store.run(queries.users.render(store.dialect), {})
