"""The cost report's logic on rows of BigQuery's documented views, and the destination settings, without a warehouse.

The bqemulator serves neither `region-<loc>`.INFORMATION_SCHEMA.TABLE_STORAGE nor JOBS_BY_PROJECT (it refuses the
`region-eu` qualifier), and bills nothing. So the logic is tested here on recorded rows shaped as Google documents
those views (column names and types: TABLE_STORAGE's table_schema STRING, table_name STRING, total_rows INT64,
total_logical_bytes INT64, long_term_logical_bytes INT64, deleted BOOL; JOBS_BY_PROJECT's job_id STRING,
creation_time TIMESTAMP, user_email STRING, job_type STRING, total_bytes_billed INT64, cache_hit BOOL; the
client returns them in lower case). What the emulator can serve (PARTITIONS, the jobs API) is tested for real in
test_demo_bigquery.py.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import pipeline
from spotify_pipeline import costs, destinations

NOW = dt.datetime(2026, 11, 11, 0, 0, tzinfo=dt.UTC)  # 10 days of a 30-day month have passed

TABLE_STORAGE_ROWS = [
    # as google-cloud-bigquery returns them from TABLE_STORAGE (only the columns the report selects)
    {"table_schema": "spotify_raw", "table_name": "recently_played", "total_rows": 120_000,
     "total_logical_bytes": 3 * costs.GIB, "long_term_logical_bytes": costs.GIB, "deleted": False},
    {"table_schema": "spotify", "table_name": "recently_played", "total_rows": 119_000,
     "total_logical_bytes": 2 * costs.GIB, "long_term_logical_bytes": 0, "deleted": False},
    {"table_schema": "spotify", "table_name": "old_mart", "total_rows": 5,
     "total_logical_bytes": 4 * costs.GIB, "long_term_logical_bytes": 0, "deleted": True},  # in time travel only
    {"table_schema": "someone_elses", "table_name": "t", "total_rows": 1,
     "total_logical_bytes": 50 * costs.GIB, "long_term_logical_bytes": 0, "deleted": False},
]  # fmt: skip


def job(day: int, billed: int | None, *, job_type: str = "QUERY", month: int = 11) -> dict[str, object]:
    return {
        "job_id": f"job_{month}_{day}_{billed}",
        "creation_time": dt.datetime(2026, month, day, 12, tzinfo=dt.UTC),
        "user_email": "pipeline@project.iam.gserviceaccount.com",
        "job_type": job_type,
        "total_bytes_billed": billed,
        "cache_hit": billed is None,
    }


def report(jobs: list[dict[str, object]], storage: list[dict[str, object]] | None = None, warn_at: float = 80):
    return costs.BigQueryCostReport(
        project="my-project",
        location="EU",
        now=NOW,
        tables=costs.storage_from_rows(TABLE_STORAGE_ROWS if storage is None else storage),
        jobs=costs.jobs_from_rows(jobs),
        warn_at=warn_at,
    )


def test_storage_counts_this_warehouse_only_and_not_deleted_tables() -> None:
    tables = costs.storage_from_rows(TABLE_STORAGE_ROWS)
    assert [(t.dataset, t.table) for t in tables] == [
        ("spotify", "recently_played"),
        ("spotify_raw", "recently_played"),
    ]
    result = report([])
    assert result.storage_bytes == 5 * costs.GIB
    assert result.datasets() == {"spotify": (119_000, 2 * costs.GIB), "spotify_raw": (120_000, 3 * costs.GIB)}
    assert result.shares["storage"] == pytest.approx(50.0)


def test_upper_case_column_names_are_read_too() -> None:
    """The views' documented names are upper case; clients and the console may return either."""
    upper = [{key.upper(): value for key, value in row.items()} for row in TABLE_STORAGE_ROWS]
    assert costs.storage_from_rows(upper) == costs.storage_from_rows(TABLE_STORAGE_ROWS)


def test_query_bytes_sum_this_months_query_jobs_and_project_linearly() -> None:
    jobs = [job(2, 100 * costs.GIB), job(9, 100 * costs.GIB), job(10, None), job(5, 10 * costs.TIB, job_type="LOAD")]
    result = report([*jobs, job(28, 900 * costs.GIB, month=10)])  # last month's job does not count
    assert result.bytes_billed == 200 * costs.GIB
    assert result.projected_bytes_billed == 600 * costs.GIB  # 200 GiB in 10 days → 600 GiB in 30
    assert result.shares["queries"] == pytest.approx(100 * 200 / 1024)
    assert result.shares["queries projected"] == pytest.approx(100 * 600 / 1024)
    assert result.exit_code == costs.EXIT_OK and result.warnings == []


def test_projection_counts_the_first_day_as_a_whole_day() -> None:
    early = dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC)
    assert costs.project_to_month_end(costs.GIB, early) == 30 * costs.GIB
    december = dt.datetime(2026, 12, 31, 0, tzinfo=dt.UTC)  # 30 of 31 days passed
    assert costs.month_window(december)[1] == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert costs.project_to_month_end(30 * costs.GIB, december) == 31 * costs.GIB


