"""The emulator against Spotify's contract: OpenAPI response schemas, paging, cursors, tiers and item types.

Every answer is validated against `shared/spotify-openapi.yml` with exactly the deviations `spotify-api.md`
lists (see `openapi_contract.DEVIATIONS`), and its contents are compared with the emulator's own ground truth
(`/_emulator/ground-truth`), so a test fails when the emulator serves wrong data, not only a wrong shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.emulator.openapi_contract import (
    DEVELOPMENT,
    DEVELOPMENT_ABSENT,
    DEVIATIONS,
    EXTENDED,
    MODES,
    schema_errors,
    scope_checks,
    validate_error,
    validate_response,
    validate_schema,
)

if TYPE_CHECKING:
    from tests.conftest import SpotifyClient

ITEMS = "/playlists/{playlist_id}/items"
OLD_TRACKS = "/playlists/{playlist_id}/tracks"
RECENT = "/me/player/recently-played"
TIME_RANGES = ("short_term", "medium_term", "long_term")
WINDOW = 50
"""Only the 50 most recent plays can be read (spotify-api.md)."""
UNKNOWN_ID = "0000000000000000000000"
"""A valid base62 id (22 characters) that no library contains."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PAGES = 5_000
"""A walk that needs more pages than this loops."""

Json = dict[str, Any]
Truth = dict[str, Any]


# --- fixtures and small helpers ---


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def client(spotify_client: Callable[..., SpotifyClient], mode: str) -> SpotifyClient:
    """A logged-in client of a fresh small-profile emulator in the tier under test."""
    return spotify_client(profile="small", mode=mode)


@pytest.fixture
def truth(client: SpotifyClient) -> Truth:
    return client.server.control("GET", "ground-truth")


def get_ok(client: SpotifyClient, path: str, template: str, mode: str, **params: Any) -> Json:
    """GET a page or object that must be a 200, validated against the spec."""
    answer = client.get(path, **params)
    assert answer.status_code == 200, f"GET {path} {params}: {answer.status_code} {answer.text[:300]}"
    body = answer.json()
    validate_response(body, template, mode)
    return body


def walk(client: SpotifyClient, path: str, template: str, mode: str, **params: Any) -> list[Json]:
    """Every page from the first one on, following `next`; each page validated against the spec."""
    pages = [get_ok(client, path, template, mode, **params)]
    while pages[-1]["next"] is not None:
        assert len(pages) < MAX_PAGES, f"{path}: `next` never ends"
        pages.append(get_ok(client, pages[-1]["next"], template, mode))
    return pages


def items_of(pages: list[Json]) -> list[Any]:
    return [item for page in pages for item in page["items"]]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def error_body(answer: requests.Response, status: int) -> Json:
    """The body of an answer that must be an error of this status; Spotify's error object repeats it."""
    assert answer.status_code == status, f"expected {status}, got {answer.status_code}: {answer.text[:300]}"
    body = answer.json()
    assert body["error"]["status"] == status and body["error"]["message"], body
    return body


