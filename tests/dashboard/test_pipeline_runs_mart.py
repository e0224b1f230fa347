"""The mart `pipeline_runs` (what Data health reads) builds where there is nothing to read: a warehouse without a
single raw table (staging reads raw through `source_or_empty`), empty, with its contract's columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner

from tests.dashboard.conftest import REPO, Warehouse, release_dbt_connection

DBT_PROJECT = REPO / "dbt_project"


def test_pipeline_runs_builds_on_a_warehouse_without_raw_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(database))
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    arguments = ["build", "--select", "+pipeline_runs", "--target", "duckdb", "--quiet"]
    try:
        result = dbtRunner().invoke([*arguments, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)])
    finally:
        release_dbt_connection()
    assert result.success, result.exception
    warehouse = Warehouse(database, "no raw tables")
    assert (
        warehouse.query("select schema_name from information_schema.schemata where schema_name = 'spotify_raw'") == []
    )
    columns = [
        name
        for (name,) in warehouse.query(
            "select column_name from information_schema.columns where table_schema = 'spotify' "
            "and table_name = 'pipeline_runs' order by ordinal_position"
        )
    ]
    documented = yaml.safe_load((DBT_PROJECT / "models" / "marts" / "_pipeline_runs__models.yml").read_text())
    assert columns == [column["name"] for column in documented["models"][0]["columns"]]
    assert warehouse.scalar("select count(*) from spotify.pipeline_runs") == 0
