"""What a client that reads this library within given limits must land, and the fewest requests that takes.

Derived from the ground truth alone (`/_emulator/ground-truth`, a plain dict), so the tests and the benchmarks
judge the pipeline against the library and never against the pipeline's own code: this module imports nothing of
the source, and the source nothing of it. The limits are a client's settings (`max_playlists`, ...), passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PAGE = 50
"""Largest page of every offset endpoint, and largest id batch of `/artists?ids=` (Spotify's maxima)."""
FEATURES_BATCH = 100
"""Largest id batch of `/audio-features?ids=`."""
RECENT_WINDOW = 50
"""Spotify shows only the last 50 plays."""
TIME_RANGES = 3


@dataclass
class Expected:
    """What a run within `limits` must land, derived from the ground truth and the tier."""

    playlists: list[dict[str, Any]]
    readable: list[dict[str, Any]]
    entries: dict[str, list[dict[str, Any]]]
    plays: list[dict[str, Any]]
    top_tracks: dict[str, list[str]]
    top_artists: dict[str, list[str]]
    saved: list[dict[str, Any]]
    track_ids: set[str]
    artist_ids: list[str]
    missing_artist_ids: list[str]
    """Artists of the landed tracks that the top-artist lists do not bring: they cost requests."""
    listing_slots: int
    """How many entries of `/me/playlists` (Spotify's `null` slots included) must be read to find the playlists."""


def expected(truth: dict[str, Any], development: bool, limits: dict[str, int]) -> Expected:
    """The rows a run must land: the first `max_playlists` listed playlists, the top `max_tracks_per_playlist`
    entries of each readable one, the last 50 plays, top lists cut at `top_limit`, every saved track."""
    by_id = {p["id"]: p for p in truth["playlists"]}
    listing = truth["playlist_listing"]
    listed: list[dict[str, Any]] = []
    slots = 0
    for playlist_id in listing:
        if limits["max_playlists"] is not None and len(listed) >= limits["max_playlists"]:
            break
        slots += 1
        if playlist_id is not None:
            listed.append(by_id[playlist_id])
    readable = [p for p in listed if p["items_readable_in_development"] or not development]
    entries = {p["id"]: p["entries"][: limits["max_tracks_per_playlist"]] for p in readable}
    plays = truth["plays"][-RECENT_WINDOW:]
    top_tracks = {r: ids[: limits["top_limit"]] for r, ids in truth["top_tracks"].items()}
    top_artists = {r: ids[: limits["top_limit"]] for r, ids in truth["top_artists"].items()}
    saved = truth["saved_tracks"]
    track_ids = {e["track_id"] for es in entries.values() for e in es if e["track_id"]}
    track_ids |= {p["track_id"] for p in plays} | {s["track_id"] for s in saved}
    track_ids |= {t for ids in top_tracks.values() for t in ids}
    tracks = {t["id"]: t for t in truth["tracks"]}
    artist_ids = list(dict.fromkeys(a for t in sorted(track_ids) for a in tracks[t]["artist_ids"]))
    from_top = {a for ids in top_artists.values() for a in ids}
    missing = [a for a in artist_ids if a not in from_top]
    return Expected(listed, readable, entries, plays, top_tracks, top_artists, saved, track_ids,
                    sorted(set(artist_ids) | from_top), missing, slots)  # fmt: skip


def _pages(count: int) -> int:
    return math.ceil(count / PAGE)


def top_list_requests(limits: dict[str, int]) -> int:
    """Tracks and artists, three time ranges each, pages of at most 50."""
    return 2 * TIME_RANGES * max(1, _pages(limits["top_limit"]))


def minimum_requests(exp: Expected, development: bool, limits: dict[str, int]) -> dict[str, int]:
    """The fewest `/v1` requests a first run may make: pages at maximum size, full id batches, by endpoint template
    (as the emulator's stats name them). Development tier: no batch endpoints, no audio features, and single
    artist calls capped by `artist_request_budget` per run."""
    pages = sum(_pages(len(es)) for es in exp.entries.values())
    features = 0 if development else math.ceil(len(exp.track_ids) / FEATURES_BATCH)
    if development:
        artists = {"GET /v1/artists/{id}": min(len(exp.missing_artist_ids), limits["artist_request_budget"])}
    else:
        artists = {"GET /v1/artists": _pages(len(exp.missing_artist_ids))}
    counts = {
        "GET /v1/me": 1,
        "GET /v1/me/playlists": max(1, _pages(exp.listing_slots)),
        "GET /v1/playlists/{playlist_id}/items": pages,
        "GET /v1/me/player/recently-played": 1,
        "GET /v1/me/top/{kind}": top_list_requests(limits),
        "GET /v1/me/tracks": max(1, _pages(len(exp.saved))),
        **artists,
        "GET /v1/audio-features": features,
    }
    return {name: count for name, count in counts.items() if count}


def cheapest_checks(exp: Expected, limits: dict[str, int]) -> dict[str, int]:
    """The requests a run must make to learn that nothing changed: the profile (tier and user), the playlist list
    (its `snapshot_id`s), one page of plays after the cursor, one page of likes (newest first), and the top lists,
    which have no change marker and are kept as a daily snapshot."""
    return {
        "GET /v1/me": 1,
        "GET /v1/me/playlists": max(1, _pages(exp.listing_slots)),
        "GET /v1/me/player/recently-played": 1,
        "GET /v1/me/top/{kind}": top_list_requests(limits),
        "GET /v1/me/tracks": 1,
    }


def incremental_minimum(
    before: Expected, after: Expected, development: bool, limits: dict[str, int], artists_owed: int = 0
) -> dict[str, int]:
    """The fewest requests of a run that follows a complete one, when the library went from `before` to `after`:
    the cheapest checks, every page of each playlist whose `snapshot_id` changed, every page of liked songs when
    some were un-liked, and artists and audio features only for what is new. `artists_owed`: development tier,
    artists earlier runs had no budget left for."""
    counts = cheapest_checks(after, limits)
    liked_before = {s["track_id"] for s in before.saved}
    if liked_before - {s["track_id"] for s in after.saved}:
        # An un-like shows only as a count lower than expected: the whole list is read once to find it.
        counts["GET /v1/me/tracks"] = max(1, _pages(len(after.saved)))
    old_snapshots = {p["id"]: p["snapshot_id"] for p in before.readable}
    changed = [p["id"] for p in after.readable if old_snapshots.get(p["id"]) != p["snapshot_id"]]
    counts["GET /v1/playlists/{playlist_id}/items"] = sum(_pages(len(after.entries[pid])) for pid in changed)
    new_artists = len(set(after.missing_artist_ids) - set(before.artist_ids))
    if development:
        counts["GET /v1/artists/{id}"] = min(artists_owed + new_artists, limits["artist_request_budget"])
    else:
        counts["GET /v1/artists"] = _pages(new_artists)
        counts["GET /v1/audio-features"] = math.ceil(len(after.track_ids - before.track_ids) / FEATURES_BATCH)
    return {name: count for name, count in counts.items() if count}