def json_objects(value: Any) -> Iterator[Json]:
    """Every JSON object inside a body, the body included."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from json_objects(child)
    elif isinstance(value, list):
        for child in value:
            yield from json_objects(child)


def unix_ms(timestamp: str) -> int:
    """Unix milliseconds of an ISO-8601 UTC timestamp, in integers (no float rounding)."""
    return (datetime.fromisoformat(timestamp) - EPOCH) // timedelta(milliseconds=1)


def playlist(truth: Truth, playlist_id: str) -> Json:
    return next(p for p in truth["playlists"] if p["id"] == playlist_id)


def readable(truth: Truth, mode: str) -> list[Json]:
    """The playlists whose items this tier may read."""
    return [p for p in truth["playlists"] if mode == EXTENDED or p["items_readable_in_development"]]


def largest_readable(truth: Truth, mode: str) -> Json:
    return max(readable(truth, mode), key=lambda p: len(p["entries"]))


def entry_key(entry: Json) -> tuple[Any, ...]:
    """What identifies a ground-truth playlist entry (the same track can be in a playlist twice)."""
    return (entry["kind"], entry["track_id"] or entry["episode_id"] or entry["local_uri"], entry["added_at"])


def served_entry_key(entry: Json) -> tuple[Any, ...]:
    """`entry_key` of a served playlist entry."""
    obj = entry["track"]
    if obj is None:
        return ("unavailable", None, entry["added_at"])
    if entry["is_local"]:
        return ("local", obj["uri"], entry["added_at"])
    return (obj["type"], obj["id"], entry["added_at"])


def assert_entries_match(served: list[Json], expected: list[Json], episodes_requested: bool, with_item: bool) -> None:
    """Served playlist entries against the ground truth, position by position, for every kind of entry."""
    assert len(served) == len(expected)
    for position, (entry, truth_entry) in enumerate(zip(served, expected, strict=True)):
        where = f"entry {position} ({truth_entry['kind']})"
        if with_item:
            assert entry["item"] == entry["track"], f"{where}: `item` and `track` differ"
        else:
            assert "item" not in entry, f"{where}: the old endpoint has no `item`"
        obj = entry["track"]
        assert entry["added_at"] == truth_entry["added_at"], where
        assert (entry["added_by"] or {}).get("id") == truth_entry["added_by"], where
        assert entry["is_local"] is (truth_entry["kind"] == "local"), where
        kind = truth_entry["kind"]
        if kind == "unavailable":
            assert obj is None, where
        elif kind == "track":
            assert (obj["type"], obj["id"], obj["is_local"]) == ("track", truth_entry["track_id"], False), where
        elif kind == "local":
            assert obj["uri"] == truth_entry["local_uri"] and obj["uri"].startswith("spotify:local:"), where
            assert (obj["id"], obj["href"], obj["is_local"]) == (None, None, True), where
            assert obj["album"]["id"] is None and all(a["id"] is None for a in obj["artists"]), where
        else:
            assert (obj["type"], obj["id"]) == ("episode", truth_entry["episode_id"]), where
            assert_episode_shape(obj, episodes_requested)


def assert_episode_shape(obj: Json, episodes_requested: bool) -> None:
    """With `additional_types=episode` an episode is an EpisodeObject; without it, the track-shaped episode
    old clients expect: the episode plus `album`, `artists`, `track_number`, `episode: true`,
    `track: false`."""
    track_fields = ("album", "artists", "track_number", "disc_number", "episode", "track")
    if episodes_requested:
        assert not any(name in obj for name in track_fields), f"episode {obj['id']} carries track fields"
    else:
        assert all(name in obj for name in track_fields), f"episode {obj['id']} is not track-shaped"
        assert obj["episode"] is True and obj["track"] is False and obj["is_local"] is False
        assert obj["album"]["type"] == "show" and obj["album"]["id"] == obj["show"]["id"]
        assert [a["id"] for a in obj["artists"]] == [obj["show"]["id"]]


# --- every endpoint's 200 against the spec ---


def test_me(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """`/me` validates; its values are the ground truth's; the tier decides the private fields."""
    me = get_ok(client, "/me", "/me", mode)
    user = truth["user"]
    assert (me["id"], me["display_name"], me["account_id"], me["type"]) == (
        user["id"],
        user["display_name"],
        user["account_id"],
        "user",
    )
    if mode == EXTENDED:
        assert (me["country"], me["email"], me["product"]) == (
            user["country"],
            user["email"],
            user["product"],
        )
        assert me["followers"]["total"] == user["followers"] and "explicit_content" in me
    else:
        assert not DEVELOPMENT_ABSENT & me.keys()


