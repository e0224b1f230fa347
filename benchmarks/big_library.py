"""A first run of a 10,000-song library (the `library-10k` profile: 10,000 liked songs, 100 playlists) in the
development tier, with every API request answered 100 ms late.

The bound is what the fewest requests such a run can make (tests/expectations.py, from the emulator's ground
truth and `.dlt/config.toml`'s limits) take when `max_concurrency` of them are always in flight: ⌈requests ÷ 4⌉
× 100 ms. The measured figure is the extract step's wall time, both load stages summed; target ≤ 1.2× the bound.
What is in neither: the CPU time of making rows (shown by the same run without latency) and the chain of requests
that must wait for others (`/me` → the playlist list → its entries; the facts' load → the enrichment).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from benchmarks.pipeline_run import configured_limits, run_pipeline
from benchmarks.request_counts import api_requests
from benchmarks.rows import Row
from spotify_emulator import EmulatorServer
from tests.expectations import expected, minimum_requests

TARGET = 1.2
MODE = "development"


def run(quick: bool) -> list[Row]:
    profile, latency_ms = ("small", 50) if quick else ("library-10k", 100)
    limits = configured_limits()
    in_flight = limits["max_concurrency"] or 4
    with EmulatorServer(profile=profile, seed=1, mode=MODE) as server, tempfile.TemporaryDirectory() as scratch:
        truth = server.control("GET", "ground-truth")
        fewest = sum(minimum_requests(expected(truth, True, limits), True, limits).values())
        server.control("POST", "faults", {"latency_ms": latency_ms})
        server.control("POST", "stats/reset")
        slow = run_pipeline(server, Path(scratch) / "slow", server.login()["refresh_token"])
        sent = sum(api_requests(server).values())
        peak = server.control("GET", "stats")["max_in_flight"]
        server.control("POST", "faults", {"latency_ms": 0})
        fast = run_pipeline(server, Path(scratch) / "fast", server.login()["refresh_token"])
    bound = math.ceil(fewest / in_flight) * latency_ms / 1000
    label = f"{profile} ({len(truth['saved_tracks']):,} liked songs, {len(truth['playlists']):,} playlists), {MODE}"
    return [
        Row("library", f"{label}: requests of a first run", sent, fewest, target_op="=", target_value=1,
            bound_label="minimum"),
        Row("library", f"{label}, {latency_ms} ms: extract step vs the minimum requests at {in_flight} in flight",
            slow["seconds"]["extract"], bound, unit="s", target_op="<=", target_value=TARGET,
            bound_label=f"⌈{fewest} ÷ {in_flight}⌉ × {latency_ms} ms", note=f"peak {peak} in flight"),
        Row("library", f"{label}: extract step without latency", fast["seconds"]["extract"], bound, unit="s",
            bound_label="the same bound", note="the CPU part of the extract: making rows, dlt's extract"),
    ]  # fmt: skip
