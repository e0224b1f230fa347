"""Parsing a big export's extended-history files on every core, in file order, with bounded memory.

Parsing is the import's bottleneck (orjson builds Python objects, then one Arrow table per file), and one Python
process uses one core. Extended-history files are independent of each other, so worker processes parse them while
this process hands finished tables to dlt. Account-data files are numbered across the whole import (`AccountKeys`)
and small, so they stay in this process. Small exports skip the pool: starting workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pyarrow as pa

from spotify_source.export.files import ExportFile, ExportSource
from spotify_source.export.rows import AccountKeys, file_table

# Below this much extended history, parsing in this process is faster than starting workers.
PARALLEL_MIN_BYTES = 64 * 1024 * 1024


def worker_count() -> int:
    """One worker per core this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parse_extended(file: ExportFile, data: bytes, import_id: str, user_id: str | None) -> pa.Table:
    """In a worker: one extended-history file's table (extended files need no numbering across files)."""
    return file_table(file, data, import_id, user_id, AccountKeys())


def tables_in_order(
    export: ExportSource, import_id: str, user_id: str | None, numbering: AccountKeys
) -> Iterator[tuple[ExportFile, pa.Table]]:
    """(file, table) for every file of the export, in the export's file order."""
    extended_bytes = sum(file.size for file in export if file.export_kind == "extended")
    workers = worker_count()
    if workers < 2 or extended_bytes < PARALLEL_MIN_BYTES:
        for file in export:
            yield file, file_table(file, export.read(file), import_id, user_id, numbering)
        return
    # Workers start fresh interpreters (not forks of this one, which may hold dlt's threads and open files).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[tuple[ExportFile, Future[pa.Table] | Callable[[], pa.Table]]] = deque()
        for file in export:
            if file.export_kind == "extended":
                pending.append((file, pool.submit(parse_extended, file, export.read(file), import_id, user_id)))
            else:  # numbered in file order: parsed here, when its turn comes
                data = export.read(file)
                pending.append((file, lambda f=file, d=data: file_table(f, d, import_id, user_id, numbering)))
            # At most one file per worker waits beyond the one being handed to dlt: memory stays bounded.
            while len(pending) > workers:
                yield _finish(*pending.popleft())
        while pending:
            yield _finish(*pending.popleft())


def _finish(file: ExportFile, work: Future[pa.Table] | Callable[[], pa.Table]) -> tuple[ExportFile, pa.Table]:
    return file, work.result() if isinstance(work, Future) else work()
