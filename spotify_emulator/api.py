"""Handlers of the Web API endpoints under `/v1`, for both app tiers.

Each handler reads the library under the state's lock and answers through the serializers; tier differences
(403 on batch endpoints, audio features, other people's playlist items and the old `/tracks` name) are decided
here, in one place per endpoint. The `/me` and playlist handlers read the library of the request's account (its
access token's, `_mine`); the catalogue handlers read the catalogue every account shares (`state.catalog`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spotify_emulator import serializers as ser
from spotify_emulator.http import Request, Response, api_error, json_response
from spotify_emulator.model import Library, Play, SavedTrack, iso
from spotify_emulator.paging import BadRequest, cursor_page, offset_page, parse_limit, parse_offset

if TYPE_CHECKING:
    from spotify_emulator.state import EmulatorState

_ID = re.compile(r"^[0-9A-Za-z]{22}$")
TIME_RANGES = ("short_term", "medium_term", "long_term")


def _ids(request: Request, maximum: int) -> list[str]:
    raw = request.query.get("ids", "")
    ids = [part for part in raw.split(",") if part]
    if not ids:
        raise BadRequest("invalid request: ids missing")
    if len(ids) > maximum:
        raise BadRequest("Too many ids requested")
    for item in ids:
        if not _ID.match(item):
            raise BadRequest(f"Invalid base62 id: {item}")
    return ids


def _forbidden(empty: bool = False) -> Response:
    """The development tier's refusal. Spotify sometimes sends a 403 with no body at all."""
    return Response(403, b"") if empty else api_error(403, "Forbidden")


def _mine(state: EmulatorState, request: Request) -> Library:
    """The library of the account the request's access token belongs to."""
    return state.library_of(request.account)


def me(state: EmulatorState, request: Request) -> Response:
    return json_response(200, ser.private_user(state.render, _mine(state, request).user))


def my_playlists(state: EmulatorState, request: Request) -> Response:
    limit, offset = parse_limit(request.query, 50), parse_offset(request.query)
    render, library = state.render, _mine(state, request)
    listing = library.playlist_listing()

    def one(playlist: Any) -> Any:
        return None if playlist is None else ser.simplified_playlist(render, library, playlist)

    return json_response(200, offset_page(f"{render.api_base}/me/playlists", listing, limit, offset, one))


def _playlist_entries(state: EmulatorState, request: Request, old_endpoint: bool) -> Response:
    render, library = state.render, _mine(state, request)
    playlist = library.playlist(request.params["playlist_id"])
    if playlist is None:
        return api_error(404, "Resource not found")
    if not render.extended and (old_endpoint or not playlist.editable_by(library.user.id)):
        return _forbidden()
    limit = parse_limit(request.query, 100 if old_endpoint else 50)
    offset = parse_offset(request.query)
    types = {t.strip() for t in request.query.get("additional_types", "").split(",") if t.strip()}
    extra = {"additional_types": request.query["additional_types"]} if "additional_types" in request.query else {}
    path = "tracks" if old_endpoint else "items"

    def one(entry: Any) -> Any:
        return ser.playlist_entry(render, library, entry, "episode" in types, with_item=not old_endpoint)

    url = f"{render.api_base}/playlists/{playlist.id}/{path}"
    return json_response(200, offset_page(url, playlist.entries, limit, offset, one, extra))


def playlist_items(state: EmulatorState, request: Request) -> Response:
    return _playlist_entries(state, request, old_endpoint=False)


def playlist_tracks(state: EmulatorState, request: Request) -> Response:
    return _playlist_entries(state, request, old_endpoint=True)


