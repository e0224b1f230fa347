"""Disturbed runs: the helpers of the fault, rate-limit and login tests.

A disturbed run is `pipeline.main(["run", ...])` itself (in this process, so it is quick, with the emulator given
through the same env vars a user's secrets.toml would set) against an emulator that injects faults. What it leaves
is compared with a clean run of the same library seed and tier by `warehouse_state` (the one snapshot harness):
raw tables with the run log `extraction_runs` (one row per completed run: every column but times and request
counts must match), and the final tables of schema `spotify`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pipeline
from spotify_emulator import EmulatorServer
from tests.reliability.warehouse_state import Snapshot, compare, connect, snapshot, state_problems

FAULT_STATUSES = ("401", "429", "500", "502", "503", "dropped")
"""What the emulator's stats count as an injected fault (401: an access token that expired in flight)."""
EXIT_OK, EXIT_FAILED, EXIT_LOGIN_EXPIRED, EXIT_RATE_LIMITED = 0, 1, 3, 4


@dataclass
class RunResult:
    code: int
    stdout: str
    stderr: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"exit {self.code} after {self.seconds:.1f} s\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set env vars for one in-process run and put the old values (and the cwd main() changes) back after."""
    saved = {name: os.environ.get(name) for name in [*values, "SOURCES__SPOTIFY__REFRESH_TOKEN"]}
    cwd = Path.cwd()
    os.environ.pop("SOURCES__SPOTIFY__REFRESH_TOKEN", None)  # only what `values` configures
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        os.chdir(cwd)


