"""The raw tables are the same whichever file format dlt hands DuckDB: same columns, same types, same rows.

The pipeline loads DuckDB from Parquet files (spotify_pipeline.destinations.DUCKDB_LOADER_FILE_FORMAT) where it used
to load dlt's default for DuckDB, SQL insert statements. dbt's sources, the dashboard and every warehouse filled
before the change rely on the raw tables' names and types, so the same demo (its Web API run and both of its data
exports, which are deterministic) is loaded once each way and the two warehouses are compared table by table.
BigQuery keeps dlt's default for it (JSON lines): nothing changed there to compare.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipeline
from spotify_pipeline import destinations

BEFORE = "insert_values"  # dlt's default for DuckDB, what every load used before Parquet
RUN_VALUES = {"_dlt_load_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id", "extracted_at", "import_id"}
"""Columns whose values belong to the load or import that wrote them (ids, times), not to what Spotify served."""
RUN_TABLES = {"_dlt_loads", "_dlt_version", "_dlt_pipeline_state", "extraction_runs", "export_imports"}
"""Tables that describe the runs themselves (times, ids, tokens' lifetimes): compared by schema and count only."""


def load_demo(folder: Path, file_format: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`python pipeline.py demo --no-transform` in this process, its rows handed to DuckDB as `file_format`."""
    monkeypatch.setattr(destinations, "DUCKDB_LOADER_FILE_FORMAT", file_format)
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(folder / "warehouse.duckdb"))
    monkeypatch.setenv("SPOTIFY_PIPELINES_DIR", str(folder / "dlt"))
    monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
    monkeypatch.chdir(Path(pipeline.__file__).parent)
    assert pipeline.main(["demo", "--profile", "small", "--no-transform"]) == 0
    return folder / "warehouse.duckdb"


def columns(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Each raw table's columns in order: name, type, nullable."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for table, column, data_type, nullable in connection.execute(
        "select table_name, column_name, data_type, is_nullable from information_schema.columns "
        "where table_schema = 'spotify_raw' order by table_name, ordinal_position"
    ).fetchall():
        found.setdefault(table, []).append((column, data_type, nullable))
    return found


def rows(connection: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> Counter[tuple[Any, ...]]:
    """The table's rows as a multiset, without the load's own values; the emulator's port taken out of its URLs
    (each demo starts its own emulator)."""
    kept = [name for name in names if name not in RUN_VALUES]
    if table in RUN_TABLES:
        return Counter({("rows",): connection.execute(f"select count(*) from spotify_raw.{table}").fetchone()[0]})
    port = "'127\\.0\\.0\\.1:[0-9]+'"
    values = ", ".join(f"regexp_replace(cast({name} as varchar), {port}, 'emulator')" for name in kept)
    return Counter(connection.execute(f"select {values} from spotify_raw.{table}").fetchall())


def test_parquet_loads_the_same_tables_as_sql_inserts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert destinations.DUCKDB_LOADER_FILE_FORMAT == "parquet"
    before = load_demo(tmp_path / "before", BEFORE, monkeypatch)
    after = load_demo(tmp_path / "after", "parquet", monkeypatch)
    with duckdb.connect(str(before), read_only=True) as old, duckdb.connect(str(after), read_only=True) as new:
        old_columns, new_columns = columns(old), columns(new)
        assert new_columns == old_columns
        assert {"tracks", "playlist_items", "recently_played", "export_streams", "audio_features"} <= set(new_columns)
        for table, described in new_columns.items():
            names = [name for name, _, _ in described]
            old_rows, new_rows = rows(old, table, names), rows(new, table, names)
            assert sum(new_rows.values()) > 0 or table == "episodes", f"{table}: the demo loaded no rows"
            assert new_rows == old_rows, f"{table}: rows differ: {list((new_rows - old_rows).items())[:3]}"
