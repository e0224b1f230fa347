"""Several Spotify accounts in one emulator (a household): each account its own user, plays and playlists over
Spotify's one catalogue; tokens, control calls and faults belong to one account and leave the others alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from spotify_emulator import SOURCE_SCOPES, EmulatorServer, FaultSettings
from spotify_emulator.__main__ import build_parser, main, settings_from
from spotify_emulator.export import write_account_export
from spotify_emulator.ground_truth import ground_truth
from spotify_emulator.library import follow_the_same_playlist, generate, generate_household

CATALOG = ("artists", "albums", "tracks", "audio_features", "shows", "episodes")
REDIRECT = "http://127.0.0.1:8765/callback"


def _get(server: EmulatorServer, tokens: dict[str, Any], path: str, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return requests.get(f"{server.api_url}{path}", headers=headers, params=params or None, timeout=30)


def _refresh(server: EmulatorServer, tokens: dict[str, Any]) -> requests.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": server.settings.accounts.client_id,
    }
    return requests.post(f"{server.url}/api/token", data=form, timeout=30)


def _truth(server: EmulatorServer, account: int | None = None) -> dict[str, Any]:
    return server.control("GET", "ground-truth" if account is None else f"ground-truth?account={account}")


def _control_error(server: EmulatorServer, method: str, path: str, payload: dict[str, Any] | None = None) -> int:
    """The status of a control call that is expected to fail."""
    with pytest.raises(HTTPError) as failed:
        server.control(method, path, payload)
    return failed.value.code


def _playlist_ids(truth: dict[str, Any]) -> set[str]:
    return {p["id"] for p in truth["playlists"]}


@pytest.mark.parametrize("count", [2, 3])
def test_accounts_are_distinct_users_over_one_catalog(
    start_emulator: Callable[..., EmulatorServer], count: int
) -> None:
    server = start_emulator(seed=4, accounts=count)
    truths = [_truth(server, i) for i in range(count)]
    assert len({t["user"]["id"] for t in truths}) == count
    # Every playlist id belongs to one account only, but the first account's first followed playlist, which every
    # other account follows too (households share some); and plays differ.
    playlist_ids = [_playlist_ids(t) for t in truths]
    first = truths[0]["user"]["id"]
    shared = next(p["id"] for p in truths[0]["playlists"] if p["owner_id"] != first)
    assert all(ids & playlist_ids[0] == {shared} for ids in playlist_ids[1:])
    own = [ids - {shared} for ids in playlist_ids]
    assert sum(len(ids) for ids in own) == len(set().union(*own))
    assert len({json.dumps(t["plays"]) for t in truths}) == count
    for truth in truths[1:]:
        for part in CATALOG:
            assert truth[part] == truths[0][part], part
        # Drawn over the same catalogue, two listeners' plays meet in some tracks and artists.
        assert {p["track_id"] for p in truth["plays"]} & {p["track_id"] for p in truths[0]["plays"]}


def test_account_zero_is_the_single_account_emulator(start_emulator: Callable[..., EmulatorServer]) -> None:
    household = start_emulator(seed=6, accounts=3)
    alone = start_emulator(seed=6)
    assert json.dumps(_truth(household, 0)) == json.dumps(_truth(alone))
    assert _truth(household) == _truth(household, 0)  # no account named: account 0
    assert household.state.library is household.library_of(0)


def test_account_i_is_its_seed_over_the_base_catalog() -> None:
    """`generate(seed + i, catalog_seed=seed)` is account i; with `catalog_seed` None, one seed's library as ever."""
    libraries = generate_household(2, "small", accounts=3)
    for index, library in enumerate(libraries):
        alone = generate(2 + index, "small", catalog_seed=2)
        if index:
            follow_the_same_playlist(libraries[0], alone)
        assert ground_truth(library, "extended") == ground_truth(alone, "extended")
    assert ground_truth(generate(2, "small", catalog_seed=None), "extended") == ground_truth(
        generate(2, "small"), "extended"
    )
    # The catalogue objects are one, not copies.
    assert libraries[1].tracks is libraries[0].tracks


