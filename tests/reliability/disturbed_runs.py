"""Disturbed runs and what they must leave behind: the helpers of the fault, rate-limit and login tests.

A disturbed run is `pipeline.main(["run", ...])` itself (in this process, so it is quick, with the emulator given
through the same env vars a user's secrets.toml would set) against an emulator that injects faults. What it leaves
is compared with a clean run of the same library seed and tier:

- `raw_snapshot`: every data table of `spotify_raw` (child tables included), minus the load-time columns that
  differ between any two runs by design: `extracted_at`, `_dlt_load_id`, `_dlt_id`, and in child tables
  `_dlt_root_id`/`_dlt_parent_id` (random ids), replaced by the parent row's primary key so a child row still
  says whose it is. In `extraction_runs`, one row per completed run, also `run_started_at`, `run_finished_at`,
  `logged_in_at`, `refresh_token_expires_at` (times) and `count_api_requests` (counts retries, so a disturbed run
  sends more by design); every other column (tier, notes, gaps, the other counts) must match.
- `final_snapshot`: every table dbt built in schema `spotify`, minus `extracted_at` (when a row was read) and
  `source_load_id` (listening_history: which dlt load a play came from).

Image URLs point at the emulator that served them (it serves the covers itself), so its address is replaced by
`<spotify>` in every text value: two emulators listen on different ports.

Rows are compared as multisets, so a duplicate is counted as one row too many and a lost row as one missing.
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

import duckdb

import pipeline
from spotify_emulator import EmulatorServer

RAW_VARYING = frozenset({"extracted_at", "_dlt_load_id", "_dlt_id", "_dlt_root_id", "_dlt_parent_id"})
RUN_VARYING = frozenset(
    {"run_started_at", "run_finished_at", "logged_in_at", "refresh_token_expires_at", "count_api_requests"}
)
# The `*_history` marts date what a build saw by the build's clock (dbt snapshots): which periods exist and whether
# they are current is compared, not when a build noticed them.
FINAL_VARYING = frozenset({"extracted_at", "source_load_id", "valid_from", "valid_to", "first_seen_at"})
PARENT_KEYS = {"tracks": "id", "artists": "id"}
"""Parent tables of dlt's child tables (`tracks__artists`, `artists__genres`) and the key that names a parent."""
FAULT_STATUSES = ("401", "429", "500", "502", "503", "dropped")
"""What the emulator's stats count as an injected fault (401: an access token that expired in flight)."""
EXIT_OK, EXIT_FAILED, EXIT_LOGIN_EXPIRED, EXIT_RATE_LIMITED = 0, 1, 3, 4
Snapshot = dict[str, list[tuple[Any, ...]]]


def _connect(database: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(database), read_only=True)
    connection.execute("SET TimeZone='UTC'")
    return connection


def _columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [name for (name,) in rows]


