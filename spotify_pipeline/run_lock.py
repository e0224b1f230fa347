"""One pipeline at a time: an OS file lock beside the warehouse, so cron or a CI scheduler can start runs blindly.

Two runs writing at once would race on dlt's state, on the DuckDB file (DuckDB lets one process write) and on the
rotating refresh token. The second one therefore leaves at once, before it touches anything.

Why `fcntl.flock` on `<warehouse>.lock`: the kernel releases the lock when its holder exits, however it exits
(crash, `kill -9`, reboot), so there are no stale locks to clean up, and no pid file to second-guess. The file is
never deleted (deleting a lock file races with a process about to lock it); it holds the holder's pid, command and
start time, for the message the second run prints. Unix only (Linux, macOS), as `fcntl` is.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from spotify_source.errors import UserError

EXIT_LOCKED = 75
"""sysexits' EX_TEMPFAIL: another run is in progress; nothing was done, try again later."""


class LockHeld(UserError):
    """Another pipeline process holds the lock: this one did nothing and exits with EXIT_LOCKED."""

    exit_code = EXIT_LOCKED

    def __init__(self, path: Path, holder: dict[str, object]) -> None:
        self.holder = holder
        since = holder.get("since", "an unknown time")
        pid = holder.get("pid", "unknown")
        command = f" (`{holder['command']}`)" if holder.get("command") else ""
        super().__init__(
            f"another pipeline run holds the lock since {since}, pid {pid}{command}; this one exits without "
            f"touching the warehouse. Run again when it has finished (lock file: {path})."
        )


def lock_path_for(warehouse: Path) -> Path:
    """`<warehouse>.lock` beside the DuckDB file (its folder is the project's data folder for BigQuery runs too)."""
    return warehouse.with_name(f"{warehouse.name}.lock")


def _holder(descriptor: int) -> dict[str, object]:
    try:
        content = os.pread(descriptor, 4096, 0).decode("utf-8", "replace")
        holder = json.loads(content) if content.strip() else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


@contextmanager
def run_lock(path: Path, command: str) -> Iterator[None]:
    """Hold the lock for the block; raise LockHeld at once (no waiting) when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(path, _holder(descriptor)) from None
        record = {
            "pid": os.getpid(),
            "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "command": command,
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(record).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)  # still ours: the next holder writes its own record
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
