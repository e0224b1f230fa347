"""Long rate limits: a `Retry-After` above the cap (`max_retry_after_seconds`) or `QUOTA_EXCEEDED` stops the run.

Each scenario is `python pipeline.py run` (in-process, the emulator configured through env vars as secrets.toml
would): a clean first run, `change_the_library` (new plays, likes, an edited playlist: the second run has work
to do), then a run that meets the long rate limit. It must stop at it rather than wait it out (the emulator counts
the long `Retry-After`s it sent: at most one per request in flight), with exit code 4 and a message saying when to
run again; the warehouse must be as the first run left it (nothing of the stopped run
loaded, nothing lost) and dlt's state not ahead of the data (`state_problems`, and unchanged from after the first
run). With the faults cleared, the next run completes, and its raw and final tables (`dbt build`) equal those of
the clean sequence of the same seed (first run, the same change, second run). What is compared, and which columns
are left out (load times and ids only), is said in `disturbed_runs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator import EmulatorServer, ManualClock
from tests.reliability.disturbed_runs import (
    EXIT_OK,
    EXIT_RATE_LIMITED,
    RUN_AGAIN,
    api_requests,
    change_the_library,
    clean_sequence,
    new_warehouse,
)
from tests.reliability.warehouse_state import compare, local_state

pytestmark = pytest.mark.reliability

CAP = 3
"""`max_retry_after_seconds` of these runs: small, so that waiting up to it is visible and cheap."""
IN_FLIGHT = 4
"""The source's default `max_concurrency`: how many requests can meet the long limit before the run stops."""


@dataclass(frozen=True)
class Scenario:
    name: str
    tier: str
    faults: dict[str, Any]
    retry_after: int
    """The wait the emulator asks for at the stop (a rolling window: what is left of it, all of it while the
    emulator's clock stands still)."""
    quota: bool = False
    short_retry_after: int = 0
    """Retry-After of the short 429s (within the cap) the run waits out before the long one."""


SCENARIOS = [
    Scenario(
        # 429s asking for 1 s are waited out; then the 40-s window is used up and the 11th request is told to wait
        # the rest of it, above the cap: the run stops mid-run.
        "short-waits-then-retry-after-above-cap",
        "extended",
        {"rate_429": 0.3, "retry_after": 1, "rolling_limit": 10, "rolling_window_seconds": 40.0, "seed": 11},
        40,
        short_retry_after=1,
    ),
    Scenario(
        # Spotify's rolling 30-s window: 5 requests go through, the 6th is told to wait out the window.
        "rolling-30s-window-above-cap",
        "development",
        {"rolling_limit": 5, "rolling_window_seconds": 30.0, "seed": 12},
        30,
    ),
    Scenario(
        "quota-exceeded",
        "extended",
        {"quota_exceeded": True, "quota_retry_after": 86_400, "seed": 13},
        86_400,
        quota=True,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_long_rate_limit_stops_cleanly_and_the_next_run_completes(
    scenario: Scenario, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    clean = clean_sequence(1, scenario.tier, tmp_path_factory.getbasetemp() / "clean-sequences")
    # A clock that stands still: the rolling window's Retry-After is exactly what is left of it, on any machine.
    with EmulatorServer(profile="small", seed=1, mode=scenario.tier, clock=ManualClock()) as server:
        warehouse = new_warehouse(
            server, tmp_path / "w", tmp_path_factory.getbasetemp() / "clean-sequences" / "dbt",
            max_retry_after_seconds=CAP,
        )  # fmt: skip
        first = warehouse.run("--no-transform")
        assert first.code == EXIT_OK, str(first)
        before, state_before = warehouse.raw(), local_state(warehouse.pipelines_dir)
        assert not compare(clean.after_first, before), "the first run is the clean sequence's first run"

        change_the_library(server)
        server.control("POST", "faults", scenario.faults)
        server.control("POST", "stats/reset")
        stopped = warehouse.run("--no-transform")
        answered = api_requests(server)
        asked_for = server.control("GET", "stats")["retry_after"]

        assert stopped.code == EXIT_RATE_LIMITED, str(stopped)
        long_limits = sum(count for wait, count in asked_for.items() if int(wait) > CAP)
        assert 1 <= long_limits <= IN_FLIGHT, f"the run stopped at the long limit, not after: {asked_for}\n{stopped}"
        message = stopped.stderr
        assert re.search(RUN_AGAIN, message), f"the message says when to run again\n{stopped}"
        asked = re.search(r"asked to wait (\d+) s, more than the (\d+) s cap", message)
        assert asked, message
        assert int(asked[1]) == scenario.retry_after and int(asked[2]) == CAP, message
        assert "what was loaded is kept" in message, message
        assert ("(quota exceeded)" in message) == scenario.quota, message
        assert "Traceback" not in stopped.stdout + stopped.stderr
        if scenario.quota:
            assert answered == {"429": 1}, f"the first answer stopped the run: {answered}"
        else:
            assert answered.get("200", 0) >= 5, f"the stop came mid-run, after answers: {answered}"
        if scenario.short_retry_after:
            assert answered.get("429", 0) >= 2, f"short limits were waited out before the stop: {answered}"

        difference = compare(before, warehouse.raw())
        assert not difference, f"the stopped run changed the warehouse: {difference}"
        assert warehouse.problems() == []
        after = local_state(warehouse.pipelines_dir)
        assert after.get("_version_hash") == state_before.get("_version_hash"), "the stopped run moved no state"

        server.control("POST", "faults", {"rate_429": 0.0, "rolling_limit": None, "quota_exceeded": False})
        clean.assert_completed_like(warehouse)