@dataclass
class Warehouse:
    """One user's warehouse, dlt folder and token cache under `workdir`, loaded from one emulator."""

    workdir: Path
    server: EmulatorServer
    refresh_token: str | None
    """In the env as secrets.toml would hold it; None: the login `auth` stored in the token cache carries the run."""
    dbt_dir: Path
    """dbt's target and log folder: one per test session, not dbt_project/target, which other runs share."""
    source_config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_url = self.server.url
        """Kept: the snapshots replace it even after the emulator stopped."""

    @property
    def database(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.workdir / "dlt"

    @property
    def token_cache(self) -> Path:
        return self.workdir / "token-cache.json"

    def log_in(self) -> dict[str, Any]:
        """Log in as `python pipeline.py auth` does: the PKCE login at the accounts service, its tokens and login
        record stored in the owner-only token cache (`store_login`, what `auth` calls). Returns the tokens."""
        from datetime import UTC, datetime

        from spotify_source.auth import LoginRecord, store_login

        tokens = self.server.login()
        user = self.server.control("GET", "ground-truth")["user"]["id"]
        record = LoginRecord(datetime.now(UTC), user, None, tuple(str(tokens.get("scope", "")).split()))
        store_login(self.token_cache, self.server.settings.accounts.client_id, tokens, record)
        self.refresh_token = None
        return tokens

    def env(self) -> dict[str, str]:
        """What a user would put in secrets.toml and config.toml, as the env vars dlt reads in their place."""
        config = {
            "SOURCES__SPOTIFY__API_BASE_URL": self.server.api_url,
            "SOURCES__SPOTIFY__ACCOUNTS_BASE_URL": self.server.url,
            "SOURCES__SPOTIFY__CLIENT_ID": self.server.settings.accounts.client_id,
            "SOURCES__SPOTIFY__REFRESH_TOKEN": self.refresh_token or "",
            "SOURCES__SPOTIFY__TOKEN_CACHE_PATH": str(self.token_cache),
            **{f"SOURCES__SPOTIFY__{name.upper()}": value for name, value in self.source_config.items()},
        }
        if not self.refresh_token:
            del config["SOURCES__SPOTIFY__REFRESH_TOKEN"]
        return {
            **config,
            "SPOTIFY_DUCKDB": str(self.database),
            "SPOTIFY_PIPELINES_DIR": str(self.pipelines_dir),
            "SPOTIFY_DESTINATION": "duckdb",
            "DBT_TARGET_PATH": str(self.dbt_dir / "target"),
            "DBT_LOG_PATH": str(self.dbt_dir / "logs"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }

    def run(self, *arguments: str) -> RunResult:
        """`python pipeline.py run <arguments>`, in this process; returns the exit code and what it printed."""
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with _environment(self.env()), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = pipeline.main(["run", *arguments])
        return RunResult(code, out.getvalue(), err.getvalue(), time.monotonic() - started)

    def run_until_done(self, *arguments: str, max_runs: int = 4) -> list[RunResult]:
        """Run, and run again after each stop the design says to rerun (4: rate limited; 1: failures that
        persisted through the retries), as a scheduler would. Any other exit code ends the sequence."""
        results: list[RunResult] = []
        while len(results) < max_runs:
            results.append(self.run(*arguments))
            if results[-1].code not in (EXIT_FAILED, EXIT_RATE_LIMITED):
                break
        return results

    def raw(self) -> Snapshot:
        return snapshot(self.database, ("spotify_raw",), self.base_url, run_logs=True)

    def final(self) -> Snapshot:
        return snapshot(self.database, ("spotify",), self.base_url)

    def query(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        with connect(self.database) as connection:
            return connection.execute(sql, list(parameters)).fetchall()

    def problems(self) -> list[str]:
        """Where dlt's state, local or stored, is ahead of this warehouse (`warehouse_state.state_problems`)."""
        return state_problems(self.database, self.pipelines_dir)


def new_warehouse(server: EmulatorServer, workdir: Path, dbt_dir: Path, **source_config: Any) -> Warehouse:
    """A logged-in user (the PKCE login, as `python pipeline.py auth` does it) with an empty warehouse."""
    workdir.mkdir(parents=True, exist_ok=True)
    tokens = server.login()
    return Warehouse(workdir, server, tokens["refresh_token"], dbt_dir, {k: str(v) for k, v in source_config.items()})


def fault_counts(server: EmulatorServer) -> dict[str, int]:
    """Injected faults by status since the last stats reset, from the emulator's own request statistics."""
    by_status = server.control("GET", "stats")["by_status"]
    return {status: int(by_status[status]) for status in FAULT_STATUSES if by_status.get(status)}


def token_refreshes(server: EmulatorServer) -> int:
    """Successful refreshes at the accounts service since the last stats reset (the login's exchange included)."""
    return int(server.control("GET", "stats")["by_endpoint"].get("POST /api/token", {}).get("200", 0))


@contextlib.contextmanager
def expiring_tokens(server: EmulatorServer, uses: int = 6) -> Iterator[None]:
    """While the block runs, every access token dies after authorising `uses` Web API requests: tokens dying before
    the client expects (a clock skew, a session ended by Spotify), so requests in flight come back 401 and the source
    refreshes and repeats them. The emulator counts the uses itself (`access_token_uses`), so a run meets the same
    deaths at the same requests whatever the machine's load; a repeat carries a fresh token, which `uses` of other
    requests would have to spend first (at most `max_concurrency` are in flight)."""
    server.control("POST", "settings", {"access_token_uses": uses})
    try:
        yield
    finally:
        server.control("POST", "settings", {"access_token_uses": None})


def api_requests(server: EmulatorServer) -> dict[str, int]:
    """Web API answers since the last stats reset, by status (`{"200": 20, "429": 3}`)."""
    counts: Counter[str] = Counter()
    for name, statuses in server.control("GET", "stats")["by_endpoint"].items():
        if " /v1/" in name:
            counts.update({status: int(n) for status, n in statuses.items()})
    return dict(counts)


@contextlib.contextmanager
def after_requests(server: EmulatorServer, count: int, *then: str | dict[str, Any]) -> Iterator[list[int]]:
    """Once `count` more Web API requests arrived than when the block started, the emulator POSTs each of `then`
    (`tokens/revoke-refresh`, or `{"path": "clock", "body": {"advance_seconds": N}}`) to itself before it handles
    the next request: a change in the middle of a run, at the same request every time (`/_emulator/after-requests`).
    Yields a list that receives the request count at which it fired (empty if it never did)."""
    fired: list[int] = []
    server.control("DELETE", "after-requests")
    server.control("POST", "after-requests", {"count": count, "then": list(then)})
    try:
        yield fired
    finally:
        fired += [t["fired_at"] for t in server.control("GET", "after-requests") if t["fired_at"] is not None]
        server.control("DELETE", "after-requests")


def change_the_library(server: EmulatorServer) -> None:
    """What happens between two runs: new plays, new liked songs, an edited playlist (deterministic per seed)."""
    server.control("POST", "plays", {"count": 7})
    server.control("POST", "saved-tracks", {"count": 3})
    server.control("POST", "playlists/edit", {"add": 3, "remove": 2})


@dataclass
class CleanSequence:
    """A clean first run, `change_the_library`, a clean second run with `dbt build`: what every stopped-and-rerun
    sequence of the same seed and tier must end with."""

    after_first: Snapshot
    raw: Snapshot
    final: Snapshot


    def assert_completed_like(self, warehouse: Warehouse) -> None:
        """The run that follows a stop (and the user's fix) completes and ends where the clean sequence ends."""
        again = warehouse.run()
        assert again.code == EXIT_OK, str(again)
        assert warehouse.problems() == []
        raw_difference = compare(self.raw, warehouse.raw())
        assert not raw_difference, f"raw tables differ from the clean sequence: {raw_difference}"
        final_difference = compare(self.final, warehouse.final())
        assert not final_difference, f"final tables differ from the clean sequence: {final_difference}"


_CLEAN_SEQUENCES: dict[tuple[int, str], CleanSequence] = {}


def clean_sequence(seed: int, tier: str, root: Path) -> CleanSequence:
    """The clean sequence of (seed, tier), run once per test session (shared by the rate-limit and login tests)."""
    key = (seed, tier)
    if key not in _CLEAN_SEQUENCES:
        with EmulatorServer(profile="small", seed=seed, mode=tier) as server:
            warehouse = new_warehouse(server, root / f"clean-sequence-{seed}-{tier}", root / "dbt")
            first = warehouse.run("--no-transform")
            assert first.code == EXIT_OK, str(first)
            after_first = warehouse.raw()
            change_the_library(server)
            second = warehouse.run()
            assert second.code == EXIT_OK, str(second)
            _CLEAN_SEQUENCES[key] = CleanSequence(after_first, warehouse.raw(), warehouse.final())
    return _CLEAN_SEQUENCES[key]


RUN_AGAIN = re.compile(r"Run again in [\d.]+ (seconds|minutes|hours) \(after \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)")
"""The rate-limit stop's promise to the user: how long to wait and until when."""
