"""The dlt source `spotify_export`: a Spotify privacy data export (zip, folder or one JSON file) into `spotify_raw`.

One resource, `export_streams`: one Arrow table per file of either kind, merged on `play_key`, and after the last
file one row describing the import, which dlt routes to the table `export_imports` (so the row cannot be written
before the files are read, whatever order dlt runs resources in). Any bad file
raises `ExportError` during extract, before dlt loads anything; the caller drops the half-extracted package
(`pipeline.drop_pending_packages()`), so an import lands whole or not at all. README.md in spotify_source/ has the
columns and the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract.items import DataItemWithMeta
from dlt.sources import DltResource

from spotify_source.errors import ExportError
from spotify_source.export.files import ExportFile, ExportSource, classify
from spotify_source.export.parallel import tables_in_order
from spotify_source.export.rows import SCHEMA, AccountKeys, FileStats, stats

__all__ = ["SCHEMA", "ExportFile", "ExportSource", "ImportReport", "classify", "new_import_id", "spotify_export"]


def new_import_id() -> str:
    """Sortable by time, unique per command: `20250101T120000Z-1a2b3c4d`."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass
class KindReport:
    files: int = 0
    rows: int = 0
    first_ended_at: datetime | None = None
    last_ended_at: datetime | None = None

    def add(self, file_stats: FileStats) -> None:
        self.files += 1
        self.rows += file_stats.rows
        if file_stats.first_ended_at is not None:
            self.first_ended_at = min(filter(None, (self.first_ended_at, file_stats.first_ended_at)))
        if file_stats.last_ended_at is not None:
            self.last_ended_at = max(filter(None, (self.last_ended_at, file_stats.last_ended_at)))


@dataclass
class ImportReport:
    """What one import read, by kind (`extended`, `account`); filled while `export_streams` runs."""

    import_id: str
    source_name: str
    kinds: dict[str, KindReport] = field(default_factory=dict)
    finished: bool = False
    """Every file was read through (the import's row is written only then)."""

    @property
    def files(self) -> int:
        return sum(kind.files for kind in self.kinds.values())

    @property
    def rows(self) -> int:
        return sum(kind.rows for kind in self.kinds.values())

    def row(self) -> dict[str, Any]:
        firsts = [k.first_ended_at for k in self.kinds.values() if k.first_ended_at]
        lasts = [k.last_ended_at for k in self.kinds.values() if k.last_ended_at]
        return {
            "import_id": self.import_id,
            "source_name": self.source_name,
            "files": self.files,
            "rows_read": self.rows,
            "rows_extended": self.kinds.get("extended", KindReport()).rows,
            "rows_account": self.kinds.get("account", KindReport()).rows,
            "first_ended_at": min(firsts) if firsts else None,
            "last_ended_at": max(lasts) if lasts else None,
            "imported_at": datetime.now(UTC),
        }


def first_occurrences(table: pa.Table, seen: set[str]) -> pa.Table:
    """The rows of `table` whose `play_key` this import has not yielded yet (`seen` is updated).

    `export_streams` is loaded with dlt's `insert-only` merge: rows whose key the warehouse already holds are
    skipped, in a single MERGE, without the delete-insert strategy's staging dedup, deletes and rewrite (2-3x
    faster, half the memory on a big history). That MERGE does not de-duplicate within one load, so exact
    duplicate rows, which Spotify's exports contain, are dropped here.
    """
    keep = []
    for index, key in enumerate(table.column("play_key").to_pylist()):
        if key not in seen:
            seen.add(key)
            keep.append(index)
    return table if len(keep) == table.num_rows else table.take(keep)


def read_tables(path: str | Path, report: ImportReport, user_id: str | None = None) -> Iterator[pa.Table]:
    """One checked Arrow table per streaming-history file at `path`, file by file (a zip is never extracted)."""
    numbering = AccountKeys()
    seen: set[str] = set()
    with ExportSource(path) as export:
        for file, table in tables_in_order(export, report.import_id, user_id, numbering):
            report.kinds.setdefault(file.export_kind, KindReport()).add(stats(table))
            yield first_occurrences(table, seen)
    if report.rows == 0:
        raise ExportError(str(path), "holds streaming history files without a single play (an empty export)")
    report.finished = True


@dlt.source(name="spotify_export", max_table_nesting=0)
def spotify_export(
    path: str, import_id: str | None = None, user_id: str | None = None, report: ImportReport | None = None
) -> Sequence[DltResource]:
    """Every play of the data export at `path` (a zip as Spotify sends it, its unpacked folder, or one JSON file).

    Args:
        import_id: one id per import command (`new_import_id()` when not given); on every row and in `export_imports`.
        user_id: the warehouse's Spotify user, written on every row (the export itself names no id we keep).
        report: filled with what was read, by kind, for the caller's summary.
    """
    report = report or ImportReport(import_id or new_import_id(), Path(path).name)

    @dlt.resource(
        name="export_streams",
        primary_key="play_key",
        # A play, once landed, never changes: only new keys are inserted (see first_occurrences).
        write_disposition={"disposition": "merge", "strategy": "insert-only"},
    )
    def export_streams() -> Iterator[pa.Table | DataItemWithMeta]:
        yield from read_tables(path, report, user_id)
        yield dlt.mark.with_table_name(report.row(), "export_imports")

    # The import's row is appended to its own table: the variant drops the streams' key and merge strategy.
    export_streams.apply_hints(
        table_name="export_imports", write_disposition="append", primary_key="", merge_key="", columns={},
        create_table_variant=True,
    )  # fmt: skip
    return (export_streams,)
