"""Two things at once: a second pipeline while one runs, and the dashboard reading while the pipeline loads.

A run is held at a known moment by tests/reliability/crash_harness.py (`CRASH_ACTION=pause`: it waits inside the
real run, holding the run lock and, mid-load, the DuckDB file) while the test does the other thing, then released.
Judged by exit codes, the bytes of the warehouse and dlt's files (the second pipeline must not touch them), and the
tables after the released run (equal to before, as the library did not change: a second run adds only its row to
the run log `extraction_runs`, left out of the comparison with the columns listed in warehouse_state).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard.warehouse import DuckDBWarehouse, WarehouseBusy
from spotify_emulator import EmulatorServer
from tests.reliability import crash_harness as harness
from tests.reliability import warehouse_state as ws

pytestmark = pytest.mark.reliability


@dataclass
class Loaded:
    server: EmulatorServer
    workdir: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.workdir / "warehouse.duckdb"


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[Loaded]:
    """An emulator and a warehouse after one clean run (raw data only; the dashboard test reads raw tables)."""
    server = EmulatorServer(seed=3, profile="small").start()
    try:
        env = harness.scenario_env(server, tmp_path / "no-template", tmp_path)
        first = harness.run(["run", "--no-transform"], env)
        assert first.returncode == 0, harness.described(first)
        yield Loaded(server, tmp_path, env)
    finally:
        server.stop()


def paused_run(loaded: Loaded, at: str) -> tuple[Any, Path]:
    """Start `run --no-transform` and wait until it stands at `at`; returns the process and its release file."""
    reached, release = loaded.workdir / "reached", loaded.workdir / "release"
    process = harness.start(
        ["run", "--no-transform"],
        {**loaded.env, "CRASH_AT": at, "CRASH_ACTION": "pause", "CRASH_REACHED": str(reached),
         "CRASH_RELEASE": str(release)},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not reached.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"the run never reached {at}: exit {process.returncode}\n{out}\n{err}")
        time.sleep(0.05)
    return process, release


def finish(process: Any, release: Path) -> None:
    release.touch()
    out, err = process.communicate(timeout=harness.SUBPROCESS_TIMEOUT)
    assert process.returncode == 0, f"the held run failed: exit {process.returncode}\n{out}\n{err}"


def fingerprints(workdir: Path) -> dict[str, str]:
    """sha256 of every file the pipeline writes: the warehouse (and its WAL), dlt's folder, the token cache."""
    files = [p for p in workdir.rglob("*") if p.is_file() and p.name not in ("reached", "release")]
    return {str(p.relative_to(workdir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


@pytest.mark.parametrize("at", ["request:3", "normalized"], ids=["while-extracting", "before-loading"])
def test_a_second_run_exits_75_without_touching_anything(loaded: Loaded, at: str) -> None:
    """Held where the first run writes nothing meanwhile (mid-load its other load threads go on writing), so any
    change to a file between the two fingerprints is the second run's."""
    before = ws.snapshot(loaded.database)
    process, release = paused_run(loaded, at)
    try:
        files = fingerprints(loaded.workdir)
        second = harness.run(["run", "--no-transform"], loaded.env)
        assert second.returncode == 75, harness.described(second)
        assert "another pipeline run holds the lock" in second.stderr, harness.described(second)
        assert f"pid {process.pid}" in second.stderr, "the message names the run holding the lock"
        assert "Traceback" not in second.stdout + second.stderr
        assert fingerprints(loaded.workdir) == files, "the second run changed a file"
    finally:
        finish(process, release)
    assert ws.snapshot(loaded.database) == before, "the held run, once released, did not end as a clean one"
    assert ws.duplicate_run_rows(loaded.database) == {"extraction_runs": 0}


def test_the_dashboard_reads_or_says_busy_while_the_pipeline_loads(loaded: Loaded) -> None:
    """Mid-load dlt holds the file for writing: the dashboard's data layer answers or raises WarehouseBusy (the page
    shows "reload in a minute"), nothing else; and its reads never disturb the run."""
    warehouse = DuckDBWarehouse(loaded.database)
    sql = "select count(*) as plays from warehouse.spotify_raw.recently_played"
    assert int(warehouse.run(sql, {})["plays"][0]) == 50
    before = ws.snapshot(loaded.database)
    process, release = paused_run(loaded, "load_job:3")
    outcomes: list[str] = []
    try:
        for _ in range(5):
            try:
                frame = warehouse.run(sql, {})
            except WarehouseBusy as busy:
                assert "reload" in busy.hint.lower()
                outcomes.append("busy")
            else:
                assert isinstance(frame, pd.DataFrame) and int(frame["plays"][0]) == 50
                outcomes.append("read")
        release.touch()
        while process.poll() is None:  # keep reading while the run finishes: it must not fail for it
            with contextlib.suppress(WarehouseBusy):
                warehouse.run(sql, {})
            time.sleep(0.01)
    finally:
        finish(process, release)
    assert outcomes, "the dashboard was never asked"
    assert int(warehouse.run(sql, {})["plays"][0]) == 50
    assert ws.snapshot(loaded.database) == before
