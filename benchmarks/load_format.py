"""Loading the API's data: Parquet files (what the pipeline hands DuckDB) against SQL insert statements (dlt's default
for DuckDB, what it used before), side by side on the same first run of a whole library.

Each run is a fresh process (benchmarks/pipeline_run.py) with every playlist and entry read; the load step is summed
over the run's two stages. Targets: the load step ≤ 0.2 of the inserts' (≥ 5× faster) and the run's peak memory
≤ 1 GB. tests/source/test_raw_schema.py checks that both ways give the same tables.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks.growth import WHOLE_LIBRARY
from benchmarks.pipeline_run import run_pipeline
from benchmarks.rows import Row
from spotify_emulator import EmulatorServer
from spotify_pipeline.destinations import DUCKDB_LOADER_FILE_FORMAT

BASELINE = "insert_values"
MEMORY_LIMIT_MB = 1000
LOAD_TARGET = 0.2


def first_run(profile: str, file_format: str) -> dict[str, Any]:
    with EmulatorServer(profile=profile, seed=1) as server, tempfile.TemporaryDirectory() as scratch:
        token = server.login()["refresh_token"]
        return run_pipeline(server, Path(scratch), token, loader_file_format=file_format, **WHOLE_LIBRARY)


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    for profile in ("small",) if quick else ("large", "reference-x10"):
        before, after = first_run(profile, BASELINE), first_run(profile, DUCKDB_LOADER_FILE_FORMAT)
        landed = sum(n for table, n in after["rows"].items() if not table.startswith("_dlt"))
        rows += [
            Row("load", f"{profile}: load step, {DUCKDB_LOADER_FILE_FORMAT} vs SQL inserts",
                after["seconds"]["load"], before["seconds"]["load"], unit="s", target_op="<=",
                target_value=LOAD_TARGET, bound_label="insert_values",
                note=f"{landed:,} rows landed; both stages"),
            Row("load", f"{profile}: peak memory of the first run", after["peak_rss_mb"], MEMORY_LIMIT_MB, unit="MB",
                target_op="<=", target_value=1, bound_label="limit",
                note=f"with SQL inserts: {before['peak_rss_mb']:,.0f} MB"),
            Row("load", f"{profile}: whole first run, {DUCKDB_LOADER_FILE_FORMAT} vs SQL inserts",
                sum(after["seconds"].values()), sum(before["seconds"].values()), unit="s",
                bound_label="insert_values", note=_steps(after, before)),
        ]  # fmt: skip
    return rows


def _steps(after: dict[str, Any], before: dict[str, Any]) -> str:
    return "; ".join(
        f"{step} {after['seconds'][step]:.1f} s vs {before['seconds'][step]:.1f} s" for step in after["seconds"]
    )
