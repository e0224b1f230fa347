"""One streaming-history file's bytes → one Arrow table in the shape of `export_streams`, or an ExportError.

Parsing is orjson (C) into dicts once per file, then one list per column and pyarrow arrays: no per-row dicts ever
reach dlt, whose normaliser would be ~80x slower on them. The shape is checked on the way: the file must be a JSON
array of objects with the keys its kind always has, every value of the type its column needs, timestamps in
Spotify's formats. IP addresses, usernames and user agents are never read into a column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from spotify_source.errors import ExportError
from spotify_source.export.files import ExportFile

UTC_US = pa.timestamp("us", tz="UTC")

# The columns of `export_streams`, in order (export_interfaces.md); every file's table has exactly this schema.
SCHEMA = pa.schema(
    [
        pa.field("play_key", pa.string(), nullable=False),
        ("user_id", pa.string()),
        ("export_kind", pa.string()),
        ("content_type", pa.string()),
        ("ended_at", UTC_US),
        ("ms_played", pa.int64()),
        ("track_name", pa.string()),
        ("artist_name", pa.string()),
        ("album_name", pa.string()),
        ("track_uri", pa.string()),
        ("episode_name", pa.string()),
        ("show_name", pa.string()),
        ("episode_uri", pa.string()),
        ("audiobook_title", pa.string()),
        ("audiobook_uri", pa.string()),
        ("audiobook_chapter_uri", pa.string()),
        ("audiobook_chapter_title", pa.string()),
        ("platform", pa.string()),
        ("conn_country", pa.string()),
        ("reason_start", pa.string()),
        ("reason_end", pa.string()),
        ("shuffle", pa.bool_()),
        ("skipped", pa.bool_()),
        ("offline", pa.bool_()),
        ("offline_at", UTC_US),
        ("incognito_mode", pa.bool_()),
        ("source_file", pa.string()),
        ("import_id", pa.string()),
    ]
)

# Extended history: our column <- Spotify's field. Only these fields are read; `ip_addr`, `ip_addr_decrypted`,
# `username` and `user_agent_decrypted` never are.
EXTENDED_STRINGS = {
    "track_name": "master_metadata_track_name",
    "artist_name": "master_metadata_album_artist_name",
    "album_name": "master_metadata_album_album_name",
    "track_uri": "spotify_track_uri",
    "episode_name": "episode_name",
    "show_name": "episode_show_name",
    "episode_uri": "spotify_episode_uri",
    "audiobook_title": "audiobook_title",
    "audiobook_uri": "audiobook_uri",
    "audiobook_chapter_uri": "audiobook_chapter_uri",
    "audiobook_chapter_title": "audiobook_chapter_title",
    "platform": "platform",
    "conn_country": "conn_country",
    "reason_start": "reason_start",
    "reason_end": "reason_end",
}
EXTENDED_BOOLS = ("shuffle", "skipped", "offline", "incognito_mode")
# Every version of the extended history has these keys on every row (values may be null).
EXTENDED_CONTENT_KEYS = ("master_metadata_track_name", "spotify_track_uri", "episode_name", "spotify_episode_uri")
# offline_timestamp above this is milliseconds (old files), below it seconds (new files): 10^11 s is year 5138.
MS_THRESHOLD = 10**11
# Beyond this even milliseconds are past year 5138: no clock wrote it.
MAX_OFFLINE_TIMESTAMP = 10**14
# Longest text a column takes: real names, platforms and URIs are far shorter; a megabyte "name" is no history.
MAX_TEXT_CHARS = 10_000

ACCOUNT_PLACEHOLDERS = {"Unknown Artist", "Unknown Track"}


@dataclass
class FileStats:
    """What one file held: counted for the summary and the `export_imports` row."""

    rows: int
    first_ended_at: datetime | None
    last_ended_at: datetime | None


@dataclass
class AccountKeys:
    """Numbers identical account-data rows within one import: the n-th play of a (minute, names, ms) gets `#n`.

    Account data has minute precision and no id, so two genuine plays of a track in one minute are identical rows;
    numbering them keeps both, and a re-import of the same rows yields the same numbers, so it adds nothing.
    """

    seen: dict[str, int] = field(default_factory=dict)

    def key(self, base: str) -> str:
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return f"{base}#{n}"


def parse_json_array(file: ExportFile, data: bytes) -> list[dict[str, Any]]:
    """The file's rows; refuses anything but a JSON array of objects."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark, as some editors write it
    if not data.strip():
        raise ExportError(file.name, "is empty (0 bytes of JSON)")
    try:
        rows = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        truncated = "unexpected end" in str(exc).lower() or "eof" in str(exc).lower()
        reason = "is truncated (the JSON ends early)" if truncated else "is not valid JSON"
        raise ExportError(file.name, f"{reason}: {exc}") from None
    if not isinstance(rows, list):
        raise ExportError(file.name, f"is JSON of another shape: a {type(rows).__name__}, not an array of plays")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ExportError(file.name, f"is JSON of another shape: item {index} is a {type(row).__name__}")
    return rows


