"""Load one source run into the warehouse with dlt, step by step with its progress, then say what landed.

Each source has its own dlt pipeline (`spotify` for the Web API, `spotify_export` for the data export), so their
states never mix; all land in the same dataset, spotify_raw.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from spotify_pipeline.settings import (
    describe_destination,
    destination_name,
    make_destination,
    pipelines_dir,
    warehouse_path,
)
from spotify_source.errors import ConfigInvalid, UserError

RAW_DATASET = "spotify_raw"
ENRICHMENT_STOPPED = (
    "Your library and plays of this run were loaded; the artists and audio features it was asking for were not, "
    "and the next run asks for them again"
)
SUMMARY_TABLES = ("users", "playlists", "playlist_items", "tracks", "artists", "audio_features",
                  "recently_played", "top_tracks", "top_artists", "saved_tracks", "episodes")  # fmt: skip
"""The raw tables whose sizes a run prints."""


DUCKDB_MEMORY_LIMITS = {"spotify_export": "150MB"}
"""DuckDB's memory while dlt loads, per pipeline. An export's single merge of a whole history spills to disk beyond
this instead of holding it all: at 500,000 plays the import's peak drops from ~0.63 to ~0.46 GB for ~0.4 s more
loading (benchmarks/RESULTS.md). The Web API's runs keep DuckDB's default (80% of the machine's memory)."""


def dlt_pipeline(pipeline_name: str = "spotify") -> Any:
    """The dlt pipeline of one source: its own state, the shared warehouse and dataset."""
    import dlt

    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=make_destination(DUCKDB_MEMORY_LIMITS.get(pipeline_name)),
        dataset_name=RAW_DATASET,
        pipelines_dir=str(pipelines_dir()),
    )


def load(source_factory: Callable[[], Any], *, label: str, pipeline_name: str = "spotify") -> dict[str, Any]:
    """Extract, normalise and load one source run into the warehouse; returns what the run reported."""
    pipeline = dlt_pipeline(pipeline_name)
    print(f"Loading {label} into {describe_destination()} (dataset {RAW_DATASET})", flush=True)
    if pipeline.has_pending_data:
        # A run was killed and left a package. Resuming it could run a load job twice (dlt loads at least once: a
        # repeated staging insert duplicates rows of merge tables), and dlt's local state, saved at extraction, may
        # be ahead of the warehouse: drop both, and start over from the state stored with the data.
        print("  an earlier run was interrupted: its unfinished load is dropped and read again", flush=True)
        pipeline.drop()
    # As dlt's own run(): continue from the state stored in the warehouse with the data (the last completed load),
    # also where dlt's folder did not survive (a fresh CI runner), instead of reading everything again.
    with warehouse_held():
        pipeline.sync_destination()
    try:
        source = source_factory()
        if destination_name() == "bigquery":
            from spotify_pipeline.destinations import apply_partition_hints

            apply_partition_hints(source)
        rows, seconds = _load_stages(pipeline, source, pipeline_name)
    except UserError:
        raise
    except Exception as exc:
        ours = _user_error_in(exc)
        if ours is None:
            raise
        raise ours from None
    return {"rows": rows, "seconds": seconds, "pipeline": pipeline}


