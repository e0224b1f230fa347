"""The fault matrix: runs through 429s, a rolling rate limit, 5xx, dropped connections, expiring tokens and latency,
alone and combined, in both tiers, end with exactly what a clean run of the same library lands.

Each combination is `python pipeline.py run` (in-process, `disturbed_runs.Warehouse`) against a fresh emulator with
the `small` library of one seed and tier, the combination's faults switched on with a fault seed of its own, so a
failure replays. A run that stops the way the design says to run again (exit 4, rate limited; exit 1, failures that
persisted through `max_attempts`) is run again, as a scheduler would, until it completes.

What is compared where, and why:
- raw (every combination): every data table of `spotify_raw`, child tables and the run report included, against
  the clean run's, minus only the columns a load sets (see `disturbed_runs`). The final tables are a
  deterministic function of raw (dbt reads nothing else), so equal raw tables mean equal final tables; comparing
  raw keeps each combination at a few seconds. Plus dlt's state against the data (`state_problems`: no cursor
  ahead of the loaded rows, no playlist marked read without its entries).
- final (the combination of all six kinds, in each tier, so every kind and tier; in the long mode every
  combination): `dbt build` runs after the last run and every table of schema `spotify` is compared with the
  clean run's `dbt build`, minus `extracted_at` and `source_load_id`. That checks the argument above instead of
  trusting it, where it costs a dbt build each (5-10 s; all 30 would take the whole CI budget of issue 8).

Rows lost and rows in excess (a duplicate is one row too many) are counted per combination and must be 0. The
figures (combinations, faults injected by the emulator's status counts, token refreshes, reruns, rows compared,
lost, duplicated) go to `$TMPDIR/spotify-reliability/fault_matrix.json` and one summary line on the terminal.
`pytest -m slow tests/reliability/test_fault_matrix.py` runs the long mode: every non-empty set of fault kinds
in both tiers (126 combinations), each with `dbt build`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator import EmulatorServer
from tests.reliability.disturbed_runs import (
    EXIT_OK,
    expiring_tokens,
    fault_counts,
    new_warehouse,
    token_refreshes,
)
from tests.reliability.warehouse_state import Snapshot, compare, row_count

pytestmark = pytest.mark.reliability

TIERS = ("extended", "development")
KINDS = ("429", "rolling", "5xx", "drop", "expiry", "latency")
REPORT = "spotify_raw.extraction_runs"
"""The run report: one row per completed run."""
FIGURES_PATH = Path(tempfile.gettempdir()) / "spotify-reliability" / "fault_matrix.json"


@dataclass(frozen=True)
class Combination:
    kinds: tuple[str, ...]
    tier: str
    library_seed: int
    dbt: bool = False

    @property
    def id(self) -> str:
        return f"{self.tier[:3]}-s{self.library_seed}-{'+'.join(self.kinds)}{'-dbt' if self.dbt else ''}"

    @property
    def fault_seed(self) -> int:
        """Fixed by the combination's name: the same faults on every machine and every rerun of the test."""
        return zlib.crc32(self.id.encode())

    def faults(self) -> dict[str, Any]:
        """The emulator's fault settings. Rates are high because a `small` run sends only about 25 requests, and each
        kind must fire in each combination (its first attempts' faults are fixed by the seed). Sets of three or more
        kinds get lower rates, and `source_config` more attempts, so a run still completes within a few reruns."""
        many = len(self.kinds) >= 3
        faults: dict[str, Any] = {"seed": self.fault_seed}
        if "429" in self.kinds:
            # Retry-After 1 s alone in the extended tier (the wait is real), else 0 s (the 429 is what counts).
            retry_after = 1 if self.kinds == ("429",) and self.tier == "extended" else 0
            faults |= {"rate_429": 0.15 if many else 0.25, "retry_after": retry_after}
        if "rolling" in self.kinds:
            faults |= {"rolling_limit": 8, "rolling_window_seconds": 1.0}  # Spotify's window, at 1/30 the scale
        if "5xx" in self.kinds:
            # Not lowered for larger sets: at 0.06 the development tier's rolling+5xx+latency run (about 25
            # requests, some turned away by the rolling window first) drew no 5xx at all.
            rate = 0.1
            faults |= {"rate_500": rate, "rate_502": rate, "rate_503": rate}
        if "drop" in self.kinds:
            faults |= {"rate_drop": 0.2 if many else 0.25}
        if "latency" in self.kinds:
            faults |= {"latency_ms": 20 + self.fault_seed % 41}
        return faults

    def source_config(self) -> dict[str, Any]:
        """Alone, a kind meets the default `max_attempts` (3): a request that fails 3 times ends the run with exit 1
        and the run is repeated. Combined, 5 attempts keep reruns rare (each costs seconds); with four kinds or
        more at once (rolling window, drops and expiring tokens on the same requests), 8, as a run of 5 attempts
        was seen to fail four reruns in a row once in CI."""
        backoff = {"retry_backoff_seconds": 0.05}  # the waits' length is not what is checked: 1/10 of the default
        if len(self.kinds) >= 4:
            return {"max_attempts": 8, **backoff}
        return {"max_attempts": 5, **backoff} if len(self.kinds) >= 2 else backoff


