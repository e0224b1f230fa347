"""Defaults, scopes and table hints of the Spotify source, in one place."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from spotify_source.errors import ConfigInvalid

DEFAULT_API_BASE_URL = "https://api.spotify.com/v1"
DEFAULT_ACCOUNTS_BASE_URL = "https://accounts.spotify.com"
SCOPES = (
    "user-read-private user-read-email playlist-read-private playlist-read-collaborative "
    "user-read-recently-played user-top-read user-library-read"
)
TIME_RANGES = ("short_term", "medium_term", "long_term")

REFRESH_TOKEN_LIFETIME_DAYS = 182
"""Spotify's refresh tokens expire 6 months after the login they came from (`invalid_grant` after), however often
they were refreshed or rotated in between: the age is counted from the login, never from the last refresh."""
DEFAULT_REDIRECT_PORT = 8888
"""Port of `http://127.0.0.1:<port>/callback`, the redirect URI `python pipeline.py auth` listens on; it must be
registered, exactly, in the app's settings on Spotify's developer dashboard."""

PAGE_LIMIT = 50
"""Largest page of every offset endpoint the source reads (`/items` included: the spec says 50)."""
IDS_PER_BATCH = {"artists": 50, "tracks": 50, "audio-features": 100}
RECENTLY_PLAYED_WINDOW = 50
TOP_LIST_MAX = 50
"""Spotify's longest top list (`limit` ≤ 50, and no more behind an offset): the default, so nothing is cut."""
SAVED_TRACKS_FULL_CHECK_DAYS = 7.0
"""How often liked songs are read whole even when Spotify's count matches: a like and an un-like between two runs
leave the count unchanged, and only a full read notices the un-like."""

DATASET_NAME = "spotify_raw"
PIPELINE_NAME = "spotify"


def _nullable(data_type: str) -> dict[str, Any]:
    return {"data_type": data_type, "nullable": True}


# Columns a tier may leave out entirely: declared, so they exist (null) even when no row has a value.
TRACK_COLUMNS: dict[str, Any] = {
    "popularity": _nullable("bigint"),
    "isrc": _nullable("text"),
    "preview_url": _nullable("text"),
    "album_release_date": _nullable("text"),
    "album_image_url": _nullable("text"),
    "extracted_at": {"data_type": "timestamp", "nullable": False},
}
ARTIST_COLUMNS: dict[str, Any] = {
    "popularity": _nullable("bigint"),
    "followers": _nullable("bigint"),
    "image_url": _nullable("text"),
    "extracted_at": {"data_type": "timestamp", "nullable": False},
}
USER_COLUMNS: dict[str, Any] = {
    "display_name": _nullable("text"),
    "country": _nullable("text"),
    "email": _nullable("text"),
    "product": _nullable("text"),
    "followers": _nullable("bigint"),
    "image_url": _nullable("text"),
}
PLAYLIST_COLUMNS: dict[str, Any] = {
    "description": _nullable("text"),
    "owner_display_name": _nullable("text"),
    "image_url": _nullable("text"),
}
ENTRY_COLUMNS: dict[str, Any] = {
    "track_id": _nullable("text"),
    "episode_id": _nullable("text"),
    "local_uri": _nullable("text"),
    "local_name": _nullable("text"),
    "local_artist_name": _nullable("text"),
    "local_album_name": _nullable("text"),
    "item_duration_ms": _nullable("bigint"),
    "added_at": _nullable("timestamp"),
    "added_by": _nullable("text"),
}
PLAY_COLUMNS: dict[str, Any] = {
    "played_at": {"data_type": "timestamp", "nullable": False},
    "context_type": _nullable("text"),
    "context_uri": _nullable("text"),
}
RUN_COLUMNS: dict[str, Any] = {
    "user_id": _nullable("text"),
    "batch_endpoints_available": _nullable("bool"),
    "audio_features_available": _nullable("bool"),
    "notes": _nullable("json"),
    "gaps": _nullable("json"),
    # From the login record in the token cache; null when the refresh token did not come from `pipeline.py auth`.
    "logged_in_at": _nullable("timestamp"),
    "refresh_token_expires_at": _nullable("timestamp"),
    # This run read the whole list (true), or only what was new (false): what dbt needs to tell a removal.
    "saved_tracks_complete": _nullable("bool"),
    "playlists_complete": _nullable("bool"),
}
SAVED_TRACK_COLUMNS: dict[str, Any] = {
    "added_at": {"data_type": "timestamp", "nullable": False},
    "extracted_at": {"data_type": "timestamp", "nullable": False},
}
AUDIO_FEATURE_COLUMNS: dict[str, Any] = {
    "id": {"data_type": "text", "nullable": False},
    **{
        name: _nullable("double")
        for name in (
            "danceability",
            "energy",
            "loudness",
            "speechiness",
            "acousticness",
            "instrumentalness",
            "liveness",
            "valence",
            "tempo",
        )
    },
    **{name: _nullable("bigint") for name in ("key", "mode", "time_signature", "duration_ms")},
    "extracted_at": {"data_type": "timestamp", "nullable": False},
}


