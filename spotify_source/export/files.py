"""Finding the streaming-history files of a Spotify data export, wherever the user put it, without trusting it.

PATH may be the zip as Spotify sends it, the folder it unpacks to, or one JSON file. Only files whose *name* says
they are streaming history are read (an export also holds playlists, search queries, a PDF ...); their *shape* is
checked by `rows.py` when they are parsed. A zip is read member by member through `zipfile`, never extracted, and
refused as a whole if any member could escape its folder or claims sizes only a zip bomb would.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spotify_source.errors import ExportError

# Real files are 10-15 MB (Spotify splits them at ~10-15k rows); anything far beyond is not a streaming history.
MAX_FILE_BYTES = 256 * 1024 * 1024
# Pretty-printed JSON compresses ~10-30x; a member claiming more is refused before a byte is inflated.
MAX_COMPRESSION_RATIO = 200
MAX_EXPORT_BYTES = 16 * 1024 * 1024 * 1024

ACCOUNT_NAME = re.compile(r"^StreamingHistory(?:_(?P<part>music|podcast|audiobook|video))?_?\d*\.json$", re.I)
EXTENDED_NAME = re.compile(r"^(?:Streaming_History_(?P<part>Audio|Video)_.*|endsong(?:_\d+)?)\.json$", re.I)


@dataclass(frozen=True)
class ExportFile:
    """One streaming-history file of the export: where it is, what its name says it holds, how big it claims to be."""

    name: str  # path inside the export, `/`-separated: what errors and `source_file` show
    export_kind: str  # `extended` or `account`
    part: str  # `audio`, `video`, `endsong` (extended); `music`, `podcast`, `audiobook`, `legacy` (account)
    size: int
    _zip_member: zipfile.ZipInfo | None = None
    _path: Path | None = None

    def read(self, archive: zipfile.ZipFile | None) -> bytes:
        """The file's bytes, at most MAX_FILE_BYTES; a zip member is inflated in memory only."""
        try:
            if self._zip_member is not None:
                assert archive is not None
                with archive.open(self._zip_member) as member:
                    data = member.read(MAX_FILE_BYTES + 1)
            else:
                assert self._path is not None
                with self._path.open("rb") as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
        except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
            raise ExportError(self.name, f"cannot be read ({exc})") from None
        if len(data) > MAX_FILE_BYTES:
            raise ExportError(self.name, f"is larger than {MAX_FILE_BYTES // 2**20} MB: not a streaming history file")
        return data


def classify(file_name: str) -> tuple[str, str] | None:
    """(export_kind, part) a file's base name stands for, or None when it is no streaming history."""
    if match := EXTENDED_NAME.match(file_name):
        return "extended", (match["part"] or "endsong").lower()
    if match := ACCOUNT_NAME.match(file_name):
        return "account", (match["part"] or "legacy").lower()
    return None


def _sort_key(file: ExportFile) -> tuple[str, str, list[object]]:
    """Natural order (`_2` before `_10`) so that progress and errors follow the export's own numbering."""
    pieces: list[object] = [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", file.name)]
    return (file.export_kind, file.part, pieces)


class ExportSource:
    """The streaming-history files found at PATH; open it as a context manager to read them (a zip stays open)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.display = str(path)
        self._archive: zipfile.ZipFile | None = None
        self.files: list[ExportFile] = []

    def __enter__(self) -> ExportSource:
        path = self.path
        if not path.exists():
            raise ExportError(self.display, "does not exist")
        if path.is_dir():
            self.files = self._folder_files(path)
        elif zipfile.is_zipfile(path):
            self._archive = self._open_zip(path)
            self.files = self._zip_files(self._archive)
        elif path.suffix.lower() == ".zip":
            raise ExportError(self.display, "is not a readable zip archive (damaged or incomplete download?)")
        else:
            self.files = [self._single_file(path)]
        if not self.files:
            raise ExportError(
                self.display,
                "contains no streaming history files (expected Streaming_History_Audio_*.json, "
                "Streaming_History_Video_*.json, endsong_*.json or StreamingHistory*.json)",
            )
        self.files.sort(key=_sort_key)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def read(self, file: ExportFile) -> bytes:
        return file.read(self._archive)

    def __iter__(self) -> Iterator[ExportFile]:
        return iter(self.files)

    def _single_file(self, path: Path) -> ExportFile:
        kind = classify(path.name)
        if kind is None:
            raise ExportError(
                self.display,
                "is not a streaming history file by its name (expected Streaming_History_Audio_*.json, "
                "Streaming_History_Video_*.json, endsong_*.json or StreamingHistory*.json, or the export's zip "
                "or folder)",
            )
        return ExportFile(path.name, *kind, size=path.stat().st_size, _path=path)

    def _folder_files(self, root: Path) -> list[ExportFile]:
        found = []
        for path in sorted(root.rglob("*")):
            kind = classify(path.name)
            if kind is None or not path.is_file():
                continue
            # rglob does not descend into symlinked folders; a symlinked file may still point anywhere.
            if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
                raise ExportError(path.relative_to(root).as_posix(), "is a link to a file outside the export folder")
            found.append(ExportFile(path.relative_to(root).as_posix(), *kind, size=path.stat().st_size, _path=path))
        return found

    def _open_zip(self, path: Path) -> zipfile.ZipFile:
        try:
            return zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExportError(self.display, f"is not a readable zip archive ({exc})") from None

    def _zip_files(self, archive: zipfile.ZipFile) -> list[ExportFile]:
        found = []
        total = 0
        for member in archive.infolist():
            name = member.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
                raise ExportError(
                    f"{self.display}: {name}",
                    "points outside the archive's folder (absolute path or `..`); the whole archive is refused",
                )
            if member.is_dir():
                continue
            kind = classify(parts[-1])
            if kind is None:
                continue
            if member.flag_bits & 0x1:
                raise ExportError(f"{self.display}: {name}", "is encrypted")
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > MAX_FILE_BYTES or (member.file_size > 2**20 and ratio > MAX_COMPRESSION_RATIO):
                raise ExportError(
                    f"{self.display}: {name}",
                    f"claims {member.file_size:,} bytes from {member.compress_size:,} compressed: refused as a "
                    "possible zip bomb",
                )
            total += member.file_size
            if total > MAX_EXPORT_BYTES:
                raise ExportError(self.display, "claims more uncompressed data than any export holds (zip bomb?)")
            found.append(ExportFile("/".join(parts), *kind, size=member.file_size, _zip_member=member))
        return found