def _column(file: ExportFile, rows: list[dict[str, Any]], key: str, required: bool = False) -> list[Any]:
    if not required:
        return [row.get(key) for row in rows]
    try:
        return [row[key] for row in rows]
    except KeyError:
        index = next(i for i, row in enumerate(rows) if key not in row)
        raise ExportError(
            file.name, f"is JSON of another shape: play {index} has no `{key}` (not a {file.export_kind} history)"
        ) from None


def _array(file: ExportFile, values: list[Any], arrow_type: pa.DataType, what: str) -> pa.Array:
    if arrow_type == pa.int64() and any(type(value) is float for value in values):
        # pyarrow would truncate 1.5 to 1 without a word: a count of milliseconds is a whole number in every export.
        raise ExportError(file.name, f"has a `{what}` value of the wrong type (a fraction, not whole milliseconds)")
    try:
        array = pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise ExportError(file.name, f"has a `{what}` value of the wrong type ({exc})") from None
    if arrow_type == pa.string() and len(array) and (pc.max(pc.utf8_length(array)).as_py() or 0) > MAX_TEXT_CHARS:
        raise ExportError(file.name, f"has a `{what}` value longer than {MAX_TEXT_CHARS:,} characters")
    return array


def _timestamps(file: ExportFile, values: list[Any], fmt: str, what: str) -> pa.Array:
    strings = _array(file, values, pa.string(), what)
    if strings.null_count:
        raise ExportError(file.name, f"has a play without `{what}`")
    try:
        parsed = pc.strptime(strings, format=fmt, unit="s")
    except pa.ArrowInvalid as exc:
        raise ExportError(file.name, f"has a `{what}` that is not a time like {fmt!r} ({exc})") from None
    # strptime rolls impossible dates over (2024-02-30 becomes 2024-03-01): only times that print back as read pass.
    differs = pc.invert(pc.equal(pc.strftime(parsed, format=fmt), strings))
    if pc.any(differs).as_py():
        bad = strings.filter(differs)[0].as_py()
        raise ExportError(file.name, f"has a `{what}` that is not a time like {fmt!r} ({bad!r:.40})")
    return parsed.cast(pa.timestamp("s", tz="UTC")).cast(UTC_US)


def _offline_at(file: ExportFile, values: list[Any]) -> tuple[pa.Array, list[int | None]]:
    """offline_timestamp in ms (old files) or s (new ones), 0/null unknown → a UTC timestamp, and whole seconds."""
    raw = _array(file, values, pa.float64(), "offline_timestamp")
    if pc.any(pc.greater(raw, MAX_OFFLINE_TIMESTAMP)).as_py():
        raise ExportError(file.name, "has an `offline_timestamp` beyond any clock (after year 5138 even in ms)")
    known = pc.and_kleene(pc.is_valid(raw), pc.greater(raw, 0))
    micros = pc.if_else(pc.greater(raw, MS_THRESHOLD), pc.multiply(raw, 1_000), pc.multiply(raw, 1_000_000))
    micros = pc.if_else(known, micros, pa.scalar(None, pa.float64()))
    timestamps = pc.cast(pc.round(micros), pa.int64()).cast(UTC_US)
    seconds = pc.cast(pc.floor(pc.divide(micros, 1_000_000)), pa.int64()).to_pylist()
    return timestamps, seconds


