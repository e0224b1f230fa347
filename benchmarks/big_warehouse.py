"""A warehouse with a long listening history (500,000 plays by default), built the way a user builds one.

An API run against the emulator (`reference` library) lands the library and recent plays; then
`python pipeline.py import-export` loads a generated extended streaming history of `plays` plays
(`spotify_emulator.export.bulk`); dbt builds the final tables. The dbt and dashboard benchmarks start from it.
dbt runs as the `dbt` command with its own target and log folders, so it never shares `dbt_project/target` with
anyone else's dbt run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.pipeline_run import ROOT, SCRATCH_ENV, run_pipeline
from spotify_emulator import EmulatorServer
from spotify_emulator.export.bulk import write_bulk_extended_history


def plays_for(quick: bool) -> int:
    return 5_000 if quick else 500_000


class BigWarehouse:
    """The warehouse in `folder` (warehouse.duckdb, dlt's folder, dbt's target) and the emulator it loads from."""

    def __init__(self, folder: Path, server: EmulatorServer) -> None:
        self.folder = folder
        self.server = server
        self.refresh_token = server.login()["refresh_token"]
        self.database = folder / "warehouse.duckdb"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SPOTIFY_DUCKDB": str(self.database),
            "SPOTIFY_PIPELINES_DIR": str(self.folder / "pipelines"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "DO_NOT_TRACK": "1",
        }

    def api_run(self) -> dict[str, Any]:
        return run_pipeline(self.server, self.folder, self.refresh_token)

    def import_history(self, plays: int) -> float:
        """Write the export, then `python pipeline.py import-export` it without dbt; returns the import's seconds."""
        export = write_bulk_extended_history(self.folder / "export", plays, seed=0)
        started = time.perf_counter()
        self._command([sys.executable, "pipeline.py", "import-export", str(export), "--no-transform",
             "--user-id", "bench-listener"])
        seconds = time.perf_counter() - started
        shutil.rmtree(export, ignore_errors=True)
        return seconds

    def dbt_build(self, *arguments: str) -> tuple[float, dict[str, float]]:
        """`dbt build`: its wall time and each node's execution time from `run_results.json`."""
        target = self.folder / "dbt-target"
        command = [str(Path(sys.executable).parent / "dbt"), "build", *arguments, "--project-dir", "dbt_project",
                   "--profiles-dir", "dbt_project", "--target-path", str(target),
                   "--log-path", str(self.folder / "dbt-logs"), "--quiet"]  # fmt: skip
        started = time.perf_counter()
        self._command(command)
        seconds = time.perf_counter() - started
        results = json.loads((target / "run_results.json").read_text())["results"]
        return seconds, {r["unique_id"]: float(r["execution_time"]) for r in results}

    def _command(self, command: list[str]) -> None:
        completed = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            output = f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            raise RuntimeError(f"{' '.join(command[:3])} failed:\n{output}")


def shared_copy(plays: int) -> Path | None:
    """Where this run's built warehouse of `plays` plays is kept for the next benchmark, if run.py gave a folder."""
    scratch = os.environ.get(SCRATCH_ENV)
    return Path(scratch) / f"warehouse-{plays}.duckdb" if scratch else None
