"""Build the final tables: `dbt build` in this process on dbt_project/, against the warehouse the load wrote.

In-process (dbt's Python runner) rather than a `dbt` subprocess: the run holds the DuckDB file for writing
(spotify_pipeline.warehouse_access) and dbt-duckdb's connection shares it; a subprocess would be locked out.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from typing import Any

from spotify_pipeline.loading import warehouse_held
from spotify_pipeline.settings import ROOT, destination_name, warehouse_path
from spotify_source.errors import UserError

DBT_PROJECT = ROOT / "dbt_project"
"""The dbt project and its profiles.yml (tests point it at a copy)."""


class TransformFailed(UserError):
    """dbt failed (a model or a data test): the raw data is loaded, the final tables are not trusted."""

    exit_code = 5

    def __init__(self, message: str, warnings: list[Any] | None = None) -> None:
        super().__init__(message)
        self.warnings = warnings or []
        """Tests that only warned in the same build (spotify_pipeline.data_quality.DataQualityWarning)."""


def run_dbt(arguments: list[str]) -> list[Any]:
    """Run dbt in-process on the project and profile in DBT_PROJECT, on $SPOTIFY_DUCKDB (or BigQuery).

    Returns the tests that warned (spotify_pipeline.data_quality.DataQualityWarning: Spotify sent values the tests did
    not expect; the build still succeeded). Raises TransformFailed with dbt's own messages when anything fails.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt sends no usage statistics either
    os.environ["SPOTIFY_DUCKDB"] = str(warehouse_path().resolve())
    from dbt.cli.main import dbtRunner

    from spotify_pipeline import destinations
    from spotify_pipeline.data_quality import WarningCollector

    target = destination_name()
    # On BigQuery the profile's env comes from the same settings as dlt's destination (spotify_pipeline.destinations).
    environment = destinations.dbt_environment(destinations.resolve()) if target == "bigquery" else nullcontext()
    collector = WarningCollector()  # what the on-run-end hook logs of the tests that warned
    try:
        # warehouse_held: dbt-duckdb's connection shares the file this process holds (same configuration)
        with environment, warehouse_held():
            result = dbtRunner(callbacks=[collector]).invoke(
                [*arguments, "--target", target, "--project-dir", str(DBT_PROJECT), "--profiles-dir",
                 str(DBT_PROJECT), "--quiet"]
            )  # fmt: skip
    finally:
        release_duckdb()
    if not result.success:
        failures = []
        for node_result in getattr(result.result, "results", None) or []:
            if str(node_result.status) in ("error", "fail"):
                failures.append(f"{node_result.node.name}: {node_result.message}")
        detail = "\n  ".join(failures) or str(result.exception or "see the dbt output above")
        raise TransformFailed(
            f"dbt {' '.join(arguments)} failed; the raw data is loaded, the final tables may be stale:\n  {detail}",
            collector.warnings,
        )
    return collector.warnings


def release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after a run.

    While it stays open DuckDB refuses every other connection to the file with another configuration (a read-only
    reader, dlt's next load), so a process that goes on after dbt, a test or a scheduler, would be locked out.
    dbt-duckdb has no public call for this; `_ENV` is its process-wide environment.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None


def build(skip: bool = False) -> None:
    """`dbt build` with its progress line: staging views and the final tables in schema `spotify`, with their tests.

    `skip` is `--no-transform`: said, not silently done."""
    if skip:
        print("Transform skipped (--no-transform).")
        return
    from spotify_pipeline.data_quality import summary_lines

    print("Building the final tables with dbt (schema spotify) ...", end="", flush=True)
    started = time.monotonic()
    try:
        warnings = run_dbt(["build"])
    except TransformFailed as failure:
        print(" failed", flush=True)
        for line in summary_lines(failure.warnings, succeeded=False):
            print(line, flush=True)
        raise
    print(f" {time.monotonic() - started:.1f} s", flush=True)
    # Values Spotify sent that the tests did not expect: the run goes on (exit 0), but a person must see them.
    for line in summary_lines(warnings):
        print(line, flush=True)
