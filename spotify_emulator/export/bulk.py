"""A large extended streaming history (500,000 plays by default), written fast, for the import benchmark.

Not tied to a library and without a ground truth: it only has to look like a heavy listener's real export, in
size (~34 files of ~15,000 rows, ~350 MB, indented JSON as Spotify writes it) and in its mix of fields and
oddities, so an importer's speed on it is its speed on a real export: the oldest files are legacy `endsong_N.json`
(`ip_addr_decrypted`, `offline_timestamp` in ms, `skipped` mostly null), the middle ones the 2024 fields, the
newest the 2025 fields with audiobooks; podcasts, audiobook chapters, rows with all metadata null, a video file
with `ms_played` 0 rows, duplicate rows, repeated `(ts, uri)` pairs, rows out of order, `offline_timestamp` 0/null.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spotify_emulator import names
from spotify_emulator.export.files import EXTENDED_FOLDER, FIELDS, local_year
from spotify_emulator.export.writer import _package, dumps
from spotify_emulator.model import spotify_id

BULK_ROWS_PER_FILE = 15_000
_END = datetime(2026, 10, 1, tzinfo=UTC)
_MINUTES_PER_PLAY = 10.45  # average length plus pause, so 500k plays span about nine years
_PLATFORMS_NEW = ("android", "ios", "windows", "osx", "web_player linux ;chrome 120.0.0.0;desktop", "cast_tv")
_PLATFORMS_OLD = ("Android OS 9 API 28 (samsung, SM-G960F)", "iOS 12.1.4 (iPhone10,6)", "OS X 10.14.6 [x86 8]",
                  "Windows 10 (10.0.17763; x64)")  # fmt: skip
_REASONS_START = ("trackdone", "trackdone", "trackdone", "fwdbtn", "clickrow", "playbtn", "backbtn", "appload")
_REASONS_END = ("trackdone", "trackdone", "trackdone", "fwdbtn", "fwdbtn", "endplay", "logout", "backbtn")


def _catalog(rng: random.Random) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Tracks (name, artist, album, uri, ms), episodes (name, show, uri, ms), chapters (title, chapter, book uri,
    chapter uri, ms)."""
    artists = [names.artist_name(rng) for _ in range(4_000)]
    albums = [(names.album_name(rng), rng.choice(artists)) for _ in range(7_000)]
    tracks = []
    for _ in range(25_000):
        album, artist = rng.choice(albums)
        uri = f"spotify:track:{spotify_id(rng)}"
        tracks.append((names.track_name(rng), artist, album, uri, max(30_000, int(rng.gauss(215_000, 50_000)))))
    shows = [names.show_name(rng, index) for index in range(30)]
    episodes = [
        (names.episode_name(rng, n), show, f"spotify:episode:{spotify_id(rng)}", rng.randint(900_000, 5_400_000))
        for show in shows
        for n in range(1, 11)
    ]
    chapters = []
    for _ in range(6):
        title, book = f"{names.album_name(rng)}: A Novel", f"spotify:audiobook:{spotify_id(rng)}"
        chapters += [
            (title, f"Chapter {n}", book, f"spotify:chapter:{spotify_id(rng)}", rng.randint(600_000, 2_400_000))
            for n in range(1, 13)
        ]
    return tracks, episodes, chapters


