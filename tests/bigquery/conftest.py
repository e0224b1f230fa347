"""A local BigQuery (the `bqemulator` package) for the tests of the BigQuery warehouse, started once per session.

The emulator runs from its own venv (it pins an older DuckDB than the project's), which
`bash scripts/bigquery_emulator.sh install` creates; CI runs that before pytest. A missing install fails these
tests instead of skipping them: a skip would let the BigQuery path rot unnoticed.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import google.oauth2.credentials
import pytest
from dlt.common.configuration.specs import GcpOAuthCredentials
from google.api_core.client_options import ClientOptions
from google.cloud import bigquery

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
