"""Turn library entities into the JSON objects Spotify sends, for either app tier.

One function per Spotify object, so every endpoint that embeds a track (playlist entries, plays, top lists,
saved tracks, `/tracks`) sends the very same shape. The tier only removes fields: in development mode
`popularity`, `followers`, `available_markets`, `linked_from`, album `label` and the user's `country`, `email`,
`product`, `explicit_content` are absent, as Spotify sends them since 2026.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from spotify_emulator.model import (
    Album,
    Artist,
    AudioFeatures,
    Episode,
    Library,
    LocalFile,
    Playlist,
    PlaylistEntry,
    Show,
    Track,
    User,
    iso,
)

MARKETS = ["DE", "FR", "GB", "NL", "SE", "US", "BR", "JP"]
EXTENDED = "extended"
DEVELOPMENT = "development"


@dataclass(frozen=True)
class Render:
    """Where the emulator lives and which tier it plays: everything a serializer needs besides the entity."""

    api_base: str
    """`http://127.0.0.1:<port>/v1`: hrefs and `next` links point back at the emulator."""
    root: str
    mode: str

    @property
    def extended(self) -> bool:
        return self.mode == EXTENDED


def _open_url(kind: str, item_id: str) -> dict[str, str]:
    return {"spotify": f"https://open.spotify.com/{kind}/{item_id}"}


def images(render: Render, key: str, count: int = 3) -> list[dict[str, Any]]:
    """Cover art served by the emulator itself (an SVG per id), in Spotify's three sizes."""
    sizes = (640, 300, 64)[:count]
    return [{"url": f"{render.root}/images/{key}-{size}.svg", "height": size, "width": size} for size in sizes]


def image_colour(key: str) -> str:
    """A stable colour per image key, so covers differ from each other but never between runs."""
    return "#" + hashlib.sha256(key.encode()).hexdigest()[:6]


def simplified_artist(render: Render, artist: Artist) -> dict[str, Any]:
    return {
        "external_urls": _open_url("artist", artist.id),
        "href": f"{render.api_base}/artists/{artist.id}",
        "id": artist.id,
        "name": artist.name,
        "type": "artist",
        "uri": f"spotify:artist:{artist.id}",
    }


def full_artist(render: Render, artist: Artist) -> dict[str, Any]:
    body = simplified_artist(render, artist)
    body["genres"] = list(artist.genres)
    body["images"] = images(render, artist.id) if artist.has_image else []
    if render.extended:
        body["popularity"] = artist.popularity
        body["followers"] = {"href": None, "total": artist.followers}
    return body


def simplified_album(render: Render, library: Library, album: Album, upper_type: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "album_type": album.album_type.upper() if upper_type else album.album_type,
        "total_tracks": album.total_tracks,
        "external_urls": _open_url("album", album.id),
        "href": f"{render.api_base}/albums/{album.id}",
        "id": album.id,
        "images": images(render, album.id),
        "name": album.name,
        "release_date": album.release_date,
        "release_date_precision": album.release_date_precision,
        "type": "album",
        "uri": f"spotify:album:{album.id}",
        "artists": [simplified_artist(render, library.artists[a]) for a in album.artist_ids],
        "is_playable": True,
    }
    if render.extended:
        body["available_markets"] = MARKETS
    return body


def track(render: Render, library: Library, item: Track, upper_album_type: bool = False) -> dict[str, Any]:
    """The full track object; `upper_album_type` mimics top tracks, where Spotify sends `ALBUM`/`SINGLE`."""
    body: dict[str, Any] = {
        "album": simplified_album(render, library, library.albums[item.album_id], upper_album_type),
        "artists": [simplified_artist(render, library.artists[a]) for a in item.artist_ids],
        "disc_number": item.disc_number,
        "duration_ms": item.duration_ms,
        "explicit": item.explicit,
        "external_ids": {"isrc": item.isrc},
        "external_urls": _open_url("track", item.id),
        "href": f"{render.api_base}/tracks/{item.id}",
        "id": item.id,
        "is_local": False,
        "is_playable": True,
        "name": item.name,
        "preview_url": f"{render.root}/previews/{item.id}.mp3" if item.has_preview else None,
        "track_number": item.track_number,
        "type": "track",
        "uri": f"spotify:track:{item.id}",
    }
    if render.extended:
        body["popularity"] = item.popularity
        body["available_markets"] = MARKETS
    return body


