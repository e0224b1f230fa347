"""Where things are: the warehouse file, dlt's working folder, the destination chosen, and dlt's process settings.

Every command asks here, so the pipeline, dbt's profile and the dashboard agree on one warehouse:

    SPOTIFY_DUCKDB         the DuckDB file (default data/warehouse.duckdb; not spotify.duckdb, see DESIGN.md)
    SPOTIFY_PIPELINES_DIR  dlt's working folder (default data/.dlt_pipelines)
    SPOTIFY_DESTINATION    duckdb or bigquery (`--destination` sets it; spotify_pipeline.destinations reads it)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
"""The project folder: dlt reads .dlt/ from it, dbt's project and profile live in it."""


def warehouse_path() -> Path:
    """The DuckDB file the pipeline, dbt and the dashboard share."""
    return Path(os.environ.get("SPOTIFY_DUCKDB", ROOT / "data" / "warehouse.duckdb"))


def pipelines_dir() -> Path:
    """dlt's working folder, kept in the project (dlt would use a system folder when run as root)."""
    return Path(os.environ.get("SPOTIFY_PIPELINES_DIR", ROOT / "data" / ".dlt_pipelines"))


def prepare_dlt() -> None:
    """The process-wide settings dlt reads from env, and the folder it reads .dlt/config.toml and secrets from."""
    # dlt's anonymous telemetry would call out to the internet: this project talks to nothing it was not asked to.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.chdir(ROOT)  # dlt reads .dlt/config.toml and secrets.toml from the working directory


def choose_destination(name: str | None) -> None:
    """`--destination` wins: put it where every part asks (SPOTIFY_DESTINATION), dbt and the dashboard included."""
    if name:
        os.environ["SPOTIFY_DESTINATION"] = name


def destination_name() -> str:
    """duckdb or bigquery: `--destination` (in SPOTIFY_DESTINATION), env, or .dlt/config.toml."""
    from spotify_pipeline import destinations

    return destinations.selected_destination()


def describe_destination() -> str:
    """Where the data goes, for people."""
    if destination_name() == "bigquery":
        from spotify_pipeline import destinations

        return destinations.BigQuerySettings.from_config().describe()
    return str(warehouse_path())


def make_destination(duckdb_memory_limit: str | None = None) -> Any:
    """The dlt destination of the raw data: the DuckDB file at $SPOTIFY_DUCKDB, or BigQuery."""
    from spotify_pipeline import destinations

    path = warehouse_path()
    if destination_name() == "duckdb":
        path.parent.mkdir(parents=True, exist_ok=True)
    return destinations.make_destination(destination_name(), str(path), duckdb_memory_limit)


def accounts_in_warehouse() -> set[str]:
    """User ids already loaded into the warehouse (none if it does not exist yet): whose data it holds."""
    if destination_name() == "bigquery":
        from spotify_pipeline.destinations import accounts_in_bigquery

        return accounts_in_bigquery()
    path = warehouse_path()
    if not path.exists():
        return set()
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select 1 from information_schema.tables where table_schema = 'spotify_raw' and table_name = 'users'"
        ).fetchall()
        if not tables:
            return set()
        return {row[0] for row in connection.execute("select id from spotify_raw.users").fetchall()}
