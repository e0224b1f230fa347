"""`python pipeline.py demo --destination bigquery`: emulated Spotify → emulated BigQuery → `dbt build --target
bigquery`, compared table by table with `python pipeline.py demo` (DuckDB) of the same seed.

Both demos run in-process through `pipeline.main`, as the CLI runs them. The BigQuery one writes to its own
project (`demo-project`) of the session's emulator, so tests/bigquery/test_dbt_bigquery.py's datasets in
`test-project` do not mix in. Its settings are the production ones (SPOTIFY_BIGQUERY_PROJECT, _TOKEN, _API_ENDPOINT,
read by spotify_pipeline.destinations for dlt, dbt and the cost report alike).

What the emulator lacks, said here rather than skipped:
- dbt-bigquery's contract DDL (CREATE TABLE with a column list AS SELECT): the demo's dbt runs on the copy of
  dbt_project with EMULATOR_SHIM (tests/bigquery/test_dbt_bigquery.py, which also xfails the unshimmed DDL).
- partition metadata: the emulator accepts PARTITION BY / CLUSTER BY but keeps neither (strict xfail below); the
  hints are checked in dlt's schema and in the CREATE TABLE statements dlt sends, recorded on the way out.
- dbt-bigquery's dynamic insert_overwrite script (listening_history's incremental builds): the shim replaces that one
  dbt-bigquery macro with plain DELETE + INSERT of the same partitions; the model's SQL is what production runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import math
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from google.cloud import bigquery

import pipeline
from spotify_emulator.export import write_extended_export
from spotify_emulator.library import generate
from spotify_pipeline import costs, destinations, transform
from tests.bigquery.conftest import DUMMY_TOKEN, BigQueryEmulator
from tests.bigquery.dbt_runs import release_dbt_duckdb

pytestmark = pytest.mark.filterwarnings("ignore:Cannot create BigQuery Storage client:UserWarning")

PROJECT = "demo-project"
SEED = "5"
DEMO = ["demo", "--profile", "small", "--seed", SEED]
MARTS = "spotify"
RAW = "spotify_raw"
# Columns set from the clock of the run, not from the library: they differ between any two runs.
EMULATOR_ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")
RUN_TIME_COLUMN = re.compile(
    r"^_dlt_|(^|_)(extracted_at|loaded_at|load_id|dbt_updated_at|run_started_at|run_finished_at)$"
    r"|^(valid_from|valid_to|first_seen_at)$"  # the history marts' periods, dated by each build's clock
    r"|^(logged_in_at|refresh_token_expires_at)$"  # pipeline_runs: the demo's login, made by each demo's clock
)


@dataclass
class Demo:
    """One finished demo: its exit code, what it printed, and the SQL statements sent to BigQuery (if any)."""

    exit_code: int
    output: str
    statements: list[str]
    pipelines_dir: Path


@pytest.fixture(scope="module")
def bigquery_env(bigquery_emulator: BigQueryEmulator) -> dict[str, str]:
    """The production settings, aimed at the emulator; plus the two variables destinations.py sets for dlt, listed
    here so that the test restores them afterwards."""
    return {
        "SPOTIFY_BIGQUERY_PROJECT": PROJECT,
        "SPOTIFY_BIGQUERY_TOKEN": DUMMY_TOKEN,
        "SPOTIFY_BIGQUERY_API_ENDPOINT": bigquery_emulator.url,
        "SPOTIFY_BIGQUERY_LOCATION": "EU",
        "SPOTIFY_BIGQUERY_JOB_RETRIES": "0",
        "BIGQUERY_EMULATOR_HOST": bigquery_emulator.url,
        "NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION": "true",
    }


def client(emulator: BigQueryEmulator) -> bigquery.Client:
    return BigQueryEmulator(url=emulator.url, project=PROJECT).client()


def run_demo(
    folder: Path, env: dict[str, str], *extra: str, dbt_project: Path | None = None, command: list[str] | None = None
) -> Demo:
    """`pipeline.main([...])` (the demo, or `command`) with env of its own, restored afterwards; records every query
    sent to BigQuery."""
    statements: list[str] = []
    original_query, original_query_and_wait = bigquery.Client.query, bigquery.Client.query_and_wait

    def recording_query(self: bigquery.Client, query: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(query)
        return original_query(self, query, *args, **kwargs)

    def recording_query_and_wait(self: bigquery.Client, query: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(query)  # dlt's DDL goes through the DB-API cursor, which calls query_and_wait
        return original_query_and_wait(self, query, *args, **kwargs)

    cwd = Path.cwd()
    with pytest.MonkeyPatch.context() as patch, _captured() as output:
        for name, value in {
            "SPOTIFY_DUCKDB": str(folder / "warehouse.duckdb"),
            "SPOTIFY_PIPELINES_DIR": str(folder / "pipelines"),
            "SPOTIFY_DESTINATION": "",  # main() sets it from --destination; restored after
            **env,
        }.items():
            patch.setenv(name, value)
        patch.setattr(bigquery.Client, "query", recording_query)
        patch.setattr(bigquery.Client, "query_and_wait", recording_query_and_wait)
        if dbt_project is not None:
            patch.setattr(transform, "DBT_PROJECT", dbt_project)
        try:
            exit_code = pipeline.main(command or [*DEMO, *extra])
        finally:
            release_dbt_duckdb()
            os.chdir(cwd)
    return Demo(exit_code, output.getvalue(), statements, folder / "pipelines")


class _Tee(io.StringIO):
    """Keeps what is written and echoes it to the real stdout, so that a failing test shows the CLI's output."""

    def write(self, text: str) -> int:
        sys.__stdout__.write(text)
        return super().write(text)


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    """stdout of the in-process CLI (module-scoped fixtures cannot use capsys)."""
    buffer = _Tee()
    with contextlib.redirect_stdout(buffer):
        yield buffer