def _tables(connection: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
        "and not starts_with(table_name, '_dlt') order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def _neutral(rows: list[tuple[Any, ...]], base_url: str | None) -> list[tuple[Any, ...]]:
    """Rows with the emulator's address replaced in text values, sorted: comparable across emulators."""
    if base_url:
        rows = [tuple(v.replace(base_url, "<spotify>") if isinstance(v, str) else v for v in row) for row in rows]
    return sorted(rows, key=repr)


def raw_snapshot(database: Path, base_url: str | None = None) -> Snapshot:
    """Every row of every data table in spotify_raw, without the columns a load sets (see the module docstring)."""
    snapshot: Snapshot = {}
    with _connect(database) as connection:
        for table in _tables(connection, "spotify_raw"):
            varying = RAW_VARYING | (RUN_VARYING if table == "extraction_runs" else frozenset())
            kept = [c for c in _columns(connection, "spotify_raw", table) if c not in varying]
            select = ", ".join(f't."{c}"' for c in kept)
            parent, _, _ = table.partition("__")
            if parent in PARENT_KEYS and table != parent:
                key = PARENT_KEYS[parent]
                sql = (
                    f'select p."{key}" as parent_key, {select} from spotify_raw."{table}" t '
                    f'left join spotify_raw."{parent}" p on p._dlt_id = t._dlt_parent_id'
                )
            else:
                sql = f'select {select} from spotify_raw."{table}" t'
            snapshot[table] = _neutral(connection.execute(sql).fetchall(), base_url)
    return snapshot


def final_snapshot(database: Path, base_url: str | None = None) -> Snapshot:
    """Every row of every table dbt built in schema `spotify`, without extracted_at and source_load_id."""
    snapshot: Snapshot = {}
    with _connect(database) as connection:
        # The file warehouse.duckdb is the catalog `spotify` too: the schema is named with its catalog.
        (catalog,) = connection.execute("select current_database()").fetchone() or ("",)
        for table in _tables(connection, "spotify"):
            kept = [c for c in _columns(connection, "spotify", table) if c not in FINAL_VARYING]
            select = ", ".join(f'"{c}"' for c in kept)
            rows = connection.execute(f'select {select} from "{catalog}".spotify."{table}"').fetchall()
            snapshot[table] = _neutral(rows, base_url)
    return snapshot


@dataclass
class Difference:
    """Rows of the clean run missing after the disturbed one (lost) and rows it has in excess (duplicated)."""

    lost: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def rows_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def rows_duplicated(self) -> int:
        return sum(self.extra.values())

    def __bool__(self) -> bool:
        return bool(self.lost or self.extra)

    def __str__(self) -> str:
        return f"lost {self.lost}, in excess {self.extra}; e.g. " + "; ".join(self.examples[:6])


def compare(clean: Snapshot, disturbed: Snapshot) -> Difference:
    """Multiset difference per table: a row the clean run has once and the disturbed run twice is one in excess."""
    difference = Difference()
    for table in sorted(set(clean) | set(disturbed)):
        want, got = Counter(clean.get(table, [])), Counter(disturbed.get(table, []))
        lost, extra = want - got, got - want
        if lost:
            difference.lost[table] = sum(lost.values())
            difference.examples += [f"{table} lost {row!r}" for row in list(lost)[:2]]
        if extra:
            difference.extra[table] = sum(extra.values())
            difference.examples += [f"{table} in excess {row!r}" for row in list(extra)[:2]]
    return difference


def row_count(snapshot: Snapshot) -> int:
    return sum(len(rows) for rows in snapshot.values())


# --- running the pipeline -------------------------------------------------------------------------------------


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
        return raw_snapshot(self.database, self.base_url)

    def final(self) -> Snapshot:
        return final_snapshot(self.database, self.base_url)

    def query(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        with _connect(self.database) as connection:
            return connection.execute(sql, list(parameters)).fetchall()


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


# --- state against data ---------------------------------------------------------------------------------------


def _resource_states(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("sources", {}).get("spotify", {}).get("resources", {})


def local_state(pipelines_dir: Path) -> dict[str, Any]:
    """The state the next run starts from: dlt's file in the pipeline's working folder."""
    from dlt.common.json import json as dlt_json

    path = pipelines_dir / "spotify" / "state.json"
    return dlt_json.typed_loads(path.read_text()) if path.exists() else {}  # dlt's typed JSON: datetimes kept


def stored_state(database: Path) -> dict[str, Any]:
    """The newest state dlt stored in the warehouse with a completed load (what a lost dlt folder restores)."""
    from dlt.common.versioned_state import decompress_state

    with _connect(database) as connection:
        rows = connection.execute(
            "select s.state from spotify_raw._dlt_pipeline_state s "
            "join spotify_raw._dlt_loads l on l.load_id = s._dlt_load_id and l.status = 0 "
            "where s.pipeline_name = 'spotify' order by s.version desc limit 1"
        ).fetchall()
    return decompress_state(rows[0][0]) if rows else {}


def state_problems(warehouse: Warehouse) -> list[str]:
    """Where dlt's state claims more than the warehouse holds: a cursor ahead of the loaded rows, a playlist
    snapshot marked read without its entries, artists or features marked known but not loaded. Empty when
    consistent. Both the local state (the next run's start) and the stored one (its backup) are checked."""
    problems: list[str] = []
    loaded_play = warehouse.query("select max(played_at) from spotify_raw.recently_played")[0][0]
    loaded_like = warehouse.query("select max(added_at) from spotify_raw.saved_tracks")[0][0]
    entries = set(warehouse.query("select distinct playlist_id, snapshot_id from spotify_raw.playlist_items"))
    empty = set(warehouse.query("select id, snapshot_id from spotify_raw.playlists where items_total = 0"))
    artists = {a for (a,) in warehouse.query("select id from spotify_raw.artists")}
    tracks = {t for (t,) in warehouse.query("select id from spotify_raw.tracks")}
    local, stored = local_state(warehouse.pipelines_dir), stored_state(warehouse.database)
    if local.get("_version_hash") != stored.get("_version_hash"):
        problems.append(f"local state v{local.get('_state_version')} is not the stored v{stored.get('_state_version')}")
    for where, state in (("local", local), ("stored", stored)):
        resources = _resource_states(state)
        for resource, cursor, loaded in (
            ("recently_played", "played_at", loaded_play),
            ("saved_tracks", "added_at", loaded_like),
        ):
            value = resources.get(resource, {}).get("incremental", {}).get(cursor, {}).get("last_value")
            if value is not None and (loaded is None or value > loaded):
                problems.append(f"{where} {resource} cursor {value} is ahead of the loaded {loaded}")
        for playlist, snapshot in resources.get("playlist_items", {}).get("snapshots", {}).items():
            if (playlist, snapshot) not in entries and (playlist, snapshot) not in empty:
                problems.append(f"{where} state marks playlist {playlist} read at {snapshot}; no entries loaded")
        unknown = set(resources.get("artists", {}).get("known_ids", [])) - artists
        if unknown:
            problems.append(f"{where} state knows {len(unknown)} artists that are not loaded")
        unresolved = set(resources.get("audio_features", {}).get("resolved_ids", [])) - tracks
        if unresolved:
            problems.append(f"{where} state resolved features of {len(unresolved)} tracks that are not loaded")
    return problems