def _ci_matrix() -> list[Combination]:
    """30 combinations: each kind alone, six pairs and three larger sets, in both tiers."""
    pairs = [("429", "5xx"), ("rolling", "drop"), ("drop", "expiry"), ("5xx", "latency"), ("429", "expiry"),
             ("rolling", "latency")]  # fmt: skip
    larger = [("429", "drop", "expiry"), ("rolling", "5xx", "latency"), KINDS]
    matrix = []
    for tier in TIERS:
        matrix += [Combination((kind,), tier, 1) for kind in KINDS]
        matrix += [Combination(pair, tier, 2) for pair in pairs]
        # The set of all kinds runs with dbt: each kind is checked on the final tables in each tier.
        matrix += [Combination(kinds, tier, 1, dbt=kinds == KINDS) for kinds in larger]
    return matrix


def _long_matrix() -> list[Combination]:
    """Every non-empty set of kinds in both tiers, on a third library, each with dbt."""
    sets = [kinds for size in range(1, len(KINDS) + 1) for kinds in itertools.combinations(KINDS, size)]
    return [Combination(kinds, tier, 3, dbt=True) for tier in TIERS for kinds in sets]


CI_MATRIX = _ci_matrix()
LONG_MATRIX = _long_matrix()


@dataclass
class Clean:
    raw: Snapshot
    final: Snapshot | None