def write_bulk_extended_history(
    dest: Path,
    plays: int = 500_000,
    seed: int = 0,
    *,
    packaging: str = "folder",
    rows_per_file: int = BULK_ROWS_PER_FILE,
) -> Path:
    """Write `plays` plays (plus ~1% quirk rows) as an extended export under `dest`; returns the folder or zip."""
    rng = random.Random(f"bulk:{seed}")
    tracks, episodes, chapters = _catalog(rng)
    favourites = tracks[:2_000]
    audio: list[dict] = []
    video: list[dict] = []
    moment = _END - timedelta(minutes=_MINUTES_PER_PLAY * plays)
    random_ = rng.random
    for _ in range(plays):
        roll = random_()
        if roll < 0.93:
            track = rng.choice(favourites) if random_() < 0.7 else rng.choice(tracks)
            duration = track[4]
            kind, item = "track", track
        elif roll < 0.96:
            item = rng.choice(episodes)
            kind, duration = "episode", item[3]
        elif roll < 0.967:
            item = rng.choice(chapters)
            kind, duration = "audiobook", item[4]
        elif roll < 0.98:
            kind, item, duration = "unknown", None, rng.randint(20_000, 240_000)
        else:
            item = rng.choice(tracks) if random_() < 0.6 else rng.choice(episodes)
            kind, duration = "video", 0
        skipped = random_() < 0.15
        if kind == "video":
            ms_played = 0 if random_() < 0.75 else rng.randint(5_000, 120_000)
        elif skipped:
            ms_played = rng.randint(500, min(30_000, duration))
        else:
            ms_played = duration if random_() < 0.7 else rng.randint(duration // 3, duration)
        gap = rng.randint(300, 4_000) if random_() < 0.95 else rng.randint(600_000, 15_000_000)
        moment += timedelta(milliseconds=ms_played + gap)
        row = _row(rng, kind, item, moment, ms_played, skipped)
        (video if kind == "video" else audio).append(row)
    files: dict[str, bytes] = {}
    chunks = [audio[start : start + rows_per_file] for start in range(0, len(audio), rows_per_file)]
    for index, chunk in enumerate(chunks):
        version = "legacy" if index < len(chunks) // 8 else "2024" if index < len(chunks) // 2 else "2025"
        rows = _finish(rng, chunk, version)
        if version == "legacy":
            name = f"endsong_{index}.json"
        else:
            name = f"Streaming_History_Audio_{_years(chunk)}_{index}.json"
        files[f"{EXTENDED_FOLDER}/{name}"] = dumps(rows)
    if video:
        files[f"{EXTENDED_FOLDER}/Streaming_History_Video_{_years(video)}.json"] = dumps(_finish(rng, video, "2025"))
    return _package(files, Path(dest), packaging)


def _years(rows: list[dict]) -> str:
    first, last = (local_year(datetime.fromisoformat(rows[i]["ts"])) for i in (0, -1))
    return f"{first}" if first == last else f"{first}-{last}"


def _row(rng: random.Random, kind: str, item: tuple | None, moment: datetime, ms_played: int, skipped: bool) -> dict:
    """A row with every field of every version; `_finish` keeps the ones of the file's version."""
    number = rng.getrandbits(32)
    started = int(moment.timestamp()) - ms_played // 1000
    row = {
        "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "username": "31l77fd2ax3hbzkqtl6mwx4iaw7e",
        "platform": _PLATFORMS_NEW[number % 6],
        "ms_played": ms_played,
        "conn_country": "SE" if number % 23 else "DE",
        "ip_addr": f"{10 + number % 80}.{number >> 8 & 255}.{number >> 16 & 255}.{number >> 24 & 255}",
        "user_agent_decrypted": "unknown",
        "master_metadata_track_name": None,
        "master_metadata_album_artist_name": None,
        "master_metadata_album_album_name": None,
        "spotify_track_uri": None,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": _REASONS_START[number % 8],
        "reason_end": "fwdbtn" if skipped else _REASONS_END[(number >> 3) % 8],
        "shuffle": number % 3 == 0,
        "skipped": skipped,
        "offline": number % 17 == 0,
        "offline_timestamp": 0 if number % 50 == 0 else None if number % 50 == 1 else started,
        "incognito_mode": number % 97 == 0,
    }
    if item is None:
        return row
    if len(item) == 5 and item[3].startswith("spotify:track:"):
        row["master_metadata_track_name"], row["master_metadata_album_artist_name"] = item[0], item[1]
        row["master_metadata_album_album_name"], row["spotify_track_uri"] = item[2], item[3]
    elif len(item) == 4:
        row["episode_name"], row["episode_show_name"], row["spotify_episode_uri"] = item[0], item[1], item[2]
    else:
        row["audiobook_title"], row["audiobook_chapter_title"] = item[0], item[1]
        row["audiobook_uri"], row["audiobook_chapter_uri"] = item[2], item[3]
    return row


def _finish(rng: random.Random, rows: list[dict], version: str) -> list[dict]:
    """Keep the version's fields (renaming for legacy), add duplicates and repeated pairs, move rows out of order."""
    fields = FIELDS[version]
    out = []
    for row in rows:
        if version == "legacy":
            row["ip_addr_decrypted"] = row["ip_addr"]
            row["platform"] = _PLATFORMS_OLD[len(row["ts"]) * row["ms_played"] % 4]
            if row["offline_timestamp"]:
                row["offline_timestamp"] *= 1000
            if row["ms_played"] % 10 < 6:
                row["skipped"] = None
        out.append({name: row[name] for name in fields})
    count = len(out)
    for index in rng.sample(range(count), count // 200):
        out.insert(rng.randrange(len(out)), dict(out[index]))
    for index in rng.sample(range(count), count // 300):
        again = dict(out[index])
        again["ms_played"] = again["ms_played"] // 2
        out.insert(rng.randrange(len(out)), again)
    for _ in range(count // 50):
        out.insert(rng.randrange(len(out)), out.pop(rng.randrange(len(out))))
    return out
