"""Shared fixtures: real emulator servers on free ports, and an authorised HTTP session against them."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import settings

from spotify_emulator import EmulatorServer
from tests.cli_harness import Cli, TelemetrySink
from tests.dbt_partial_parse import keep_partial_parse_across_warehouse_files

# Tests talk to 127.0.0.1 only: no dlt telemetry.
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
# dbt's working files (manifest, partial-parse cache, logs) per test process, inherited by the `python pipeline.py`
# subprocesses: sessions side by side (pytest-xdist's workers) never write the same dbt_project/target. Set, not
# defaulted: each worker inherits the controller's environment, and a default would hand both workers its folder.
_DBT_SCRATCH = tempfile.mkdtemp(prefix=f"spotify-dbt-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
atexit.register(shutil.rmtree, _DBT_SCRATCH, ignore_errors=True)
os.environ["DBT_TARGET_PATH"] = os.path.join(_DBT_SCRATCH, "target")
os.environ["DBT_LOG_PATH"] = os.path.join(_DBT_SCRATCH, "logs")
# Nobody reads a test's dbt.log, manifest.json or run_results.json (tests/bigquery's runs ask for theirs): writing
# them was a tenth of each build's time.
os.environ["DBT_LOG_LEVEL_FILE"] = "none"
os.environ["DBT_WRITE_JSON"] = "false"
keep_partial_parse_across_warehouse_files()  # tests/dbt_partial_parse.py: each test's new file skips a full parse

# In CI, Hypothesis draws the same examples every run: a red run is reproducible, never a new random draw that the
# next run may not meet. Elsewhere each run explores new examples (and replays its failures from .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


# Folders whose session fixtures (a built warehouse, a BigQuery emulator) serve several modules: under pytest-xdist
# their tests share a worker, so each fixture is built once per run instead of once per worker.
_SHARED_FOLDERS = {"bigquery", "dashboard"}
# Modules that share a session cache of their own: tests/reliability/disturbed_runs.py's clean sequences.
_SHARED_MODULES = {
    "tests/reliability/test_rate_limit_stops.py": "clean-sequences",
    "tests/reliability/test_expired_login.py": "clean-sequences",
}

# The longest scopes, longest first (worker seconds in a full run on this machine, `--durations=0`): xdist hands
# them out first, so that the run does not end on one worker finishing a long module alone while the other idles.
# Only the order depends on this list; a stale entry costs balance, never a test. Other scopes follow, most tests
# first (xdist's own order).
_LONGEST_SCOPES = [
    "tests/bigquery",  # 160 s
    "tests/test_real_accounts.py",  # 108
    "tests/reliability/test_fault_matrix.py",  # 102
    "tests/dashboard",  # 56
    "tests/reliability/test_crashes.py",  # 49
    "tests/dbt/test_listening_history.py",  # 46
    "tests/dbt/test_marts.py",  # 44
    "clean-sequences",  # 38
]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `-n 2`, hand each module (each of _SHARED_FOLDERS, each group of _SHARED_MODULES) whole to one worker:
    its module- and session-scoped fixtures (built warehouses, clean runs to compare with) are built once, where
    xdist's `load` scattered a module's tests and built them on both workers. (`--dist loadgroup` with xdist_group
    marks would say the same, but pytest-xdist 3.8 cannot rename node ids under pytest 9.2: its groups are ignored.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            parts = path.split("/")
            if len(parts) > 2 and parts[1] in _SHARED_FOLDERS:
                return "/".join(parts[:2])
            return _SHARED_MODULES.get(path, path)

        def _assign_work_unit(self, node: Any) -> None:
            def rank(scope: str) -> int:
                return _LONGEST_SCOPES.index(scope) if scope in _LONGEST_SCOPES else len(_LONGEST_SCOPES)

            self.workqueue.move_to_end(min(self.workqueue, key=rank), last=False)  # the first of the longest left
            super()._assign_work_unit(node)

    return ModuleScheduling(config, log)


@dataclass
class SpotifyClient:
    """A bare HTTP client for tests of the emulator itself: a session with the bearer token of one login."""

    server: EmulatorServer
    session: requests.Session
    tokens: dict[str, Any]

    def get(self, path_or_url: str, **params: Any) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.server.api_url}{path_or_url}"
        return self.session.get(url, params=params or None, timeout=30)


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., EmulatorServer]]:
    """Start emulators with any settings (`profile=`, `mode=`, `seed=`, ...); all are stopped after the test."""
    started: list[EmulatorServer] = []

    def start(**fields: Any) -> EmulatorServer:
        fields.setdefault("profile", "small")
        server = EmulatorServer(**fields).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def connect(server: EmulatorServer) -> SpotifyClient:
    tokens = server.login()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    return SpotifyClient(server, session, tokens)


@pytest.fixture
def spotify_client(start_emulator: Callable[..., EmulatorServer]) -> Callable[..., SpotifyClient]:
    """`spotify_client(profile="reference", mode="development")`: a started emulator and a logged-in client."""

    def make(**fields: Any) -> SpotifyClient:
        return connect(start_emulator(**fields))

    return make


# --- `python pipeline.py ...` as a subprocess (tests/cli_harness.py) -------------------------------------------------


@pytest.fixture(scope="session")
def telemetry_sink() -> Iterator[TelemetrySink]:
    """One local stand-in for dlt's telemetry endpoint for the whole session; each Cli records its own hits."""
    sink = TelemetrySink()
    yield sink
    sink.close()


@pytest.fixture
def cli(tmp_path: Path, telemetry_sink: TelemetrySink) -> Cli:
    """`cli("demo", "--profile", "small")` runs `python pipeline.py ...` in a subprocess with a warehouse, dlt folder
    and HOME of this test's own; returns the CompletedProcess (`cli.start(...)` for a Popen)."""
    return Cli(tmp_path, telemetry_sink)