class CleanRuns:
    """Clean runs by (library seed, tier), each done once per session; with `dbt build` when asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._runs: dict[tuple[int, str, bool], Clean] = {}

    def get(self, seed: int, tier: str, dbt: bool) -> Clean:
        key = (seed, tier, dbt)
        if key not in self._runs:
            with EmulatorServer(profile="small", seed=seed, mode=tier) as server:
                warehouse = new_warehouse(server, self.root / f"clean-{seed}-{tier}-{dbt}", self.root / "dbt")
                result = warehouse.run() if dbt else warehouse.run("--no-transform")
                assert result.code == EXIT_OK, str(result)
                self._runs[key] = Clean(warehouse.raw(), warehouse.final() if dbt else None)
        return self._runs[key]


@dataclass
class Figures:
    """What the matrix did, for the issue's closing note."""

    combinations: int = 0
    with_dbt: int = 0
    runs: int = 0
    reruns: int = 0
    faults: Counter[str] | None = None
    token_refreshes: int = 0
    raw_rows_compared: int = 0
    final_rows_compared: int = 0
    rows_lost: int = 0
    rows_duplicated: int = 0
    seconds: float = 0.0
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "faults": dict(sorted((self.faults or Counter()).items()))}


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory: pytest.TempPathFactory) -> CleanRuns:
    return CleanRuns(tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """Collected by every combination; written as JSON and summed up in one line when the module is done."""
    collected = Figures(faults=Counter())
    yield collected
    if not collected.combinations:
        return
    FIGURES_PATH.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_PATH.write_text(json.dumps(collected.as_dict(), indent=2) + "\n")
    line = (
        f"fault matrix: {collected.combinations} combinations ({collected.with_dbt} with dbt build), "
        f"{collected.runs} runs ({collected.reruns} reruns), faults injected {sum(collected.faults.values())} "
        f"{dict(sorted(collected.faults.items()))}, token refreshes {collected.token_refreshes}, rows compared "
        f"{collected.raw_rows_compared} raw + {collected.final_rows_compared} final, lost {collected.rows_lost}, "
        f"duplicated {collected.rows_duplicated}, {collected.seconds:.0f} s in runs -> {FIGURES_PATH}"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(line)


def _check(combination: Combination, tmp_path: Path, clean_runs: CleanRuns, figures: Figures) -> None:
    clean = clean_runs.get(combination.library_seed, combination.tier, combination.dbt)
    with EmulatorServer(profile="small", seed=combination.library_seed, mode=combination.tier) as server:
        warehouse = new_warehouse(
            server, tmp_path / "disturbed", clean_runs.root / "dbt", **combination.source_config()
        )
        server.control("POST", "faults", combination.faults())
        server.control("POST", "stats/reset")
        expiry = expiring_tokens(server) if "expiry" in combination.kinds else contextlib.nullcontext()
        with expiry:
            results = warehouse.run_until_done(*(() if combination.dbt else ("--no-transform",)))
        injected, refreshes = fault_counts(server), token_refreshes(server)

    history = "\n\n".join(str(result) for result in results)
    assert results[-1].code == EXIT_OK, f"{combination.id} did not complete:\n{history}"
    _assert_faults_were_injected(combination, injected, refreshes, history)

    raw, reference = warehouse.raw(), clean.raw
    if len(results) > 1:
        # A run cut after its facts stage loaded is completed by the rerun, whose report row counts only what the
        # rerun read (no new likes, no complete read of the list): that row must exist once, not equal the clean one.
        reports = raw.pop(REPORT, [])
        assert len(reports) == 1, f"{combination.id}: {len(reports)} run reports for one completed run\n{history}"
        reference = {table: rows for table, rows in reference.items() if table != REPORT}
    difference = compare(reference, raw)
    figures.combinations += 1
    figures.runs += len(results)
    figures.reruns += len(results) - 1
    figures.faults.update(injected)  # type: ignore[union-attr]
    figures.token_refreshes += refreshes
    figures.raw_rows_compared += row_count(raw)
    figures.rows_lost += difference.rows_lost
    figures.rows_duplicated += difference.rows_duplicated
    figures.seconds += sum(result.seconds for result in results)
    figures.details.append(
        {
            "id": combination.id,
            "exit_codes": [result.code for result in results],
            "faults": injected,
            "refreshes": refreshes,
            "seconds": round(sum(result.seconds for result in results), 1),
            "lost": difference.rows_lost,
            "duplicated": difference.rows_duplicated,
        }
    )
    assert not difference, f"{combination.id}: raw tables differ from the clean run: {difference}\n{history}"
    assert warehouse.problems() == []

    if combination.dbt:
        assert clean.final, "the clean run built the final tables"
        final = warehouse.final()
        final_difference = compare(clean.final, final)
        figures.with_dbt += 1
        figures.final_rows_compared += row_count(final)
        figures.rows_lost += final_difference.rows_lost
        figures.rows_duplicated += final_difference.rows_duplicated
        assert set(final) == set(clean.final) and len(final) >= 10, sorted(final)
        assert not final_difference, f"{combination.id}: final tables differ: {final_difference}\n{history}"


def _assert_faults_were_injected(
    combination: Combination, injected: dict[str, int], refreshes: int, history: str
) -> None:
    """A combination whose faults never fired proves nothing: each kind must have left its trace."""
    expected = {
        "429": injected.get("429", 0),
        "rolling": injected.get("429", 0),
        "5xx": sum(injected.get(status, 0) for status in ("500", "502", "503")),
        "drop": injected.get("dropped", 0),
        "expiry": injected.get("401", 0),
    }
    silent = [kind for kind in combination.kinds if kind in expected and expected[kind] <= 0]
    assert not silent, f"{combination.id}: no {silent} injected (faults {injected}, refreshes {refreshes})\n{history}"


@pytest.mark.parametrize("combination", CI_MATRIX, ids=[c.id for c in CI_MATRIX])
def test_disturbed_run_ends_like_the_clean_run(
    combination: Combination, tmp_path: Path, clean_runs: CleanRuns, figures: Figures
) -> None:
    _check(combination, tmp_path, clean_runs, figures)


@pytest.mark.slow
@pytest.mark.parametrize("combination", LONG_MATRIX, ids=[c.id for c in LONG_MATRIX])
def test_long_matrix(combination: Combination, tmp_path: Path, clean_runs: CleanRuns, figures: Figures) -> None:
    _check(combination, tmp_path, clean_runs, figures)


def test_the_ci_matrix_covers_every_kind_in_both_tiers_with_and_without_dbt() -> None:
    """The matrix itself: 30 or more combinations; each kind alone in each tier; each kind under dbt per tier."""
    assert len(CI_MATRIX) >= 30 and len({c.id for c in CI_MATRIX}) == len(CI_MATRIX)
    for tier in TIERS:
        alone = {c.kinds[0] for c in CI_MATRIX if c.tier == tier and len(c.kinds) == 1}
        under_dbt = {kind for c in CI_MATRIX if c.tier == tier and c.dbt for kind in c.kinds}
        assert alone == set(KINDS) and under_dbt == set(KINDS), (tier, alone, under_dbt)


def test_a_connection_that_never_answers_ends_with_exit_1_and_a_message(tmp_path: Path) -> None:
    """Every attempt dropped: the run gives up after `max_attempts` with a message, not a traceback, loads nothing,
    and the next run (network back) completes. Before this was handled, dlt's exception escaped `main`."""
    with EmulatorServer(profile="small", seed=1) as server:
        warehouse = new_warehouse(server, tmp_path / "w", tmp_path / "dbt")
        server.control("POST", "faults", {"rate_drop": 1.0})
        failed = warehouse.run("--no-transform")
        assert failed.code == 1, str(failed)
        assert "Spotify did not answer" in failed.stderr and "in 3 attempts" in failed.stderr, str(failed)
        assert "run again later" in failed.stderr and "Traceback" not in failed.stdout + failed.stderr
        assert fault_counts(server) == {"dropped": 3}, "three attempts of the first request, then the stop"
        assert not warehouse.database.exists() or not warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'spotify_raw' "
            "and table_name = 'users'"
        ), "nothing of the failed run was loaded"
        server.control("POST", "faults", {"rate_drop": 0.0})
        assert warehouse.run("--no-transform").code == EXIT_OK
        assert warehouse.problems() == []
