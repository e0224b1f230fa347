"""The pipeline killed (SIGKILL) mid-run, then run again, ends exactly where a run that was never killed ends.

Each scenario copies a warehouse (and dlt's folder) from a template, runs `python pipeline.py run` against the
emulator in a subprocess that kills itself at a chosen point (tests/reliability/crash_harness.py patches the real
libraries from outside; production code has no hooks), checks what the crash left, runs again to the end, and
compares with the clean run of the same seed and the same library changes:

- the final tables (every table of spotify_raw, and the dbt marts where dbt ran) hold the same rows, as multisets
  (a duplicate is a difference). Left out of the comparison, as they differ between any two runs: `extracted_at`,
  dlt's `_dlt_load_id`/`_dlt_id`/`_dlt_parent_id` (and listening_history's `source_load_id`, a dlt load id),
  dlt's bookkeeping tables, and the run log `extraction_runs` (the crashed sequence made one run more), which is
  checked for rows loaded twice instead;
- every play of the emulator's ground truth that the API still served is in recently_played exactly once;
- right after the crash, the state dlt stored in the warehouse is never ahead of the data stored there (the
  recently_played cursor, the playlists' snapshot ids).

Two families: a crash during the very first run (empty warehouse), and a crash during a later run after the library
moved on (new plays, an edited playlist, new liked songs). The data export import gets the same treatment in
test_export_crashes.py. The long mode (`slow`) kills at many more points.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator import EmulatorServer
from tests.reliability import crash_harness as harness
from tests.reliability import warehouse_state as ws

pytestmark = pytest.mark.reliability

SEED = 7
NEW_PLAYS = 20
MARTS = ("spotify_raw", "spotify")


@dataclass
class Family:
    """An emulator in a fixed state, the template warehouse scenarios start from, and the clean result."""

    server: EmulatorServer
    template: Path
    reference: ws.Snapshot
    expected_plays: list[int]
    """played_at (unix ms) of every play the warehouse must hold once, from the ground truth."""
    empty_playlists: frozenset[str]

    def scenario(self, workdir: Path) -> dict[str, str]:
        """A copy of the template in `workdir` and the env of a run there, with a login of its own."""
        return harness.scenario_env(self.server, self.template, workdir)


def _truth_facts(server: EmulatorServer, newest: int) -> tuple[list[int], frozenset[str]]:
    """The plays the warehouse must hold (the `newest` last ones) and the playlists with no entries."""
    truth = server.control("GET", "ground-truth")
    plays = sorted(p["played_at_ms"] for p in truth["plays"])
    empty = frozenset(p["id"] for p in truth["playlists"] if not p["entries"])
    return plays[-newest:], empty


def _clean_run(env: dict[str, str], *args: str) -> None:
    result = harness.run(["run", *args], env)
    assert result.returncode == 0, harness.described(result)


@pytest.fixture(scope="module")
def families(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Family]]:
    """`first`: an empty warehouse, the clean first run as reference. `later`: the first run's warehouse (dbt built),
    then NEW_PLAYS plays, a playlist edit and three likes; the clean second run (with dbt) as reference."""
    root = tmp_path_factory.mktemp("crashes")
    first_server = EmulatorServer(seed=SEED, profile="small").start()
    later_server = EmulatorServer(seed=SEED, profile="small").start()
    try:
        empty = root / "empty-template"  # never created: scenarios start from nothing
        first = Family(first_server, empty, {}, *_truth_facts(first_server, 50))
        template = root / "after-first-run"
        _clean_run(first.scenario(template))
        first.reference = ws.snapshot(template / "warehouse.duckdb", MARTS)

        later_server.control("POST", "plays", {"count": NEW_PLAYS})
        later_server.control("POST", "playlists/edit", {"add": 3, "remove": 2})
        later_server.control("POST", "saved-tracks", {"count": 3})
        later = Family(later_server, template, {}, *_truth_facts(later_server, 50 + NEW_PLAYS))
        reference = root / "later-reference"
        _clean_run(later.scenario(reference))
        later.reference = ws.snapshot(reference / "warehouse.duckdb", MARTS)
        yield {"first": first, "later": later}
    finally:
        first_server.stop()
        later_server.stop()


def crash_and_rerun(family: Family, workdir: Path, at: str, transform: bool, lose_local: bool = False) -> None:
    """The scenario: crash at `at`, check what the crash left, run again, compare with the clean run.

    `lose_local`: dlt's working folder is gone before the rerun, as on a CI runner that starts fresh each time: the
    rerun starts from the state stored in the warehouse, and pending packages of the killed run are lost."""
    env = family.scenario(workdir)
    env["CRASH_REACHED"] = str(workdir / "crash-reached")
    args = ["run"] if transform else ["run", "--no-transform"]
    database = workdir / "warehouse.duckdb"
    day = datetime.now(UTC).strftime("%Y-%m-%d")

    crashed = harness.run(args, env, crash_at=at)
    assert crashed.returncode == -9, f"the run was not killed at {at}: {harness.described(crashed)}"
    assert (workdir / "crash-reached").exists()
    if database.exists():
        current = {p["id"]: p["snapshot_id"] for p in family.server.control("GET", "ground-truth")["playlists"]}
        problems = ws.state_problems(database, empty_playlists=family.empty_playlists, current_snapshots=current)
        assert problems == [], f"after the kill at {at}"
    if lose_local:
        shutil.rmtree(workdir / "pipelines")

    again = harness.run(args, env)
    assert again.returncode == 0, harness.described(again)
    if datetime.now(UTC).strftime("%Y-%m-%d") != day:
        pytest.skip("the run crossed midnight UTC: top lists are keyed by day, the reference is of another day")

    schemas = MARTS if transform else ("spotify_raw",)
    after = ws.snapshot(database, schemas)
    expected = {name: rows for name, rows in family.reference.items() if name.split(".")[0] in schemas}
    difference = ws.compare(expected, after)
    assert not difference, f"differ from the clean run after a kill at {at}: {difference}"
    assert ws.duplicate_run_rows(database) == {"extraction_runs": 0}
    assert ws.state_problems(database, empty_playlists=family.empty_playlists) == []
    assert_every_play_once(database, family.expected_plays, transform)


def assert_every_play_once(database: Path, expected: list[int], transform: bool) -> None:
    """Every play the API served is there once: by played_at in raw, and in the marts when dbt ran."""
    tables = [("spotify_raw", "recently_played")]
    if transform:
        tables += [("spotify", "recently_played"), ("spotify", "listening_history")]
    with ws.connect(database) as connection:
        for schema, name in tables:
            table = ws.qualified(connection, schema, name)
            counts = dict(connection.execute(
                f"select epoch_ms(played_at), count(*) from {table} group by 1"
            ).fetchall())  # fmt: skip
            lost = [ms for ms in expected if ms not in counts]
            doubled = {ms: n for ms, n in counts.items() if n > 1}
            assert (lost, doubled) == ([], {}), f"{table}: {len(lost)} plays lost, {len(doubled)} duplicated"


def point(family: str, at: str, *, transform: bool = False, lose_local: bool = False) -> Any:
    suffix = ("-dbt" if transform else "") + ("-fresh-runner" if lose_local else "")
    return pytest.param(family, at, transform, lose_local, id=f"{family}-{at}{suffix}")


# Kill points run in CI: one or more per stage (extraction, normalisation, loading, dbt), on both families.
# A run loads in two stages (facts, then enrichment: spotify_source.load_stages), each extracted, normalised and
# loaded; the points below land in the first stage, load_job:12 in whichever stage reaches its 12th job.
CI_POINTS = [
    point("first", "request:1"),  # only the token refresh and /me answered
    point("first", "load_job:4"),  # the first load: some tables created and filled, others not
    point("later", "request:8"),  # mid-extraction
    point("later", "extracted"),
    point("later", "normalize_file:3"),
    point("later", "load_job:12"),  # some merges of the fact tables committed, the load not recorded
    point("later", "load_job:12", lose_local=True),  # the same on a runner that keeps no dlt folder between runs
    point("later", "dbt_node:60", transform=True),  # mid-dbt: some marts rebuilt and tested, others not yet
]
PARAMETERS = ("family", "at", "transform", "lose_local")


@pytest.mark.parametrize(PARAMETERS, CI_POINTS)
def test_killed_run_then_rerun_equals_the_clean_run(
    families: dict[str, Family], tmp_path: Path, family: str, at: str, transform: bool, lose_local: bool
) -> None:
    crash_and_rerun(families[family], tmp_path / "run", at, transform, lose_local)


SLOW_POINTS = [
    *[point("first", f"request:{n}") for n in (2, 5, 12, 17)],
    *[point("first", f"normalize_file:{n}") for n in (1, 6, 12)],
    *[point("first", f"load_job:{n}") for n in (1, 2, 8, 14, 20, 25)],
    *[point("first", f"load_job:{n}", lose_local=True) for n in (8, 20)],
    *[point("later", f"request:{n}") for n in (1, 3, 10)],
    point("later", "normalized"),
    *[point("later", f"normalize_file:{n}") for n in (1, 6, 10)],
    *[point("later", f"load_job:{n}") for n in (1, 2, 4, 6, 8, 10, 14, 16, 18, 21)],
    *[point("later", f"load_job:{n}", lose_local=True) for n in (4, 16, 21)],
    *[point("later", f"dbt_node:{n}", transform=True) for n in (1, 10, 100, 140)],
]


@pytest.mark.slow
@pytest.mark.parametrize(PARAMETERS, SLOW_POINTS)
def test_killed_run_then_rerun_equals_the_clean_run_long(
    families: dict[str, Family], tmp_path: Path, family: str, at: str, transform: bool, lose_local: bool
) -> None:
    crash_and_rerun(families[family], tmp_path / "run", at, transform, lose_local)
