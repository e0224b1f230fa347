"""Which plays go into which export file, and how one play looks as a row of each kind and field version.

Shared by the writers (`writer`) and the ground truth (`export.expected_listening_history`), so the truth
says exactly what the files show: a file plan depends only on the history and the arguments, never on the
random quirks the writer adds on top.

Field versions of the extended history (see `../shared/spotify-api.md`):
- `legacy` (`endsong_N.json`): `username`, `ip_addr_decrypted`, `user_agent_decrypted`, `offline_timestamp` in
  milliseconds, `skipped` often null, no audiobook fields (an audiobook play shows no metadata at all) and no
  video history (old exports had none);
- `2024`: `ip_addr`, `offline_timestamp` in seconds, no audiobook fields (an audiobook play shows no metadata);
- `2025`: `2024` plus `audiobook_title`, `audiobook_uri`, `audiobook_chapter_uri`, `audiobook_chapter_title`;
- `mixed`: the oldest third of the audio files legacy, the middle third 2024, the newest 2025 (video: 2025).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from spotify_emulator.export.history import LOCAL_UTC_OFFSET, HistoryPlay

FIELD_VERSIONS = ("legacy", "2024", "2025", "mixed")
EXTENDED_FOLDER = "Spotify Extended Streaming History"
ACCOUNT_FOLDERS = ("Spotify Account Data", "MyData")
UNKNOWN_ARTIST, UNKNOWN_TRACK = "Unknown Artist", "Unknown Track"

_METADATA = (
    "master_metadata_track_name",
    "master_metadata_album_artist_name",
    "master_metadata_album_album_name",
    "spotify_track_uri",
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
)
_AUDIOBOOK = ("audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title")
FIELDS = {
    "legacy": (
        "ts", "username", "platform", "ms_played", "conn_country", "ip_addr_decrypted", "user_agent_decrypted",
        *_METADATA, "reason_start", "reason_end", "shuffle", "skipped", "offline", "offline_timestamp",
        "incognito_mode",
    ),
    "2024": (
        "ts", "platform", "ms_played", "conn_country", "ip_addr", *_METADATA, "reason_start", "reason_end",
        "shuffle", "skipped", "offline", "offline_timestamp", "incognito_mode",
    ),
    "2025": (
        "ts", "platform", "ms_played", "conn_country", "ip_addr", *_METADATA, *_AUDIOBOOK, "reason_start",
        "reason_end", "shuffle", "skipped", "offline", "offline_timestamp", "incognito_mode",
    ),
}  # fmt: skip
"""Row fields in the order Spotify writes them, per field version."""

_LEGACY_PLATFORMS = {
    "android": "Android OS 10 API 29 (samsung, SM-G973F)",
    "ios": "iOS 14.4.2 (iPhone12,1)",
    "osx": "OS X 10.15.7 [x86 8]",
    "windows": "Windows 10 (10.0.19042; x64)",
    "web_player": "WebPlayer (websocket RFC6455)",
    "cast": "Partner google cast_tv;Chromecast;;",
}
_PLATFORMS = {"web_player": "web_player linux ;chrome 120.0.0.0;desktop", "cast": "cast_tv"}


def in_window(play: HistoryPlay, since: datetime | None, until: datetime | None) -> bool:
    """Whether the play ended in [since, until); the export windows of the writers and the ground truth."""
    return (since is None or play.ended_at >= since) and (until is None or play.ended_at < until)


def stable_number(play: HistoryPlay, salt: str) -> int:
    """A number fixed by the play and a salt, for per-row variations the ground truth must be able to repeat."""
    return int.from_bytes(hashlib.blake2b(f"{play.play_id}:{salt}".encode(), digest_size=4).digest(), "big")


def local_year(moment: datetime) -> int:
    """The year Spotify names the file after: the listener's local year, not the UTC one."""
    return (moment + LOCAL_UTC_OFFSET).year


