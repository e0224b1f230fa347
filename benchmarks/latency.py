"""Latency hiding: a first run against an emulator that answers every API request 100 ms late.

A sequential client pays requests × latency in waiting alone; the pipeline overlaps independent requests (pages of
a playlist, the three time ranges, id batches) up to `max_concurrency` at once. Measured: the extract step's wall
time (both load stages, summed by spotify_pipeline.loading; the step that talks to Spotify) against requests ×
latency, and the peak of requests in flight counted by the emulator against the configured limit. The same run
without latency (what the extract costs in CPU) and the whole run (normalise and load included) are shown too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.pipeline_run import configured_limits, run_pipeline
from benchmarks.request_counts import api_requests
from benchmarks.rows import Row
from spotify_emulator import EmulatorServer

TARGET = 0.30  # issue 15: ≤ 0.30 of requests × latency at max_concurrency 4


def run(quick: bool) -> list[Row]:
    profile, latency_ms = ("small", 50) if quick else ("reference", 100)
    limit = configured_limits()["max_concurrency"]
    label = f"{profile}, {latency_ms} ms"
    with EmulatorServer(profile=profile, seed=1) as server, tempfile.TemporaryDirectory() as scratch:
        refresh_token = server.login()["refresh_token"]
        server.control("POST", "faults", {"latency_ms": latency_ms})
        server.control("POST", "stats/reset")
        result = run_pipeline(server, Path(scratch) / "slow", refresh_token)
        stats = server.control("GET", "stats")
        count = sum(api_requests(server).values())
        server.control("POST", "faults", {"latency_ms": 0})
        floor = run_pipeline(server, Path(scratch) / "fast", server.login()["refresh_token"])["seconds"]["extract"]
    sequential = count * latency_ms / 1000
    extract = result["seconds"]["extract"]
    whole = sum(result["seconds"].values())
    return [
        Row("latency", f"{label}: extract step vs requests × latency", extract, sequential, unit="s",
            target_op="<=", target_value=TARGET, bound_label=f"{count} sequential requests",
            note=f"max_concurrency {limit}; ideal overlap {1 / limit:.2f}"),
        Row("latency", f"{profile}: extract step without latency", floor, sequential, unit="s",
            bound_label=f"{count} × {latency_ms} ms", note="the same first run, emulator answering at once"),
        Row("latency", f"{label}: whole run (extract, normalise, load) vs requests × latency", whole, sequential,
            unit="s", bound_label=f"{count} sequential requests", note="for scale: normalise and load pay no latency"),
        Row("latency", f"{label}: peak requests in flight vs max_concurrency", stats["max_in_flight"], limit,
            target_op="<=", target_value=1, bound_label="configured", note="counted by the emulator"),
    ]  # fmt: skip
