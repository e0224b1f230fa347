"""Validate emulator answers against Spotify's OpenAPI file, allowing exactly the documented deviations.

`shared/spotify-openapi.yml` is Spotify's description of the Web API; `shared/spotify-api.md` lists where the
live service (and so the emulator) departs from it. This module loads the file, rewrites it in memory — every
`oneOf` with a `discriminator` becomes a plain `anyOf`, then the `DEVIATIONS` below are applied, and nothing
else — and validates JSON bodies against the response schema of one operation with `OAS30Validator`,
`#/components/...` references resolved through a `referencing` registry.

Loosening a schema loosens it for every object of that type (making track ids nullable for local files makes
them nullable for every track), so `validate_response` adds `scope_checks` that keep each loosening where
spotify-api.md says it applies.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).resolve().parents[2] / ".." / "shared" / "spotify-openapi.yml"
SPEC_URI = "urn:spotify-openapi"
"""The URI the (rewritten) spec is registered under; its `#/components/...` refs resolve inside it."""

EXTENDED, DEVELOPMENT = "extended", "development"
MODES = (EXTENDED, DEVELOPMENT)

DEVELOPMENT_ABSENT = frozenset(
    {
        "popularity",
        "followers",
        "available_markets",
        "linked_from",
        "label",
        "country",
        "email",
        "product",
        "explicit_content",
    }
)
"""Fields the development tier loses (the tier table of spotify-api.md)."""

UPPER_ALBUM_TYPES = ("ALBUM", "SINGLE", "COMPILATION")
UPPER_ALBUM_TYPE_PATHS = frozenset({"/me/top/tracks"})
"""Where spotify-api.md has seen `album_type` in upper case; anywhere else it must be lower case."""

Schema = dict[str, Any]
NULL: Schema = {"enum": [None]}
"""Accepts exactly `null`; OAS 3.0 has no null type."""


def nullable(schema: Schema) -> Schema:
    """`schema`, also accepting `null`.

    OAS 3.0's `nullable: true` only counts beside a `type` in the same schema object (and an enum must list
    `null` too), so a schema made of `allOf`/`anyOf`/`$ref` is wrapped in `anyOf: [schema, null]` instead.
    """
    if "type" in schema:
        loosened = {**schema, "nullable": True}
        if "enum" in loosened:
            loosened["enum"] = [*loosened["enum"], None]
        return loosened
    return {"anyOf": [schema, NULL]}


def _schemas(spec: Schema) -> Schema:
    return spec["components"]["schemas"]


def _nullable_properties(schema_name: str, *names: str) -> Callable[[Schema], None]:
    """A patch making properties of a component schema nullable (KeyError if the spec no longer has them)."""

    def apply(spec: Schema) -> None:
        properties = _schemas(spec)[schema_name]["properties"]
        for name in names:
            properties[name] = nullable(properties[name])

    return apply


def _all_of(*patches: Callable[[Schema], None]) -> Callable[[Schema], None]:
    def apply(spec: Schema) -> None:
        for patch in patches:
            patch(spec)

    return apply


def _null_playlist_entries(spec: Schema) -> None:
    listing = _schemas(spec)["PagingPlaylistObject"]["allOf"][1]["properties"]["items"]
    listing["items"] = nullable(listing["items"])


def _null_audio_features(spec: Schema) -> None:
    body = spec["components"]["responses"]["ManyAudioFeatures"]["content"]["application/json"]["schema"]
    features = body["properties"]["audio_features"]
    features["items"] = nullable(features["items"])


def _upper_case_album_type(spec: Schema) -> None:
    album_type = _schemas(spec)["AlbumBase"]["properties"]["album_type"]
    album_type["enum"] = [*album_type["enum"], *UPPER_ALBUM_TYPES]


def _development_fields_absent(spec: Schema) -> None:
    for node in _walk(spec):
        required = node.get("required")
        if isinstance(required, list):
            node["required"] = [name for name in required if name not in DEVELOPMENT_ABSENT]


@dataclass(frozen=True)
class Deviation:
    """One way the live service departs from the OpenAPI file, as spotify-api.md documents it."""

    name: str
    apply: Callable[[Schema], None]
    modes: tuple[str, ...] = MODES


DEVIATIONS: tuple[Deviation, ...] = (
    # Recently played: `context` is often null (plays started from nowhere in particular).
    Deviation("PlayHistoryObject.context may be null", _nullable_properties("PlayHistoryObject", "context")),
    # `/me/playlists`: a playlist without a cover has `images: null`, not `[]`.
    Deviation(
        "SimplifiedPlaylistObject.images may be null",
        _nullable_properties("SimplifiedPlaylistObject", "images"),
    ),
    # `/me/playlists`: an entry of the list itself can be null.
    Deviation("PagingPlaylistObject items may be null", _null_playlist_entries),
    # `/audio-features?ids=`: unknown ids (and tracks without features) give a null entry.
    Deviation("ManyAudioFeatures entries may be null", _null_audio_features),
    # An empty recently-played page: `next: null` and `cursors: null` (the file has neither nullable).
    Deviation(
        "CursorPagingObject.next and .cursors may be null",
        _nullable_properties("CursorPagingObject", "next", "cursors"),
    ),
    # Top tracks: `album_type` seen upper case; `scope_checks` keeps it to UPPER_ALBUM_TYPE_PATHS.
    Deviation("AlbumBase.album_type may be upper case", _upper_case_album_type),
    # The current user's profile may have no display name.
    Deviation(
        "PrivateUserObject.display_name may be null",
        _nullable_properties("PrivateUserObject", "display_name"),
    ),
    # Old playlists: `added_at`/`added_by` null; an unavailable track: `item`/`track` null.
    Deviation(
        "PlaylistTrackObject.added_at/added_by/item/track may be null",
        _nullable_properties("PlaylistTrackObject", "added_at", "added_by", "item", "track"),
    ),
    # Local files in playlists have no Spotify ids or hrefs: the track's id/href, the album's id/href/uri and
    # the artists' id/href/uri are null. A local file's album is also not a catalogue album, so its
    # album_type, release_date and release_date_precision are null too. `scope_checks` requires all of these
    # to be non-null on every track whose `is_local` is not true.
    Deviation(
        "local-file tracks have null ids, hrefs and uris",
        _all_of(
            _nullable_properties("TrackObject", "id", "href"),
            _nullable_properties(
                "AlbumBase", "id", "href", "uri", "album_type", "release_date", "release_date_precision"
            ),
            _nullable_properties("SimplifiedArtistObject", "id", "href", "uri"),
        ),
    ),
    # Development tier: the fields it loses are absent even where the file marks them required.
    Deviation("development tier: lost fields are not required", _development_fields_absent, (DEVELOPMENT,)),
)

LOCAL_FILE_NULLABLE = {
    "track": ("id", "href"),
    "album": ("id", "href", "uri", "album_type", "release_date", "release_date_precision"),
    "artist": ("id", "href", "uri"),
}
"""What the local-file deviation loosens; `scope_checks` holds every other track to non-null values here."""


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside a JSON-like value, depth first, the value itself included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _discriminated_one_of_as_any_of(spec: Schema) -> None:
    """JSON-schema validators cannot use OpenAPI's discriminator, so a track also "matches" the episode schema
    and the `oneOf` fails: validate it as `anyOf` (spotify-api.md). The discriminator is dropped as well:
    openapi-schema-validator would otherwise map `type: "track"` to a `#/components/schemas/track` that does
    not exist."""
    for node in _walk(spec):
        if "oneOf" in node and "discriminator" in node:
            node["anyOf"] = node.pop("oneOf")
            del node["discriminator"]


@cache
def load_spec() -> Schema:
    """The OpenAPI file as published, parsed once."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def patched_spec(mode: str, without: str | None = None) -> Schema:
    """The spec as this module validates it for one tier: anyOf for discriminated oneOf, then `DEVIATIONS`.

    `without` names one deviation to leave out, so a test can show that each one is needed.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    if without is not None and without not in {deviation.name for deviation in DEVIATIONS}:
        raise ValueError(f"unknown deviation {without!r}")
    spec = copy.deepcopy(load_spec())
    _discriminated_one_of_as_any_of(spec)
    for deviation in DEVIATIONS:
        if mode in deviation.modes and deviation.name != without:
            deviation.apply(spec)
    return spec


@cache
def _validator(mode: str, pointer: str, without: str | None = None) -> Validator:
    resource = Resource.from_contents(patched_spec(mode, without), default_specification=DRAFT4)
    registry: Registry = Registry().with_resource(SPEC_URI, resource)
    schema = {"$ref": f"{SPEC_URI}#{pointer}"}
    return OAS30Validator(schema, registry=registry, format_checker=OAS30Validator.FORMAT_CHECKER)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def response_schema_pointer(path: str, method: str = "get", status: str = "200") -> str:
    """The JSON pointer (inside the spec) of the `application/json` schema of one operation's response."""
    spec = load_spec()
    try:
        response = spec["paths"][path][method.lower()]["responses"][str(status)]
    except KeyError:
        raise KeyError(f"the spec declares no {status} response for {method.upper()} {path}") from None
    pointer = f"/paths/{_escape(path)}/{method.lower()}/responses/{status}"
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#")
        response = spec["components"]["responses"][pointer.rsplit("/", 1)[-1]]
    if "application/json" not in response.get("content", {}):
        raise KeyError(f"the {status} response of {method.upper()} {path} has no JSON body")
    return f"{pointer}/content/application~1json/schema"


