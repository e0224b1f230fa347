"""Removals between runs, as real accounts make them: un-liked songs, a deleted or unfollowed playlist, entries
taken out of a playlist. Each changes the served API and the ground truth alike, and replays identically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError

import pytest

from spotify_emulator.library import generate
from spotify_emulator.mutations import add_saved_tracks, remove_playlist, remove_saved_tracks
from tests.conftest import SpotifyClient
from tests.emulator.openapi_contract import DEVELOPMENT, EXTENDED, validate_response


def walk(client: SpotifyClient, path: str, mode: str = EXTENDED) -> tuple[list[Any], int]:
    """Every item of an offset-paged endpoint (pages of 50, validated) and the `total` it reported."""
    page = client.get(path, limit=50).json()
    validate_response(page, path, mode)
    items, total = list(page["items"]), page["total"]
    while page["next"]:
        page = client.get(page["next"]).json()
        validate_response(page, path, mode)
        items += page["items"]
    return items, total


def liked(client: SpotifyClient) -> tuple[list[tuple[str, str]], int]:
    items, total = walk(client, "/me/tracks")
    return [(i["track"]["id"], i["added_at"]) for i in items], total


def listed(client: SpotifyClient, mode: str = EXTENDED) -> tuple[list[str | None], int]:
    items, total = walk(client, "/me/playlists", mode)
    return [p and p["id"] for p in items], total


def truth_of(client: SpotifyClient) -> dict[str, Any]:
    return client.server.control("GET", "ground-truth")


def refused(client: SpotifyClient, path: str, body: dict[str, Any]) -> int:
    with pytest.raises(HTTPError) as caught:
        client.server.control("POST", path, body)
    return caught.value.code


# --- un-like ---


def test_unliking_by_count_drops_them_from_the_api_and_the_truth(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client(seed=4)
    before, total = liked(client)
    answer = client.server.control("POST", "saved-tracks/remove", {"count": 3})
    removed = answer["removed"]
    assert len(set(removed)) == 3 and set(removed) <= {t for t, _ in before}
    after, total_after = liked(client)
    assert answer["total"] == total_after == total - 3 == len(after)
    assert after == [(t, at) for t, at in before if t not in removed], "the rest keep their order and dates"
    truth = truth_of(client)
    assert [(s["track_id"], s["added_at"]) for s in truth["saved_tracks"]] == after


def test_unliking_named_tracks(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    before, total = liked(client)
    chosen = [before[0][0], before[7][0]]
    answer = client.server.control("POST", "saved-tracks/remove", {"track_ids": chosen})
    assert answer == {"removed": chosen, "total": total - 2}
    assert liked(client) == ([item for item in before if item[0] not in chosen], total - 2)
    assert refused(client, "saved-tracks/remove", {"track_ids": chosen}) == 400, "no longer liked"
    assert refused(client, "saved-tracks/remove", {}) == 400, "count or track_ids is needed"
    assert refused(client, "saved-tracks/remove", {"count": -1}) == 400


def test_unliking_more_than_there_are_empties_the_list(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    answer = client.server.control("POST", "saved-tracks/remove", {"count": 1000})
    assert len(answer["removed"]) == 30 and answer["total"] == 0
    page = client.get("/me/tracks", limit=50).json()
    assert page["items"] == [] and page["total"] == 0 and page["next"] is None
    assert truth_of(client)["saved_tracks"] == []


def test_liked_then_unliked_between_two_runs_is_no_change(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    before = liked(client)
    added = client.server.control("POST", "saved-tracks", {"count": 1})["added"][0]["track_id"]
    during, total = liked(client)
    assert during[0][0] == added and total == before[1] + 1
    assert client.server.control("POST", "saved-tracks/remove", {"track_ids": [added]})["removed"] == [added]
    assert liked(client) == before
    assert [(s["track_id"], s["added_at"]) for s in truth_of(client)["saved_tracks"]] == before[0]


# --- delete or unfollow a playlist ---


def test_deleting_an_own_playlist(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    truth = truth_of(client)
    me = truth["user"]["id"]
    own = next(p for p in truth["playlists"] if p["owner_id"] == me)
    ids, total = listed(client)
    answer = client.server.control("POST", "playlists/remove", {"playlist_id": own["id"]})
    assert answer == {"playlist_id": own["id"], "owned": True}
    ids_after, total_after = listed(client)
    assert own["id"] not in ids_after and total_after == total - 1 == len(ids_after)
    assert [i for i in ids_after if i] == [i for i in ids if i and i != own["id"]]
    assert None in ids_after, "Spotify's null slot stays"
    for path in (f"/playlists/{own['id']}/items", f"/playlists/{own['id']}/tracks"):
        assert client.get(path).status_code == 404
    after = truth_of(client)
    assert after["playlist_listing"] == ids_after
    assert own["id"] not in {p["id"] for p in after["playlists"]}
    assert after["removed_playlists"] == [{"id": own["id"], "name": own["name"], "owner_id": me, "owned": True}]
    assert refused(client, "playlists/remove", {"playlist_id": own["id"]}) == 400, "already gone"


@pytest.mark.parametrize("mode", [EXTENDED, DEVELOPMENT])
def test_unfollowing_someone_elses_playlist(spotify_client: Callable[..., SpotifyClient], mode: str) -> None:
    client = spotify_client(mode=mode)
    truth = truth_of(client)
    me = truth["user"]["id"]
    followed = next(p for p in truth["playlists"] if p["owner_id"] != me and me not in p["collaborator_ids"])
    _, total = listed(client, mode)
    answer = client.server.control("POST", "playlists/remove", {"playlist_id": followed["id"]})
    assert answer == {"playlist_id": followed["id"], "owned": False}
    ids_after, total_after = listed(client, mode)
    assert followed["id"] not in ids_after and total_after == total - 1
    items = client.get(f"/playlists/{followed['id']}/items", limit=50)
    if mode == EXTENDED:  # still someone's playlist: readable by id, only no longer listed
        assert items.status_code == 200 and items.json()["total"] == len(followed["entries"])
    else:
        assert items.status_code == 403
    after = truth_of(client)
    assert followed["id"] not in after["playlist_listing"] and after["playlist_listing"] == ids_after
    assert followed["id"] not in {p["id"] for p in after["playlists"]}
    assert after["removed_playlists"][0]["id"] == followed["id"] and after["removed_playlists"][0]["owned"] is False


def test_removing_every_playlist_empties_the_list(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    removed = [client.server.control("POST", "playlists/remove")["playlist_id"] for _ in range(7)]
    assert len(set(removed)) == 7
    page = client.get("/me/playlists", limit=50).json()
    validate_response(page, "/me/playlists", EXTENDED)
    assert page["items"] == [] and page["total"] == 0 and page["next"] is None
    truth = truth_of(client)
    assert truth["playlists"] == [] and truth["playlist_listing"] == []
    assert [p["id"] for p in truth["removed_playlists"]] == removed
    assert refused(client, "playlists/remove", {}) == 400
    assert refused(client, "playlists/remove", {"playlist_id": "0" * 22}) == 400


# --- entries only ---


def test_removing_entries_only_changes_the_snapshot(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    truth = truth_of(client)
    me = truth["user"]["id"]
    own = next(p for p in truth["playlists"] if p["owner_id"] == me and len(p["entries"]) > 5)
    edit = client.server.control("POST", "playlists/edit", {"playlist_id": own["id"], "add": 0, "remove": 3})
    assert edit["entries"] == len(own["entries"]) - 3 and edit["snapshot_id"] != own["snapshot_id"]
    served = client.get(f"/playlists/{own['id']}/items", limit=50).json()
    assert served["total"] == edit["entries"]
    after = next(p for p in truth_of(client)["playlists"] if p["id"] == own["id"])
    assert after["snapshot_id"] == edit["snapshot_id"] and len(after["entries"]) == edit["entries"]
    kept = [(e["kind"], e["track_id"], e["added_at"]) for e in after["entries"]]
    original = [(e["kind"], e["track_id"], e["added_at"]) for e in own["entries"]]
    assert all(entry in original for entry in kept), "nothing was added"
    listing = {p["id"]: p for p in client.get("/me/playlists", limit=50).json()["items"] if p}
    assert listing[own["id"]]["snapshot_id"] == edit["snapshot_id"]
    assert listing[own["id"]]["items"]["total"] == edit["entries"]


# --- determinism ---


def _removal_sequence(start: Callable[..., Any]) -> list[Any]:
    server = start(seed=9)
    return [
        server.control("POST", "saved-tracks/remove", {"count": 4}),
        server.control("POST", "playlists/remove"),
        server.control("POST", "saved-tracks", {"count": 2}),
        server.control("POST", "saved-tracks/remove", {"count": 3}),
        server.control("POST", "playlists/remove"),
        server.control("POST", "playlists/edit", {"add": 0, "remove": 2}),
        server.control("GET", "ground-truth"),
    ]


def test_removals_replay_identically(start_emulator: Callable[..., Any]) -> None:
    assert _removal_sequence(start_emulator) == _removal_sequence(start_emulator)


def test_removal_mutations_are_deterministic_in_process() -> None:
    first, second = generate(5, "reference"), generate(5, "reference")
    outcomes = []
    for library in (first, second):
        add_saved_tracks(library, 3)
        unliked = [s.track_id for s in remove_saved_tracks(library, count=10)]
        gone = [remove_playlist(library)[0].id for _ in range(3)]
        outcomes.append((unliked, gone, [s.track_id for s in library.saved_tracks], library.playlist_listing()))
    assert outcomes[0][:3] == outcomes[1][:3]
    assert [p and p.id for p in outcomes[0][3]] == [p and p.id for p in outcomes[1][3]]
    other = generate(6, "reference")
    assert [s.track_id for s in remove_saved_tracks(other, count=10)] != outcomes[0][0]
