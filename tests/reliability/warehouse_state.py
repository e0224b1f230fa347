"""What a run left in the warehouse, in a form two runs can be compared by, and whether dlt's state is ahead of it.

The one snapshot and state harness of the reliability tests (crashes, concurrency, faults, login, rate limits, bad
input) and the export tests; the runs themselves are started by `crash_harness` (a subprocess that dies or pauses
at a chosen point) or `disturbed_runs` (in this process, against a disturbed emulator).

- `snapshot`: every row of every data table of the schemas, as a multiset (a duplicate is one row too many), minus
  the columns that differ between any two runs by design (`VARYING`). Child tables (`tracks__artists`) name their
  parent by its key instead of dlt's random row ids. The run logs (`RUN_TABLES`, one row per run) are left out
  unless `run_logs=True`, which keeps them minus their times and request counts (`RUN_VARYING`): a crashed and
  rerun sequence holds one run more than a clean one, a disturbed one the same number.
- `fingerprint`: rows and a checksum of every raw table, dlt's own included: "nothing at all changed".
- `state_problems`: where dlt's state (stored with a completed load, and the local one when given) claims more
  than the warehouse holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

VARYING = frozenset(
    {"extracted_at", "_dlt_load_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id", "source_load_id", "import_id",
     "valid_from", "valid_to", "first_seen_at"}
)  # fmt: skip
"""Columns that differ between two runs of the same data: when a row was extracted; dlt's load and row ids (random
per load); listening_history's `source_load_id` (the newest dlt load id it has seen); `import_id` of the data
export's rows (new per import command, time-stamped); the `*_history` marts' periods, dated by the build that saw
them (which periods exist and whether they are current is still compared)."""
RUN_TABLES = frozenset({"extraction_runs", "export_imports", "pipeline_runs"})
"""Append-only run logs, one row per run: raw `extraction_runs` and `export_imports`, and the mart built on them."""
RUN_VARYING = frozenset(
    {"run_started_at", "run_finished_at", "logged_in_at", "refresh_token_expires_at", "count_api_requests",
     "api_requests"}
)  # fmt: skip
"""Columns of a run log row that differ between runs by design (times; retries count as requests)."""
PARENT_KEYS = {"tracks": "id", "artists": "id"}
"""Parent tables of dlt's child tables (`tracks__artists`, `artists__genres`) and the key that names a parent."""

Snapshot = dict[str, list[tuple[Any, ...]]]


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(database), read_only=True)
    connection.execute("SET TimeZone='UTC'")
    return connection


