"""Small in-code export rows of every field version Spotify has shipped, and writers for the three kinds of PATH.

Written by hand from `../shared/spotify-api.md` (not by the emulator's generator), so the parser is also checked
against rows whose every field a test can see.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

EXTENDED = "Spotify Extended Streaming History"
ACCOUNT = "Spotify Account Data"
PRIVATE = ("203.0.113.7", "secret-user-name", "Mozilla/5.0 (SecretAgent)")  # must never reach the warehouse


def extended_row(
    version: str, ts: str, *, ms: int = 180_000, uri: str | None = "spotify:track:t1", **fields: Any
) -> dict:
    """One extended-history row as `version` (`legacy` endsong, `2024`, `2025`) writes it; `fields` override."""
    row: dict[str, Any] = {"ts": ts}
    if version == "legacy":
        row |= {"username": PRIVATE[1], "platform": "Android OS 9 API 28 (samsung, SM-G960F)"}
    else:
        row["platform"] = "android"
    row |= {"ms_played": ms, "conn_country": "SE"}
    if version == "legacy":
        row |= {"ip_addr_decrypted": PRIVATE[0], "user_agent_decrypted": PRIVATE[2]}
    else:
        row["ip_addr"] = PRIVATE[0]
    is_track = uri is not None and uri.startswith("spotify:track:")
    row |= {
        "master_metadata_track_name": "Song" if is_track else None,
        "master_metadata_album_artist_name": "Band" if is_track else None,
        "master_metadata_album_album_name": "Album" if is_track else None,
        "spotify_track_uri": uri if is_track else None,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
    }
    if version == "2025":
        row |= {"audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
                "audiobook_chapter_title": None}  # fmt: skip
    row |= {
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None if version == "legacy" else False,
        "offline": False,
        "offline_timestamp": 1_600_000_000_123 if version == "legacy" else 1_700_000_000,
        "incognito_mode": False,
    }
    row |= fields
    return row


def dumps(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, indent=2).encode()


def write_folder(root: Path, files: dict[str, list[dict[str, Any]] | bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content if isinstance(content, bytes) else dumps(content))
    return root


def write_zip(path: Path, files: dict[str, list[dict[str, Any]] | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content if isinstance(content, bytes) else dumps(content))
    return path


def sample_export() -> dict[str, list[dict[str, Any]] | bytes]:
    """Both kinds, all field versions and quirks in a handful of rows, plus files an export has that are no history."""
    return {
        f"{EXTENDED}/endsong_0.json": [
            extended_row("legacy", "2019-05-01T10:00:00Z"),
            extended_row("legacy", "2019-05-01T10:03:00Z", uri=None, ms=4_000),  # all metadata null
            extended_row("legacy", "2019-05-01T10:03:00Z", uri=None, ms=4_000),  # ... and its exact duplicate
        ],
        f"{EXTENDED}/Streaming_History_Audio_2023-2024.json": [
            extended_row("2024", "2024-01-01T00:10:00Z", offline=True, offline_timestamp=1_704_067_000),
            extended_row("2024", "2023-12-31T23:50:00Z", offline_timestamp=0),  # unsorted, offline 0
            extended_row(
                "2024",
                "2024-01-02T09:00:00Z",
                uri="spotify:episode:e1",
                episode_name="Ep",
                episode_show_name="Show",
                spotify_episode_uri="spotify:episode:e1",
                offline_timestamp=None,
            ),
        ],
        f"{EXTENDED}/Streaming_History_Audio_2025.json": [
            extended_row(
                "2025",
                "2025-03-01T08:00:00Z",
                uri=None,
                audiobook_title="Book",
                audiobook_uri="spotify:audiobook:b1",
                audiobook_chapter_uri="spotify:episode:c1",
                audiobook_chapter_title="Chapter 1",
                skipped=True,
                reason_end="fwdbtn",
            ),
        ],
        f"{EXTENDED}/Streaming_History_Video_2025.json": [
            extended_row("2025", "2025-03-02T08:00:00Z", ms=0, uri="spotify:track:v1"),
        ],
        f"{ACCOUNT}/StreamingHistory_music_0.json": [
            {"endTime": "2024-06-01 12:00", "artistName": "Band", "trackName": "Song", "msPlayed": 30_000},
            {"endTime": "2024-06-01 12:00", "artistName": "Band", "trackName": "Song", "msPlayed": 30_000},
            {
                "endTime": "2024-06-01 12:05",
                "artistName": "Unknown Artist",
                "trackName": "Unknown Track",
                "msPlayed": 1_000,
            },
        ],
        f"{ACCOUNT}/StreamingHistory_podcast_0.json": [
            {"endTime": "2024-06-02 07:00", "podcastName": "Show", "episodeName": "Ep", "msPlayed": 600_000},
        ],
        f"{ACCOUNT}/StreamingHistory_audiobook_0.json": [
            {"endTime": "2024-06-03 21:00", "audiobookName": "Book", "chapterName": "Chapter 2", "msPlayed": 900_000},
        ],
        f"{ACCOUNT}/Userdata.json": b'{"username": "secret-user-name"}',
        f"{ACCOUNT}/Playlist1.json": b'{"playlists": []}',
        "ReadMeFirst_ExtendedStreamingHistory.pdf": b"%PDF-1.4",
    }


SAMPLE_DISTINCT_ROWS = {"extended": 7, "account": 5}  # the legacy duplicate collapses; account repeats stay two
