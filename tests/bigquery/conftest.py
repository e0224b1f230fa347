"""A local BigQuery (the `bqemulator` package) for the tests of the BigQuery warehouse, started once per session.

The warehouses the BigQuery tests read (raw data landed by dlt, the dbt build on it, and the same library's DuckDB
build to compare with) are session fixtures here, built once per session; the tests of this folder run on one
pytest-xdist worker (tests/conftest.py), so once per run.

The emulator runs from its own venv (it pins an older DuckDB than the project's), which
`bash scripts/bigquery_emulator.sh install` creates; CI runs that before pytest. A missing install fails these
tests instead of skipping them: a skip would let the BigQuery path rot unnoticed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dlt
import google.oauth2.credentials
import pytest
from dlt.common.configuration.specs import GcpOAuthCredentials
from google.api_core.client_options import ClientOptions
from google.cloud import bigquery

from spotify_source import load_stages, spotify_source
from tests.bigquery.dbt_runs import (
    DBT_PROJECT,
    EMULATOR_SHIM,
    RAW,
    DbtRun,
    release_dbt_duckdb,
    run_dbt,
    spotify_server,
)
from tests.source.pipeline_harness import LIMITS, make_harness

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "bigquery_emulator.sh"
INSTALL_COMMAND = "bash scripts/bigquery_emulator.sh install"
PROJECT = "test-project"
# The emulator accepts any bearer token; Google's clients refuse to send none (AnonymousCredentials).
DUMMY_TOKEN = "dummy"


@dataclass(frozen=True)
class BigQueryEmulator:
    """A running emulator and the settings each client needs to reach it instead of Google."""

    url: str
    project: str = PROJECT

    def client(self) -> bigquery.Client:
        """google-cloud-bigquery pointed at the emulator, for checks of what landed."""
        return bigquery.Client(
            project=self.project,
            credentials=google.oauth2.credentials.Credentials(token=DUMMY_TOKEN),
            client_options=ClientOptions(api_endpoint=self.url),
        )

    def dlt_credentials(self) -> GcpOAuthCredentials:
        """dlt's bigquery destination credentials: a dummy OAuth token (dlt refuses anonymous credentials)."""
        credentials = GcpOAuthCredentials()
        credentials.parse_native_representation(google.oauth2.credentials.Credentials(token=DUMMY_TOKEN))
        credentials.project_id = self.project
        return credentials

    def dlt_env(self) -> dict[str, str]:
        """Env for a dlt load: Google's client honours BIGQUERY_EMULATOR_HOST; the emulator takes no gzip files."""
        return {"BIGQUERY_EMULATOR_HOST": self.url, "NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION": "true"}

    def dbt_env(self) -> dict[str, str]:
        """Env that dbt_project/profiles.yml reads to aim its `bigquery` target at the emulator."""
        return {
            "SPOTIFY_DBT_TARGET": "bigquery",
            "SPOTIFY_BIGQUERY_METHOD": "oauth-secrets",
            "SPOTIFY_BIGQUERY_TOKEN": DUMMY_TOKEN,
            "SPOTIFY_BIGQUERY_PROJECT": self.project,
            "SPOTIFY_BIGQUERY_API_ENDPOINT": self.url,
            # A failed job is the emulator saying no; retrying it only makes the test slower.
            "SPOTIFY_BIGQUERY_JOB_RETRIES": "0",
        }


def free_ports(count: int) -> list[int]:
    """Ports the OS hands out now; all sockets are held together so the ports differ from each other."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def emulator_script(*args: str, state_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run scripts/bigquery_emulator.sh with this session's own state folder (pid file, log, temp files)."""
    env = {**os.environ, "BQEMULATOR_STATE_DIR": str(state_dir)}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigQueryEmulator]:
    """One emulator for the session on free ports, empty at start; stopped (its process group) at the end."""
    state_dir = tmp_path_factory.mktemp("bqemulator")
    if emulator_script("check", state_dir=state_dir).returncode != 0:
        pytest.fail(
            f"the BigQuery emulator is not installed: run `{INSTALL_COMMAND}` first (CI's .ci/run does); "
            "it creates .bqemulator/ with the emulator's own venv and DuckDB's spatial extension",
            pytrace=False,
        )
    port, grpc_port = free_ports(2)
    started = emulator_script("start", str(port), str(grpc_port), state_dir=state_dir)
    if started.returncode != 0:
        emulator_script("stop", state_dir=state_dir)
        pytest.fail(f"the BigQuery emulator did not start:\n{started.stderr}", pytrace=False)
    try:
        yield BigQueryEmulator(url=f"http://127.0.0.1:{port}")
    finally:
        emulator_script("stop", state_dir=state_dir)


@pytest.fixture(scope="session")
def bigquery_raw(bigquery_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory) -> BigQueryEmulator:
    """`spotify_raw` in the emulator, landed by the real source through dlt's bigquery destination.

    dbt needs it even to compile: `source_or_empty` asks the warehouse which raw tables exist.
    """
    workdir = tmp_path_factory.mktemp("bigquery-load")
    with spotify_server() as server, pytest.MonkeyPatch.context() as patch:
        for name, value in bigquery_emulator.dlt_env().items():
            patch.setenv(name, value)
        tokens = server.login()
        pipeline = dlt.pipeline(
            pipeline_name="spotify",
            destination=dlt.destinations.bigquery(credentials=bigquery_emulator.dlt_credentials()),
            dataset_name=RAW,
            pipelines_dir=str(workdir / "pipelines"),
        )
        source = spotify_source(
            client_id=server.settings.accounts.client_id,
            refresh_token=tokens["refresh_token"],
            api_base_url=server.api_url,
            accounts_base_url=server.url,
            token_cache_path=str(workdir / "token-cache.json"),
            **{**LIMITS, "max_retry_after_seconds": 5},
        )
        for stage in load_stages(source):  # the facts, then the enrichment that reads them back
            info = pipeline.run(stage)
            assert not info.has_failed_jobs, info
    return bigquery_emulator


@pytest.fixture(scope="session")
def duckdb_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DbtRun]]:
    """The same seed through the DuckDB path (tests/source's harness, then `dbt build --target duckdb`)."""
    workdir = tmp_path_factory.mktemp("duckdb-build")
    with spotify_server() as server:
        harness = make_harness(server, workdir)
        harness.run()
    run = run_dbt(
        ["build", "--target", "duckdb"],
        DBT_PROJECT,
        workdir / "target",
        {"SPOTIFY_DBT_TARGET": "duckdb", "SPOTIFY_DUCKDB": str(harness.database)},
    )
    release_dbt_duckdb()
    assert run.result.success, f"dbt build --target duckdb failed: {run.failures()}"
    yield harness.database, run


@pytest.fixture(scope="session")
def emulator_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of dbt_project with EMULATOR_SHIM added: the one difference from what production builds."""
    copy = tmp_path_factory.mktemp("dbt-project") / "dbt_project"
    shutil.copytree(DBT_PROJECT, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (copy / "macros" / "zz_bqemulator_shim.sql").write_text(EMULATOR_SHIM)
    return copy


@pytest.fixture(scope="session")
def bigquery_build(
    bigquery_raw: BigQueryEmulator, emulator_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> DbtRun:
    """`dbt build --target bigquery` (models, snapshots, data tests: the scheduled build) against the emulator, once per
    session: tests/bigquery's dbt checks and the dashboard's pages read the same warehouse."""
    target = tmp_path_factory.mktemp("bigquery-build")
    return run_dbt(["build", "--target", "bigquery"], emulator_project, target, bigquery_raw.dbt_env())