def _raise_if_errors(errors: list[ValidationError], what: str) -> None:
    if not errors:
        return
    best = best_match(errors)
    lines = [f"{what}: {len(errors)} schema violation(s); best match at {best.json_path}: {best.message}"]
    lines += [f"  - {error.json_path}: {error.message[:300]}" for error in errors[:10]]
    raise AssertionError("\n".join(lines))


def schema_errors(
    body: Any,
    path: str,
    mode: str,
    method: str = "get",
    status: str | int = "200",
    without: str | None = None,
) -> list[ValidationError]:
    """The schema violations of `body` for one operation and status (`path` is the spec's template,
    `/playlists/{playlist_id}/items`, not a concrete URL)."""
    pointer = response_schema_pointer(path, method, str(status))
    return list(_validator(mode, pointer, without).iter_errors(body))


def validate_response(body: Any, path: str, mode: str, method: str = "get", status: str | int = "200") -> None:
    """Assert `body` is what the patched spec allows for this operation and status, then `scope_checks`."""
    what = f"{method.upper()} {path} {status} ({mode})"
    _raise_if_errors(schema_errors(body, path, mode, method, status), what)
    problems = scope_checks(body, path)
    assert not problems, f"{what}:\n" + "\n".join(problems)


def validate_error(body: Any, status: int, mode: str) -> None:
    """Assert an error body against the spec's shared error responses (`#/components/responses/<Name>`).

    For statuses the operations do not list themselves: the file declares no 400 on the endpoints the source
    uses, though Spotify answers 400 to a bad `limit`, with the same `{"error": {status, message}}` body.
    """
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        429: "TooManyRequests",
    }
    pointer = f"/components/responses/{names[status]}/content/application~1json/schema"
    _raise_if_errors(list(_validator(mode, pointer).iter_errors(body)), f"error {status} ({mode})")