def _load_stages(pipeline: Any, source: Any, pipeline_name: str) -> tuple[dict[str, int], dict[str, float]]:
    """Extract, normalise and load each stage in turn; the rows each table got and the seconds of each step, summed
    over the stages (dlt's trace holds the last stage only).

    The Web API source has two stages (spotify_source.load_stages): its enrichment asks the warehouse what the facts'
    load left unknown, so it extracts while holding the DuckDB file. The export is one stage."""
    from spotify_source import load_stages

    origin = "the export files" if pipeline_name == "spotify_export" else "Spotify"
    stages = load_stages(source) if source.name == "spotify" else [source]
    rows: dict[str, int] = {}
    seconds = {"extract": 0.0, "normalize": 0.0, "load": 0.0}
    for index, stage in enumerate(stages):
        what = " (artists and audio features the warehouse lacks)" if index else ""
        try:
            with warehouse_held() if index else nullcontext():
                seconds["extract"] += step(f"1/3 extracting from {origin}{what}", lambda s=stage: pipeline.extract(s))
        except Exception as exc:
            ours = _user_error_in(exc)
            if index and ours is not None:  # the facts' stage is loaded: say so instead of "nothing was loaded"
                raise ours.replace_outcome(ENRICHMENT_STOPPED) from None
            raise
        seconds["normalize"] += step("2/3 normalising", pipeline.normalize)
        normalize = pipeline.last_trace.last_normalize_info
        for table, count in normalize.row_counts.items() if normalize else ():
            rows[table] = rows.get(table, 0) + count
        with warehouse_held():
            into = "BigQuery" if destination_name() == "bigquery" else "DuckDB"
            seconds["load"] += step(f"3/3 loading into {into}", pipeline.load)
    return dict(sorted(rows.items())), seconds


def _user_error_in(exc: Exception) -> UserError | None:
    """dlt wraps what the source raised: unwrap ours (or name a setting dlt could not coerce) so the user gets its
    message; None for anything else (a bug, shown with its traceback)."""
    from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

    if isinstance(exc, ConfigValueCannotBeCoercedException):  # e.g. max_playlists = "abc": name the setting
        hint = getattr(exc.hint, "__name__", str(exc.hint))
        kind = {"int": "whole number", "float": "number", "bool": "boolean (true or false)"}.get(hint, hint)
        return ConfigInvalid(exc.field_name, f"must be a {kind}, not {exc.field_value!r}")
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, UserError):
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
    return cause if isinstance(cause, UserError) else None


def warehouse_held() -> AbstractContextManager[None]:
    """For a step that writes the DuckDB file: wait while a reader (the dashboard) has it open, then keep it for the
    step, so a dashboard query never fails a run (spotify_pipeline.warehouse_access says why). BigQuery: no-op."""
    if destination_name() != "duckdb":
        return nullcontext()
    from spotify_pipeline import warehouse_access  # looked up per call: the crash tests wrap held_for_writing

    return warehouse_access.held_for_writing(warehouse_path())


def step(title: str, action: Callable[[], Any]) -> float:
    """One line per pipeline step, finished with its duration: the progress a user sees. Returns the seconds."""
    print(f"  {title} ...", end="", flush=True)
    started = time.monotonic()
    try:
        action()
    except BaseException:
        print(" failed", flush=True)
        raise
    seconds = time.monotonic() - started
    print(f" {seconds:.1f} s", flush=True)
    return seconds


def print_summary(pipeline: Any) -> None:
    """The run's own report (tier, what was skipped and why) and the warehouse's table sizes."""
    with warehouse_held(), pipeline.sql_client() as client:
        runs = client.execute_sql(
            "select tier, batch_endpoints_available, audio_features_available, notes "
            f"from {client.make_qualified_table_name('extraction_runs')} order by run_started_at desc limit 1"
        )
        if runs:
            tier, batches, features, notes = runs[0]
            print(f"App tier: {tier}; batch endpoints: {_yes_no(batches)}; audio features: {_yes_no(features)}")
            for message in json.loads(notes) if isinstance(notes, str) else notes or []:
                print(f"  note: {message}")
        print(f"Rows in {RAW_DATASET}:")
        for table in SUMMARY_TABLES:
            try:
                # Qualified: BigQuery emulators ignore the default dataset dlt's client sets.
                (count,) = client.execute_sql(f"select count(*) from {client.make_qualified_table_name(table)}")[0]
            except Exception:
                count = 0
            print(f"  {table:16} {count:>7}")


def _yes_no(value: object) -> str:
    return "not asked this run" if value is None else ("yes" if value else "no")