@pytest.fixture(scope="module")
def bigquery_demo(
    bigquery_env: dict[str, str],
    emulator_project: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Demo:
    folder = tmp_path_factory.mktemp("demo-bigquery")
    return run_demo(folder, bigquery_env, "--destination", "bigquery", dbt_project=emulator_project)


@pytest.fixture(scope="module")
def duckdb_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("demo-duckdb")
    demo = run_demo(folder, {})
    assert demo.exit_code == 0, demo.output
    assert not demo.statements, "the DuckDB demo talked to BigQuery"
    yield folder / "warehouse.duckdb"


def normalised(value: Any) -> Any:
    """One value as both warehouses' clients agree on it: UTC instants, floats to 9 significant digits."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.9g}")
    if isinstance(value, str):
        return EMULATOR_ADDRESS.sub("http://127.0.0.1:PORT", value)  # image URLs name the emulator's port
    if isinstance(value, list | tuple):
        return tuple(normalised(item) for item in value)
    return value


def table_rows(names: list[str], rows: list[tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows without the run-time columns, normalised and sorted (neither warehouse promises an order)."""
    keep = [i for i, name in enumerate(names) if not RUN_TIME_COLUMN.search(name)]
    cleaned = [tuple(normalised(row[i]) for i in keep) for row in rows]
    return [names[i] for i in keep], sorted(cleaned, key=repr)


def bigquery_tables(emulator: BigQueryEmulator, dataset: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    bq = client(emulator)
    found = {}
    for item in bq.list_tables(f"{PROJECT}.{dataset}"):
        if "__dbt_tmp" in item.table_id or item.table_type != "TABLE":
            continue
        result = bq.query(f"select * from `{PROJECT}.{dataset}.{item.table_id}`").result()
        found[item.table_id] = table_rows([f.name for f in result.schema], [tuple(row.values()) for row in result])
    return found


def duckdb_tables(database: Path, schema: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone='UTC'")
        connection.execute(f"attach '{database}' as w (read_only)")
        names = connection.execute(
            "select table_name from information_schema.tables where table_catalog = 'w' and table_schema = ? "
            "and table_type = 'BASE TABLE'",
            [schema],
        ).fetchall()
        found = {}
        for (table,) in names:
            cursor = connection.execute(f'select * from w."{schema}"."{table}"')
            columns = [d[0] for d in cursor.description]
            found[table] = table_rows(columns, cursor.fetchall())
        return found


def test_demo_on_bigquery_passes(bigquery_demo: Demo) -> None:
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    assert f"Loading the emulated account into BigQuery project {PROJECT} (EU)" in bigquery_demo.output
    assert "3/3 loading into BigQuery" in bigquery_demo.output
    assert re.search(r"^  recently_played\s+[1-9]\d*$", bigquery_demo.output, re.M), "the summary found no plays"
    assert f"SPOTIFY_DESTINATION=bigquery SPOTIFY_BIGQUERY_PROJECT={PROJECT}" in bigquery_demo.output
    dbt_jobs = [sql for sql in bigquery_demo.statements if '/* {"app": "dbt"' in sql]
    assert dbt_jobs, "dbt did not run against BigQuery"


def test_final_tables_hold_the_rows_of_the_duckdb_demo(
    bigquery_demo: Demo, duckdb_demo: Path, bigquery_emulator: BigQueryEmulator
) -> None:
    """Every mart, whole: the same columns and the same rows (run-time columns aside) in both warehouses."""
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    in_duckdb = duckdb_tables(duckdb_demo, MARTS)
    in_bigquery = bigquery_tables(bigquery_emulator, MARTS)
    assert {"users", "tracks", "recently_played", "top_tracks", "top_artists"} <= set(in_duckdb)
    assert set(in_bigquery) == set(in_duckdb)
    assert any(rows for _, rows in in_duckdb.values())
    for table, (columns, rows) in in_duckdb.items():
        bq_columns, bq_rows = in_bigquery[table]
        assert bq_columns == columns, table
        assert bq_rows == rows, f"{table}: {len(bq_rows)} rows on BigQuery, {len(rows)} on DuckDB, or values differ"


def test_raw_tables_hold_the_rows_of_the_duckdb_demo(
    bigquery_demo: Demo, duckdb_demo: Path, bigquery_emulator: BigQueryEmulator
) -> None:
    """The raw data too (dlt's own bookkeeping tables aside, whose content is per destination by design)."""
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    in_duckdb = {k: v for k, v in duckdb_tables(duckdb_demo, RAW).items() if not k.startswith("_dlt")}
    in_bigquery = {k: v for k, v in bigquery_tables(bigquery_emulator, RAW).items() if not k.startswith("_dlt")}
    assert set(in_bigquery) == set(in_duckdb)
    for table in ("recently_played", "top_tracks", "users", "playlist_items"):
        assert in_bigquery[table][1] == in_duckdb[table][1], table
        assert in_duckdb[table][1], f"{table} is empty: the comparison shows nothing"


@pytest.mark.parametrize("table", sorted(destinations.PARTITIONS.keys() - {"export_streams"}))
def test_raw_tables_are_created_partitioned_by_day(bigquery_demo: Demo, table: str) -> None:
    """dlt's schema carries the bigquery_adapter hints, and the CREATE TABLE dlt sent says PARTITION BY DATE(...)."""
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    column = destinations.PARTITIONS[table]
    schema = dlt.attach("spotify", pipelines_dir=str(bigquery_demo.pipelines_dir)).default_schema
    hints = schema.tables[table]["columns"]
    assert hints[column].get("x-bigquery-partition") is True and hints[column]["data_type"] == "timestamp"
    assert schema.tables[table].get("x-bigquery-cluster-columns") == ["user_id"]
    # dlt sends all CREATE TABLEs of a load as one script: split it into statements.
    created = [
        " ".join(statement.split())
        for sql in bigquery_demo.statements
        for statement in sql.split(";")
        if re.search(rf"CREATE TABLE `{PROJECT}`\.`{RAW}`\.`{table}`", statement, re.I)
    ]
    assert len(created) == 1, created
    assert created[0].endswith(f"PARTITION BY DATE(`{column}`) CLUSTER BY `user_id`"), created[0]


@pytest.mark.xfail(
    strict=True,
    reason="bqemulator accepts PARTITION BY / CLUSTER BY in dlt's CREATE TABLE but keeps neither: tables.get "
    "returns no timePartitioning (the DDL sent is checked by test_raw_tables_are_created_partitioned_by_day)",
)
def test_raw_partitioning_is_reported_back(bigquery_demo: Demo, bigquery_emulator: BigQueryEmulator) -> None:
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    table = client(bigquery_emulator).get_table(f"{PROJECT}.{RAW}.recently_played")
    assert table.time_partitioning is not None and table.time_partitioning.field == "played_at"


def test_costs_on_the_emulator(
    bigquery_demo: Demo, bigquery_env: dict[str, str], bigquery_emulator: BigQueryEmulator, tmp_path: Path
) -> None:
    """`python pipeline.py costs --destination bigquery` for real, as far as the emulator serves it: it refuses
    region-qualified INFORMATION_SCHEMA views (TABLE_STORAGE, JOBS_BY_PROJECT), so the report falls back to each
    dataset's PARTITIONS view and the jobs API; it bills nothing, so bytes are 0 and only rows can be compared."""
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**bigquery_env, "SPOTIFY_DESTINATION": ""}.items():
            patch.setenv(name, value)
        resolved = destinations.resolve()
        bq_client = destinations.bigquery_client(resolved)
        report = costs.bigquery_report(bq_client, PROJECT, "EU", dt.datetime.now(dt.UTC), warn_at=80)
        with _captured() as output:
            exit_code = pipeline.main(["costs", "--destination", "bigquery"])
    assert exit_code == costs.EXIT_OK, output.getvalue()
    assert report.storage_source == "INFORMATION_SCHEMA.PARTITIONS"
    assert report.jobs_source == "jobs.list (jobs API)"
    bq = client(bigquery_emulator)
    rows = {(t.dataset, t.table): t.rows for t in report.tables}
    for dataset, table in ((RAW, "recently_played"), (MARTS, "recently_played"), (MARTS, "tracks")):
        counted = next(iter(bq.query(f"select count(*) from `{PROJECT}.{dataset}.{table}`").result()))[0]
        assert rows[(dataset, table)] == counted > 0
        assert re.search(rf"^    {table}\s+{counted:,} rows", output.getvalue(), re.M)
    assert report.jobs, "the demo's jobs were not listed"
    assert "Queries since" in output.getvalue()


def test_costs_on_duckdb(duckdb_demo: Path) -> None:
    """On DuckDB: the file's size and the rows of every table of the three schemas."""
    report = costs.duckdb_report(duckdb_demo)
    assert report.file_bytes >= duckdb_demo.stat().st_size > 0
    with duckdb.connect(str(duckdb_demo), read_only=True) as connection:
        plays = connection.execute("select count(*) from spotify.recently_played").fetchone()[0]
    rows = {(t.dataset, t.table): t.rows for t in report.tables}
    assert rows[(MARTS, "recently_played")] == plays > 0
    assert {dataset for dataset, _ in rows} == {"spotify_raw", "spotify_staging", "spotify"}
    assert re.search(rf"recently_played\s+{plays:,}$", costs.render_duckdb(report), re.M)


def test_a_second_demo_and_an_import_for_a_second_listener_build_incrementally(
    bigquery_demo: Demo,
    duckdb_demo: Path,
    bigquery_env: dict[str, str],
    emulator_project: Path,
    bigquery_emulator: BigQueryEmulator,
    tmp_path: Path,
) -> None:
    """Two later runs into the same BigQuery datasets, with one `dbt build` after both (each build costs about a
    minute on the emulator):

    1. the same demo again, loading only (`--no-transform`), with the same dlt state: the API finds nothing new and
       the data exports add nothing (insert-only MERGE);
    2. an extended export imported for another account (`--user-id`), which brings new rows on many days: dbt's
       incremental models run their incremental path on the emulator (recently_played's merge; listening_history
       replaces those days' partitions, where DuckDB deletes and inserts them).

    Then both warehouses hold the same listening history (and play lengths and sessions, whose incremental paths run
    too: partition overwrite, MERGE and the sessions' post-hook), the first account's plays are untouched, the run log
    `pipeline_runs` gains the second demo, and every other final table is as it was (users gains the new account)."""
    assert bigquery_demo.exit_code == 0, bigquery_demo.output
    before = bigquery_tables(bigquery_emulator, MARTS)
    folder = bigquery_demo.pipelines_dir.parent
    again = run_demo(folder, bigquery_env, "--destination", "bigquery", "--no-transform", dbt_project=emulator_project)
    assert again.exit_code == 0, again.output
    assert "new rows: 0" in again.output

    export = write_extended_export(generate(int(SEED), "small"), tmp_path / "export", field_version="2024")
    command = ["import-export", str(export), "--user-id", "second-listener"]
    on_bigquery = run_demo(
        folder, bigquery_env, dbt_project=emulator_project, command=[*command, "--destination", "bigquery"]
    )
    assert on_bigquery.exit_code == 0, on_bigquery.output
    replaced = [sql for sql in on_bigquery.statements if "emulator shim: replace the partitions" in sql]
    assert any("delete from" in sql for sql in replaced), "listening_history replaced no partition"
    on_duckdb = run_demo(duckdb_demo.parent, {}, command=command)
    assert on_duckdb.exit_code == 0, on_duckdb.output

    after = bigquery_tables(bigquery_emulator, MARTS)
    runs_before, runs_after = before.pop("pipeline_runs")[1], after.pop("pipeline_runs")[1]
    assert len(runs_after) == len(runs_before) + 1
    assert all(row in runs_after for row in runs_before), "earlier runs are kept as they were"
    users_before, users_after = before.pop("users")[1], after.pop("users")[1]
    assert set(users_before) < set(users_after), "the second listener is a known account"
    # The plays and what is made of them per play: the second listener's rows are added, the first's untouched.
    plays_tables = ("listening_history", "play_lengths", "listening_sessions")
    plays_before = {table: before.pop(table) for table in plays_tables}
    plays_after = {table: after.pop(table) for table in plays_tables}
    assert after == before

    on_duckdb_tables = duckdb_tables(duckdb_demo, MARTS)
    for table in plays_tables:
        columns, rows = on_duckdb_tables[table]
        assert plays_after[table] == (columns, rows), table
        user = columns.index("user_id")
        first_account = list(plays_before[table][1])
        assert {row[user] for row in rows} == {first_account[0][user], "second-listener"}, table
        assert [row for row in rows if row[user] != "second-listener"] == first_account, table
