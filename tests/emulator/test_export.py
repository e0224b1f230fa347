"""Spotify data exports generated from the emulator: Spotify's documented shapes, the quirks real exports have, and
a ground truth that agrees with the files (every play once, durations equal across exports, no overlaps)."""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from spotify_emulator.__main__ import main as emulator_main
from spotify_emulator.export import (
    expected_listening_history,
    full_history,
    write_account_export,
    write_bulk_extended_history,
    write_extended_export,
)
from spotify_emulator.export.files import FIELDS, LOCAL_UTC_OFFSET
from spotify_emulator.export.history import API_RECENT_LIMIT
from spotify_emulator.library import Library, generate
from spotify_emulator.mutations import add_plays

EXTENDED = "Spotify Extended Streaming History"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
END_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
AUDIO_NAME = re.compile(r"^Streaming_History_Audio_(\d{4})(?:-(\d{4}))?(?:_\d+)?\.json$")
VIDEO_NAME = re.compile(r"^Streaming_History_Video_(\d{4})(?:-(\d{4}))?\.json$")
METADATA = (
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
)


@pytest.fixture(scope="module")
def library() -> Library:
    return generate(1, "small")


def _read(folder: Path) -> dict[str, list[dict]]:
    return {path.name: json.loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))}


def _uri(row: dict) -> str | None:
    return row.get("spotify_track_uri") or row.get("spotify_episode_uri") or row.get("audiobook_chapter_uri")


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plays_in(files: dict[str, list[dict]]) -> Counter:
    """The plays the rows describe, by the documented rule: exact duplicates are one row; rows sharing (ts, uri)
    are one play with the largest ms_played."""
    by_pair: dict[tuple, int] = {}
    anonymous: set[str] = set()
    for rows in files.values():
        for row in rows:
            if _uri(row):
                key = (row["ts"], _uri(row))
                by_pair[key] = max(by_pair.get(key, 0), row["ms_played"])
            else:
                anonymous.add(json.dumps(row, sort_keys=True))
    plays = Counter((ts, uri, ms) for (ts, uri), ms in by_pair.items())
    plays.update((row["ts"], None, row["ms_played"]) for row in map(json.loads, anonymous))
    return plays


# --- the full history -------------------------------------------------------------------------------------------


def test_history_is_deterministic_per_seed(library: Library) -> None:
    assert full_history(library) == full_history(generate(1, "small"))
    assert full_history(library) != full_history(generate(2, "small"))


def test_history_keeps_every_play_when_new_plays_arrive() -> None:
    """An older export must be part of a newer one: appended plays change nothing before them."""
    library = generate(3, "small")
    before = full_history(library)
    add_plays(library, 80)
    after = full_history(library)
    assert len(after) >= len(before) + 80
    assert set(before) <= set(after)


def test_every_api_play_is_in_the_history_once_and_nothing_overlaps(library: Library) -> None:
    history = full_history(library)
    api = [p for p in history if p.in_api]
    assert [(p.track_id, p.ended_at) for p in api] == [(p.track_id, p.played_at) for p in library.plays]
    for before, after in pairwise(history):
        assert after.started_at >= before.ended_at, (before, after)
    for play in api:
        assert 0 <= play.ms_played <= library.tracks[play.track_id].duration_ms
    assert {p.content_type for p in history} == {"track", "episode", "audiobook", "video", "unknown"}
    assert all(p.ended_at.microsecond % 1000 == 0 and p.ended_at.tzinfo == UTC for p in history)


def test_export_only_plays_come_before_the_newest_api_plays(library: Library) -> None:
    history = full_history(library)
    cut = min(p.started_at for p in [p for p in history if p.in_api][-API_RECENT_LIMIT:])
    extras = [p for p in history if not p.in_api]
    assert extras and max(p.ended_at for p in extras) <= cut


def test_history_has_genuine_repeats_within_a_minute_and_no_repeated_second(library: Library) -> None:
    history = full_history(library)
    minutes = Counter(
        (p.ended_at.replace(second=0, microsecond=0), p.track_id, p.ms_played) for p in history if p.track_id
    )
    assert any(count >= 2 for count in minutes.values())
    seconds = Counter((_ts(p.ended_at), p.uri) for p in history if p.uri)
    assert max(seconds.values()) == 1, "two genuine plays must never share (ts, uri): that pair marks one play"


def test_a_play_is_at_the_local_new_year_where_file_year_and_utc_year_differ(library: Library) -> None:
    history = full_history(library)
    assert any((p.ended_at + LOCAL_UTC_OFFSET).year != p.ended_at.year for p in history)


