"""Warehouses for the dashboard tests, built once per session by the real pipeline (emulator → dlt → DuckDB → dbt).

- `demo_warehouse`: `python pipeline.py demo --profile small` (extended tier: everything Spotify serves).
- `development_warehouse`: the same in the development tier (no audio features, no popularity, fewer artists).
- `empty_warehouse`: a DuckDB file without the `spotify` schema (the pipeline never ran).
- `empty_tables_warehouse`: the `spotify` tables exist but hold no rows.
- `household_warehouse`: `demo --accounts 2`, two people in one warehouse (the Together page).

The pipeline runs in-process (`pipeline.main`), as the CLI does, with its env pointed at temporary paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipeline

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"


@dataclass(frozen=True)
class Warehouse:
    """A DuckDB file the dashboard can be pointed at, and a way to ask it for the expected numbers."""

    path: Path
    mode: str

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run SQL on the warehouse. It is attached as `w`: opened directly, a file named warehouse.duckdb is a
        catalog `spotify`, and `spotify.users` would be ambiguous between that catalog and the schema."""
        with duckdb.connect() as connection:
            connection.execute("SET TimeZone='UTC'")
            connection.execute(f"attach '{self.path}' as w (read_only)")
            connection.execute("use w")
            return connection.execute(sql, params or {}).fetchall()

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.query(sql, params)[0][0]


def release_dbt_connection() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after a run: while it is open, DuckDB
    refuses the dashboard's read-only connection to the same file ("different configuration")."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def run_in_process(folder: Path, *arguments: str) -> Path:
    """`python pipeline.py ARGUMENTS` into `folder`, in-process; returns the DuckDB file."""
    database = folder / "warehouse.duckdb"
    cwd = Path.cwd()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPOTIFY_DUCKDB", str(database))
        patch.setenv("SPOTIFY_PIPELINES_DIR", str(folder / "pipelines"))
        try:
            exit_code = pipeline.main(list(arguments))
        finally:
            release_dbt_connection()
            os.chdir(cwd)  # the pipeline works from the repository root
    assert exit_code == 0, f"python pipeline.py {' '.join(arguments)} failed (exit code {exit_code})"
    return database


def build_demo(folder: Path, *arguments: str) -> Path:
    """`python pipeline.py demo --profile small ...` into `folder`, in-process; returns the DuckDB file."""
    return run_in_process(folder, "demo", "--profile", "small", *arguments)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return Warehouse(build_demo(tmp_path_factory.mktemp("dashboard-demo")), "extended")


@pytest.fixture(scope="session")
def development_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    folder = tmp_path_factory.mktemp("dashboard-development")
    return Warehouse(build_demo(folder, "--mode", "development"), "development")


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    path = tmp_path_factory.mktemp("dashboard-empty") / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    return Warehouse(path, "empty")


@pytest.fixture(scope="session")
def empty_tables_warehouse(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: Warehouse) -> Warehouse:
    """The demo's final tables, same columns, no rows: a warehouse whose dbt ran before any data arrived."""
    path = tmp_path_factory.mktemp("dashboard-empty-tables") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        # The file's own catalog is called `spotify` too (after the file): every name is fully qualified.
        (catalog,) = connection.execute("select current_database()").fetchone()
        connection.execute(f"attach '{demo_warehouse.path}' as demo (read_only)")
        connection.execute(f"create schema {catalog}.spotify")
        tables = connection.execute(
            "select table_name from information_schema.tables where table_catalog = 'demo' and table_schema = 'spotify'"
        ).fetchall()
        for (table,) in tables:
            connection.execute(
                f"create table {catalog}.spotify.{table} as select * from demo.spotify.{table} where false"
            )
        connection.execute("detach demo")
    return Warehouse(path, "empty tables")


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`point_at(warehouse)`: the dashboard reads that warehouse (DuckDB) for the rest of the test."""

    def point(warehouse: Warehouse | Path) -> None:
        path = warehouse.path if isinstance(warehouse, Warehouse) else warehouse
        monkeypatch.setenv("SPOTIFY_DUCKDB", str(path))
        monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)

    yield point


@pytest.fixture(scope="session")
def two_account_warehouse(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: Warehouse) -> Warehouse:
    """The demo warehouse plus a second account that has nothing loaded yet (several users may share one)."""
    path = tmp_path_factory.mktemp("dashboard-two-accounts") / "warehouse.duckdb"
    path.write_bytes(demo_warehouse.path.read_bytes())
    with duckdb.connect() as connection:
        connection.execute(f"attach '{path}' as w")
        connection.execute("insert into w.spotify.users (user_id, display_name) values ('second-user', 'Zz Second')")
    return Warehouse(path, "two accounts")


@pytest.fixture(scope="session")
def household_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """`python pipeline.py demo --profile small --accounts 2`: two emulated people sharing one catalog, so their
    listening overlaps (what the Together page compares)."""
    return Warehouse(build_demo(tmp_path_factory.mktemp("dashboard-household"), "--accounts", "2"), "household")
