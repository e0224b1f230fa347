"""Spotify data exports generated from the emulator's ground truth, and the truth an import must reproduce.

    from spotify_emulator.library import generate
    from spotify_emulator.export import write_extended_export, write_account_export, expected_listening_history

    library = generate(1, "small")
    zip_path = write_extended_export(library, tmp_path, field_version="2025")
    truth = expected_listening_history(library, extended=(None, None), account=None, extended_field_version="2025")

The history itself is `history.full_history`; which play lands in which file is `files`; the files
are written by `writer`; `bulk` writes a large synthetic history fast, for the import benchmark.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spotify_emulator.export.bulk import write_bulk_extended_history
from spotify_emulator.export.files import (
    UNKNOWN_ARTIST,
    UNKNOWN_TRACK,
    account_kind,
    default_account_window,
    extended_identity,
    extended_skipped,
    in_window,
    plan_extended,
)
from spotify_emulator.export.history import API_RECENT_LIMIT, HistoryPlay, full_history
from spotify_emulator.export.writer import write_account_export, write_extended_export
from spotify_emulator.model import Library

__all__ = [
    "UNKNOWN_ARTIST",
    "UNKNOWN_TRACK",
    "HistoryPlay",
    "expected_listening_history",
    "full_history",
    "write_account_export",
    "write_bulk_extended_history",
    "write_extended_export",
]

Window = tuple[datetime | None, datetime | None]


def expected_listening_history(
    library: Library,
    *,
    extended: Window | None = None,
    account: Window | None = None,
    api: bool = True,
    extended_field_version: str = "2024",
    extended_rows_per_file: int = 12_000,
    account_legacy: bool = False,
) -> list[dict[str, Any]]:
    """What `listening_history` must hold after importing these exports (and the API's newest 50 plays).

    `extended` / `account`: the (since, until) the export was written with, or None if it was not imported; for
    the account export `(None, None)` means its default window (the last 365 days), as `write_account_export`.
    Pass the same field version (and `rows_per_file` for `mixed`) and `legacy` flag the files were written with.

    One dict per play, oldest first. Every play appears once, whatever its number of rows (duplicates and
    repeated `(ts, uri)` rows are one play). Keys:
    - `play_id`, `ended_at` (true end, ms precision), `origins` (sorted subset of api, extended, account);
    - `played_at`: the most precise time an origin gives: the API's `played_at`, else the extended `ts` (second),
      else the account `endTime` (minute);
    - `ms_played`: the play's (the largest of its rows), None when only the API knows the play;
    - `content_type`: what the imported rows can tell (an audiobook in a legacy/2024 extended file without account
      audiobook row is `unknown`; a legacy account podcast row alone looks like `track`); `true_content_type`;
    - `track_id`: known from the API or the extended URI (None for account-only plays, which carry names only);
      `true_track_id`; `episode_id`, `audiobook_uri` likewise from the extended file; `uri` the extended row's
      track, episode or chapter URI (None without one);
    - names as the origins give them (`track_name`, `artist_name`, `episode_name`, `show_name`,
      `audiobook_title`, `chapter_title`), `skipped` as the extended file says (None if unknown or not there).
    """
    history = full_history(library)
    api_ids = {p.play_id for p in [p for p in history if p.in_api][-API_RECENT_LIMIT:]} if api else set()
    extended_version: dict[str, str] = {}
    if extended is not None:
        for planned in plan_extended(history, *extended, extended_field_version, extended_rows_per_file):
            extended_version.update((p.play_id, planned.version) for p in planned.plays)
    account_since, account_until = account if account is not None else (None, None)
    if account is not None and account_since is None and account_until is None:
        account_since, account_until = default_account_window(history)
    truth = []
    for play in history:
        version = extended_version.get(play.play_id)
        in_account = (
            account is not None
            and in_window(play, account_since, account_until)
            and account_kind(play, account_legacy) is not None
        )
        origins = [
            name
            for name, present in (("account", in_account), ("api", play.play_id in api_ids), ("extended", version))
            if present
        ]
        if origins:
            truth.append(_truth_row(play, origins, version, account_legacy))
    return truth


def _truth_row(play: HistoryPlay, origins: list[str], version: str | None, account_legacy: bool) -> dict[str, Any]:
    seen = extended_identity(play, version) if version else {}
    account_type = play.content_type if "account" in origins else None
    if account_type == "episode" and account_legacy:
        account_type = "track"
    candidates = [seen.get("content_type"), account_type, "track" if "api" in origins else None]
    content_type = next((c for c in candidates if c and c != "unknown"), None) or "unknown"
    known_track = "api" in origins or bool(seen.get("spotify_track_uri"))
    names_known = bool(version) or "account" in origins
    audiobook_known = bool(seen.get("audiobook_uri")) or (account_type == "audiobook")
    if "api" in origins:
        played_at = play.ended_at
    elif version:
        played_at = play.ended_at.replace(microsecond=0)
    else:
        played_at = play.ended_at.replace(second=0, microsecond=0)
    return {
        "play_id": play.play_id,
        "ended_at": play.ended_at,
        "played_at": played_at,
        "origins": origins,
        "ms_played": play.ms_played if version or "account" in origins else None,
        "content_type": content_type,
        "true_content_type": play.content_type,
        "track_id": play.track_id if known_track else None,
        "true_track_id": play.track_id,
        "uri": seen.get("spotify_track_uri") or seen.get("spotify_episode_uri") or seen.get("audiobook_chapter_uri"),
        "episode_id": play.episode_id if seen.get("spotify_episode_uri") else None,
        "audiobook_uri": play.audiobook_uri if seen.get("audiobook_uri") else None,
        "track_name": play.track_name if names_known or known_track else None,
        "artist_name": play.artist_name if names_known or known_track else None,
        "episode_name": play.episode_name if names_known else None,
        "show_name": play.show_name if names_known else None,
        "audiobook_title": play.audiobook_title if audiobook_known else None,
        "chapter_title": play.chapter_title if audiobook_known else None,
        "skipped": extended_skipped(play, version) if version else None,
    }