def qualified(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """catalog.schema.table: the file's catalog is named after the file, which a bare `schema.table` may confuse."""
    (catalog,) = connection.execute("select current_database()").fetchone() or ("",)
    return f'"{catalog}"."{schema}"."{table}"'


def tables(connection: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
        "order by 1",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [name for (name,) in rows]


def _neutral(rows: list[tuple[Any, ...]], base_url: str | None) -> list[tuple[Any, ...]]:
    """Rows with the emulator's address replaced in text values (image URLs point at the emulator that served
    them; two emulators listen on different ports), sorted."""
    if base_url:
        rows = [tuple(v.replace(base_url, "<spotify>") if isinstance(v, str) else v for v in row) for row in rows]
    return sorted(rows, key=repr)


def _rows(connection: duckdb.DuckDBPyConnection, schema: str, table: str, varying: frozenset[str]) -> list[tuple]:
    kept = [c for c in columns(connection, schema, table) if c not in varying]
    select = ", ".join(f't."{c}"' for c in kept)
    parent, _, _ = table.partition("__")
    if parent in PARENT_KEYS and table != parent:
        key = PARENT_KEYS[parent]
        sql = (
            f'select p."{key}" as parent_key, {select} from {qualified(connection, schema, table)} t '
            f'left join {qualified(connection, schema, parent)} p on p._dlt_id = t._dlt_parent_id'
        )
    else:
        sql = f"select {select} from {qualified(connection, schema, table)} t"
    return connection.execute(sql).fetchall()


def snapshot(
    database: Path, schemas: tuple[str, ...] = ("spotify_raw",), base_url: str | None = None, run_logs: bool = False
) -> Snapshot:
    """`{"schema.table": rows}` of every data table of the schemas (see the module docstring)."""
    found: Snapshot = {}
    with connect(database) as connection:
        for schema in schemas:
            for table in tables(connection, schema):
                if table.startswith("_dlt") or (table in RUN_TABLES and not run_logs):
                    continue
                varying = VARYING | (RUN_VARYING if table in RUN_TABLES else frozenset())
                found[f"{schema}.{table}"] = _neutral(_rows(connection, schema, table, varying), base_url)
    return found


@dataclass
class Difference:
    """Rows of the reference missing from the other snapshot (lost) and rows it has in excess (duplicated)."""

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


def compare(reference: Snapshot, other: Snapshot) -> Difference:
    """Multiset difference per table: a row the reference has once and the other twice is one in excess."""
    difference = Difference()
    for table in sorted(set(reference) | set(other)):
        want, got = Counter(reference.get(table, [])), Counter(other.get(table, []))
        lost, extra = want - got, got - want
        if lost:
            difference.lost[table] = sum(lost.values())
            difference.examples += [f"{table} lost {row!r}" for row in list(lost)[:2]]
        if extra:
            difference.extra[table] = sum(extra.values())
            difference.examples += [f"{table} in excess {row!r}" for row in list(extra)[:2]]
    return difference


def row_count(found: Snapshot) -> int:
    return sum(len(rows) for rows in found.values())


def duplicate_run_rows(database: Path) -> dict[str, int]:
    """Rows of the run logs present more than once (a run's row appended twice by a resumed load)."""
    found = {}
    with connect(database) as connection:
        for table in sorted(RUN_TABLES & set(tables(connection, "spotify_raw"))):
            rows = _rows(connection, "spotify_raw", table, VARYING)
            found[table] = len(rows) - len(set(rows))
    return found


def fingerprint(database: Path) -> dict[str, tuple[int, int]]:
    """(rows, checksum) of every table of spotify_raw, dlt's own included; empty when there is no warehouse yet."""
    if not database.exists():
        return {}
    with connect(database) as connection:
        return {
            name: connection.execute(
                f"select count(*), coalesce(bit_xor(hash(t)), 0) from {qualified(connection, 'spotify_raw', name)} t"
            ).fetchone()
            for name in tables(connection, "spotify_raw")
        }


# --- dlt's state against the data ----------------------------------------------------------------------------


def local_state(pipelines_dir: Path, pipeline_name: str = "spotify") -> dict[str, Any]:
    """The state the next run starts from: dlt's file in the pipeline's working folder ({} when there is none)."""
    from dlt.common.json import json as dlt_json

    path = pipelines_dir / pipeline_name / "state.json"
    return dlt_json.typed_loads(path.read_text()) if path.exists() else {}  # dlt's typed JSON: datetimes kept


def stored_state(database: Path, pipeline_name: str = "spotify") -> dict[str, Any]:
    """The state dlt would restore from the warehouse ({} before the first completed load).

    As dlt's own `get_stored_state`: the newest state row of a *completed* load (`_dlt_loads.status = 0`). A killed
    load may have committed its state row before its merges; dlt ignores such a row, and so does this check."""
    from dlt.common.versioned_state import decompress_state

    if not database.exists():
        return {}
    with connect(database) as connection:
        if not {"_dlt_pipeline_state", "_dlt_loads"} <= set(tables(connection, "spotify_raw")):
            return {}
        row = connection.execute(
            "select s.state from spotify_raw._dlt_pipeline_state s join spotify_raw._dlt_loads l "
            "on l.load_id = s._dlt_load_id where s.pipeline_name = ? and l.status = 0 "
            "order by l.load_id desc limit 1",
            [pipeline_name],
        ).fetchone()
    return decompress_state(row[0]) if row else {}


def _resources(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("sources", {}).get("spotify", {}).get("resources", {})


def _first(connection: duckdb.DuckDBPyConnection, sql: str, table: str) -> Any:
    """The one value of `sql` over spotify_raw.`table`, None when the table was never created."""
    if table not in tables(connection, "spotify_raw"):
        return None
    (value,) = connection.execute(sql.format(table=qualified(connection, "spotify_raw", table))).fetchone()
    return value


def state_problems(
    database: Path,
    pipelines_dir: Path | None = None,
    empty_playlists: frozenset[str] = frozenset(),
    current_snapshots: dict[str, str] | None = None,
) -> list[str]:
    """Ways dlt's state is ahead of the stored data; [] when it is not.

    Checked: the state stored with the last completed load, and with `pipelines_dir` also the local state (which
    must then be that same state: after a crash it legitimately is not, so crash tests leave it out). A cursor
    (recently_played, saved_tracks) past the newest row loaded loses the rows in between for good. A playlist's
    snapshot id may be in the state only when entries of that snapshot are loaded, unless the playlist is empty
    (`empty_playlists`, or `items_total = 0` at that snapshot) or the state's snapshot is no longer Spotify's
    (`current_snapshots`, playlist id -> Spotify's snapshot now: the next run reads it again whatever the data).
    Artists or features the state calls known must be loaded."""
    problems: list[str] = []
    states = {"stored": stored_state(database)}
    if pipelines_dir is not None:
        local = states["local"] = local_state(pipelines_dir)
        if local.get("_version_hash") != states["stored"].get("_version_hash"):
            problems.append(f"local state v{local.get('_state_version')} is not the stored "
                            f"v{states['stored'].get('_state_version')}")  # fmt: skip
    if not any(states.values()):
        return problems
    with connect(database) as connection:
        loaded = {
            "recently_played": _first(connection, "select max(played_at) from {table}", "recently_played"),
            "saved_tracks": _first(connection, "select max(added_at) from {table}", "saved_tracks"),
        }
        raw = set(tables(connection, "spotify_raw"))
        entries = set()
        if "playlist_items" in raw:
            entries = set(connection.execute(
                "select distinct playlist_id, snapshot_id from spotify_raw.playlist_items").fetchall())  # fmt: skip
        empty: set[tuple[str, str]] = set()
        if "playlists" in raw and "items_total" in columns(connection, "spotify_raw", "playlists"):
            empty = set(connection.execute(
                "select id, snapshot_id from spotify_raw.playlists where items_total = 0").fetchall())  # fmt: skip
    for where, state in states.items():
        resources = _resources(state)
        cursors = {
            "recently_played": resources.get("recently_played", {}).get("incremental", {}).get("played_at", {})
            .get("last_value"),
            "saved_tracks": resources.get("saved_tracks", {}).get("newest_added_at"),  # the likes' own state
        }
        for resource, value in cursors.items():
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if value is not None and (loaded[resource] is None or value > loaded[resource]):
                problems.append(f"{where} {resource} cursor {value} is ahead of the newest loaded {loaded[resource]}")
        for playlist, snapshot_id in resources.get("playlist_items", {}).get("snapshots", {}).items():
            stale = current_snapshots is not None and current_snapshots.get(playlist) != snapshot_id
            if (playlist, snapshot_id) in entries or (playlist, snapshot_id) in empty or stale:
                continue
            if playlist not in empty_playlists:
                problems.append(f"{where} state marks playlist {playlist} read at {snapshot_id}; no entries loaded")
    return problems