def test_my_playlists(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """Every page of `/me/playlists` validates, including the `null` entry and `images: null` covers."""
    served = items_of(walk(client, "/me/playlists", "/me/playlists", mode, limit=3))
    assert [p and p["id"] for p in served] == truth["playlist_listing"]
    assert None in served, "the ground truth has a null slot; the listing must show it"
    for item in filter(None, served):
        expected = playlist(truth, item["id"])
        assert (item["name"], item["snapshot_id"], item["owner"]["id"]) == (
            expected["name"],
            expected["snapshot_id"],
            expected["owner_id"],
        )
        assert item["items"]["total"] == item["tracks"]["total"] == len(expected["entries"])
        assert (item["images"] is None) == (expected["image_count"] == 0), item["id"]


@pytest.mark.parametrize("additional_types", [None, "track,episode"])
def test_playlist_items_of_every_playlist(
    client: SpotifyClient, truth: Truth, mode: str, additional_types: str | None
) -> None:
    """`/items` of every playlist: all pages validate and match the ground truth where the tier can read them;
    in development mode exactly the playlists the user neither owns nor collaborates on answer 403."""
    params = {"additional_types": additional_types} if additional_types else {}
    me = truth["user"]["id"]
    flags = {p["items_readable_in_development"] for p in truth["playlists"]}
    assert flags == {True, False}, "the profile should hold playlists of both kinds"
    for expected in truth["playlists"]:
        path = f"/playlists/{expected['id']}/items"
        mine = expected["owner_id"] == me or me in expected["collaborator_ids"]
        assert expected["items_readable_in_development"] is mine, expected["id"]
        if mode == DEVELOPMENT and not expected["items_readable_in_development"]:
            body = error_body(client.get(path, **params), 403)
            validate_response(body, ITEMS, mode, status=403)
            continue
        pages = walk(client, path, ITEMS, mode, limit=50, **params)
        assert_entries_match(items_of(pages), expected["entries"], bool(additional_types), with_item=True)


def test_old_playlist_tracks_endpoint(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """The old `/tracks` name: every playlist readable with pages of up to 100 in extended mode, 403 always
    (even for the user's own playlists) in development mode."""
    for expected in truth["playlists"]:
        path = f"/playlists/{expected['id']}/tracks"
        if mode == DEVELOPMENT:
            validate_response(error_body(client.get(path), 403), OLD_TRACKS, mode, status=403)
            continue
        pages = walk(client, path, OLD_TRACKS, mode, limit=100)
        assert_entries_match(items_of(pages), expected["entries"], episodes_requested=False, with_item=False)


def test_recently_played_pages(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """Recently played validates without a cursor, with `before=` and with `after=`; no page has `total`."""
    window = truth["plays"][-WINDOW:]
    middle = window[WINDOW // 2]["played_at_ms"]
    for params in ({}, {"limit": 50}, {"before": middle}, {"after": middle}, {"after": 0, "limit": 7}):
        page = get_ok(client, RECENT, RECENT, mode, **params)
        assert "total" not in page, params
        assert page["items"], params
        for play in page["items"]:
            assert play["track"]["type"] == "track" and play["track"]["is_local"] is False
    contexts = [play["context"] for play in get_ok(client, RECENT, RECENT, mode, limit=50)["items"]]
    expected = [p["context_uri"] for p in reversed(window)]
    assert [c and c["uri"] for c in contexts] == expected


@pytest.mark.parametrize("kind", ["tracks", "artists"])
def test_top_lists(client: SpotifyClient, truth: Truth, mode: str, kind: str) -> None:
    """Top tracks and artists for every time range validate and are the ground truth's lists in order;
    without `time_range` the list is the medium-term one."""
    template = f"/me/top/{kind}"
    for time_range in TIME_RANGES:
        served = items_of(walk(client, template, template, mode, time_range=time_range, limit=50))
        assert [item["id"] for item in served] == truth[f"top_{kind}"][time_range], time_range
    default = items_of(walk(client, template, template, mode, limit=50))
    assert [item["id"] for item in default] == truth[f"top_{kind}"]["medium_term"]
    if kind == "artists":
        genres = {a["id"]: a["genres"] for a in truth["artists"]}
        assert all(artist["genres"] == genres[artist["id"]] for artist in default)
    validate_error(error_body(client.get(template, time_range="forever"), 400), 400, mode)


def test_saved_tracks(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """Liked songs validate and are the ground truth's, newest first, with their `added_at`."""
    served = items_of(walk(client, "/me/tracks", "/me/tracks", mode, limit=50))
    assert [(s["track"]["id"], s["added_at"]) for s in served] == [
        (s["track_id"], s["added_at"]) for s in truth["saved_tracks"]
    ]
    added = [s["added_at"] for s in served]
    assert added == sorted(added, reverse=True)


def test_single_track_and_artist(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """`/tracks/{id}` and `/artists/{id}` work in both tiers, validate and carry the ground truth's values."""
    albums = {a["id"]: a for a in truth["albums"]}
    for expected in truth["tracks"][:10]:
        track = get_ok(client, f"/tracks/{expected['id']}", "/tracks/{id}", mode)
        assert (track["id"], track["name"], track["duration_ms"], track["explicit"]) == (
            expected["id"],
            expected["name"],
            expected["duration_ms"],
            expected["explicit"],
        )
        assert track["external_ids"]["isrc"] == expected["isrc"]
        assert [a["id"] for a in track["artists"]] == expected["artist_ids"]
        album = albums[expected["album_id"]]
        assert (track["album"]["id"], track["album"]["album_type"], track["album"]["release_date"]) == (
            album["id"],
            album["album_type"],
            album["release_date"],
        )
    for expected in truth["artists"][:10]:
        artist = get_ok(client, f"/artists/{expected['id']}", "/artists/{id}", mode)
        assert (artist["id"], artist["name"], artist["genres"]) == (
            expected["id"],
            expected["name"],
            expected["genres"],
        )
    validate_error(error_body(client.get(f"/tracks/{UNKNOWN_ID}"), 404), 404, mode)
    validate_error(error_body(client.get(f"/artists/{UNKNOWN_ID}"), 404), 404, mode)


def test_several_tracks_artists_and_audio_features(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """The batch endpoints: 200 with the ground truth's objects in request order in extended mode (audio
    features `null` for an unknown id and for tracks without features); 403 in development mode."""
    track_ids = [t["id"] for t in truth["tracks"]]
    artist_ids = [a["id"] for a in truth["artists"]]
    without_features = [t["id"] for t in truth["tracks"] if not t["has_audio_features"]]
    feature_ids = [*track_ids[:40], UNKNOWN_ID, *without_features]
    requests_ = {
        "/tracks": ",".join(track_ids[:50]),
        "/artists": ",".join(artist_ids[:30]),
        "/audio-features": ",".join(feature_ids),
    }
    if mode == DEVELOPMENT:
        for path, ids in requests_.items():
            answer = client.get(path, ids=ids)
            assert answer.status_code == 403, path
            if answer.content:  # Spotify may send a 403 without a body
                validate_response(answer.json(), path, mode, status=403)
        return
    tracks = get_ok(client, "/tracks", "/tracks", mode, ids=requests_["/tracks"])["tracks"]
    popularity = {t["id"]: t["popularity"] for t in truth["tracks"]}
    assert [(t["id"], t["popularity"]) for t in tracks] == [(i, popularity[i]) for i in track_ids[:50]]
    artists = get_ok(client, "/artists", "/artists", mode, ids=requests_["/artists"])["artists"]
    assert [a["id"] for a in artists] == artist_ids[:30]
    features = get_ok(client, "/audio-features", "/audio-features", mode, ids=requests_["/audio-features"])
    known = {f["track_id"]: f for f in truth["audio_features"]}
    assert len(features["audio_features"]) == len(feature_ids)
    for requested, served in zip(feature_ids, features["audio_features"], strict=True):
        if requested not in known:
            assert served is None, f"{requested}: expected a null entry"
            continue
        expected = known[requested]
        assert served["id"] == requested and served["uri"] == f"spotify:track:{requested}"
        assert {name: served[name] for name in ("danceability", "energy", "key", "tempo", "valence")} == {
            name: expected[name] for name in ("danceability", "energy", "key", "tempo", "valence")
        }
    assert None in features["audio_features"]


def test_error_bodies(client: SpotifyClient, mode: str) -> None:
    """401 without a token, 400 for a bad limit, 403 for a tier refusal: Spotify's error body, per spec."""
    no_token = requests.get(f"{client.server.api_url}/me", timeout=30)
    validate_response(error_body(no_token, 401), "/me", mode, status=401)
    bad_token = requests.get(
        f"{client.server.api_url}/me/tracks", headers={"Authorization": "Bearer nonsense"}, timeout=30
    )
    validate_response(error_body(bad_token, 401), "/me/tracks", mode, status=401)
    validate_error(error_body(client.get("/me/playlists", limit=0), 400), 400, mode)
    if mode == DEVELOPMENT:
        ids = ",".join([UNKNOWN_ID] * 3)
        validate_response(error_body(client.get("/tracks", ids=ids), 403), "/tracks", mode, status=403)
        validate_response(error_body(client.get("/artists", ids=ids), 403), "/artists", mode, status=403)


def test_rate_limit_body(client: SpotifyClient, mode: str) -> None:
    """A 429 from the fault injector carries `Retry-After` in seconds and Spotify's error body; it stops when
    the fault is switched off again."""
    client.server.control("POST", "faults", {"rate_429": 1.0, "retry_after": 7})
    for path, template in (("/me", "/me"), ("/me/top/tracks", "/me/top/tracks"), (RECENT, RECENT)):
        answer = client.get(path)
        validate_response(error_body(answer, 429), template, mode, status=429)
        assert answer.headers["Retry-After"] == "7"
    client.server.control("POST", "faults", {"rate_429": 0.0})
    assert client.get("/me").status_code == 200


# --- paging invariants ---


def check_offset_walk(
    client: SpotifyClient,
    path: str,
    template: str,
    mode: str,
    limit: int,
    expected: list[Any],
    key: Callable[[Any], Any],
    **params: str,
) -> None:
    """Walking `next` from offset 0 visits every entry once, in the ground truth's order; every page has the
    right `total`, `offset`, `limit`, `next` and `previous`, and links keep the other query parameters."""
    pages = walk(client, path, template, mode, limit=limit, **params)
    assert [key(item) for item in items_of(pages)] == expected
    assert len(pages) == max(1, -(-len(expected) // limit))
    endpoint = urlsplit(pages[0]["href"]).path
    for index, page in enumerate(pages):
        offset = index * limit
        assert (page["total"], page["offset"], page["limit"]) == (len(expected), offset, limit)
        assert len(page["items"]) == min(limit, len(expected) - offset)
        for name, link, at in (
            ("next", page["next"], offset + limit if offset + limit < len(expected) else None),
            ("previous", page["previous"], max(0, offset - limit) if offset > 0 else None),
        ):
            if at is None:
                assert link is None, f"page {index}: {name} should be null"
                continue
            assert urlsplit(link).path == endpoint, link
            assert query_of(link) == {**params, "offset": str(at), "limit": str(limit)}, link
    if len(pages) > 1:
        back = get_ok(client, pages[-1]["previous"], template, mode)
        assert back["items"] == pages[-2]["items"] and back["offset"] == pages[-2]["offset"]


PAGED_ENDPOINTS = ["/me/playlists", "/me/tracks", "/me/top/artists", "/me/top/tracks", "items"]


@pytest.mark.parametrize("limit", [1, 7, 50])
@pytest.mark.parametrize("endpoint", PAGED_ENDPOINTS)
def test_offset_paging(client: SpotifyClient, truth: Truth, mode: str, endpoint: str, limit: int) -> None:
    """The paging invariants on each offset-paged endpoint, with page sizes that do and don't divide it."""
    if endpoint == "/me/playlists":
        check_offset_walk(client, endpoint, endpoint, mode, limit, truth["playlist_listing"], lambda p: p and p["id"])
    elif endpoint == "/me/tracks":
        expected = [s["track_id"] for s in truth["saved_tracks"]]
        check_offset_walk(client, endpoint, endpoint, mode, limit, expected, lambda s: s["track"]["id"])
    elif endpoint.startswith("/me/top/"):
        expected = truth[f"top_{endpoint.rsplit('/', 1)[-1]}"]["long_term"]
        check_offset_walk(client, endpoint, endpoint, mode, limit, expected, lambda x: x["id"], time_range="long_term")
    else:
        target = largest_readable(truth, mode)
        expected = [entry_key(e) for e in target["entries"]]
        path = f"/playlists/{target['id']}/items"
        check_offset_walk(
            client, path, ITEMS, mode, limit, expected, served_entry_key, additional_types="track,episode"
        )


def test_paging_a_playlist_of_over_a_thousand_entries(spotify_client: Callable[..., SpotifyClient], mode: str) -> None:
    """The reference profile's largest playlist (>1000 entries): `/items` in pages of 50 and, in extended
    mode, the old `/tracks` in pages of 100 visit every entry once, in order."""
    client = spotify_client(profile="reference", mode=mode)
    truth = client.server.control("GET", "ground-truth")
    target = largest_readable(truth, mode)
    assert len(target["entries"]) > 1000, "the reference profile should hold a playlist of over 1000 entries"
    expected = [entry_key(e) for e in target["entries"]]
    check_offset_walk(client, f"/playlists/{target['id']}/items", ITEMS, mode, 50, expected, served_entry_key)
    if mode == EXTENDED:
        path = f"/playlists/{target['id']}/tracks"
        check_offset_walk(client, path, OLD_TRACKS, mode, 100, expected, served_entry_key)


LIMITED_ENDPOINTS = [
    "/me/playlists",
    "/me/tracks",
    "/me/top/tracks",
    "/me/top/artists",
    RECENT,
    ITEMS,
    OLD_TRACKS,
]


@pytest.mark.parametrize("template", LIMITED_ENDPOINTS)
def test_limit_bounds(client: SpotifyClient, truth: Truth, mode: str, template: str) -> None:
    """`limit` 1..50 (1..100 on the old `/tracks` endpoint) is accepted; 0, one above the maximum, a negative
    or a non-number is a 400 with Spotify's error body."""
    path = template.replace("{playlist_id}", largest_readable(truth, mode)["id"])
    if template == OLD_TRACKS and mode == DEVELOPMENT:
        assert client.get(path, limit=10).status_code == 403
        return
    maximum = 100 if template == OLD_TRACKS else 50
    for good in (1, maximum):
        assert len(get_ok(client, path, template, mode, limit=good)["items"]) <= good
    for bad in (0, maximum + 1, -1, "ten"):
        body = error_body(client.get(path, limit=bad), 400)
        validate_error(body, 400, mode)


@pytest.mark.parametrize(("path", "maximum"), [("/tracks", 50), ("/artists", 50), ("/audio-features", 100)])
def test_ids_batch_size(client: SpotifyClient, truth: Truth, mode: str, path: str, maximum: int) -> None:
    """Batches of ids: up to the maximum is a 200, one more a 400 (extended); development mode refuses all."""
    pool = [a["id"] for a in truth["artists"]] if path == "/artists" else [t["id"] for t in truth["tracks"]]
    ids = (pool * (maximum // len(pool) + 2))[: maximum + 1]
    if mode == DEVELOPMENT:
        for batch in (ids[:maximum], ids):
            assert client.get(path, ids=",".join(batch)).status_code == 403
        return
    body = get_ok(client, path, path, mode, ids=",".join(ids[:maximum]))
    assert len(next(iter(body.values()))) == maximum
    validate_error(error_body(client.get(path, ids=",".join(ids)), 400), 400, mode)


# --- recently played: cursors ---


def served_plays(items: list[Json]) -> list[tuple[str, str]]:
    return [(play["track"]["id"], play["played_at"]) for play in items]


def truth_plays(plays: list[Json]) -> list[tuple[str, str]]:
    return [(play["track_id"], play["played_at"]) for play in plays]


def test_recently_played_before_walk_reaches_only_the_window(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """Walking `before` from the newest play in pages of 10 reads exactly the 50 most recent plays, newest
    first; `next` carries the page's `before` cursor, and no older play is reachable."""
    assert len(truth["plays"]) > WINDOW, "the profile should hold more plays than the window"
    window = truth["plays"][-WINDOW:]
    pages = [get_ok(client, RECENT, RECENT, mode, limit=10)]
    while pages[-1]["next"] is not None:
        assert len(pages) < MAX_PAGES
        assert query_of(pages[-1]["next"]) == {"before": pages[-1]["cursors"]["before"], "limit": "10"}
        pages.append(get_ok(client, pages[-1]["next"], RECENT, mode))
    plays = items_of(pages)
    assert served_plays(plays) == truth_plays(window[::-1])
    assert len({p["played_at"] for p in plays}) == WINDOW
    assert [len(page["items"]) for page in pages] == [10] * (WINDOW // 10)
    older = get_ok(client, RECENT, RECENT, mode, before=window[0]["played_at_ms"], limit=50)
    assert older["items"] == [] and older["next"] is None and older["cursors"] is None


def test_recently_played_after_is_strictly_newer(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """`after=<ms>` returns only plays strictly newer than it (and never more than the window); walking `next`
    forward from before the window visits each of the 50 plays once."""
    window = truth["plays"][-WINDOW:]
    for k in (0, 17, WINDOW - 2):
        at = window[k]["played_at_ms"]
        for cursor, expected in ((at, window[k + 1 :]), (at - 1, window[k:])):
            page = get_ok(client, RECENT, RECENT, mode, after=cursor, limit=50)
            assert served_plays(page["items"]) == truth_plays(expected[::-1]), f"after={cursor}"
            assert all(unix_ms(play["played_at"]) > cursor for play in page["items"])
    before = get_ok(client, RECENT, RECENT, mode, before=window[30]["played_at_ms"], limit=50)
    assert served_plays(before["items"]) == truth_plays(window[:30][::-1])
    pages = [get_ok(client, RECENT, RECENT, mode, after=0, limit=10)]
    while pages[-1]["next"] is not None:
        assert len(pages) < MAX_PAGES
        assert query_of(pages[-1]["next"]) == {"after": pages[-1]["cursors"]["after"], "limit": "10"}
        pages.append(get_ok(client, pages[-1]["next"], RECENT, mode))
    # Forward pages: the oldest ten after the cursor, each page newest first.
    chunks = [window[start : start + 10][::-1] for start in range(0, WINDOW, 10)]
    assert [served_plays(page["items"]) for page in pages] == [truth_plays(chunk) for chunk in chunks]


def test_recently_played_cursors_are_unix_ms_strings(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """`cursors.after`/`before` are strings of the unix ms of the page's newest and oldest play."""
    window = truth["plays"][-WINDOW:]
    for params in ({"limit": 10}, {"before": window[20]["played_at_ms"], "limit": 5}):
        page = get_ok(client, RECENT, RECENT, mode, **params)
        cursors = page["cursors"]
        assert isinstance(cursors["after"], str) and cursors["after"].isdigit(), cursors
        assert isinstance(cursors["before"], str) and cursors["before"].isdigit(), cursors
        assert int(cursors["after"]) == unix_ms(page["items"][0]["played_at"])
        assert int(cursors["before"]) == unix_ms(page["items"][-1]["played_at"])
    assert get_ok(client, RECENT, RECENT, mode, limit=1)["cursors"]["after"] == str(window[-1]["played_at_ms"])


def test_recently_played_empty_page_after_newest(client: SpotifyClient, mode: str) -> None:
    """`after` at the newest cursor: an empty page with `next: null` and `cursors: null`, still valid."""
    newest = get_ok(client, RECENT, RECENT, mode)["cursors"]["after"]
    page = get_ok(client, RECENT, RECENT, mode, after=newest)
    assert (page["items"], page["next"], page["cursors"]) == ([], None, None)
    assert "total" not in page


def test_recently_played_after_and_before_is_400(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """Both cursors at once is a 400 with Spotify's error body."""
    at = truth["plays"][-10]["played_at_ms"]
    body = error_body(client.get(RECENT, after=at - 60_000, before=at), 400)
    validate_error(body, 400, mode)


def test_recently_played_timestamps_with_and_without_milliseconds(
    spotify_client: Callable[..., SpotifyClient], mode: str
) -> None:
    """Reference profile: `played_at` is ISO-8601 UTC, with milliseconds or without, and both occur, in the
    ground truth and in the 50 plays the API serves."""
    client = spotify_client(profile="reference", mode=mode)
    truth = client.server.control("GET", "ground-truth")
    with_ms = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    without_ms = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    for source, stamps in (
        ("ground truth", [p["played_at"] for p in truth["plays"]]),
        ("API", [p["played_at"] for p in get_ok(client, RECENT, RECENT, mode, limit=50)["items"]]),
    ):
        assert all(with_ms.match(s) or without_ms.match(s) for s in stamps), source
        assert any(with_ms.match(s) for s in stamps), f"{source}: no played_at with milliseconds"
        assert any(without_ms.match(s) for s in stamps), f"{source}: no played_at without milliseconds"
    assert all(unix_ms(p["played_at"]) == p["played_at_ms"] for p in truth["plays"])


# --- tiers and item types ---


def tier_sample(client: SpotifyClient, truth: Truth, mode: str) -> list[Json]:
    """Bodies of every endpoint both tiers serve, for the field checks of the tiers."""
    episode_playlist = next(p for p in readable(truth, mode) if any(e["kind"] == "episode" for e in p["entries"]))
    return [
        get_ok(client, "/me", "/me", mode),
        get_ok(client, "/me/playlists", "/me/playlists", mode, limit=50),
        get_ok(client, "/me/top/tracks", "/me/top/tracks", mode, limit=50),
        get_ok(client, "/me/top/artists", "/me/top/artists", mode, limit=50),
        get_ok(client, "/me/tracks", "/me/tracks", mode, limit=50),
        get_ok(client, RECENT, RECENT, mode, limit=50),
        get_ok(client, f"/tracks/{truth['tracks'][0]['id']}", "/tracks/{id}", mode),
        get_ok(client, f"/artists/{truth['artists'][0]['id']}", "/artists/{id}", mode),
        *(
            get_ok(client, f"/playlists/{episode_playlist['id']}/items", ITEMS, mode, limit=50, **extra)
            for extra in ({}, {"additional_types": "track,episode"})
        ),
    ]


def test_tier_fields(client: SpotifyClient, truth: Truth, mode: str) -> None:
    """Development mode: none of the lost fields anywhere in any body. Extended: tracks carry `popularity` and
    `available_markets`, artists `popularity` and `followers`, with the ground truth's values."""
    bodies = tier_sample(client, truth, mode)
    objects = [obj for body in bodies for obj in json_objects(body)]
    if mode == DEVELOPMENT:
        leaked = {(obj.get("type"), key) for obj in objects for key in obj.keys() & DEVELOPMENT_ABSENT}
        assert not leaked, f"development mode sends fields it should not: {sorted(leaked)}"
        return
    tracks = {t["id"]: t for t in truth["tracks"]}
    artists = {a["id"]: a for a in truth["artists"]}
    served_tracks = [o for o in objects if o.get("type") == "track" and o.get("is_local") is False]
    full_artists = [o for o in objects if o.get("type") == "artist" and "genres" in o]
    assert served_tracks and full_artists
    for track in served_tracks:
        assert track["popularity"] == tracks[track["id"]]["popularity"], track["id"]
        assert isinstance(track["available_markets"], list) and "available_markets" in track["album"]
    for artist in full_artists:
        expected = artists[artist["id"]]
        assert (artist["popularity"], artist["followers"]["total"]) == (
            expected["popularity"],
            expected["followers"],
        )
    shows = [o for o in objects if o.get("type") == "show" and "publisher" in o]
    assert shows and all("available_markets" in show for show in shows)


@pytest.mark.parametrize("requested", ["track,episode", "episode"])
def test_additional_types_episodes(client: SpotifyClient, truth: Truth, mode: str, requested: str) -> None:
    """With `episode` in `additional_types`, episode entries are EpisodeObjects (`type: "episode"`); without
    it they come track-shaped; tracks stay tracks either way."""
    with_episodes = [p for p in readable(truth, mode) if any(e["kind"] == "episode" for e in p["entries"])]
    assert with_episodes, "the small profile puts episodes into the user's own playlists"
    for expected in with_episodes:
        path = f"/playlists/{expected['id']}/items"
        for params, episodes_requested in (({"additional_types": requested}, True), ({}, False)):
            served = items_of(walk(client, path, ITEMS, mode, limit=50, **params))
            for entry, truth_entry in zip(served, expected["entries"], strict=True):
                if truth_entry["kind"] == "episode":
                    assert entry["item"]["type"] == "episode" and entry["item"]["id"] == truth_entry["episode_id"]
                    validate_schema(entry["item"], "EpisodeObject", mode)
                    assert_episode_shape(entry["item"], episodes_requested)
                elif truth_entry["kind"] == "track":
                    assert entry["item"]["type"] == "track"
                    validate_schema(entry["item"], "TrackObject", mode)


# --- the contract helper itself ---


NOT_SHOWN_IN = {"ManyAudioFeatures entries may be null": (DEVELOPMENT,)}
"""Deviations a tier cannot show: development mode answers `/audio-features` with 403."""


NAMELESS_SEED = 3
"""A seed whose user has `display_name: null` (`library.has_nameless_user`)."""


@pytest.mark.parametrize("deviation", [d.name for d in DEVIATIONS])
def test_each_deviation_is_needed(spotify_client: Callable[..., SpotifyClient], mode: str, deviation: str) -> None:
    """Each patch of the spec is needed: without it, some answer the emulator serves fails validation.

    So the emulator really serves every deviation spotify-api.md documents, and no patch is dead weight that
    could hide an undocumented one."""
    applies = next(d for d in DEVIATIONS if d.name == deviation).modes
    if mode not in applies:
        pytest.skip(f"{deviation!r} applies to {applies} only")
    if mode in NOT_SHOWN_IN.get(deviation, ()):
        pytest.skip(f"{mode} mode cannot show {deviation!r}")
    client = spotify_client(profile="small", mode=mode, seed=NAMELESS_SEED)
    truth = client.server.control("GET", "ground-truth")
    assert truth["user"]["display_name"] is None
    samples = list(contract_samples(client, truth, mode))
    failing = [template for body, template in samples if schema_errors(body, template, mode, without=deviation)]
    assert failing, f"no answer needs the deviation {deviation!r}"
    assert not [template for body, template in samples if schema_errors(body, template, mode)]


def contract_samples(client: SpotifyClient, truth: Truth, mode: str) -> Iterator[tuple[Json, str]]:
    """(body, spec template) pairs covering every kind of answer the deviations are about."""
    yield get_ok(client, "/me", "/me", mode), "/me"
    for page in walk(client, "/me/playlists", "/me/playlists", mode, limit=50):
        yield page, "/me/playlists"
    for expected in readable(truth, mode):
        for page in walk(client, f"/playlists/{expected['id']}/items", ITEMS, mode, limit=50):
            yield page, ITEMS
    yield get_ok(client, RECENT, RECENT, mode, limit=50), RECENT
    newest = get_ok(client, RECENT, RECENT, mode)["cursors"]["after"]
    yield get_ok(client, RECENT, RECENT, mode, after=newest), RECENT
    yield get_ok(client, "/me/top/tracks", "/me/top/tracks", mode, limit=50), "/me/top/tracks"
    if mode == EXTENDED:
        ids = ",".join([truth["tracks"][0]["id"], UNKNOWN_ID])
        yield get_ok(client, "/audio-features", "/audio-features", mode, ids=ids), "/audio-features"


def test_validator_is_not_vacuous(client: SpotifyClient, mode: str) -> None:
    """Broken answers fail: the references resolve to real schemas and the scope checks bite."""
    page = get_ok(client, "/me/tracks", "/me/tracks", mode, limit=2)
    broken_type = {
        **page,
        "items": [{**page["items"][0], "track": {**page["items"][0]["track"], "type": "song"}}],
    }
    assert schema_errors(broken_type, "/me/tracks", mode)
    assert schema_errors({k: v for k, v in page.items() if k != "total"}, "/me/tracks", mode)
    assert schema_errors({**page, "next": 5}, "/me/tracks", mode)
    null_id = {**page, "items": [{**page["items"][0], "track": {**page["items"][0]["track"], "id": None}}]}
    assert not schema_errors(null_id, "/me/tracks", mode), "the local-file deviation makes ids nullable..."
    assert scope_checks(null_id, "/me/tracks"), "...but only for local files"
    with pytest.raises(AssertionError):
        validate_response(null_id, "/me/tracks", mode)
    upper = {**page, "items": [{**page["items"][0], "track": {**page["items"][0]["track"]}}]}
    upper["items"][0]["track"]["album"] = {**upper["items"][0]["track"]["album"], "album_type": "SINGLE"}
    assert scope_checks(upper, "/me/tracks") and not scope_checks(upper, "/me/top/tracks")
    with pytest.raises(AssertionError):
        validate_error({"error": {"status": 400}}, 400, mode)
