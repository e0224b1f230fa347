"""Accounts real users have and a heavy listener's does not: empty, without playlists, likes or plays, or with only
other people's playlists. Served over HTTP, validated against the OpenAPI contract, compared with the ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator.__main__ import build_parser
from spotify_emulator.__main__ import main as emulator_main
from spotify_emulator.export import expected_listening_history, full_history
from spotify_emulator.ground_truth import ground_truth
from spotify_emulator.library import generate
from spotify_emulator.mutations import add_plays, add_saved_tracks
from spotify_emulator.profiles import AWKWARD, PROFILES, resolve
from tests.conftest import SpotifyClient
from tests.emulator.openapi_contract import DEVELOPMENT, EXTENDED, MODES, validate_response

RECENT = "/me/player/recently-played"
TIME_RANGES = ("short_term", "medium_term", "long_term")
AWKWARD_NAMES = ("empty", "no-playlists", "no-likes", "no-plays", "followed-only")


def get_ok(client: SpotifyClient, path: str, mode: str, template: str | None = None, **params: Any) -> dict:
    answer = client.get(path, **params)
    assert answer.status_code == 200, f"GET {path} {params}: {answer.status_code} {answer.text[:300]}"
    body = answer.json()
    validate_response(body, template or path, mode)
    return body


def assert_empty_offset_page(page: dict, limit: int) -> None:
    assert page["items"] == [] and page["total"] == 0, page
    assert page["next"] is None and page["previous"] is None and page["offset"] == 0 and page["limit"] == limit


def assert_empty_recently_played(client: SpotifyClient, mode: str) -> None:
    """spotify-api.md: an empty page has `items: []`, `next: null`, `cursors: null`, and no `total`."""
    for params in ({}, {"limit": 50}, {"after": 0, "limit": 50}, {"before": 1_900_000_000_000}):
        page = get_ok(client, RECENT, mode, **params)
        assert page["items"] == [] and page["next"] is None and page["cursors"] is None, (params, page)
        assert "total" not in page


def assert_empty_top_lists(client: SpotifyClient, mode: str) -> None:
    for kind in ("tracks", "artists"):
        for time_range in TIME_RANGES:
            page = get_ok(client, f"/me/top/{kind}", mode, time_range=time_range, limit=50)
            assert_empty_offset_page(page, 50)
        assert_empty_offset_page(get_ok(client, f"/me/top/{kind}", mode), 20)  # default range and limit


# --- generation ---


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_awkward_profiles_are_small_with_parts_missing(name: str) -> None:
    profile = resolve(name)
    assert PROFILES[name] is AWKWARD[name] is profile and profile.name == name
    small = PROFILES["small"]
    assert (profile.tracks, profile.artists, profile.history_days) == (small.tracks, small.artists, small.history_days)


@pytest.mark.parametrize("name", [*AWKWARD_NAMES, "empty-x3", "followed-only-x2"])
@pytest.mark.parametrize("seed", [0, 3, 11])
def test_awkward_profiles_generate_deterministically(name: str, seed: int) -> None:
    first = json.dumps(ground_truth(generate(seed, name), EXTENDED), sort_keys=True)
    assert first == json.dumps(ground_truth(generate(seed, name), EXTENDED), sort_keys=True)


@pytest.mark.parametrize("seed", [0, 3])
def test_what_each_awkward_library_holds(seed: int) -> None:
    truths = {name: ground_truth(generate(seed, name), EXTENDED) for name in AWKWARD_NAMES}
    empty = truths["empty"]
    assert empty["playlists"] == [] and empty["playlist_listing"] == [] and empty["removed_playlists"] == []
    assert empty["plays"] == [] and empty["saved_tracks"] == []
    assert all(ids == [] for ids in (*empty["top_tracks"].values(), *empty["top_artists"].values()))
    assert empty["user"]["id"] and empty["tracks"], "the user exists, and Spotify's catalogue with them"

    no_playlists = truths["no-playlists"]
    assert no_playlists["playlists"] == [] and no_playlists["playlist_listing"] == []
    assert no_playlists["plays"] and no_playlists["saved_tracks"] and no_playlists["top_tracks"]["long_term"]

    no_likes = truths["no-likes"]
    assert no_likes["saved_tracks"] == [] and no_likes["plays"] and no_likes["playlists"]

    no_plays = truths["no-plays"]
    assert no_plays["plays"] == [] and no_plays["saved_tracks"] and no_plays["playlists"]
    assert all(ids == [] for ids in (*no_plays["top_tracks"].values(), *no_plays["top_artists"].values()))

    followed = truths["followed-only"]
    me = followed["user"]["id"]
    assert len(followed["playlists"]) == 7 and None in followed["playlist_listing"]
    assert all(p["owner_id"] != me and me not in p["collaborator_ids"] for p in followed["playlists"])
    assert not any(p["items_readable_in_development"] for p in followed["playlists"])
    assert followed["plays"] and followed["saved_tracks"]


def test_an_empty_account_can_start_listening_and_liking() -> None:
    library = generate(1, "empty")
    plays = add_plays(library, 5)
    liked = add_saved_tracks(library, 2)
    assert len(library.plays) == 5 and len(library.saved_tracks) == 2
    assert plays[0].played_at >= library.history_end and liked[0].added_at > plays[-1].played_at


def test_an_empty_history_exports_no_plays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No plays: the history is empty and every kind of export still writes (nothing to write)."""
    for name in ("empty", "no-plays"):
        library = generate(1, name)
        assert full_history(library) == []
        assert expected_listening_history(library, extended=(None, None), account=(None, None)) == []
    for kind in (["extended"], ["extended", "--field-version", "mixed"], ["account"], ["account", "--legacy"]):
        out = tmp_path / "-".join(kind)
        argv = ["export", "--kind", *kind, "--seed", "1", "--profile", "empty", "--out", str(out)]
        assert emulator_main(argv) == 0
        assert not [p for p in out.rglob("*") if p.is_file()]
    assert emulator_main(["export", "--profile", "empty", "--seed", "1", "--out", str(tmp_path), "--zip"]) == 0


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_cli_accepts_the_awkward_profiles(name: str) -> None:
    assert build_parser().parse_args(["serve", "--profile", name]).profile == name


