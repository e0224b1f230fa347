"""Write Spotify data exports (extended streaming history, account data) from the emulator's full history.

Files follow `files`' plan; with `quirks=True` the extended files also carry what real exports do and an
importer must survive, none of which adds or removes a play:
- rows not sorted by `ts` within a file (some rows moved elsewhere, as offline plays synced late are);
- exact duplicate rows (the same row twice);
- repeated `(ts, uri)` pairs: a second row of the SAME play — same `ts` and URI — that reports the stream again
  with a smaller `ms_played` (a report cut short) or the same `ms_played` and different offline fields. The ground
  truth counts such rows as ONE play whose `ms_played` is the largest of its rows;
- `offline_timestamp` 0 or null on some rows (`files.extended_row`).
Rows with all metadata null, video rows with `ms_played` 0 and the year in a file name that does not match the UTC
year of its first rows are part of the data itself, so they are there with or without quirks.
"""

from __future__ import annotations

import random
import shutil
import zipfile
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from spotify_emulator.export.files import (
    ACCOUNT_FOLDERS,
    EXTENDED_FOLDER,
    account_row,
    default_account_window,
    extended_row,
    plan_account,
    plan_extended,
)
from spotify_emulator.export.history import full_history
from spotify_emulator.model import Library

try:
    import orjson

    def dumps(rows: list[dict[str, Any]]) -> bytes:
        """JSON as Spotify writes it: an indented array (orjson: fast enough for the 500k-row benchmark)."""
        return orjson.dumps(rows, option=orjson.OPT_INDENT_2)

except ImportError:  # pragma: no cover - orjson is a dependency; plain json keeps the emulator usable without it
    import json

    def dumps(rows: list[dict[str, Any]]) -> bytes:
        return json.dumps(rows, indent=2, ensure_ascii=False).encode()


ZIP_NAME = "my_spotify_data.zip"


def write_extended_export(
    library: Library,
    dest: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    packaging: str = "zip",
    field_version: str = "2024",
    rows_per_file: int = 12_000,
    quirks: bool = True,
) -> Path:
    """Write the extended streaming history of plays that ended in [since, until); returns the zip or folder."""
    history = full_history(library)
    plan = plan_extended(history, since, until, field_version, rows_per_file)
    rng = random.Random(f"{library.seed}:{library.profile}:extended:{since}:{until}:{field_version}:{rows_per_file}")
    files: dict[str, bytes] = {}
    for planned in plan:
        rows = [extended_row(play, planned.version, library.user.id, quirks) for play in planned.plays]
        if quirks:
            rows = _add_quirks(rng, rows)
        files[f"{EXTENDED_FOLDER}/{planned.name}"] = dumps(rows)
    return _package(files, Path(dest), packaging)


def write_account_export(
    library: Library,
    dest: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    packaging: str = "zip",
    legacy: bool = False,
    rows_per_file: int = 10_000,
    folder: str = "Spotify Account Data",
) -> Path:
    """Write the account data's streaming history (default: the last 365 days); returns the zip or folder."""
    if folder not in ACCOUNT_FOLDERS:
        raise ValueError(f"folder must be one of {ACCOUNT_FOLDERS}, not {folder!r}")
    history = full_history(library)
    if since is None and until is None:
        since, until = default_account_window(history)
    files = {
        f"{folder}/{planned.name}": dumps([account_row(play, planned.kind) for play in planned.plays])
        for planned in plan_account(history, since, until, legacy, rows_per_file)
    }
    return _package(files, Path(dest), packaging)


def _add_quirks(rng: random.Random, rows: list[dict]) -> list[dict]:
    """Duplicates, repeated (ts, uri) pairs and rows out of order, within one file."""
    if not rows:
        return rows
    rows = list(rows)
    count = len(rows)
    for index in rng.sample(range(count), max(1, count // 150)):
        rows.append(dict(rows[index]))
    uri_rows = [i for i in range(count) if _uri(rows[i]) and rows[i]["ms_played"] > 5_000]
    for turn, index in enumerate(rng.sample(uri_rows, min(len(uri_rows), max(1, count // 200)))):
        again = dict(rows[index])
        if turn % 2 == 0:
            again["ms_played"] = rng.randint(1_000, again["ms_played"] - 1_000)
            again["reason_end"] = "unexpected-exit-while-paused"
        else:
            again["offline"] = not again["offline"]
            again["offline_timestamp"] = None
        rows.append(again)
    rows.sort(key=lambda row: row["ts"])
    for _ in range(max(1, len(rows) // 20)):
        rows.insert(rng.randrange(len(rows)), rows.pop(rng.randrange(len(rows))))
    if len(rows) > 1 and all(a["ts"] <= b["ts"] for a, b in pairwise(rows)):
        rows.append(rows.pop(0))  # always at least one row out of order
    return rows


def _uri(row: dict) -> str | None:
    return row.get("spotify_track_uri") or row.get("spotify_episode_uri") or row.get("audiobook_chapter_uri")


def _package(files: dict[str, bytes], dest: Path, packaging: str) -> Path:
    """A zip as Spotify sends it (`dest` itself if it ends in .zip, else `dest/my_spotify_data.zip`) or a folder."""
    if packaging == "zip":
        target = dest if dest.suffix == ".zip" else dest / ZIP_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, content in files.items():
                archive.writestr(name, content)
        return target
    if packaging != "folder":
        raise ValueError(f"packaging must be 'zip' or 'folder', not {packaging!r}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in {name.split("/")[0] for name in files}:
        if (dest / name).exists():
            shutil.rmtree(dest / name)  # a rewrite must not leave files of an earlier export behind
    for name, content in files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes(content)
    return dest
