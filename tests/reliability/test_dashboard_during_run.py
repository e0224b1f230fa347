"""The dashboard and the pipeline on one DuckDB file: a dashboard query never fails a run, a run never crashes a page.

DuckDB lets a process write the file only while no other process has it open, and the dashboard opens it read-only
for each query. Before warehouse_access.py, a query that happened to hold the file as the pipeline opened
it failed the run ("Could not set lock on file ... Conflicting lock is held"). Here a run of `python pipeline.py`
(through tests/reliability/crash_harness.py, which pauses it at known moments, so the overlap is certain, not
lucky) meets:

- a reader holding the file for a second just as the run opens it, at the start (dlt's state) and at the dbt
  step: the run says it waits, then completes;
- the Overview and Listening pages rendered again and again (Streamlit's AppTest, results cache cleared so each
  render reads the file) before, during and after the load: each shows the data or the "pipeline is writing"
  message, never an exception or an error.

Each run's final tables equal the clean run's (the same library: a second run changes nothing), compared as in
test_crashes.py: every table of spotify_raw and spotify as multisets, without the columns listed in
warehouse_state.VARYING and the run log extraction_runs (one row per run; checked for rows loaded twice).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from spotify_emulator import EmulatorServer
from tests.reliability import crash_harness as harness
from tests.reliability import warehouse_state as ws

pytestmark = pytest.mark.reliability

APP = harness.ROOT / "dashboard" / "app.py"
PAGES = {"Overview": None, "Listening": "app_pages/listening.py"}
SCHEMAS = ("spotify_raw", "spotify")
HOLD_SECONDS = 1.0
WAITING = "the warehouse is open in another process"


@dataclass
class Clean:
    server: EmulatorServer
    template: Path
    reference: ws.Snapshot

    def scenario(self, workdir: Path) -> dict[str, str]:
        """A copy of the template in `workdir` (nothing before the template exists) and the env of a run there."""
        return harness.scenario_env(self.server, self.template, workdir)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clean]:
    """A warehouse after one clean `run` (with dbt) against the emulator: the template and the reference."""
    server = EmulatorServer(seed=3, profile="small").start()
    try:
        template = tmp_path_factory.mktemp("dashboard-during-run") / "template"
        first = harness.run(["run"], Clean(server, template, {}).scenario(template))
        assert first.returncode == 0, harness.described(first)
        yield Clean(server, template, ws.snapshot(template / "warehouse.duckdb", SCHEMAS))
    finally:
        server.stop()


class PausedRun:
    """`python pipeline.py <args>` paused at each of `points` in turn (crash_harness, CRASH_ACTION=pause)."""

    def __init__(self, args: list[str], env: dict[str, str], points: list[str], workdir: Path) -> None:
        self.reached, self.release = workdir / "reached", workdir / "release"
        self.process = harness.start(
            args,
            {**env, "CRASH_AT": ",".join(points), "CRASH_ACTION": "pause", "CRASH_REACHED": str(self.reached),
             "CRASH_RELEASE": str(self.release)},
        )  # fmt: skip

    def wait_for_pause(self, point: str) -> None:
        deadline = time.monotonic() + 90
        while not self.reached.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                out, err = self.process.communicate()
                pytest.fail(f"the run never reached {point}: exit {self.process.returncode}\n{out}\n{err}")
            time.sleep(0.02)
        self.reached.unlink()  # before releasing: the next pause writes it anew

    def go_on(self) -> None:
        self.release.touch()

    def finish(self) -> tuple[str, str]:
        """Wait for the end; the run must succeed."""
        out, err = self.process.communicate(timeout=harness.SUBPROCESS_TIMEOUT)
        assert self.process.returncode == 0, f"the run failed: exit {self.process.returncode}\n{out}\n{err}"
        return out, err


def assert_equals_clean(clean: Clean, database: Path) -> None:
    difference = ws.compare(clean.reference, ws.snapshot(database, SCHEMAS))
    assert not difference, f"differ from the clean run: {difference}"
    assert ws.duplicate_run_rows(database) == {"extraction_runs": 0}


# --- 2. a reader holding the file as the run opens it ---


def test_a_reader_holding_the_file_makes_the_run_wait_not_fail(clean: Clean, tmp_path: Path) -> None:
    """Paused just before it opens the file for writing (at the start: dlt's state; and before dbt build), the run is
    released while this test holds a read-only connection for HOLD_SECONDS, as a slow dashboard query would."""
    database = tmp_path / "run" / "warehouse.duckdb"
    points = {"warehouse_write:1": "the start (dlt's state)", "warehouse_write:4": "dbt build"}
    run = PausedRun(["run"], clean.scenario(tmp_path / "run"), list(points), tmp_path)
    try:
        for point in points:
            run.wait_for_pause(point)
            reader = duckdb.connect(str(database), read_only=True)
            try:
                run.go_on()
                time.sleep(HOLD_SECONDS)
                assert run.process.poll() is None, f"the run ended while the reader held the file at {points[point]}"
            finally:
                reader.close()
    finally:
        run.go_on()
        out, err = run.finish()
    assert out.count(WAITING) == len(points), f"the run did not say it waited, once per hold:\n{out}"
    assert "Traceback" not in out + err
    assert_equals_clean(clean, database)


# --- 3. pages rendered while the run loads ---


def render(title: str) -> str:
    """One fresh visit of a page: "data" or "busy"; anything else fails the test."""
    st.cache_data.clear()  # a cached result would not touch the file: every render must read it
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    if PAGES[title]:
        app.switch_page(PAGES[title]).run()
    assert not app.exception, f"{title}: {[item.value for item in app.exception]}"
    assert not app.error, f"{title}: {[item.value for item in app.error]}"
    if any("writing to the warehouse" in item.value for item in app.warning):
        return "busy"
    assert [item.value for item in app.title] == [title]
    plays = {item.label: item.value for item in app.metric}.get("Plays", "0")
    assert int(plays.replace(",", "")) > 0, f"{title} shows no plays: {plays}"
    return "data"


def render_both() -> list[str]:
    return [render(title) for title in PAGES]


def test_pages_show_data_or_busy_while_the_run_loads(
    clean: Clean, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "run" / "warehouse.duckdb"
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(database))
    monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
    run = PausedRun(["run", "--no-transform"], clean.scenario(tmp_path / "run"), ["extracted", "load_job:2"], tmp_path)
    outcomes: dict[str, list[str]] = {}

    def during(phase: str, renders: Callable[[], list[str]]) -> None:
        outcomes.setdefault(phase, []).extend(renders())

    try:
        run.wait_for_pause("extracted")  # extracted from the API, the file not opened yet: the pages read it
        during("extracted", render_both)
        run.go_on()
        run.wait_for_pause("load_job:2")  # mid-load: the run holds the file
        during("loading", render_both)
        run.go_on()
        while run.process.poll() is None:  # and on while the load ends: the pages' reads must not fail the run
            during("finishing", render_both)
    finally:
        run.go_on()
        out, err = run.finish()
    assert outcomes["extracted"] == ["data", "data"], outcomes
    assert outcomes["loading"] == ["busy", "busy"], outcomes
    assert set(outcomes["finishing"]) <= {"data", "busy"}
    assert "Traceback" not in out + err
    assert_equals_clean(clean, database)
    assert render_both() == ["data", "data"]


def test_a_file_held_beyond_the_wait_ends_the_run_with_exit_75_and_who_holds_it(tmp_path: Path) -> None:
    """Not a dashboard query but a DuckDB shell left open: the wait gives up with a message, not a traceback."""
    import subprocess
    import sys

    from spotify_pipeline.warehouse_access import EXIT_LOCKED, WarehouseLocked, open_for_writing

    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
         "print('held', flush=True); time.sleep(30)", str(database)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    said: list[str] = []
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLocked) as locked:
            open_for_writing(database, timeout=0.5, say=said.append)
    finally:
        holder.kill()
        holder.wait()
    assert locked.value.exit_code == EXIT_LOCKED == 75
    assert f"PID {holder.pid}" in str(locked.value) and str(database) in str(locked.value)
    assert len(said) == 1 and WAITING in said[0]
    open_for_writing(database, timeout=5).close()  # once the holder is gone, the file opens at once
