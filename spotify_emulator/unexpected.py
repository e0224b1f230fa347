"""The `unexpected_values` fault: answers holding values outside Spotify's documented vocabularies and ranges.

Real answers carry values the API reference does not list: `album_type` `EP` in top tracks (seen 2017 to 2025), a
context type nobody documented, a popularity outside 0-100. The JSON stays valid and every field keeps its type,
so a client must load these rows; what it does with the values is the warehouse's business.

Which objects change is a hash of (fault seed, the object's id), never of the request: the same track is an `EP`
with the same out-of-range popularity in every answer that embeds it, so a warehouse that keeps "the latest copy"
of a track sees the same values whichever endpoint it read last.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

SHARE = 0.25
"""Share of tracks and plays given an unexpected value: enough that a top list of 20 holds some."""
UNKNOWN_CONTEXT_TYPE = "mix"
"""A context type outside album, artist, playlist, show and collection."""
OUT_OF_RANGE_POPULARITY = (101, -1)
ENDPOINTS = frozenset({
    "GET /v1/me/top/{kind}", "GET /v1/me/player/recently-played", "GET /v1/me/tracks",
    "GET /v1/playlists/{playlist_id}/items", "GET /v1/playlists/{playlist_id}/tracks", "GET /v1/tracks",
    "GET /v1/tracks/{id}",
})  # fmt: skip
"""The endpoints whose answers embed track objects or plays (the only ones this fault touches)."""


def _roll(seed: int, ident: str, salt: str) -> float:
    digest = hashlib.sha256(f"{seed}|{ident}|{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_ep(seed: int, track_id: str) -> bool:
    """Whether this track's album is sent with the undocumented `album_type` EP.

    Chosen per track, not per album: a small library's top list may come from two or three albums only."""
    return _roll(seed, track_id, "ep") < SHARE


def odd_popularity(seed: int, track_id: str) -> int | None:
    """The out-of-range popularity this track is sent with, or None to send its own."""
    if _roll(seed, track_id, "popularity") >= SHARE:
        return None
    return OUT_OF_RANGE_POPULARITY[int(_roll(seed, track_id, "popularity-sign") * 2)]


def has_unknown_context(seed: int, played_at: str) -> bool:
    """Whether this play's context (when it has one) is sent with an unknown type."""
    return _roll(seed, played_at, "context") < SHARE


def _tracks(payload: Any) -> Iterator[dict[str, Any]]:
    """Every full track object of an answer: top tracks, plays, entries, liked songs, `/tracks`, `/tracks/{id}`."""
    if not isinstance(payload, dict):
        return
    if payload.get("type") == "track":
        yield payload
    for item in payload.get("items") or payload.get("tracks") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "track":
            yield item
        for key in ("track", "item"):
            nested = item.get(key)
            if isinstance(nested, dict) and nested.get("type") == "track":
                yield nested


def rewrite(endpoint: str, payload: Any, seed: int) -> Any:
    """`payload` (a parsed 200 answer of `endpoint`) with unexpected values, changed in place and returned."""
    if endpoint not in ENDPOINTS:
        return payload
    upper = endpoint == "GET /v1/me/top/{kind}"  # top tracks send album types upper case, the rest lower
    for track in _tracks(payload):  # an entry's `item` and `track` are both changed, the same way
        if track.get("is_local") or not track.get("id"):
            continue
        album = track.get("album")
        if isinstance(album, dict) and album.get("album_type") and is_ep(seed, track["id"]):
            album["album_type"] = "EP" if upper else "ep"
        popularity = odd_popularity(seed, track["id"])
        if popularity is not None and "popularity" in track:  # the development tier sends none
            track["popularity"] = popularity
    if endpoint == "GET /v1/me/player/recently-played" and isinstance(payload, dict):
        for play in payload.get("items") or []:
            context = play.get("context") if isinstance(play, dict) else None
            if isinstance(context, dict) and has_unknown_context(seed, str(play.get("played_at"))):
                ident = str(context.get("uri") or "").rsplit(":", 1)[-1]
                context["type"] = UNKNOWN_CONTEXT_TYPE
                context["uri"] = f"spotify:{UNKNOWN_CONTEXT_TYPE}:{ident}"
    return payload