def local_track(render: Render, local: LocalFile) -> dict[str, Any]:
    """A local file as Spotify sends it: `is_local`, no ids, hrefs or uris except the `spotify:local:` one."""
    body: dict[str, Any] = {
        "album": {
            "album_type": None,
            "artists": [],
            "external_urls": {},
            "href": None,
            "id": None,
            "images": [],
            "name": local.album,
            "release_date": None,
            "release_date_precision": None,
            "total_tracks": 0,
            "type": "album",
            "uri": None,
        },
        "artists": [
            {
                "external_urls": {},
                "href": None,
                "id": None,
                "name": local.artist,
                "type": "artist",
                "uri": None,
            }
        ],
        "disc_number": 0,
        "duration_ms": local.seconds * 1000,
        "explicit": False,
        "external_ids": {},
        "external_urls": {},
        "href": None,
        "id": None,
        "is_local": True,
        "name": local.title,
        "preview_url": None,
        "track_number": 0,
        "type": "track",
        "uri": local.uri,
    }
    if render.extended:
        body["album"]["available_markets"] = []
        body["available_markets"] = []
        body["popularity"] = 0
    return body


def simplified_show(render: Render, show: Show) -> dict[str, Any]:
    body: dict[str, Any] = {
        "copyrights": [],
        "description": show.description,
        "html_description": f"<p>{show.description}</p>",
        "explicit": False,
        "external_urls": _open_url("show", show.id),
        "href": f"{render.api_base}/shows/{show.id}",
        "id": show.id,
        "images": images(render, show.id),
        "is_externally_hosted": False,
        "languages": ["en"],
        "media_type": "audio",
        "name": show.name,
        "publisher": show.publisher,
        "total_episodes": show.total_episodes,
        "type": "show",
        "uri": f"spotify:show:{show.id}",
    }
    if render.extended:
        body["available_markets"] = MARKETS
    return body


def episode(render: Render, library: Library, item: Episode, track_shaped: bool = False) -> dict[str, Any]:
    """An episode object. `track_shaped` is what a client gets without `additional_types=episode`:
    the episode with the track fields old clients expect added (`album`, `artists`, `track_number`,
    `episode: true`), still `type: "episode"`, as Spotify has sent since podcasts entered playlists."""
    show = library.shows[item.show_id]
    body: dict[str, Any] = {
        "audio_preview_url": None,
        "description": item.description,
        "html_description": f"<p>{item.description}</p>",
        "duration_ms": item.duration_ms,
        "explicit": item.explicit,
        "external_urls": _open_url("episode", item.id),
        "href": f"{render.api_base}/episodes/{item.id}",
        "id": item.id,
        "images": images(render, item.show_id),
        "is_externally_hosted": False,
        "is_playable": True,
        "language": item.language,
        "languages": [item.language],
        "name": item.name,
        "release_date": item.release_date,
        "release_date_precision": "day",
        "type": "episode",
        "uri": f"spotify:episode:{item.id}",
        "show": simplified_show(render, show),
    }
    if track_shaped:
        show_as_artist = {
            "external_urls": _open_url("show", show.id),
            "href": f"{render.api_base}/shows/{show.id}",
            "id": show.id,
            "name": show.name,
            "type": "show",
            "uri": f"spotify:show:{show.id}",
        }
        body.update(
            {
                "album": {
                    "album_type": "compilation",
                    "artists": [show_as_artist],
                    "external_urls": _open_url("show", show.id),
                    "href": f"{render.api_base}/shows/{show.id}",
                    "id": show.id,
                    "images": images(render, show.id),
                    "name": show.name,
                    "release_date": item.release_date,
                    "release_date_precision": "day",
                    "total_tracks": show.total_episodes,
                    "type": "show",
                    "uri": f"spotify:show:{show.id}",
                },
                "artists": [show_as_artist],
                "disc_number": 0,
                "track_number": 0,
                "episode": True,
                "track": False,
                "is_local": False,
                "external_ids": {},
            }
        )
    return body


