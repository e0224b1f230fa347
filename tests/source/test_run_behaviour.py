"""How a run behaves beyond what it lands: concurrency within its limit, and gaps in the listening history."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from spotify_emulator import EmulatorServer
from tests.source.pipeline_harness import make_harness


def test_requests_in_flight_never_exceed_max_concurrency(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="reference", seed=1)
    server.control("POST", "faults", {"latency_ms": 60})
    harness = make_harness(server, tmp_path)
    server.control("POST", "stats/reset")
    harness.run(max_concurrency=3)
    peak = server.control("GET", "stats")["max_in_flight"]
    assert 2 <= peak <= 3, f"independent requests should overlap, at most 3 at once; peak was {peak}"


def test_a_gap_in_recently_played_is_recorded(start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    """More than 50 plays between runs: Spotify no longer shows some of them, and the run says so."""
    server = start_emulator(profile="small", seed=2)
    harness = make_harness(server, tmp_path)
    harness.run()
    (cursor_ms,) = harness.query("select max(epoch_ms(played_at)) from spotify_raw.recently_played")[0]
    added = server.control("POST", "plays", {"count": 70})["added"]
    harness.run()
    rows = harness.query("select gaps, notes from spotify_raw.extraction_runs order by run_started_at")
    first_gaps, second_gaps = (json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows)
    assert first_gaps == []
    assert len(second_gaps) == 1
    assert "may be lost" in " ".join(json.loads(rows[1][1]) if isinstance(rows[1][1], str) else rows[1][1])
    newer = harness.query(f"select count(*) from spotify_raw.recently_played where epoch_ms(played_at) > {cursor_ms}")
    assert newer[0][0] == 50, "only the last 50 of the 70 new plays can be read"
    assert len(added) == 70


def test_no_gap_when_fewer_than_50_new_plays(start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = start_emulator(profile="small", seed=2)
    harness = make_harness(server, tmp_path)
    harness.run()
    server.control("POST", "plays", {"count": 49})
    harness.run()
    rows = harness.query("select gaps from spotify_raw.extraction_runs order by run_started_at")
    assert all((json.loads(r[0]) if isinstance(r[0], str) else r[0]) == [] for r in rows)