# --- extended streaming history ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["legacy", "2024", "2025"])
def test_extended_files_have_the_fields_of_their_version(library: Library, tmp_path: Path, version: str) -> None:
    files = _read(write_extended_export(library, tmp_path, packaging="folder", field_version=version) / EXTENDED)
    assert files
    for name, rows in files.items():
        if version == "legacy":
            assert re.fullmatch(r"endsong_\d+\.json", name)
        else:
            assert AUDIO_NAME.match(name) or VIDEO_NAME.match(name), name
        for row in rows:
            assert tuple(row) == FIELDS[version]
            assert TS.match(row["ts"])
    rows = [row for rows in files.values() for row in rows]
    stamps = [row["offline_timestamp"] for row in rows if row["offline_timestamp"]]
    if version == "legacy":
        assert not any(VIDEO_NAME.match(name) for name in files), "old exports had no video history"
        assert all(stamp > 10**11 for stamp in stamps), "legacy offline_timestamp is in milliseconds"
        assert sum(row["skipped"] is None for row in rows) > len(rows) / 3
        assert {row["username"] for row in rows} == {library.user.id}
    else:
        assert all(stamp < 10**11 for stamp in stamps), "offline_timestamp is in seconds since 2024"
        assert any(VIDEO_NAME.match(name) for name in files)
    chapters = [row for row in rows if row.get("audiobook_chapter_uri")]
    assert bool(chapters) == (version == "2025")
    assert all(row["audiobook_chapter_title"] and row["audiobook_title"] for row in chapters)


def test_extended_export_has_every_quirk(library: Library, tmp_path: Path) -> None:
    files = _read(write_extended_export(library, tmp_path, packaging="folder", rows_per_file=60) / EXTENDED)
    audio = {name: rows for name, rows in files.items() if AUDIO_NAME.match(name)}
    assert len(audio) >= 3 and all(name.endswith(tuple(f"_{i}.json" for i in range(9))) for name in audio)
    rows = [row for rows in files.values() for row in rows]
    assert any(any(a["ts"] > b["ts"] for a, b in pairwise(r)) for r in files.values()), "unsorted"
    mismatched = [
        name for name, file_rows in audio.items() for row in file_rows if str(row["ts"][:4]) not in name.split("_")[3]
    ]
    assert mismatched, "a row whose UTC year is not the year in its file's name"
    exact = Counter(json.dumps(row, sort_keys=True) for row in rows)
    assert max(exact.values()) >= 2, "exact duplicate rows"
    pairs = Counter((row["ts"], _uri(row)) for row in {json.dumps(r, sort_keys=True): r for r in rows}.values())
    assert any(count >= 2 for (ts, uri), count in pairs.items() if uri), "repeated (ts, uri) with other values"
    assert any(all(row[f] is None for f in METADATA) and row["ms_played"] > 0 for row in rows)
    video = next(rows for name, rows in files.items() if VIDEO_NAME.match(name))
    assert any(row["ms_played"] == 0 for row in video)
    assert {0, None} <= {row["offline_timestamp"] for row in rows}


def test_extended_rows_are_the_ground_truth_plays(library: Library, tmp_path: Path) -> None:
    for version in ("2024", "mixed"):
        root = write_extended_export(library, tmp_path / version, packaging="folder", field_version=version,
                                     rows_per_file=60)  # fmt: skip
        truth = expected_listening_history(
            library, extended=(None, None), api=False, extended_field_version=version, extended_rows_per_file=60
        )
        expected = Counter((_ts(p["ended_at"]), p["uri"], p["ms_played"]) for p in truth)
        assert _plays_in(_read(root / EXTENDED)) == expected


def test_every_api_play_is_in_a_full_extended_export(library: Library) -> None:
    truth = expected_listening_history(library, extended=(None, None))
    api = [p for p in truth if "api" in p["origins"]]
    assert len(api) == API_RECENT_LIMIT
    assert all(p["origins"] == ["api", "extended"] and p["ms_played"] is not None for p in api)
    assert all(p["played_at"] == p["ended_at"] for p in api), "the API's time is the most precise"


def test_extended_window_and_api_only_plays(library: Library, tmp_path: Path) -> None:
    history = full_history(library)
    until = [p for p in history if p.in_api][-API_RECENT_LIMIT].ended_at
    since = until - timedelta(days=20)
    files = _read(write_extended_export(library, tmp_path, packaging="folder", since=since, until=until) / EXTENDED)
    stamps = {row["ts"] for rows in files.values() for row in rows}
    assert stamps and all(_ts(since)[:17] <= ts < _ts(until) for ts in stamps)
    truth = expected_listening_history(library, extended=(since, until))
    api_only = [p for p in truth if p["origins"] == ["api"]]
    assert len(api_only) == API_RECENT_LIMIT and all(p["ms_played"] is None for p in api_only)
    extended = [p for p in truth if p["origins"] == ["extended"]]
    assert all(p["played_at"] == p["ended_at"].replace(microsecond=0) for p in extended)


def test_exports_are_deterministic_and_zipped_like_spotify(library: Library, tmp_path: Path) -> None:
    first = write_extended_export(library, tmp_path / "a", field_version="2025")
    second = write_extended_export(library, tmp_path / "b", field_version="2025")
    assert first.name == "my_spotify_data.zip"
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(second) as two:
        names = one.namelist()
        assert names == two.namelist() and all(n.startswith(f"{EXTENDED}/") for n in names)
        assert all(one.read(n) == two.read(n) for n in names)
    account = write_account_export(library, tmp_path / "c.zip", folder="MyData")
    with zipfile.ZipFile(account) as archive:
        assert all(re.fullmatch(r"MyData/StreamingHistory_(music|podcast|audiobook)_\d+\.json", n)
                   for n in archive.namelist())  # fmt: skip