# --- served over HTTP ---


@pytest.mark.parametrize("mode", MODES)
def test_empty_account_serves_empty_pages(spotify_client: Callable[..., SpotifyClient], mode: str) -> None:
    client = spotify_client(profile="empty", mode=mode, seed=2)
    truth = client.server.control("GET", "ground-truth")
    me = get_ok(client, "/me", mode)
    assert (me["id"], me["account_id"]) == (truth["user"]["id"], truth["user"]["account_id"])
    assert_empty_offset_page(get_ok(client, "/me/playlists", mode, limit=50), 50)
    assert_empty_offset_page(get_ok(client, "/me/playlists", mode), 20)
    assert_empty_offset_page(get_ok(client, "/me/tracks", mode, limit=50), 50)
    assert_empty_recently_played(client, mode)
    assert_empty_top_lists(client, mode)


def test_account_without_playlists(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client(profile="no-playlists", mode=DEVELOPMENT)
    truth = client.server.control("GET", "ground-truth")
    assert_empty_offset_page(get_ok(client, "/me/playlists", DEVELOPMENT, limit=50), 50)
    liked = get_ok(client, "/me/tracks", DEVELOPMENT, limit=50)
    assert liked["total"] == len(truth["saved_tracks"]) == 30
    recent = get_ok(client, RECENT, DEVELOPMENT, limit=50)
    assert [i["played_at"] for i in recent["items"]] == [p["played_at"] for p in reversed(truth["plays"][-50:])]
    top = get_ok(client, "/me/top/tracks", DEVELOPMENT, limit=50, time_range="long_term")
    assert [t["id"] for t in top["items"]] == truth["top_tracks"]["long_term"]


@pytest.mark.parametrize("mode", MODES)
def test_account_without_likes(spotify_client: Callable[..., SpotifyClient], mode: str) -> None:
    client = spotify_client(profile="no-likes", mode=mode)
    truth = client.server.control("GET", "ground-truth")
    assert_empty_offset_page(get_ok(client, "/me/tracks", mode, limit=50), 50)
    listing = get_ok(client, "/me/playlists", mode, limit=50)
    assert [p and p["id"] for p in listing["items"]] == truth["playlist_listing"] and listing["total"] == 8
    assert get_ok(client, RECENT, mode)["items"]


@pytest.mark.parametrize("mode", MODES)
def test_account_without_plays(spotify_client: Callable[..., SpotifyClient], mode: str) -> None:
    client = spotify_client(profile="no-plays", mode=mode)
    truth = client.server.control("GET", "ground-truth")
    assert_empty_recently_played(client, mode)
    assert_empty_top_lists(client, mode)
    assert get_ok(client, "/me/tracks", mode, limit=50)["total"] == len(truth["saved_tracks"]) == 30
    assert get_ok(client, "/me/playlists", mode, limit=50)["total"] == len(truth["playlist_listing"])
    # Its first plays after a run found none: the cursor page fills.
    added = client.server.control("POST", "plays", {"count": 3})["added"]
    page = get_ok(client, RECENT, mode, after=0, limit=50)
    assert [i["played_at"] for i in page["items"]] == [p["played_at"] for p in reversed(added)]


@pytest.mark.parametrize("mode", MODES)
def test_account_following_only_others_playlists(spotify_client: Callable[..., SpotifyClient], mode: str) -> None:
    """Development tier: every listed playlist's items are refused; extended: they are all readable."""
    client = spotify_client(profile="followed-only", mode=mode)
    truth = client.server.control("GET", "ground-truth")
    listing = get_ok(client, "/me/playlists", mode, limit=50)
    assert [p and p["id"] for p in listing["items"]] == truth["playlist_listing"]
    me = truth["user"]["id"]
    served = [p for p in listing["items"] if p]
    assert served and all(p["owner"]["id"] != me for p in served)
    for playlist in truth["playlists"]:
        answer = client.get(f"/playlists/{playlist['id']}/items", limit=50)
        if mode == DEVELOPMENT:
            assert answer.status_code == 403, playlist["id"]
        else:
            assert answer.status_code == 200 and answer.json()["total"] == len(playlist["entries"])