def _non_negative(file: ExportFile, values: pa.Array, what: str) -> pa.Array:
    if values.null_count or pc.any(pc.less(values, 0)).as_py():
        raise ExportError(file.name, f"has a `{what}` that is missing or negative")
    return values


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def extended_table(file: ExportFile, rows: list[dict[str, Any]], import_id: str, user_id: str | None) -> pa.Table:
    """Rows of an extended streaming history file (`Streaming_History_*`, `endsong_*`), every field version."""
    if rows and not any(key in rows[0] for key in EXTENDED_CONTENT_KEYS):
        raise ExportError(
            file.name, "is JSON of another shape: its plays have none of the extended history's content fields"
        )
    ts = _column(file, rows, "ts", required=True)
    ms = _non_negative(file, _array(file, _column(file, rows, "ms_played", True), pa.int64(), "ms_played"), "ms_played")
    strings = {column: _column(file, rows, key) for column, key in EXTENDED_STRINGS.items()}
    bools = {column: _column(file, rows, column) for column in EXTENDED_BOOLS}
    offline_at, offline_seconds = _offline_at(file, _column(file, rows, "offline_timestamp"))

    s = strings
    content = [
        ("video" if file.part == "video" else "track") if (tu or tn)
        else ("video" if file.part == "video" else "episode") if (eu or en)
        else "audiobook" if (au or acu or at)
        else "unknown"
        for tu, tn, eu, en, au, acu, at in zip(
            s["track_uri"], s["track_name"], s["episode_uri"], s["episode_name"],
            s["audiobook_uri"], s["audiobook_chapter_uri"], s["audiobook_title"], strict=True,
        )
    ]  # fmt: skip
    # The play's content: ended second, what was played (a URI, else its names), how and how long. A field's
    # version (ip_addr vs ip_addr_decrypted, ms vs s offline time) does not change it, so re-exports collapse.
    identity = [
        tu or eu or acu or au or repr(names)
        for tu, eu, acu, au, *names in zip(
            s["track_uri"], s["episode_uri"], s["audiobook_chapter_uri"], s["audiobook_uri"],
            s["track_name"], s["artist_name"], s["album_name"], s["episode_name"], s["show_name"],
            s["audiobook_title"], s["audiobook_chapter_title"], strict=True,
        )
    ]  # fmt: skip
    keys = [
        _hash(repr((user_id, *row)))  # the account is part of a play's identity (several may share a warehouse)
        for row in zip(
            ts,
            identity,
            ms.to_pylist(),
            s["reason_start"],
            s["reason_end"],
            s["platform"],
            bools["shuffle"],
            bools["skipped"],
            bools["offline"],
            offline_seconds,
            bools["incognito_mode"],
            strict=True,
        )
    ]
    columns: dict[str, pa.Array] = {
        "play_key": pa.array(keys, pa.string()),
        "export_kind": pa.array(["extended"] * len(rows), pa.string()),
        "content_type": pa.array(content, pa.string()),
        "ended_at": _timestamps(file, ts, "%Y-%m-%dT%H:%M:%SZ", "ts"),
        "ms_played": ms,
        "offline_at": offline_at,
    }
    for column, values in strings.items():
        columns[column] = _array(file, values, pa.string(), EXTENDED_STRINGS[column])
    for column, values in bools.items():
        columns[column] = _array(file, values, pa.bool_(), column)
    return _table(columns, len(rows), file, import_id, user_id)