# --- account data -----------------------------------------------------------------------------------------------


def test_account_files_have_spotify_shapes_and_split(library: Library, tmp_path: Path) -> None:
    root = write_account_export(library, tmp_path, packaging="folder", rows_per_file=50)
    files = _read(root / "Spotify Account Data")
    keys = {"music": ["endTime", "artistName", "trackName", "msPlayed"],
            "podcast": ["endTime", "podcastName", "episodeName", "msPlayed"],
            "audiobook": ["endTime", "audiobookName", "chapterName", "msPlayed"]}  # fmt: skip
    assert {"StreamingHistory_music_0.json", "StreamingHistory_music_1.json"} <= set(files)
    for name, rows in files.items():
        kind = re.fullmatch(r"StreamingHistory_(music|podcast|audiobook)_\d+\.json", name)[1]
        assert 0 < len(rows) <= 50
        assert all(list(row) == keys[kind] and END_TIME.match(row["endTime"]) for row in rows)
        assert [row["endTime"] for row in rows] == sorted(row["endTime"] for row in rows)
    music = [row for name, rows in files.items() if "music" in name for row in rows]
    assert any(row["artistName"] == "Unknown Artist" and row["trackName"] == "Unknown Track" for row in music)
    assert max(Counter(row["endTime"] for row in music).values()) >= 2, "rows sharing a minute"
    identical = Counter(json.dumps(row, sort_keys=True) for row in music)
    assert max(identical.values()) >= 2, "genuine plays in one minute give identical rows"


def test_account_ms_played_equals_extended_ms_played(library: Library, tmp_path: Path) -> None:
    account = _read(write_account_export(library, tmp_path, packaging="folder") / "Spotify Account Data")
    truth = expected_listening_history(library, extended=(None, None), account=(None, None))
    both = [p for p in truth if "account" in p["origins"]]
    assert all("extended" in p["origins"] for p in both)
    expected = Counter(
        (p["ended_at"].strftime("%Y-%m-%d %H:%M"), p["track_name"] or p["episode_name"] or p["chapter_title"] or
         "Unknown Track", p["ms_played"])
        for p in both
    )  # fmt: skip
    rows = [row for rows in account.values() for row in rows]
    seen = Counter(
        (row["endTime"], row.get("trackName") or row.get("episodeName") or row.get("chapterName"), row["msPlayed"])
        for row in rows
    )
    assert seen == expected
    last = max(p.ended_at for p in full_history(library))
    assert min(p["ended_at"] for p in both) >= last - timedelta(days=365)


def test_legacy_account_export_mixes_podcasts_into_music(library: Library, tmp_path: Path) -> None:
    files = _read(write_account_export(library, tmp_path, packaging="folder", legacy=True) / "Spotify Account Data")
    assert set(files) == {"StreamingHistory0.json"}
    rows = files["StreamingHistory0.json"]
    shows = {show.name for show in library.shows.values()}
    assert any(row["artistName"] in shows for row in rows)
    assert all(list(row) == ["endTime", "artistName", "trackName", "msPlayed"] for row in rows)
    truth = expected_listening_history(library, account=(None, None), api=False, account_legacy=True)
    assert len(truth) == len(rows)
    assert {p["content_type"] for p in truth} == {"track", "unknown"}


# --- bulk and CLI -----------------------------------------------------------------------------------------------


def test_bulk_history_has_the_size_and_field_mix_asked_for(tmp_path: Path) -> None:
    root = write_bulk_extended_history(tmp_path, plays=6_000, rows_per_file=500)
    files = _read(root / EXTENDED)
    rows = [row for rows in files.values() for row in rows]
    assert 6_000 < len(rows) < 6_000 * 1.02
    assert any(name.startswith("endsong_") for name in files) and any(VIDEO_NAME.match(name) for name in files)
    assert {tuple(row) for row in rows} == set(FIELDS.values())
    assert any(row["ms_played"] == 0 for row in rows) and any(row.get("audiobook_uri") for row in rows)
    assert all(TS.match(row["ts"]) for row in rows)
    assert max(row["ts"] for row in rows) < "2026-11"


def test_cli_writes_an_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = emulator_main(["export", "--kind", "account", "--seed", "1", "--profile", "small", "--out", str(tmp_path)])
    assert code == 0 and capsys.readouterr().out.strip() == str(tmp_path)
    assert (tmp_path / "Spotify Account Data" / "StreamingHistory_music_0.json").exists()
    code = emulator_main(["export", "--kind", "extended", "--seed", "1", "--profile", "small", "--zip", "--out",
                          str(tmp_path / "x.zip"), "--field-version", "legacy"])  # fmt: skip
    assert code == 0 and zipfile.is_zipfile(tmp_path / "x.zip")