def recently_played(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, _mine(state, request)

    def one(play: Play) -> dict[str, Any]:
        context = None
        if play.context_type and play.context_uri:
            ident = play.context_uri.rsplit(":", 1)[-1]
            collection = play.context_type == "collection"
            context = {
                "type": play.context_type,
                "uri": play.context_uri,
                "href": f"{render.api_base}/me/tracks"
                if collection
                else f"{render.api_base}/{play.context_type}s/{ident}",
                "external_urls": {
                    "spotify": "https://open.spotify.com/collection/tracks"
                    if collection
                    else f"https://open.spotify.com/{play.context_type}/{ident}"
                },
            }
        return {
            "track": ser.track(render, library, library.tracks[play.track_id]),
            "played_at": play.played_at_iso,
            "context": context,
        }

    url = f"{render.api_base}/me/player/recently-played"
    return json_response(200, cursor_page(url, library.plays, request.query, one))


def top(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, _mine(state, request)
    kind = request.params["kind"]
    time_range = request.query.get("time_range", "medium_term")
    if time_range not in TIME_RANGES:
        raise BadRequest("Invalid time range")
    limit, offset = parse_limit(request.query, 50), parse_offset(request.query)
    extra = {"time_range": time_range} if "time_range" in request.query else {}
    url = f"{render.api_base}/me/top/{kind}"
    if kind == "tracks":
        ids = library.top_tracks[time_range]

        def one_track(track_id: str) -> Any:
            return ser.track(render, library, library.tracks[track_id], upper_album_type=True)

        return json_response(200, offset_page(url, ids, limit, offset, one_track, extra))
    ids = library.top_artists[time_range]
    return json_response(
        200,
        offset_page(url, ids, limit, offset, lambda a: ser.full_artist(render, library.artists[a]), extra),
    )


def saved_tracks(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, _mine(state, request)
    limit, offset = parse_limit(request.query, 50), parse_offset(request.query)

    def one(saved: SavedTrack) -> dict[str, Any]:
        return {
            "added_at": iso(saved.added_at),
            "track": ser.track(render, library, library.tracks[saved.track_id]),
        }

    return json_response(200, offset_page(f"{render.api_base}/me/tracks", library.saved_tracks, limit, offset, one))


def several_tracks(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, state.catalog
    if not render.extended:
        return _forbidden()
    ids = _ids(request, 50)
    tracks = [ser.track(render, library, library.tracks[i]) if i in library.tracks else None for i in ids]
    return json_response(200, {"tracks": tracks})


def one_track(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, state.catalog
    track_id = request.params["id"]
    if not _ID.match(track_id):
        return api_error(400, "Invalid base62 id")
    if track_id not in library.tracks:
        return api_error(404, "Resource not found")
    return json_response(200, ser.track(render, library, library.tracks[track_id]))


def several_artists(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, state.catalog
    if not render.extended:
        return _forbidden()
    ids = _ids(request, 50)
    artists = [ser.full_artist(render, library.artists[i]) if i in library.artists else None for i in ids]
    return json_response(200, {"artists": artists})


def one_artist(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, state.catalog
    artist_id = request.params["id"]
    if not _ID.match(artist_id):
        return api_error(400, "Invalid base62 id")
    if artist_id not in library.artists:
        return api_error(404, "Resource not found")
    return json_response(200, ser.full_artist(render, library.artists[artist_id]))


def several_audio_features(state: EmulatorState, request: Request) -> Response:
    render, library = state.render, state.catalog
    if not render.extended:
        return _forbidden(empty=True)
    ids = _ids(request, 100)
    features = [
        ser.audio_features(render, library.audio_features[i]) if i in library.audio_features else None for i in ids
    ]
    return json_response(200, {"audio_features": features})


Handler = Callable[["EmulatorState", Request], Response]

# (method, path pattern, handler, required scope or None)
ROUTES: list[tuple[str, str, Handler, str | None]] = [
    ("GET", "/v1/me", me, None),
    ("GET", "/v1/me/playlists", my_playlists, "playlist-read-private"),
    ("GET", "/v1/playlists/{playlist_id}/items", playlist_items, "playlist-read-private"),
    ("GET", "/v1/playlists/{playlist_id}/tracks", playlist_tracks, "playlist-read-private"),
    ("GET", "/v1/me/player/recently-played", recently_played, "user-read-recently-played"),
    ("GET", "/v1/me/top/{kind:tracks|artists}", top, "user-top-read"),
    ("GET", "/v1/me/tracks", saved_tracks, "user-library-read"),
    ("GET", "/v1/tracks", several_tracks, None),
    ("GET", "/v1/tracks/{id}", one_track, None),
    ("GET", "/v1/artists", several_artists, None),
    ("GET", "/v1/artists/{id}", one_artist, None),
    ("GET", "/v1/audio-features", several_audio_features, None),
]