def validate_schema(instance: Any, schema_name: str, mode: str) -> None:
    """Assert one object against a component schema (`EpisodeObject`, `TrackObject`, ...) of the spec."""
    errors = list(_validator(mode, f"/components/schemas/{schema_name}").iter_errors(instance))
    _raise_if_errors(errors, f"{schema_name} ({mode})")


def scope_checks(body: Any, path: str) -> list[str]:
    """What the schema patches cannot say: where each loosening is allowed. Returns the problems found.

    - Only local files (`is_local: true`) may have null track/album/artist ids, hrefs and uris (and the null
      album fields of a local file's album); every other track object must have them all.
    - Upper-case `album_type` only in the answers of `UPPER_ALBUM_TYPE_PATHS`.
    - `cursors: null` only on an empty cursor page.
    """
    problems: list[str] = []
    if isinstance(body, dict) and "cursors" in body and body["cursors"] is None and body.get("items"):
        problems.append("cursors is null on a page that has items")
    for node in _walk(body):
        kind = node.get("type")
        if kind == "track" and node.get("is_local") is not True:
            label = f"track {node.get('uri')!r}"
            problems += [f"{label}: {name} is null" for name in LOCAL_FILE_NULLABLE["track"] if node.get(name) is None]
            album = node.get("album")
            if isinstance(album, dict):
                problems += [
                    f"{label}: album.{name} is null" for name in LOCAL_FILE_NULLABLE["album"] if album.get(name) is None
                ]
            artists = [*node.get("artists", []), *(album or {}).get("artists", [])]
            for artist in artists:
                problems += [
                    f"{label}: artist {artist.get('name')!r} {name} is null"
                    for name in LOCAL_FILE_NULLABLE["artist"]
                    if artist.get(name) is None
                ]
        if kind == "album" and node.get("album_type") in UPPER_ALBUM_TYPES and path not in UPPER_ALBUM_TYPE_PATHS:
            problems.append(
                f"album {node.get('id')!r}: upper-case album_type {node['album_type']!r} outside top tracks"
            )
    return problems
