"""Run the real dlt pipeline with the real source against a real emulator, into a real DuckDB file.

Also computes, from the emulator's ground truth alone, what a run within the source's limits must land: the
tests compare the warehouse with that, never with hand-written numbers.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import duckdb

from spotify_emulator import EmulatorServer
from spotify_source import spotify_source

LIMITS = {"max_playlists": 20, "max_tracks_per_playlist": 100, "top_limit": 20, "artist_request_budget": 100}
os.environ.setdefault("EXTRACT__NEXT_ITEM_MODE", "fifo")


@dataclass
class Harness:
    server: EmulatorServer
    workdir: Path
    refresh_token: str
    source_options: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.workdir / "spotify.duckdb"

    def run(self, **options: Any) -> dlt.Pipeline:
        """One `pipeline.run` of the source, as `python pipeline.py` does it."""
        pipeline = dlt.pipeline(
            pipeline_name="spotify",
            destination=dlt.destinations.duckdb(str(self.database)),
            dataset_name="spotify_raw",
            pipelines_dir=str(self.workdir / "pipelines"),
        )
        source = spotify_source(
            client_id=self.server.settings.accounts.client_id,
            refresh_token=self.refresh_token,
            api_base_url=self.server.api_url,
            accounts_base_url=self.server.url,
            token_cache_path=str(self.workdir / "token-cache.json"),
            **{**LIMITS, "max_retry_after_seconds": 5, **self.source_options, **options},
        )
        pipeline.run(source)
        return pipeline

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            connection.execute("SET TimeZone='UTC'")
            return connection.execute(sql).fetchall()

    def api_requests(self) -> dict[str, int]:
        """Requests to `/v1` by endpoint template since the last stats reset (all statuses)."""
        stats = self.server.control("GET", "stats")["by_endpoint"]
        return {name: sum(by.values()) for name, by in stats.items() if " /v1/" in name}


def make_harness(server: EmulatorServer, workdir: Path) -> Harness:
    tokens = server.login()
    return Harness(server, workdir, tokens["refresh_token"])


@dataclass
class Expected:
    """What a run within LIMITS must land, derived from the ground truth and the tier."""

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


def expected(truth: dict[str, Any], development: bool, limits: dict[str, int] = LIMITS) -> Expected:
    by_id = {p["id"]: p for p in truth["playlists"]}
    listed = [by_id[pid] for pid in truth["playlist_listing"] if pid is not None][: limits["max_playlists"]]
    readable = [p for p in listed if p["items_readable_in_development"] or not development]
    entries = {p["id"]: p["entries"][: limits["max_tracks_per_playlist"]] for p in readable}
    plays = truth["plays"][-50:]
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
                    sorted(set(artist_ids) | from_top), missing)  # fmt: skip


def minimum_requests(exp: Expected, truth: dict[str, Any], development: bool) -> dict[str, int]:
    """The fewest `/v1` requests a first run may make: pages at maximum size, full id batches."""
    pages = sum(math.ceil(len(es) / 50) for es in exp.entries.values())
    features = 0 if development else math.ceil(len(exp.track_ids) / 100)
    if development:
        artists = {"GET /v1/artists/{id}": min(len(exp.missing_artist_ids), LIMITS["artist_request_budget"])}
    else:
        artists = {"GET /v1/artists": math.ceil(len(exp.missing_artist_ids) / 50)}
    counts = {
        "GET /v1/me": 1,
        "GET /v1/me/playlists": 1,
        "GET /v1/playlists/{playlist_id}/items": pages,
        "GET /v1/me/player/recently-played": 1,
        "GET /v1/me/top/{kind}": 6,
        "GET /v1/me/tracks": math.ceil(len(exp.saved) / 50),
        **artists,
        "GET /v1/audio-features": features,
    }
    return {name: count for name, count in counts.items() if count}
