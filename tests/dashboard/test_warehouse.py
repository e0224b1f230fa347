"""Opening the warehouse: configuration, and DuckDB's failure modes as messages (missing, busy, not a warehouse).

The property that matters most: the dashboard never keeps the DuckDB file open, so the pipeline (another process,
which needs the file to itself) can always write.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from dashboard import queries, warehouse
from tests.dashboard.conftest import Warehouse


def test_duckdb_is_the_default_and_relative_paths_are_the_repositorys() -> None:
    config = warehouse.load_config({}, {})
    assert config.kind == "duckdb"
    assert config.duckdb_path == warehouse.REPO_ROOT / "data" / "warehouse.duckdb"
    assert warehouse.load_config({"SPOTIFY_DUCKDB": "data/demo.duckdb"}).duckdb_path == (
        warehouse.REPO_ROOT / "data" / "demo.duckdb"
    )
    assert warehouse.load_config({"SPOTIFY_DUCKDB": "/tmp/x.duckdb"}).duckdb_path == Path("/tmp/x.duckdb")


def test_environment_wins_over_secrets_and_bigquery_settings_are_read() -> None:
    secrets = {"destination": "bigquery", "bigquery_project": "from-secrets", "bigquery_location": "US"}
    config = warehouse.load_config({"SPOTIFY_BIGQUERY_PROJECT": "from-env"}, secrets)
    assert (config.kind, config.bigquery_project, config.bigquery_location) == ("bigquery", "from-env", "US")
    config = warehouse.load_config(
        {
            "SPOTIFY_DESTINATION": "BigQuery",
            "SPOTIFY_BIGQUERY_PROJECT": "p-1234",
            "SPOTIFY_BIGQUERY_API_ENDPOINT": "http://127.0.0.1:9050",
            "SPOTIFY_BIGQUERY_MAX_BYTES_BILLED": "2e9",
        }
    )
    assert config.kind == "bigquery"
    assert config.bigquery_location == "EU"
    assert config.bigquery_api_endpoint == "http://127.0.0.1:9050"
    assert config.bigquery_max_bytes_billed == 2_000_000_000
    assert warehouse.load_config({}).bigquery_max_bytes_billed == warehouse.DEFAULT_MAX_BYTES_BILLED


def test_bad_settings_are_messages() -> None:
    with pytest.raises(warehouse.WarehouseNotConfigured, match="duckdb"):
        warehouse.load_config({"SPOTIFY_DESTINATION": "postgres"})
    with pytest.raises(warehouse.WarehouseNotConfigured, match="a number"):
        warehouse.load_config({"SPOTIFY_BIGQUERY_MAX_BYTES_BILLED": "lots"})
    with pytest.raises(warehouse.WarehouseNotConfigured, match="SPOTIFY_BIGQUERY_PROJECT"):
        warehouse.open_warehouse(warehouse.WarehouseConfig(kind="bigquery"))


def test_bigquery_without_credentials_is_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No application-default login here: the first query says how to log in (and nothing calls out)."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    config = warehouse.WarehouseConfig(kind="bigquery", bigquery_project="my-project")
    with pytest.raises(warehouse.WarehouseNotConfigured, match="gcloud auth application-default login"):
        warehouse.make_bigquery_client(config)


def test_bigquery_client_uses_the_configured_endpoint_and_token() -> None:
    config = warehouse.WarehouseConfig(
        kind="bigquery", bigquery_project="my-project", bigquery_token="t", bigquery_api_endpoint="http://127.0.0.1:1"
    )
    client = warehouse.make_bigquery_client(config)  # makes no request
    assert client.project == "my-project"
    assert client.location == "EU"
    assert client._connection.API_BASE_URL == "http://127.0.0.1:1"


def test_a_missing_file_is_a_missing_warehouse(tmp_path: Path) -> None:
    store = warehouse.DuckDBWarehouse(tmp_path / "none.duckdb")
    with pytest.raises(warehouse.WarehouseMissing, match=r"python pipeline\.py demo"):
        store.run(queries.users.render(store.dialect), {})
    assert not (tmp_path / "none.duckdb").exists(), "reading must never create a warehouse"


def test_a_file_that_is_no_database_is_said_so(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_text("hello")
    store = warehouse.DuckDBWarehouse(path)
    with pytest.raises(warehouse.WarehouseMissing, match="not a DuckDB warehouse"):
        store.run(queries.users.render(store.dialect), {})


@contextmanager
def writer_holding(path: Path) -> Iterator[None]:
    """Another process with the file open for writing, as the pipeline has it during a load or dbt build."""
    code = textwrap.dedent(
        f"""
        import sys, duckdb
        connection = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        connection.close()
        """
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield
    finally:
        assert process.stdin is not None
        process.stdin.write("\n")
        process.stdin.flush()
        process.wait(timeout=30)


def test_while_the_pipeline_writes_the_dashboard_says_busy(demo_warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(demo_warehouse.path.read_bytes())
    store = warehouse.DuckDBWarehouse(path)
    with writer_holding(path), pytest.raises(warehouse.WarehouseBusy, match="writing"):
        store.run(queries.users.render(store.dialect), {})
    assert len(store.run(queries.users.render(store.dialect), {})) == 1  # and reads again once it is done


def test_the_dashboard_never_keeps_the_file_from_the_pipeline(demo_warehouse: Warehouse, tmp_path: Path) -> None:
    """Right after a query, another process can open the file for writing: no connection is left open."""
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(demo_warehouse.path.read_bytes())
    store = warehouse.DuckDBWarehouse(path)
    before = store.fingerprint()
    assert len(store.run(queries.users.render(store.dialect), {})) == 1
    write = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        "c.execute('create table spotify_raw.t as select 1'); c.close()"
    )
    subprocess.run([sys.executable, "-c", write, str(path)], check=True, timeout=60)
    assert store.fingerprint() != before, "a write changes the fingerprint, so cached results are not reused"


def test_the_warehouse_is_opened_read_only(demo_warehouse: Warehouse) -> None:
    store = warehouse.DuckDBWarehouse(demo_warehouse.path)
    with pytest.raises(warehouse.QueryFailed):
        store.run("create table warehouse.spotify.oops as select 1", {})
    assert not demo_warehouse.query(
        "select 1 from information_schema.tables where table_schema = 'spotify' and table_name = 'oops'"
    )


def test_the_default_file_name_is_no_ambiguity(demo_warehouse: Warehouse) -> None:
    """The first query a person types in the duckdb CLI works on the default file: its catalog is `warehouse`, so
    `spotify.users` can only be the schema (a file named spotify.duckdb made it ambiguous)."""
    assert demo_warehouse.path.name == "warehouse.duckdb"
    with duckdb.connect(str(demo_warehouse.path), read_only=True) as direct:
        assert direct.execute("select count(*) from spotify.users").fetchone() == (1,)
    store = warehouse.DuckDBWarehouse(demo_warehouse.path)
    assert len(store.run(queries.users.render(store.dialect), {})) == 1
