"""`python pipeline.py import-export PATH` end to end, in-process through `pipeline.main`, into a temp warehouse.

Judged by the exit code, the message and the warehouse itself: a good import lands every distinct row once, a
re-import or an overlapping export adds only what is new, and every kind of bad input leaves the warehouse exactly
as it was (row counts and a checksum of every raw table, dlt's own included), after which a good import still works.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from spotify_pipeline.export_import import export_pipeline
from tests.export.rows import (
    ACCOUNT,
    EXTENDED,
    SAMPLE_DISTINCT_ROWS,
    extended_row,
    sample_export,
    write_folder,
    write_zip,
)
from tests.reliability.warehouse_state import fingerprint


def rows_by_kind(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return dict(connection.execute(
            "select export_kind, count(*) from spotify_raw.export_streams group by 1"
        ).fetchall())  # fmt: skip


def test_import_lands_every_distinct_row_once_and_reimport_adds_nothing(tmp_path: Path, cli: Callable) -> None:
    files = sample_export()
    warehouse = tmp_path / "warehouse.duckdb"
    code, out, err = cli("import-export", str(write_zip(tmp_path / "my_spotify_data.zip", files)), "--no-transform")
    assert code == 0, err
    assert rows_by_kind(warehouse) == SAMPLE_DISTINCT_ROWS
    assert "Read 7 file(s), 13 plays from my_spotify_data.zip" in out
    assert "extended     4 file(s)          8 plays  2019-05-01 .. 2025-03-02  new rows: 7" in out
    assert "Transform skipped" in out
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        imports = connection.execute(
            "select source_name, files, rows_read, rows_extended, rows_account from spotify_raw.export_imports"
        ).fetchall()
        text = connection.execute("select string_agg(s::varchar, '') from spotify_raw.export_streams s").fetchone()
        load_ids = connection.execute("select count(*) from spotify_raw.export_streams where _dlt_load_id is null")
        assert load_ids.fetchone() == (0,)
    assert imports == [("my_spotify_data.zip", 7, 13, 8, 5)]
    for private in ("203.0.113.7", "secret-user-name", "SecretAgent"):
        assert private not in text[0]

    before = fingerprint(warehouse)["export_streams"]
    code, out, _ = cli("import-export", str(write_folder(tmp_path / "unpacked", files)), "--no-transform")
    assert code == 0 and "+0)" in out
    assert rows_by_kind(warehouse) == SAMPLE_DISTINCT_ROWS
    assert fingerprint(warehouse)["export_streams"][0] == before[0]
    assert fingerprint(warehouse)["export_imports"][0] == 2


def test_the_export_owner_is_the_one_account_or_must_be_named(tmp_path: Path, cli: Callable) -> None:
    """Every play carries user_id and an export names no id: with no account in the warehouse (or several) the
    import is refused before anything is read; with one account its plays go to that account."""
    from tests.export.conftest import EXPORT_OWNER

    warehouse = tmp_path / "warehouse.duckdb"
    path = str(write_zip(tmp_path / "my_spotify_data.zip", sample_export()))
    code, _, err = cli("import-export", path, "--no-transform", "--user-id", "")
    assert code == 2 and "holds no Spotify account yet" in err and "--user-id" in err
    assert fingerprint(warehouse) == {}

    with duckdb.connect(str(warehouse)) as connection:  # as if `python pipeline.py` had loaded one account
        connection.execute("create schema spotify_raw; create table spotify_raw.users (id varchar)")
        connection.execute("insert into spotify_raw.users values ('the-account')")
    assert cli("import-export", path, "--no-transform", "--user-id", "")[0] == 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        owners = connection.execute("select distinct user_id from spotify_raw.export_streams").fetchall()
    assert owners == [("the-account",)] and EXPORT_OWNER != "the-account"

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into spotify_raw.users values ('another-account')")
    code, _, err = cli("import-export", path, "--no-transform", "--user-id", "")
    assert code == 2 and "holds 2 Spotify accounts" in err


def test_overlapping_newer_export_adds_only_new_rows(tmp_path: Path, cli: Callable) -> None:
    def plays(days: range) -> list[dict[str, Any]]:
        return [extended_row("2024", f"2024-03-{day:02d}T12:00:00Z", uri=f"spotify:track:t{day}") for day in days]

    def minute(day: int) -> list[dict[str, Any]]:  # the same song twice in one minute: two plays
        row = {"endTime": f"2024-03-{day:02d} 13:00", "artistName": "Band", "trackName": "Song", "msPlayed": 9_000}
        return [row, row]

    older = {f"{EXTENDED}/Streaming_History_Audio_2024.json": plays(range(1, 21)),
             f"{ACCOUNT}/StreamingHistory_music_0.json": [r for day in range(1, 21) for r in minute(day)]}  # fmt: skip
    newer = {f"{EXTENDED}/Streaming_History_Audio_2024.json": plays(range(11, 31)),
             f"{ACCOUNT}/StreamingHistory_music_0.json": [r for day in range(11, 31) for r in minute(day)]}  # fmt: skip
    warehouse = tmp_path / "warehouse.duckdb"
    assert cli("import-export", str(write_zip(tmp_path / "old.zip", older)), "--no-transform")[0] == 0
    assert rows_by_kind(warehouse) == {"extended": 20, "account": 40}
    code, out, _ = cli("import-export", str(write_zip(tmp_path / "new.zip", newer)), "--no-transform")
    assert code == 0
    assert rows_by_kind(warehouse) == {"extended": 30, "account": 60}
    assert "account      1 file(s)         40 plays  2024-03-11 .. 2024-03-30  new rows: 20" in out


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{EXTENDED}/Streaming_History_Audio_2024.json", b"[" + b" " * 8_000_000 + b"]")
    return path


def _zip_with_member(path: Path, member: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Spotify Account Data/StreamingHistory_music_0.json", b"[]")
        archive.writestr(member, b"[]")
    return path


GOOD = sample_export()
TRUNCATED = {**GOOD, f"{EXTENDED}/Streaming_History_Video_2025.json": b'[{"ts": "2025-03-02T08:00:00Z", "ms_pl'}
BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "missing path": (lambda d: d / "nowhere.zip", "nowhere.zip", "does not exist"),
    "not JSON": (
        lambda d: write_folder(d / "x", {**GOOD, f"{ACCOUNT}/StreamingHistory_music_0.json": b"<html>nope</html>"}),
        "StreamingHistory_music_0.json",
        "is not valid JSON",
    ),
    "truncated file, last in the zip": (
        lambda d: write_zip(d / "t.zip", TRUNCATED),
        "Streaming_History_Video_2025.json",
        "is truncated",
    ),
    "JSON of another shape": (
        lambda d: write_folder(d / "x", {**GOOD, f"{EXTENDED}/endsong_0.json": b'{"playlists": []}'}),
        "endsong_0.json",
        "JSON of another shape",
    ),
    "rows of another shape": (
        lambda d: write_folder(d / "x", {**GOOD, f"{ACCOUNT}/StreamingHistory_podcast_0.json": [{"name": "x"}]}),
        "StreamingHistory_podcast_0.json",
        "has no `endTime`",
    ),
    "zip of something else": (
        lambda d: write_zip(d / "photos.zip", {"holiday/IMG_0001.jpg": b"\xff\xd8\xff", "notes.txt": b"hi"}),
        "photos.zip",
        "contains no streaming history files",
    ),
    "zip member escaping with ..": (
        lambda d: _zip_with_member(d / "evil.zip", "../../StreamingHistory_music_1.json"),
        "../../StreamingHistory_music_1.json",
        "points outside",
    ),
    "zip member with absolute path": (
        lambda d: _zip_with_member(d / "abs.zip", "/etc/StreamingHistory_music_1.json"),
        "/etc/StreamingHistory_music_1.json",
        "points outside",
    ),
    "zip bomb": (lambda d: _bomb(d / "bomb.zip"), "Streaming_History_Audio_2024.json", "possible zip bomb"),
    "empty export": (
        lambda d: write_folder(d / "x", {f"{ACCOUNT}/StreamingHistory_music_0.json": []}),
        "x",
        "without a single play",
    ),
    "folder without history": (
        lambda d: write_folder(d / "x", {f"{ACCOUNT}/Userdata.json": b"{}"}),
        "x",
        "contains no streaming history",
    ),
    "damaged zip": (
        lambda d: write_folder(d, {"my_spotify_data.zip": b"PK\x03\x04garbage"}) / "my_spotify_data.zip",
        "my_spotify_data.zip",
        "is not a readable zip",
    ),
    "file not named as history": (
        lambda d: write_folder(d, {"history.json": b"[]"}) / "history.json",
        "history.json",
        "by its name",
    ),
    "wrong value type": (
        lambda d: write_folder(
            d / "x",
            {
                **GOOD,
                f"{EXTENDED}/Streaming_History_Audio_2025.json": [
                    extended_row("2025", "2025-01-01T00:00:00Z", ms_played="long")
                ],
            },
        ),
        "Streaming_History_Audio_2025.json",
        "wrong type",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_nothing_is_loaded(tmp_path: Path, cli: Callable, case: str) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    first = {f"{EXTENDED}/Streaming_History_Audio_2010.json": [extended_row("2024", "2010-01-01T00:00:00Z")]}
    assert cli("import-export", str(write_folder(tmp_path / "first", first)), "--no-transform")[0] == 0
    before = fingerprint(warehouse)

    make, named, reason = BAD_INPUTS[case]
    (tmp_path / "bad").mkdir()
    code, _, err = cli("import-export", str(make(tmp_path / "bad")), "--no-transform")
    assert code == 2, err
    assert named in err and reason in err and "nothing of this export was loaded" in err
    assert fingerprint(warehouse) == before

    # Nothing half-extracted lingers in dlt's folder to ride along with the next import.
    code, _, err = cli("import-export", str(write_zip(tmp_path / "good.zip", GOOD)), "--no-transform")
    assert code == 0, err
    assert rows_by_kind(warehouse) == {"extended": SAMPLE_DISTINCT_ROWS["extended"] + 1, "account": 5}
    assert fingerprint(warehouse)["export_imports"][0] == 2


def test_what_a_killed_import_left_extracted_is_never_loaded(tmp_path: Path, cli: Callable) -> None:
    """A process killed after extracting leaves a package in dlt's folder; the next import must drop it, not load it."""
    from spotify_source.export import spotify_export

    warehouse = tmp_path / "warehouse.duckdb"
    assert cli("import-export", str(write_zip(tmp_path / "good.zip", GOOD)), "--no-transform")[0] == 0
    leftover = {f"{EXTENDED}/Streaming_History_Audio_2011.json": [extended_row("2024", "2011-01-01T00:00:00Z")]}
    export_pipeline().extract(spotify_export(str(write_folder(tmp_path / "killed", leftover))))
    assert export_pipeline().has_pending_data

    code, _, _ = cli("import-export", str(write_zip(tmp_path / "good.zip", GOOD)), "--no-transform")
    assert code == 0
    assert rows_by_kind(warehouse) == SAMPLE_DISTINCT_ROWS  # nothing of 2011


def test_the_exports_loads_cap_duckdbs_memory_and_the_apis_do_not(tmp_path: Path, cli: Callable) -> None:
    """An export's one merge of a whole history spills to disk beyond the cap instead of holding it all in memory
    (benchmarks/RESULTS.md); the cap must reach the connection dlt loads with, and only the export's."""
    from spotify_pipeline.loading import dlt_pipeline

    export = write_folder(tmp_path / "export", sample_export())
    code, _, err = cli("import-export", str(export), "--no-transform", "--user-id", "someone")
    assert code == 0, err
    with export_pipeline().sql_client() as client:
        assert client.execute_sql("select current_setting('memory_limit')") == [("143.0 MiB",)]  # 150 MB
    with dlt_pipeline("spotify").sql_client() as client:
        assert client.execute_sql("select current_setting('memory_limit')") != [("143.0 MiB",)]
