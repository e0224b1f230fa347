"""Growth: how a first run's requests, time and peak memory grow with the library (1×, 5×, 10× `reference`).

The limits are lifted for this one (every playlist, every entry), so the run reads the whole library and its
cost can follow the data; with the default limits it would be capped by them instead. Each run is a fresh process
(peak memory is its `ru_maxrss`). The data is measured as the rows the run landed; each cost's growth factor is
compared with the data's: a ratio near 1 is linear, below 1 sub-linear (fixed costs dominate), and a cost that grew
with the square of the data would show a ratio near the data factor itself. Target: ≤ 1.25 (linear, with slack).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks.pipeline_run import configured_limits, run_pipeline
from benchmarks.request_counts import api_requests, difference
from benchmarks.rows import Row
from spotify_emulator import EmulatorServer
from spotify_emulator.profiles import SCALED_SEPARATOR
from tests.expectations import expected, minimum_requests

WHOLE_LIBRARY = {"max_playlists": 1_000_000, "max_tracks_per_playlist": 1_000_000}
TARGET = 1.25


def measure(profile: str) -> dict[str, Any]:
    """One first run of the whole library in a fresh process: requests (and their minimum), seconds, MB, rows."""
    limits = {**configured_limits(), **WHOLE_LIBRARY}
    with EmulatorServer(profile=profile, seed=1) as server, tempfile.TemporaryDirectory() as scratch:
        refresh_token = server.login()["refresh_token"]
        bound = minimum_requests(expected(server.control("GET", "ground-truth"), False, limits), False, limits)
        server.control("POST", "stats/reset")
        result = run_pipeline(server, Path(scratch), refresh_token, **WHOLE_LIBRARY)
        counts = api_requests(server)
    return {
        "requests": sum(counts.values()),
        "minimum": sum(bound.values()),
        "difference": difference(counts, bound),
        "seconds": sum(result["seconds"].values()),
        "steps": ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result["seconds"].items()),
        "peak_mb": result["peak_rss_mb"],
        "rows": sum(n for table, n in result["rows"].items() if not table.startswith("_dlt")),
    }


def run(quick: bool) -> list[Row]:
    base, factors = ("small", (1, 2)) if quick else ("reference", (1, 5, 10))
    runs = {f: measure(base if f == 1 else f"{base}{SCALED_SEPARATOR}{f}") for f in factors}
    one = runs[1]
    rows: list[Row] = []
    for factor, figures in runs.items():
        label = f"{base} ×{factor}"
        rows.append(Row("growth", f"{label}: requests, whole library", figures["requests"], figures["minimum"],
                        target_op="=", target_value=1, bound_label="minimum",
                        note=figures["difference"] or f"{figures['rows']:,.0f} rows landed"))  # fmt: skip
        rows.append(Row("growth", f"{label}: time of the run", figures["seconds"], unit="s", note=figures["steps"]))
        rows.append(Row("growth", f"{label}: peak memory of the run", figures["peak_mb"], unit="MB"))
        if factor == 1:
            continue
        data = figures["rows"] / one["rows"]
        for cost, name in (("requests", "requests"), ("seconds", "time"), ("peak_mb", "peak memory")):
            rows.append(Row("growth", f"{label}: growth of {name} vs growth of data", figures[cost] / one[cost], data,
                            target_op="<=", target_value=TARGET, bound_label="rows landed ×",
                            note=f"{name} ×{figures[cost] / one[cost]:.2f} for data ×{data:.2f}"))  # fmt: skip
    return rows
