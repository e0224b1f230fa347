"""`python pipeline.py ...` as a user runs it: a subprocess from the repo root, with its own warehouse, dlt folder and
HOME under one directory, judged by exit code and output. The `cli` fixture (tests/conftest.py) hands one out.

Only an interpreter's env is passed through: anything else in the developer's environment (SOURCES__SPOTIFY__*,
bare CLIENT_ID / REFRESH_TOKEN, which dlt also looks up, DLT_DATA_DIR ...) could configure the run behind the test's
back. Every address is 127.0.0.1: dlt's telemetry, were it ever sent, goes to a local recorder, not the internet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb

from spotify_emulator import EmulatorServer
from tests.dbt_partial_parse import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
SUBPROCESS_TIMEOUT = 120
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


class _TelemetryRecorder(BaseHTTPRequestHandler):
    """Stands in for dlt's telemetry endpoint so no test reaches the internet, and records what dlt sends."""

    server: TelemetrySink

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.hits.append(f"{self.command} {self.path} {self.rfile.read(length)[:200]!r}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _record

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: pytest shows stderr of failing tests, and these lines would only be noise."""


class TelemetrySink(ThreadingHTTPServer):
    """A local HTTP server on a free port that records every request; `close()` stops it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TelemetryRecorder)
        self.hits: list[str] = []
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class Cli:
    """Runs `python pipeline.py ...` with its own warehouse, dlt folder and HOME under `workdir`."""

    def __init__(self, workdir: Path, telemetry: TelemetrySink) -> None:
        self.workdir = workdir
        self.telemetry = telemetry
        self.telemetry_hits: list[str] = []
        """What this Cli's runs sent to the telemetry endpoint (the sink may be shared)."""

    @property
    def warehouse(self) -> Path:
        return self.workdir / "warehouse" / "warehouse.duckdb"

    def elsewhere(self, workdir: Path) -> Cli:
        """Another warehouse and HOME, the same telemetry recorder: a second user, or a fresh attempt."""
        return Cli(workdir, self.telemetry)

    def env(self, **extra: str) -> dict[str, str]:
        home = self.workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.update(subprocess_env())
        env.update(
            HOME=str(home),
            SPOTIFY_DUCKDB=str(self.warehouse),
            SPOTIFY_PIPELINES_DIR=str(self.workdir / "dlt_pipelines"),
            RUNTIME__DLTHUB_TELEMETRY_ENDPOINT=self.telemetry.url,
            PYTHONIOENCODING="utf-8",
        )
        env.update(extra)
        return env

    def __call__(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run the command to its end; its output is returned, never raised on."""
        hits = len(self.telemetry.hits)
        try:
            return subprocess.run(
                [sys.executable, "pipeline.py", *args],
                cwd=ROOT,
                env=self.env(**extra_env),
                capture_output=True,
                text=True,
                timeout=SUBPROCESS_TIMEOUT,
                check=False,
            )
        finally:
            self.telemetry_hits += self.telemetry.hits[hits:]

    def start(self, *args: str, **extra_env: str) -> subprocess.Popen[str]:
        """Start the command and return at once, its output piped: for a test that talks to it while it runs."""
        return subprocess.Popen(
            [sys.executable, "pipeline.py", *args],
            cwd=ROOT,
            env=self.env(**extra_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def described(result: subprocess.CompletedProcess[str]) -> str:
    """Both streams, for assertion messages: a failed CLI test is only debuggable with what the user saw."""
    return f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, described(result)


def emulator_env(server: EmulatorServer, refresh_token: str, cache: Path, **extra: str) -> dict[str, str]:
    """What a user would put in secrets.toml, as the env vars dlt reads in its place."""
    return {
        "SOURCES__SPOTIFY__API_BASE_URL": server.api_url,
        "SOURCES__SPOTIFY__ACCOUNTS_BASE_URL": server.url,
        "SOURCES__SPOTIFY__CLIENT_ID": server.settings.accounts.client_id,
        "SOURCES__SPOTIFY__REFRESH_TOKEN": refresh_token,
        "SOURCES__SPOTIFY__TOKEN_CACHE_PATH": str(cache),
        **extra,
    }


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("SET TimeZone='UTC'")
        return connection.execute(sql).fetchall()