@dataclass
class ExtendedFile:
    """One file of an extended export before quirks: its name, field version and plays (oldest first)."""

    name: str
    version: str
    plays: list[HistoryPlay]


def _years(plays: list[HistoryPlay]) -> str:
    first, last = local_year(plays[0].ended_at), local_year(plays[-1].ended_at)
    return f"{first}" if first == last else f"{first}-{last}"


def plan_extended(
    history: list[HistoryPlay],
    since: datetime | None,
    until: datetime | None,
    field_version: str,
    rows_per_file: int,
) -> list[ExtendedFile]:
    """The files of an extended export: audio split at each local New Year and every `rows_per_file` plays."""
    if field_version not in FIELD_VERSIONS:
        raise ValueError(f"field_version must be one of {FIELD_VERSIONS}, not {field_version!r}")
    selected = [p for p in history if in_window(p, since, until)]
    audio = [p for p in selected if p.content_type != "video"]
    video = [p for p in selected if p.content_type == "video"]
    chunks: list[list[HistoryPlay]] = []
    for play in audio:
        if (
            not chunks
            or len(chunks[-1]) >= rows_per_file
            or local_year(chunks[-1][-1].ended_at) != local_year(play.ended_at)
        ):
            chunks.append([])
        chunks[-1].append(play)
    if field_version == "mixed":
        versions = [("legacy", "2024", "2025")[index * 3 // len(chunks)] for index in range(len(chunks))]
    else:
        versions = [field_version] * len(chunks)
    files: list[ExtendedFile] = []
    legacy_count = sum(v == "legacy" for v in versions)
    numbered = len(chunks) - legacy_count > 1
    audio_index = 0
    for chunk, version in zip(chunks, versions, strict=True):
        if version == "legacy":
            name = f"endsong_{len(files)}.json"
        else:
            suffix = f"_{audio_index}" if numbered else ""
            name = f"Streaming_History_Audio_{_years(chunk)}{suffix}.json"
            audio_index += 1
        files.append(ExtendedFile(name, version, chunk))
    video_version = "2025" if field_version == "mixed" else field_version
    if video and video_version != "legacy":
        files.append(ExtendedFile(f"Streaming_History_Video_{_years(video)}.json", video_version, video))
    return files


def extended_identity(play: HistoryPlay, version: str) -> dict:
    """The metadata fields of the play's row in `version`, plus `content_type` as a reader can tell it."""
    row: dict = dict.fromkeys(_METADATA)
    if version == "2025":
        row.update(dict.fromkeys(_AUDIOBOOK))
    seen = play.content_type
    if play.track_id:
        row["master_metadata_track_name"] = play.track_name
        row["master_metadata_album_artist_name"] = play.artist_name
        row["master_metadata_album_album_name"] = play.album_name
        row["spotify_track_uri"] = f"spotify:track:{play.track_id}"
    elif play.episode_id:
        row["episode_name"] = play.episode_name
        row["episode_show_name"] = play.show_name
        row["spotify_episode_uri"] = f"spotify:episode:{play.episode_id}"
    elif play.content_type == "audiobook":
        if version == "2025":
            row["audiobook_title"] = play.audiobook_title
            row["audiobook_uri"] = play.audiobook_uri
            row["audiobook_chapter_uri"] = play.chapter_uri
            row["audiobook_chapter_title"] = play.chapter_title
        else:
            seen = "unknown"
    row["content_type"] = seen
    return row


def extended_skipped(play: HistoryPlay, version: str) -> bool | None:
    """`skipped` as written: legacy files leave it null on most rows."""
    if version == "legacy" and stable_number(play, "skipped-null") % 10 < 6:
        return None
    return play.skipped


def extended_row(play: HistoryPlay, version: str, username: str, quirks: bool) -> dict:
    """The play as one row of an extended export file in `version`, fields in Spotify's order."""
    identity = extended_identity(play, version)
    number = stable_number(play, "row")
    started = play.started_at
    if version == "legacy":
        offline_timestamp: int | None = int(started.timestamp() * 1000)
        platform = _LEGACY_PLATFORMS[play.platform]
    else:
        offline_timestamp = int(started.timestamp())
        platform = _PLATFORMS.get(play.platform, play.platform)
    if quirks and number % 40 == 0:
        offline_timestamp = 0
    elif quirks and number % 40 == 1:
        offline_timestamp = None
    ip = f"{10 + number % 80}.{number >> 8 & 255}.{number >> 16 & 255}.{number >> 24 & 255}"
    values = {
        "ts": play.ended_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "username": username,
        "platform": platform,
        "ms_played": play.ms_played,
        "conn_country": play.conn_country,
        "ip_addr": ip,
        "ip_addr_decrypted": ip,
        "user_agent_decrypted": "unknown" if number % 3 else "Mozilla/5.0 (Linux; Android 10) Spotify/8.6.0",
        **identity,
        "reason_start": play.reason_start,
        "reason_end": play.reason_end,
        "shuffle": play.shuffle,
        "skipped": extended_skipped(play, version),
        "offline": play.offline,
        "offline_timestamp": offline_timestamp,
        "incognito_mode": play.incognito_mode,
    }
    return {name: values[name] for name in FIELDS[version]}


@dataclass
class AccountFile:
    name: str
    kind: str
    """`music`, `podcast`, `audiobook` or `legacy` (music and podcasts in one file)."""
    plays: list[HistoryPlay]


def default_account_window(history: list[HistoryPlay]) -> tuple[datetime | None, datetime | None]:
    """Account data covers about a year: the 365 days up to the last play."""
    if not history:
        return None, None
    until = history[-1].ended_at + timedelta(milliseconds=1)
    return until - timedelta(days=365), until


def account_kind(play: HistoryPlay, legacy: bool) -> str | None:
    """Which account-data file the play goes to, or None: videos never, audiobooks not in legacy exports."""
    if play.content_type in ("track", "unknown"):
        return "legacy" if legacy else "music"
    if play.content_type == "episode":
        return "legacy" if legacy else "podcast"
    if play.content_type == "audiobook" and not legacy:
        return "audiobook"
    return None


def plan_account(
    history: list[HistoryPlay],
    since: datetime | None,
    until: datetime | None,
    legacy: bool,
    rows_per_file: int,
) -> list[AccountFile]:
    """The account-data files: one series per kind, sorted by time, split every `rows_per_file` rows."""
    series: dict[str, list[HistoryPlay]] = {}
    for play in history:
        kind = account_kind(play, legacy) if in_window(play, since, until) else None
        if kind:
            series.setdefault(kind, []).append(play)
    files = []
    for kind, plays in series.items():
        for index, start in enumerate(range(0, len(plays), rows_per_file)):
            name = f"StreamingHistory{index}.json" if kind == "legacy" else f"StreamingHistory_{kind}_{index}.json"
            files.append(AccountFile(name, kind, plays[start : start + rows_per_file]))
    return files


def account_row(play: HistoryPlay, kind: str) -> dict:
    """The play as an account-data row: `endTime` is the end floored to the minute (UTC)."""
    end_time = play.ended_at.strftime("%Y-%m-%d %H:%M")
    if kind == "podcast":
        return {"endTime": end_time, "podcastName": play.show_name, "episodeName": play.episode_name,
                "msPlayed": play.ms_played}  # fmt: skip
    if kind == "audiobook":
        return {"endTime": end_time, "audiobookName": play.audiobook_title, "chapterName": play.chapter_title,
                "msPlayed": play.ms_played}  # fmt: skip
    if play.content_type == "episode":  # legacy files name a podcast like music: show as artist, episode as track
        artist, track = play.show_name, play.episode_name
    else:
        artist, track = play.artist_name or UNKNOWN_ARTIST, play.track_name or UNKNOWN_TRACK
    return {"endTime": end_time, "artistName": artist, "trackName": track, "msPlayed": play.ms_played}
