"""The export reader on its own: every field version, quirk and kind of PATH, without dlt or a warehouse."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from spotify_source.errors import ExportError
from spotify_source.export import SCHEMA, ImportReport, classify, read_tables
from spotify_source.export.files import ExportFile
from spotify_source.export.rows import AccountKeys, file_table
from tests.export.rows import ACCOUNT, EXTENDED, PRIVATE, extended_row, sample_export, write_folder, write_zip


def read(path: Path) -> list[dict[str, Any]]:
    report = ImportReport("test-import", path.name)
    tables = list(read_tables(path, report))
    assert all(table.schema == SCHEMA for table in tables)
    return pa.concat_tables(tables).to_pylist()


def by_time(rows: list[dict[str, Any]], kind: str, ended_at: datetime) -> list[dict[str, Any]]:
    return [row for row in rows if row["export_kind"] == kind and row["ended_at"] == ended_at]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Streaming_History_Audio_2023.json", ("extended", "audio")),
        ("Streaming_History_Audio_2014-2016_3.json", ("extended", "audio")),
        ("Streaming_History_Video_2019-2025.json", ("extended", "video")),
        ("endsong_12.json", ("extended", "endsong")),
        ("StreamingHistory_music_0.json", ("account", "music")),
        ("StreamingHistory_podcast_1.json", ("account", "podcast")),
        ("StreamingHistory_audiobook_0.json", ("account", "audiobook")),
        ("StreamingHistory3.json", ("account", "legacy")),
        ("Userdata.json", None),
        ("Playlist1.json", None),
        ("StreamingHistory_music_0.json.bak", None),
    ],
)
def test_files_are_recognised_by_name(name: str, expected: tuple[str, str] | None) -> None:
    assert classify(name) == expected


def test_every_field_version_and_quirk(tmp_path: Path) -> None:
    rows = read(write_folder(tmp_path / "export", sample_export()))
    assert len(rows) == 7 + 5  # the exact duplicate row is dropped while reading (insert-only merge can't)

    (legacy,) = by_time(rows, "extended", at("2019-05-01 10:00:00"))
    assert legacy["track_uri"] == "spotify:track:t1" and legacy["content_type"] == "track"
    assert legacy["skipped"] is None  # null in old files stays unknown
    assert legacy["offline_at"] == datetime(2020, 9, 13, 12, 26, 40, 123000, tzinfo=UTC)  # ms
    assert legacy["platform"].startswith("Android OS")
    assert legacy["source_file"] == f"{EXTENDED}/endsong_0.json"

    (unknown,) = by_time(rows, "extended", at("2019-05-01 10:03:00"))  # exact duplicates: one row
    assert unknown["content_type"] == "unknown"
    assert unknown["ms_played"] == 4_000 and unknown["track_name"] is None

    (offline,) = by_time(rows, "extended", at("2024-01-01 00:10:00"))
    assert offline["offline"] is True
    assert offline["offline_at"] == datetime(2023, 12, 31, 23, 56, 40, tzinfo=UTC)  # seconds
    (zero,) = by_time(rows, "extended", at("2023-12-31 23:50:00"))
    assert zero["offline_at"] is None  # 0 means unknown
    (episode,) = by_time(rows, "extended", at("2024-01-02 09:00:00"))
    assert (episode["content_type"], episode["episode_uri"], episode["show_name"], episode["offline_at"]) == (
        "episode", "spotify:episode:e1", "Show", None,
    )  # fmt: skip
    (book,) = by_time(rows, "extended", at("2025-03-01 08:00:00"))
    assert book["content_type"] == "audiobook" and book["audiobook_chapter_title"] == "Chapter 1"
    assert (book["audiobook_uri"], book["audiobook_chapter_uri"], book["skipped"]) == (
        "spotify:audiobook:b1", "spotify:episode:c1", True,
    )  # fmt: skip
    (video,) = by_time(rows, "extended", at("2025-03-02 08:00:00"))
    assert video["content_type"] == "video" and video["ms_played"] == 0

    repeats = by_time(rows, "account", at("2024-06-01 12:00:00"))
    assert sorted(row["play_key"][-2:] for row in repeats) == ["#0", "#1"]  # two plays in one minute stay two
    assert repeats[0]["play_key"][:-2] == repeats[1]["play_key"][:-2]
    (placeholder,) = by_time(rows, "account", at("2024-06-01 12:05:00"))
    assert (placeholder["artist_name"], placeholder["track_name"], placeholder["content_type"]) == (
        None, None, "unknown",
    )  # fmt: skip
    (podcast,) = by_time(rows, "account", at("2024-06-02 07:00:00"))
    assert (podcast["content_type"], podcast["show_name"], podcast["episode_name"]) == ("episode", "Show", "Ep")
    (chapter,) = by_time(rows, "account", at("2024-06-03 21:00:00"))
    assert (chapter["content_type"], chapter["audiobook_title"], chapter["audiobook_chapter_title"]) == (
        "audiobook", "Book", "Chapter 2",
    )  # fmt: skip
    assert {row["import_id"] for row in rows} == {"test-import"}
    assert not any(value in PRIVATE for row in rows for value in row.values())


def test_zip_folder_and_single_file_read_alike(tmp_path: Path) -> None:
    files = sample_export()
    from_folder = read(write_folder(tmp_path / "folder", files))
    from_zip = read(write_zip(tmp_path / "my_spotify_data.zip", files))
    assert from_zip == from_folder
    single = tmp_path / "folder" / EXTENDED / "Streaming_History_Audio_2023-2024.json"
    rows = read(single)
    assert [row["source_file"] for row in rows] == ["Streaming_History_Audio_2023-2024.json"] * 3
    assert {row["play_key"] for row in rows} <= {row["play_key"] for row in from_folder}


def test_field_versions_do_not_change_the_key(tmp_path: Path) -> None:
    """The same play written by an old (ms, ip_addr_decrypted) and a new (s, ip_addr) export has one key."""
    old = extended_row("legacy", "2022-02-02T02:02:02Z", skipped=False, offline_timestamp=1_643_767_000_000)
    new = extended_row("2025", "2022-02-02T02:02:02Z", platform=old["platform"], offline_timestamp=1_643_767_000)
    assert old["offline_timestamp"] != new["offline_timestamp"] and "ip_addr" in new and "ip_addr" not in old
    keys = [read(write_folder(tmp_path / n, {f"{EXTENDED}/{n}": [row]}))[0]["play_key"]
            for n, row in (("endsong_0.json", old), ("Streaming_History_Audio_2022.json", new))]  # fmt: skip
    assert keys[0] == keys[1]
    other = extended_row("2025", "2022-02-02T02:02:02Z", platform=old["platform"], ms=179_999)
    path = write_folder(tmp_path / "x", {f"{EXTENDED}/Streaming_History_Audio_2022.json": [other]})
    assert read(path)[0]["play_key"] != keys[0]  # a different report of the stream is another row


def test_account_numbering_spans_files_and_repeats_on_reimport(tmp_path: Path) -> None:
    row = {"endTime": "2024-06-01 12:00", "artistName": "Band", "trackName": "Song", "msPlayed": 30_000}
    files = {f"{ACCOUNT}/StreamingHistory_music_0.json": [row, row], f"{ACCOUNT}/StreamingHistory_music_1.json": [row]}
    first = sorted(r["play_key"] for r in read(write_folder(tmp_path / "a", files)))
    assert len(set(first)) == 3
    assert first == sorted(r["play_key"] for r in read(write_zip(tmp_path / "a.zip", files)))


def test_legacy_account_file_mixes_podcasts_as_music(tmp_path: Path) -> None:
    rows = read(write_folder(tmp_path, {"MyData/StreamingHistory0.json": [
        {"endTime": "2020-01-01 00:00", "artistName": "Show", "trackName": "Episode", "msPlayed": 10},
    ]}))  # fmt: skip
    assert (rows[0]["content_type"], rows[0]["artist_name"], rows[0]["source_file"]) == (
        "track", "Show", "MyData/StreamingHistory0.json",
    )  # fmt: skip


def test_bom_is_accepted_and_report_counts(tmp_path: Path) -> None:
    path = tmp_path / "StreamingHistory_music_0.json"
    row = b'{"endTime": "2020-01-01 00:00", "artistName": "A", "trackName": "T", "msPlayed": 1}'
    path.write_bytes(b"\xef\xbb\xbf[" + row + b"]")
    report = ImportReport("i", path.name)
    list(read_tables(path, report))
    assert report.finished and report.row()["rows_account"] == 1 and report.row()["files"] == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello", "is not valid JSON"),
        (b'[{"endTime": "2020-01-01 00:00", "artistName": "A", "trackName"', "is truncated"),
        (b'{"endTime": "2020-01-01 00:00"}', "JSON of another shape: a dict"),
        (b"[1, 2]", "item 0 is a int"),
        (b'[{"foo": 1}]', "has no `endTime`"),
        (b'[{"endTime": "2020-01-01 00:00", "msPlayed": 1}]', "names no track"),
        (b'[{"endTime": "yesterday", "artistName": "A", "trackName": "T", "msPlayed": 1}]', "not a time"),
        (b'[{"endTime": "2020-01-01 00:00", "artistName": "A", "trackName": "T", "msPlayed": "1"}]', "wrong type"),
        (b'[{"endTime": "2020-01-01 00:00", "artistName": "A", "trackName": "T", "msPlayed": -5}]', "negative"),
        (b"", "is empty"),
    ],
)
def test_bad_account_file_is_refused_with_its_name(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "StreamingHistory_music_0.json"
    path.write_bytes(content)
    with pytest.raises(ExportError) as refused:
        list(read_tables(path, ImportReport("i", path.name)))
    assert refused.value.where == "StreamingHistory_music_0.json" and reason in refused.value.reason
    assert refused.value.exit_code != 0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"ts": "2020-01-01 00:00:00", "ms_played": 1, "spotify_track_uri": None}, "not a time"),
        ({"ms_played": 1, "spotify_track_uri": None}, "has no `ts`"),
        ({"ts": "2020-01-01T00:00:00Z", "ms_played": 1}, "none of the extended history's content fields"),
        ({"ts": "2020-01-01T00:00:00Z", "ms_played": 1, "spotify_track_uri": 7}, "wrong type"),
        ({"ts": "2020-01-01T00:00:00Z", "ms_played": 1, "spotify_track_uri": None, "shuffle": "yes"}, "wrong type"),
    ],
)
def test_bad_extended_row_is_refused(tmp_path: Path, row: dict[str, Any], reason: str) -> None:
    path = tmp_path / "Streaming_History_Audio_2020.json"
    path.write_text(json.dumps([row]))
    with pytest.raises(ExportError, match=reason) as refused:
        list(read_tables(path, ImportReport("i", path.name)))
    assert "Streaming_History_Audio_2020.json" in str(refused.value)


def test_file_table_keeps_numbering_state_between_calls() -> None:
    numbering = AccountKeys()
    file = ExportFile("StreamingHistory_music_0.json", "account", "music", 0)
    data = b'[{"endTime": "2020-01-01 00:00", "artistName": "A", "trackName": "T", "msPlayed": 1}]'
    first = file_table(file, data, "i", "user-1", numbering)
    second = file_table(file, data, "i", "user-1", numbering)
    assert first["play_key"][0].as_py().endswith("#0") and second["play_key"][0].as_py().endswith("#1")
    assert first["user_id"].to_pylist() == ["user-1"]


def test_parallel_parsing_gives_the_same_tables_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big exports are parsed by worker processes (export/parallel.py): forced on here for a small one, the rows,
    their order and the account numbering equal the single-process read, and a bad file still names itself."""
    from spotify_source.export import parallel

    export = write_zip(tmp_path / "my_spotify_data.zip", sample_export())
    serial = read(export)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "worker_count", lambda: 2)
    assert read(export) == serial

    broken = sample_export() | {f"{EXTENDED}/Streaming_History_Audio_2024_1.json": b'[{"ts": "2024-01-01T00:'}
    with pytest.raises(ExportError) as refused:
        read(write_zip(tmp_path / "broken.zip", broken))
    assert refused.value.where.endswith("Streaming_History_Audio_2024_1.json") and "truncated" in refused.value.reason