NO_FEATURES_COLUMNS: dict[str, Any] = {"extracted_at": {"data_type": "timestamp", "nullable": False}}
TRACKS_WITHOUT_AUDIO_FEATURES = "tracks_without_audio_features"
"""Tracks Spotify answered `null` features for: resolved, not asked again."""

EMBEDDED_TABLES: dict[str, dict[str, Any]] = {
    "tracks": TRACK_COLUMNS,
    "episodes": {},
    "artists": ARTIST_COLUMNS,
    "audio_features": AUDIO_FEATURE_COLUMNS,
    TRACKS_WITHOUT_AUDIO_FEATURES: NO_FEATURES_COLUMNS,
}
"""Tables a resource lands beside its own (merge on `id`), with their column hints."""


COUNT_SETTINGS = {"max_playlists": 0, "max_tracks_per_playlist": 0, "top_limit": 0, "artist_request_budget": 0,
                  "max_retry_after_seconds": 0, "max_attempts": 1, "max_concurrency": 1}  # fmt: skip
"""Whole-number settings and their least sensible value (0 reads none of that kind; attempts and concurrency need 1)."""
UNCAPPED_SETTINGS = ("max_playlists", "max_tracks_per_playlist")
"""Limits that are off unless set: a warehouse that keeps everything reads every playlist and every entry."""
MAX_CONCURRENCY = 32
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def check_settings(values: dict[str, Any]) -> None:
    """Refuse settings that cannot work, naming them, before a request is made: a negative limit would silently
    read nothing, a concurrency of 0 would hang, a plain-http URL to another host would send tokens in clear."""
    for name, least in COUNT_SETTINGS.items():
        value = values[name]
        if value is None and name in UNCAPPED_SETTINGS:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigInvalid(name, f"must be a whole number, not {value!r}")
        if value < least:
            raise ConfigInvalid(name, f"must be {least} or more, not {value}")
    if values["max_concurrency"] > MAX_CONCURRENCY:
        raise ConfigInvalid("max_concurrency", f"must be at most {MAX_CONCURRENCY}, not {values['max_concurrency']}")
    days = values["saved_tracks_full_check_days"]
    if isinstance(days, bool) or not isinstance(days, int | float) or not days >= 0:
        raise ConfigInvalid("saved_tracks_full_check_days", f"must be a number of days, 0 or more, not {days!r}")
    for name in ("request_timeout_seconds", "retry_backoff_seconds"):
        seconds = values[name]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
            raise ConfigInvalid(name, f"must be a number of seconds above 0, not {seconds!r}")
    for name in ("api_base_url", "accounts_base_url"):
        url = values[name]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
            raise ConfigInvalid(name, f"must be an http(s) URL such as {DEFAULT_API_BASE_URL}, not {url!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise ConfigInvalid(name, f"must use https (tokens travel with every request), not {url!r}")
