"""`import-export`: load Spotify's data export (zip, folder or one file) whole or not at all, for its owner.

The export source (spotify_source.export) reads the files; this module decides whose plays they are, keeps what a
killed import left from loading with the next one, and prints what the import added.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from spotify_pipeline.loading import dlt_pipeline, load, warehouse_held
from spotify_pipeline.settings import accounts_in_warehouse
from spotify_source.errors import UserError

PIPELINE_NAME = "spotify_export"


class ExportOwnerUnknown(UserError):
    """The export names no account id we keep, and the warehouse does not say whose it is."""

    exit_code = 2


def export_pipeline() -> Any:
    """The dlt pipeline of data-export imports: its own state, the same warehouse and dataset as `run`."""
    return dlt_pipeline(PIPELINE_NAME)


def export_owner(user_id: str | None) -> str:
    """Whose plays the export holds: `--user-id`, else the one account the warehouse holds.

    Every play carries `user_id` (several people may share a warehouse); an export alone cannot say, so with no
    account loaded yet, or several, the import is refused before anything is read.
    """
    if user_id:
        return user_id
    accounts = accounts_in_warehouse()
    if len(accounts) == 1:
        return next(iter(accounts))
    if not accounts:
        raise ExportOwnerUnknown(
            "The warehouse holds no Spotify account yet, so the export's plays cannot be attributed. Run "
            "`python pipeline.py` once first (it loads your account), or pass `--user-id <your Spotify user id>`. "
            "Nothing was imported."
        )
    raise ExportOwnerUnknown(
        f"The warehouse holds {len(accounts)} Spotify accounts ({', '.join(sorted(accounts))}): say whose export "
        "this is with `--user-id`. Nothing was imported."
    )


def import_export(path: str, user_id: str) -> None:
    """Load one data export whole or not at all: a bad file stops the extract, and its package is dropped."""
    from spotify_source.export import ImportReport, new_import_id, spotify_export
    from spotify_source.export.report import rows_by_kind, summary_lines

    # Arrow tables get dlt's `_dlt_load_id` like every other raw row (dbt reads it); off by default for Arrow.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    pipeline = export_pipeline()
    pipeline.abort_packages()  # what a killed earlier import left extracted must never load with this one
    with warehouse_held():
        before = rows_by_kind(pipeline)
    report = ImportReport(new_import_id(), Path(path).name)
    try:
        result = load(
            lambda: spotify_export(path, import_id=report.import_id, user_id=user_id, report=report),
            label=f"the Spotify data export {path}",
            pipeline_name=PIPELINE_NAME,
        )
    except BaseException:
        export_pipeline().abort_packages()
        raise
    with warehouse_held():
        after = rows_by_kind(result["pipeline"])
    print("\n".join(summary_lines(report, before, after)))
