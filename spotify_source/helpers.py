"""Turning Spotify objects into raw rows, and the run report.

Raw rows stay close to Spotify's shapes (dbt does the cleaning) but every fact row carries `user_id` and the run's
`extracted_at`, and embedded objects (tracks in entries, plays, top lists) are split out by id so each lands once
in its own table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.extract.items import DataItemWithMeta
from dlt.sources import DltResource

from spotify_source.settings import EMBEDDED_TABLES


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | None) -> datetime | None:
    """Spotify's ISO timestamps, with or without milliseconds, as aware UTC datetimes."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_unix_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch, exactly: `int(timestamp() * 1000)` lands 1 ms early for some times
    (float rounding: ...0.123 s * 1000 = ...122.99999), which would move the `after=` cursor."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def lands_beside(resource: DltResource, *tables: str) -> DltResource:
    """Let `resource` land rows in `tables` too (see `to_table`), each a merge on `id` with its own columns.

    dlt starts a table variant from the resource's own hints: its columns, merge key and write disposition would
    leak into the variant (a `tracks` table with a `playlist_id` merge key), so the first call clears them, and the
    second sets the variant's own. Registered once here, the rows need only their table's name."""
    for table in tables:
        resource.apply_hints(
            table_name=table, write_disposition="merge", primary_key="id", merge_key="", columns={},
            additional_table_hints={}, create_table_variant=True,
        )  # fmt: skip
        if EMBEDDED_TABLES[table]:
            resource.apply_hints(table_name=table, columns=EMBEDDED_TABLES[table], create_table_variant=True)
    return resource


def to_table(row: dict[str, Any] | list[dict[str, Any]], table: str) -> DataItemWithMeta:
    """A row (or a list of rows) for another table than its resource's (declared with `lands_beside`): dlt routes
    it."""
    return dlt.mark.with_table_name(row, table)


