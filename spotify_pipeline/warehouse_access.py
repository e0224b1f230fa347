"""Wait a moment for the DuckDB file when a reader has it open, instead of failing a scheduled run.

DuckDB lets one process write a file, and only while no other process has it open, not even read-only. The
dashboard (dashboard/warehouse.py) opens the file read-only for each query, for milliseconds. Before this module,
when one of those moments met the moment dlt or dbt-duckdb opened the file for writing, DuckDB answered "Could not
set lock on file ... Conflicting lock is held" and the whole run failed with a traceback: a dashboard left open on
a laptop could fail the nightly run. Readers never hold the file long, so the pipeline waits (a short backoff, up to
LOCK_WAIT_SECONDS, saying so in its output) and goes on. Something that holds the file longer (a DuckDB shell left
open) ends the run with WarehouseLocked, a message naming the holder and exit 75 ("run again later"), like the run
lock (spotify_pipeline/run_lock.py), which already keeps two pipelines apart; this is only about readers.

How: `held_for_writing` opens the file for writing first (waiting if need be) and keeps that connection for the
step. DuckDB shares one open database per file within a process when the configuration is the same (read-write, no
options: what dlt's destination and dbt-duckdb with this project's profile ask for), so their own connections reuse
it, and the file stays this process's between them: dlt opens and closes it several times in one load, each a moment
a reader could slip in. pipeline.py holds it only around the steps that touch the warehouse (reading dlt's state,
loading, the summary, dbt): during extraction, minutes against Spotify's API, the dashboard can read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from spotify_source.errors import UserError

LOCK_WAIT_SECONDS = 10.0
"""How long a run waits for readers; a dashboard query holds the file for milliseconds."""

EXIT_LOCKED = 75
"""sysexits' EX_TEMPFAIL, as the run lock's: nothing failed for good, run again later."""


class WarehouseLocked(UserError):
    """Another process kept the DuckDB file open for longer than LOCK_WAIT_SECONDS."""

    exit_code = EXIT_LOCKED

    def __init__(self, path: Path, waited: float, duckdb_said: str) -> None:
        super().__init__(
            f"another process has kept {path} open for {waited:.0f} s, so the pipeline cannot write to it "
            f"(DuckDB lets a process write only while no other one has the file open). Close it (a DuckDB shell, "
            f"a notebook) and run again. DuckDB said: {duckdb_said}"
        )


def _say(message: str) -> None:
    print(message, flush=True)


def is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB's refusal because another process holds the file (its message is the only mark of it)."""
    return "Could not set lock on file" in str(exc)


def open_for_writing(
    path: Path, *, timeout: float = LOCK_WAIT_SECONDS, say: Callable[[str], None] | None = None
) -> Any:
    """A read-write DuckDB connection to `path`, waiting while another process has the file open."""
    import duckdb

    started = time.monotonic()
    delay, told = 0.05, False
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            waited = time.monotonic() - started
            if not is_lock_conflict(exc):
                raise
            if waited + delay > timeout:
                raise WarehouseLocked(path, waited, str(exc).splitlines()[0]) from None
            if not told:
                (say or _say)(
                    f"  the warehouse is open in another process (the dashboard?); waiting up to {timeout:.0f} s ..."
                )
                told = True
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


@contextmanager
def held_for_writing(
    path: Path, *, timeout: float = LOCK_WAIT_SECONDS, say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Keep the file open for writing in this process for the block (see the module docstring for why)."""
    connection = open_for_writing(path, timeout=timeout, say=say)
    try:
        yield
    finally:
        connection.close()