def test_warns_at_the_threshold_from_the_projection_alone() -> None:
    result = report([job(5, 300 * costs.GIB)], warn_at=80)  # 29% now, 88% projected
    assert result.warnings == ["queries projected: 87.9% of the free tier (warning at 80%)"]
    assert result.exit_code == costs.EXIT_OK
    assert report([job(5, 300 * costs.GIB)], warn_at=90).warnings == []


def test_above_the_free_tier_exits_6() -> None:
    storage = [{**TABLE_STORAGE_ROWS[0], "total_logical_bytes": 11 * costs.GIB}]
    result = report([job(3, 1100 * costs.GIB)], storage=storage)
    assert result.above_free_tier == ["storage", "queries"]
    assert result.exit_code == costs.EXIT_ABOVE_FREE_TIER == 6
    assert any(message.startswith("storage: 110.0% of the free tier, above it") for message in result.warnings)
    assert "Queries since 2026-11-01" in costs.render_bigquery(result)


def test_partitions_rows_are_summed_per_table() -> None:
    rows = [
        {"table_schema": "spotify_raw", "table_name": "recently_played", "partition_id": day, "total_rows": 10,
         "total_logical_bytes": 1000, "storage_tier": tier}
        for day, tier in (("20260101", "LONG_TERM"), ("20261110", "ACTIVE"))
    ]  # fmt: skip
    (table,) = costs.storage_from_partition_rows(rows)
    assert (table.rows, table.logical_bytes, table.long_term_bytes) == (20, 2000, 1000)


def test_sql_reads_the_documented_views_and_filters_the_jobs_partition() -> None:
    assert "`my-project`.`region-eu`.INFORMATION_SCHEMA.TABLE_STORAGE" in costs.table_storage_sql("my-project", "EU")
    jobs_sql = costs.jobs_sql("my-project", "europe-west1")
    assert "`region-europe-west1`.INFORMATION_SCHEMA.JOBS_BY_PROJECT" in jobs_sql
    assert "creation_time >= @month_start" in jobs_sql
    with pytest.raises(ValueError):
        costs.region("eu; drop table x")


def test_costs_without_a_duckdb_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert costs.command("duckdb", duckdb_path=tmp_path / "none.duckdb") == costs.EXIT_FAILED
    assert "no warehouse at" in capsys.readouterr().err


# --- destination settings ---


def test_destination_precedence_and_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert destinations.selected_destination(None, {}) == "duckdb"
    assert destinations.selected_destination(None, {"SPOTIFY_DESTINATION": "BigQuery"}) == "bigquery"
    assert destinations.selected_destination("duckdb", {"SPOTIFY_DESTINATION": "bigquery"}) == "duckdb"
    with pytest.raises(destinations.DestinationNotConfigured):
        destinations.selected_destination("snowflake", {})


def test_an_unknown_destination_in_the_environment_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPOTIFY_DESTINATION", "snowflake")
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(tmp_path / "w.duckdb"))
    cwd = Path.cwd()
    try:
        assert pipeline.main(["costs"]) == 2
    finally:
        os.chdir(cwd)


def test_partition_hints_follow_the_table_names_of_any_source() -> None:
    """The export source's `export_streams` is partitioned by day of `ended_at` wherever that resource exists."""
    import dlt

    @dlt.source(name="some_export")
    def source():  # type: ignore[no-untyped-def]
        @dlt.resource(name="export_streams")
        def export_streams():  # type: ignore[no-untyped-def]
            yield {"ended_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "ms_played": 1}

        @dlt.resource(name="other")
        def other():  # type: ignore[no-untyped-def]
            yield {"a": 1}

        return export_streams, other

    hinted = destinations.apply_partition_hints(source())
    columns = hinted.resources["export_streams"].columns
    assert columns["ended_at"]["x-bigquery-partition"] is True
    assert not hinted.resources["other"].columns


def test_dbt_gets_the_login_it_can_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key file → service-account; a token → oauth-secrets; application-default → oauth; env restored after."""
    monkeypatch.delenv("SPOTIFY_BIGQUERY_METHOD", raising=False)
    keyed = destinations.ResolvedBigQuery(
        destinations.BigQuerySettings("p-1", "EU", keyfile=str(tmp_path / "k.json")), "p-1", object(), False
    )
    with destinations.dbt_environment(keyed) as env:
        assert env["SPOTIFY_BIGQUERY_METHOD"] == "service-account" and env["SPOTIFY_BIGQUERY_KEYFILE"].endswith(
            "k.json"
        )
    assert "SPOTIFY_BIGQUERY_METHOD" not in __import__("os").environ
    adc = destinations.ResolvedBigQuery(destinations.BigQuerySettings("p-1", "US"), "p-1", object(), True)
    with destinations.dbt_environment(adc) as env:
        assert env["SPOTIFY_BIGQUERY_METHOD"] == "oauth" and env["SPOTIFY_BIGQUERY_LOCATION"] == "US"
    token = destinations.ResolvedBigQuery(destinations.BigQuerySettings("p-1", "EU", token="t0k"), "p-1", None, False)
    with destinations.dbt_environment(token) as env:
        assert (env["SPOTIFY_BIGQUERY_METHOD"], env["SPOTIFY_BIGQUERY_TOKEN"]) == ("oauth-secrets", "t0k")