def user_row(user: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    images = user.get("images") or []
    return {
        "id": user["id"],
        "display_name": user.get("display_name"),
        "account_id": user.get("account_id"),
        "country": user.get("country"),
        "email": user.get("email"),
        "product": user.get("product"),
        "followers": (user.get("followers") or {}).get("total"),
        "image_url": images[0]["url"] if images else None,
        "uri": user.get("uri"),
        "extracted_at": extracted_at,
    }


def playlist_row(playlist: dict[str, Any], user_id: str, position: int, extracted_at: datetime) -> dict[str, Any]:
    images = playlist.get("images") or []
    owner = playlist.get("owner") or {}
    total = (playlist.get("items") or playlist.get("tracks") or {}).get("total")
    return {
        "id": playlist["id"],
        "user_id": user_id,
        "name": playlist.get("name"),
        "description": playlist.get("description"),
        "owner_id": owner.get("id"),
        "owner_display_name": owner.get("display_name"),
        "is_public": playlist.get("public"),
        "is_collaborative": playlist.get("collaborative"),
        "snapshot_id": playlist.get("snapshot_id"),
        "items_total": total,
        "image_url": images[0]["url"] if images else None,
        "listing_position": position,
        "uri": playlist.get("uri"),
        "extracted_at": extracted_at,
    }


def track_row(track: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    """A Spotify track (never a local file or an episode: those have no track id)."""
    album = track.get("album") or {}
    images = album.get("images") or []
    return {
        "id": track["id"],
        "name": track.get("name"),
        "duration_ms": track.get("duration_ms"),
        "is_explicit": track.get("explicit"),
        "popularity": track.get("popularity"),
        "isrc": (track.get("external_ids") or {}).get("isrc"),
        "disc_number": track.get("disc_number"),
        "track_number": track.get("track_number"),
        "is_playable": track.get("is_playable"),
        "preview_url": track.get("preview_url"),
        "uri": track.get("uri"),
        "album_id": album.get("id"),
        "album_name": album.get("name"),
        # Top tracks send it upper case: lower-cased, a track's row does not flip with the endpoint that saw it last.
        "album_type": album["album_type"].lower() if isinstance(album.get("album_type"), str) else None,
        "album_release_date": album.get("release_date"),
        "album_release_date_precision": album.get("release_date_precision"),
        "album_total_tracks": album.get("total_tracks"),
        "album_image_url": images[0]["url"] if images else None,
        "artists": [
            {"artist_id": artist.get("id"), "artist_name": artist.get("name"), "position": index}
            for index, artist in enumerate(track.get("artists") or [])
        ],
        "extracted_at": extracted_at,
    }


def artist_row(artist: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    images = artist.get("images") or []
    return {
        "id": artist["id"],
        "name": artist.get("name"),
        "popularity": artist.get("popularity"),
        "followers": (artist.get("followers") or {}).get("total"),
        "genres": list(artist.get("genres") or []),
        "image_url": images[0]["url"] if images else None,
        "uri": artist.get("uri"),
        "extracted_at": extracted_at,
    }


def audio_features_row(features: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    keep = (
        "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
        "liveness", "valence", "tempo", "time_signature", "duration_ms",
    )  # fmt: skip
    return {"id": features["id"], **{name: features.get(name) for name in keep}, "extracted_at": extracted_at}


def is_spotify_track(obj: dict[str, Any] | None) -> bool:
    return bool(obj) and obj.get("type") == "track" and not obj.get("is_local") and bool(obj.get("id"))  # type: ignore[union-attr]


def entry_row(
    entry: dict[str, Any], playlist_id: str, snapshot_id: str, position: int, user_id: str, extracted_at: datetime
) -> dict[str, Any]:
    """One playlist entry. `item_type`: track, episode, local (a file from the user's disk) or unavailable."""
    obj = entry.get("item", entry.get("track"))
    if obj is None:
        item_type = "unavailable"
    elif entry.get("is_local") or obj.get("is_local"):
        item_type = "local"
    elif obj.get("type") == "episode":
        item_type = "episode"
    else:
        item_type = "track"
    added_by = entry.get("added_by") or {}
    local_artists = (obj or {}).get("artists") or []
    return {
        "playlist_id": playlist_id,
        "position": position,
        "user_id": user_id,
        "snapshot_id": snapshot_id,
        "item_type": item_type,
        "track_id": obj["id"] if item_type == "track" else None,
        "episode_id": obj["id"] if item_type == "episode" else None,
        "is_local": item_type == "local",
        "local_uri": obj.get("uri") if item_type == "local" else None,
        "local_name": obj.get("name") if item_type == "local" else None,
        "local_artist_name": local_artists[0].get("name") if item_type == "local" and local_artists else None,
        "local_album_name": (obj.get("album") or {}).get("name") if item_type == "local" else None,
        "item_duration_ms": obj.get("duration_ms") if obj else None,
        "added_at": parse_time(entry.get("added_at")),
        "added_by": added_by.get("id"),
        "extracted_at": extracted_at,
    }


def episode_row(episode: dict[str, Any], extracted_at: datetime) -> dict[str, Any]:
    show = episode.get("show") or {}
    return {
        "id": episode["id"],
        "name": episode.get("name"),
        "duration_ms": episode.get("duration_ms"),
        "release_date": episode.get("release_date"),
        "show_id": show.get("id"),
        "show_name": show.get("name"),
        "publisher": show.get("publisher"),
        "extracted_at": extracted_at,
    }


def play_row(item: dict[str, Any], user_id: str, extracted_at: datetime) -> dict[str, Any]:
    context = item.get("context") or {}
    return {
        "user_id": user_id,
        "played_at": parse_time(item["played_at"]),
        "track_id": item["track"]["id"],
        "context_type": context.get("type"),
        "context_uri": context.get("uri"),
        "extracted_at": extracted_at,
    }


@dataclass
class RunReport:
    """What this run fetched, skipped and why: shown at the end of the run and landed in `extraction_runs`."""

    started_at: datetime = field(default_factory=now_utc)
    user_id: str | None = None
    tier: str = "unknown"
    batch_endpoints_available: bool | None = None
    audio_features_available: bool | None = None
    saved_tracks_complete: bool | None = None
    playlists_complete: bool | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def row(self) -> dict[str, Any]:
        return {
            "run_started_at": self.started_at,
            "run_finished_at": now_utc(),
            "user_id": self.user_id,
            "tier": self.tier,
            "batch_endpoints_available": self.batch_endpoints_available,
            "audio_features_available": self.audio_features_available,
            "saved_tracks_complete": self.saved_tracks_complete,
            "playlists_complete": self.playlists_complete,
            **{f"count_{name}": value for name, value in sorted(self.counts.items())},
            "notes": list(self.notes),
            "gaps": [{key: str(value) for key, value in gap.items()} for gap in self.gaps],
        }