def user_ref(render: Render, library: Library, user_id: str, with_name: bool = False) -> dict[str, Any]:
    """A playlist owner (`with_name`) or an `added_by` user (without the display name, as Spotify sends it)."""
    body: dict[str, Any] = {
        "external_urls": _open_url("user", user_id),
        "href": f"{render.api_base}/users/{user_id}",
        "id": user_id,
        "type": "user",
        "uri": f"spotify:user:{user_id}",
    }
    if with_name:
        user = library.users.get(user_id)
        body["display_name"] = user.display_name if user else None
    return body


def private_user(render: Render, user: User) -> dict[str, Any]:
    """`GET /me`: the extended tier adds `country`, `email`, `product`, `followers`, `explicit_content`."""
    body: dict[str, Any] = {
        "account_id": user.account_id,
        "display_name": user.display_name,
        "external_urls": _open_url("user", user.id),
        "href": f"{render.api_base}/users/{user.id}",
        "id": user.id,
        "images": images(render, user.id, 2) if user.has_image else [],
        "type": "user",
        "uri": f"spotify:user:{user.id}",
    }
    if render.extended:
        body.update(
            {
                "country": user.country,
                "email": user.email,
                "product": user.product,
                "followers": {"href": None, "total": user.followers},
                "explicit_content": {"filter_enabled": False, "filter_locked": False},
            }
        )
    return body


def simplified_playlist(render: Render, library: Library, playlist: Playlist) -> dict[str, Any]:
    """A `/me/playlists` item: `images` is `null` for a playlist without a cover, as seen in real responses."""
    items_ref = {"href": f"{render.api_base}/playlists/{playlist.id}/items", "total": len(playlist.entries)}
    return {
        "collaborative": playlist.collaborative,
        "description": playlist.description,
        "external_urls": _open_url("playlist", playlist.id),
        "href": f"{render.api_base}/playlists/{playlist.id}",
        "id": playlist.id,
        "images": images(render, playlist.id, playlist.image_count) if playlist.image_count else None,
        "name": playlist.name,
        "owner": user_ref(render, library, playlist.owner_id, with_name=True),
        "primary_color": None,
        "public": playlist.public,
        "snapshot_id": playlist.snapshot_id,
        "items": items_ref,
        "tracks": {
            "href": f"{render.api_base}/playlists/{playlist.id}/tracks",
            "total": len(playlist.entries),
        },
        "type": "playlist",
        "uri": f"spotify:playlist:{playlist.id}",
    }


def playlist_entry(
    render: Render, library: Library, entry: PlaylistEntry, episodes_as_episodes: bool, with_item: bool
) -> dict[str, Any]:
    """One playlist entry. `/items` sends the object under both `item` and the deprecated `track`;
    the old `/tracks` endpoint only under `track` (`with_item=False`)."""
    obj: dict[str, Any] | None
    if entry.kind == "track" and entry.ref_id:
        obj = track(render, library, library.tracks[entry.ref_id])
    elif entry.kind == "episode" and entry.ref_id:
        obj = episode(render, library, library.episodes[entry.ref_id], track_shaped=not episodes_as_episodes)
    elif entry.kind == "local" and entry.local:
        obj = local_track(render, entry.local)
    else:
        obj = None
    body: dict[str, Any] = {
        "added_at": iso(entry.added_at) if entry.added_at else None,
        "added_by": user_ref(render, library, entry.added_by) if entry.added_by else None,
        "is_local": entry.kind == "local",
        "primary_color": None,
        "track": obj,
        "video_thumbnail": {"url": None},
    }
    if with_item:
        body["item"] = obj
    return body


def audio_features(render: Render, features: AudioFeatures) -> dict[str, Any]:
    return {
        "acousticness": features.acousticness,
        "analysis_url": f"{render.api_base}/audio-analysis/{features.track_id}",
        "danceability": features.danceability,
        "duration_ms": features.duration_ms,
        "energy": features.energy,
        "id": features.track_id,
        "instrumentalness": features.instrumentalness,
        "key": features.key,
        "liveness": features.liveness,
        "loudness": features.loudness,
        "mode": features.mode,
        "speechiness": features.speechiness,
        "tempo": features.tempo,
        "time_signature": features.time_signature,
        "track_href": f"{render.api_base}/tracks/{features.track_id}",
        "type": "audio_features",
        "uri": f"spotify:track:{features.track_id}",
        "valence": features.valence,
    }