def account_table(
    file: ExportFile, rows: list[dict[str, Any]], import_id: str, user_id: str | None, numbering: AccountKeys
) -> pa.Table:
    """Rows of an account-data file (`StreamingHistory_music_N`, `_podcast_`, `_audiobook_`, legacy `N`).

    Music rows name artist and track, podcast rows show and episode, audiobook rows book and chapter; the legacy
    `StreamingHistoryN.json` mixes podcasts into music rows indistinguishably, so they count as tracks.
    """
    end_times = _column(file, rows, "endTime", required=True)
    ms = _non_negative(file, _array(file, _column(file, rows, "msPlayed", True), pa.int64(), "msPlayed"), "msPlayed")
    name_columns = (
        "track_name",
        "artist_name",
        "episode_name",
        "show_name",
        "audiobook_title",
        "audiobook_chapter_title",
    )
    names: dict[str, list[Any]] = {column: [None] * len(rows) for column in name_columns}
    content: list[str] = []
    keys: list[str] = []
    for index, (row, end_time, played) in enumerate(zip(rows, end_times, ms.to_pylist(), strict=True)):
        if "podcastName" in row or "episodeName" in row:
            kind, first, second = "episode", ("show_name", "podcastName"), ("episode_name", "episodeName")
        elif "audiobookName" in row or "chapterName" in row:
            kind, first, second = "audiobook", ("audiobook_title", "audiobookName"), (
                "audiobook_chapter_title", "chapterName")  # fmt: skip
        elif "artistName" in row or "trackName" in row:
            kind, first, second = "track", ("artist_name", "artistName"), ("track_name", "trackName")
        else:
            raise ExportError(file.name, f"is JSON of another shape: play {index} names no track, episode or audiobook")
        a, b = row.get(first[1]), row.get(second[1])
        a = None if a in ACCOUNT_PLACEHOLDERS else a
        b = None if b in ACCOUNT_PLACEHOLDERS else b
        if a is None and b is None:
            kind = "unknown"
        names[first[0]][index] = a
        names[second[0]][index] = b
        content.append(kind)
        keys.append(numbering.key(_hash(repr(("account", user_id, kind, end_time, a, b, played)))))
    columns: dict[str, pa.Array] = {
        "play_key": pa.array(keys, pa.string()),
        "export_kind": pa.array(["account"] * len(rows), pa.string()),
        "content_type": pa.array(content, pa.string()),
        "ended_at": _timestamps(file, end_times, "%Y-%m-%d %H:%M", "endTime"),
        "ms_played": ms,
    }
    for column, values in names.items():
        columns[column] = _array(file, values, pa.string(), column)
    return _table(columns, len(rows), file, import_id, user_id)


def _table(columns: dict[str, pa.Array], n: int, file: ExportFile, import_id: str, user_id: str | None) -> pa.Table:
    columns["user_id"] = pa.nulls(n, pa.string()) if user_id is None else pa.array([user_id] * n, pa.string())
    columns["source_file"] = pa.array([file.name] * n, pa.string())
    columns["import_id"] = pa.array([import_id] * n, pa.string())
    return pa.table([columns.get(f.name, pa.nulls(n, f.type)) for f in SCHEMA], schema=SCHEMA)


def stats(table: pa.Table) -> FileStats:
    if table.num_rows == 0:
        return FileStats(0, None, None)
    bounds = pc.min_max(table["ended_at"]).as_py()
    return FileStats(table.num_rows, bounds["min"], bounds["max"])


def file_table(file: ExportFile, data: bytes, import_id: str, user_id: str | None, numbering: AccountKeys) -> pa.Table:
    """Parse and check one file of either kind into its Arrow table."""
    rows = parse_json_array(file, data)
    del data
    if file.export_kind == "extended":
        return extended_table(file, rows, import_id, user_id)
    return account_table(file, rows, import_id, user_id, numbering)