def test_a_token_of_account_1_is_answered_from_account_1(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(seed=3, accounts=2)
    truths = [_truth(server, 0), _truth(server, 1)]
    logins = [server.login(account=0), server.login(account=1)]
    for tokens, truth in zip(logins, truths, strict=True):
        assert _get(server, tokens, "/me").json()["id"] == truth["user"]["id"]
        played = _get(server, tokens, "/me/player/recently-played", limit=50).json()["items"]
        assert [p["played_at"] for p in played] == [p["played_at"] for p in truth["plays"][-50:]][::-1]
        listed = _get(server, tokens, "/me/playlists", limit=50).json()
        assert listed["total"] == len(truth["playlist_listing"])
        assert [p and p["id"] for p in listed["items"]] == truth["playlist_listing"][:50]
        liked = _get(server, tokens, "/me/tracks", limit=50).json()
        assert [s["track"]["id"] for s in liked["items"]] == [s["track_id"] for s in truth["saved_tracks"][:50]]
        top = _get(server, tokens, "/me/top/tracks", limit=50, time_range="long_term").json()
        assert [t["id"] for t in top["items"]] == truth["top_tracks"]["long_term"][:50]
    # A playlist of one account is not the other's (each account reads its own library).
    own = next(p["id"] for p in truths[1]["playlists"] if p["owner_id"] == truths[1]["user"]["id"])
    assert _get(server, logins[1], f"/playlists/{own}/items").status_code == 200
    assert _get(server, logins[0], f"/playlists/{own}/items").status_code == 404
    # The catalogue answers alike for both.
    track_id = truths[1]["plays"][0]["track_id"]
    assert (
        _get(server, logins[0], f"/tracks/{track_id}").json() == _get(server, logins[1], f"/tracks/{track_id}").json()
    )
    several = [_get(server, tokens, "/audio-features", ids=track_id).json() for tokens in logins]
    assert several[0] == several[1]


def test_a_refreshed_token_keeps_its_account(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(seed=3, accounts=2)
    user_1 = _truth(server, 1)["user"]["id"]
    tokens = server.login(account=1)
    for _ in range(2):  # the rotated refresh token of a refresh keeps the account too
        answer = _refresh(server, tokens)
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        assert _get(server, tokens, "/me").json()["id"] == user_1


@pytest.mark.parametrize("faulty, clean", [(1, 0), (0, 1)])
def test_faults_scoped_to_one_account_leave_the_other_clean(
    start_emulator: Callable[..., EmulatorServer], faulty: int, clean: int
) -> None:
    server = start_emulator(seed=3, accounts=2)
    logins = {faulty: server.login(account=faulty), clean: server.login(account=clean)}
    settings = server.control("POST", "faults", {"rate_429": 1.0, "rate_drop": 0.0, "accounts": [faulty]})
    assert settings["accounts"] == [faulty]
    for path in ("/me", "/me/playlists", "/me/player/recently-played", "/me/tracks"):
        assert _get(server, logins[faulty], path).status_code == 429
        assert _get(server, logins[clean], path).status_code == 200
    # The rolling window counts the faulty account's requests only.
    server.control("POST", "faults", {"rate_429": 0.0, "rolling_limit": 2})
    statuses = {account: [_get(server, logins[account], "/me").status_code for _ in range(5)] for account in logins}
    assert statuses[faulty] == [200, 200, 429, 429, 429]
    assert statuses[clean] == [200] * 5
    # Corruption and quota too; back to every account without `accounts`.
    server.control("POST", "faults", {"rolling_limit": None, "corrupt_rate": 1.0, "corrupt_kind": "empty"})
    assert _get(server, logins[faulty], "/me").content == b""
    assert _get(server, logins[clean], "/me").json()["id"]
    server.control("POST", "faults", {"corrupt_rate": 0.0, "quota_exceeded": True, "accounts": None})
    assert {_get(server, tokens, "/me").status_code for tokens in logins.values()} == {429}


def test_fault_accounts_must_exist(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(accounts=2)
    assert _control_error(server, "POST", "faults", {"accounts": [2]}) == 400
    assert _control_error(server, "POST", "faults", {"accounts": ["one"]}) == 400
    assert server.control("GET", "faults")["accounts"] is None
    with pytest.raises(ValueError, match=r"faults\.accounts"):
        EmulatorServer(profile="small", accounts=2, faults=FaultSettings(rate_429=1.0, accounts=[2]))


def test_tokens_of_one_account_revoked_or_expired_leave_the_other(
    start_emulator: Callable[..., EmulatorServer],
) -> None:
    server = start_emulator(accounts=2)
    zero, one = server.login(account=0), server.login(account=1)
    assert server.control("POST", "tokens/revoke-refresh", {"account": 1}) == {"revoked": 1}
    assert _refresh(server, one).json()["error"] == "invalid_grant"
    zero = _refresh(server, zero).json()
    assert _get(server, zero, "/me").status_code == 200
    one = server.login(account=1)
    assert server.control("POST", "tokens/expire-access?account=0") == {"expired": 2}
    assert _get(server, zero, "/me").status_code == 401
    assert _get(server, one, "/me").status_code == 200
    # Without an account: every account's, as a single-account emulator always did.
    assert server.control("POST", "tokens/revoke-refresh")["revoked"] == 4
    assert _refresh(server, one).json()["error"] == "invalid_grant"


def _authorize(server: EmulatorServer, account: str) -> requests.Response:
    params = {
        "client_id": server.settings.accounts.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SOURCE_SCOPES,
        "state": "xyz",
        "emulator_account": account,
    }
    return requests.get(f"{server.url}/authorize", params=params, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("account", ["2", "-1", "one", "1.0", ""])
def test_an_account_outside_the_household_is_refused(
    start_emulator: Callable[..., EmulatorServer], account: str
) -> None:
    server = start_emulator(accounts=2)
    answer = _authorize(server, account)
    assert answer.status_code == 302  # refused like a bad code_challenge_method: back to the app with an error
    params = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    assert params["error"] == "invalid_request" and params["state"] == "xyz" and "code" not in params
    with pytest.raises(RuntimeError, match="invalid_request"):
        server.login(account=2)


def test_a_single_account_emulator_knows_account_0_only(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator()
    assert "code" in parse_qs(urlsplit(_authorize(server, "0").headers["Location"]).query)
    assert "error" in parse_qs(urlsplit(_authorize(server, "1").headers["Location"]).query)
    assert _control_error(server, "GET", "ground-truth?account=1") == 400
    with pytest.raises(ValueError, match="account_count"):
        EmulatorServer(profile="small", accounts=11)


def test_control_endpoints_change_the_named_account_only(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(seed=5, accounts=2)
    before = [_truth(server, 0), _truth(server, 1)]
    added = server.control("POST", "plays", {"count": 3, "account": 1})["added"]
    edited = server.control("POST", "playlists/edit", {"add": 2, "remove": 1, "account": 1})
    liked = server.control("POST", "saved-tracks?account=1", {"count": 2})["added"]  # the query works for POST too
    unliked = server.control("POST", "saved-tracks/remove", {"count": 1, "account": 1})
    removed = server.control("POST", "playlists/remove", {"account": 1})
    after = [_truth(server, 0), _truth(server, 1)]
    assert after[0] == before[0]
    assert len(after[1]["plays"]) == len(before[1]["plays"]) + 3
    newest_plays = [(p["track_id"], p["played_at"]) for p in after[1]["plays"][-3:]]
    assert newest_plays == [(a["track_id"], a["played_at"]) for a in added]
    assert edited["playlist_id"] in _playlist_ids(before[1]) - _playlist_ids(before[0])
    snapshots = {p["id"]: p["snapshot_id"] for p in after[1]["playlists"]}
    assert snapshots.get(edited["playlist_id"], edited["snapshot_id"]) == edited["snapshot_id"]
    assert len(after[1]["saved_tracks"]) == len(before[1]["saved_tracks"]) + len(liked) - len(unliked["removed"])
    assert removed["playlist_id"] in _playlist_ids(before[1]) - _playlist_ids(after[1])
    assert after[1]["removed_playlists"][-1]["id"] == removed["playlist_id"]
    # The token of account 1 sees the change; account 0's does not.
    zero, one = server.login(account=0), server.login(account=1)
    newest = _get(server, one, "/me/player/recently-played", limit=1).json()["items"][0]
    assert newest["played_at"] == added[-1]["played_at"]
    assert _get(server, zero, "/me/tracks", limit=1).json()["total"] == len(before[0]["saved_tracks"])
    # Default account 0; an account outside the household, or named twice differently, is a 400.
    server.control("POST", "plays", {"count": 1})
    assert len(_truth(server, 0)["plays"]) == len(before[0]["plays"]) + 1
    assert _control_error(server, "POST", "plays", {"count": 1, "account": 2}) == 400
    assert _control_error(server, "POST", "plays?account=0", {"count": 1, "account": 1}) == 400
    assert _control_error(server, "GET", "ground-truth?account=x") == 400
    assert _control_error(server, "POST", "tokens/expire-access", {"account": 5}) == 400


def test_a_scheduled_change_can_name_an_account(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(accounts=2)
    zero, one = server.login(account=0), server.login(account=1)
    server.control(
        "POST", "after-requests", {"count": 1, "then": [{"path": "tokens/expire-access", "body": {"account": 1}}]}
    )
    assert _get(server, one, "/me").status_code == 200
    assert _get(server, one, "/me").status_code == 401
    assert _get(server, zero, "/me").status_code == 200


def test_cli_takes_accounts_and_exports_one_account(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve", "--accounts", "3", "--fault-account", "2", "--fault-account", "1"])
    settings = settings_from(args)
    assert settings.account_count == 3 and settings.faults.accounts == [1, 2]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--accounts", "11"])
    out = tmp_path / "cli"
    assert (
        main(["export", "--kind", "account", "--seed", "1", "--profile", "small", "--account", "1", "--out", str(out)])
        == 0
    )
    direct = write_account_export(generate(2, "small", catalog_seed=1), tmp_path / "direct", packaging="folder")
    first = write_account_export(generate(1, "small"), tmp_path / "first", packaging="folder")
    written = sorted(p.relative_to(out) for p in out.rglob("*.json"))
    assert written and written == sorted(p.relative_to(direct) for p in direct.rglob("*.json"))
    for relative in written:
        assert (out / relative).read_bytes() == (direct / relative).read_bytes()
    music = Path("Spotify Account Data/StreamingHistory_music_0.json")
    assert (out / music).read_bytes() != (first / music).read_bytes()  # account 1 listened to other things
