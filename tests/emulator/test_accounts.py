"""The accounts service: PKCE and client-secret logins, refresh with and without rotation, invalid_grant, 401s."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from spotify_emulator import SOURCE_SCOPES, EmulatorServer, ManualClock

REDIRECT = "http://127.0.0.1:8765/callback"


def _authorize(server: EmulatorServer, **overrides: str) -> requests.Response:
    params = {
        "client_id": server.settings.accounts.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SOURCE_SCOPES,
        "state": "xyz",
        **overrides,
    }
    return requests.get(f"{server.url}/authorize", params=params, allow_redirects=False, timeout=10)


def _redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _token(server: EmulatorServer, data: dict[str, str], auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.post(f"{server.url}/api/token", data=data, auth=auth, timeout=10)


def _api(server: EmulatorServer, access_token: str) -> requests.Response:
    return requests.get(f"{server.api_url}/me", headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


@pytest.fixture
def server(start_emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    return start_emulator()


def test_pkce_login_gives_working_tokens_and_rotating_refresh(server: EmulatorServer) -> None:
    verifier, challenge = _pkce()
    params = _redirect_params(_authorize(server, code_challenge_method="S256", code_challenge=challenge))
    assert params["state"] == "xyz"
    answer = _token(
        server,
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "client_id": server.settings.accounts.client_id,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(SOURCE_SCOPES.split())
    assert _api(server, tokens["access_token"]).status_code == 200

    refreshed = _token(
        server,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": server.settings.accounts.client_id,
        },
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"], "PKCE refresh tokens rotate"
    again = _token(
        server,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": server.settings.accounts.client_id,
        },
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", "a rotated token is spent"


def test_wrong_verifier_is_refused_and_the_code_is_single_use(server: EmulatorServer) -> None:
    _, challenge = _pkce()
    params = _redirect_params(_authorize(server, code_challenge_method="S256", code_challenge=challenge))
    wrong, _ = _pkce()
    answer = _token(
        server,
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "client_id": server.settings.accounts.client_id,
            "code_verifier": wrong,
        },
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "code_verifier was incorrect"}


def test_client_secret_login_refreshes_without_rotation(server: EmulatorServer) -> None:
    accounts = server.settings.accounts
    params = _redirect_params(_authorize(server))
    basic = (accounts.client_id, accounts.client_secret)
    answer = _token(
        server,
        {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT},
        auth=basic,
    )
    assert answer.status_code == 200, answer.text
    refresh = answer.json()["refresh_token"]
    for _ in range(2):
        refreshed = _token(server, {"grant_type": "refresh_token", "refresh_token": refresh}, auth=basic)
        assert refreshed.status_code == 200
        assert "refresh_token" not in refreshed.json(), "secret-based refresh tokens do not rotate"
        assert _api(server, refreshed.json()["access_token"]).status_code == 200
    bad = _token(server, {"grant_type": "refresh_token", "refresh_token": refresh}, auth=(accounts.client_id, "nope"))
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"


def test_codes_expire_after_ten_minutes_of_the_emulators_clock(server: EmulatorServer) -> None:
    """Spotify's codes live 10 minutes; the emulator's clock is advanced past that, nobody waits for it."""

    def exchange(code: str) -> requests.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        return _token(server, form, auth=(server.settings.accounts.client_id, server.settings.accounts.client_secret))

    fresh = _redirect_params(_authorize(server))["code"]
    server.control("POST", "clock", {"advance_seconds": 599})
    assert exchange(fresh).status_code == 200
    stale = _redirect_params(_authorize(server))["code"]
    server.control("POST", "clock", {"advance_seconds": 601})
    answer = exchange(stale)
    assert answer.json() == {"error": "invalid_grant", "error_description": "Authorization code expired"}


def test_the_clock_only_moves_forward(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(clock=ManualClock(start=1_000_000.0))
    assert server.control("GET", "clock") == {"now": 1_000_000.0, "kind": "manual"}
    assert server.control("POST", "clock", {"advance_seconds": 90})["now"] == 1_000_090.0
    refused = requests.post(f"{server.url}/_emulator/clock", json={"advance_seconds": -1}, timeout=10)
    assert refused.status_code == 400 and server.clock.now() == 1_000_090.0


def test_code_without_pkce_needs_the_secret(server: EmulatorServer) -> None:
    params = _redirect_params(_authorize(server))
    answer = _token(
        server,
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "client_id": server.settings.accounts.client_id,
        },
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


@pytest.mark.parametrize("rotation, rotates", [("always", True), ("never", False)])
def test_rotation_setting(start_emulator: Callable[..., EmulatorServer], rotation: str, rotates: bool) -> None:
    server = start_emulator()
    server.control("POST", "settings", {"refresh_rotation": rotation})
    tokens = server.login()
    refreshed = _token(
        server,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": server.settings.accounts.client_id,
        },
    ).json()
    assert ("refresh_token" in refreshed) is rotates


def test_invalid_grant_for_unknown_revoked_and_expired_refresh_tokens(server: EmulatorServer) -> None:
    client = {"client_id": server.settings.accounts.client_id, "grant_type": "refresh_token"}
    unknown = _token(server, {**client, "refresh_token": "not-a-token"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"

    revoked = server.login()["refresh_token"]
    server.control("POST", "tokens/revoke-refresh")
    answer = _token(server, {**client, "refresh_token": revoked})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"

    expiring = server.login()["refresh_token"]
    server.control("POST", "settings", {"refresh_token_lifetime": 600})
    server.control("POST", "clock", {"advance_seconds": 599})
    assert _token(server, {**client, "refresh_token": expiring}).status_code == 200
    expiring = server.login()["refresh_token"]
    server.control("POST", "clock", {"advance_seconds": 601})
    answer = _token(server, {**client, "refresh_token": expiring})
    assert answer.json() == {"error": "invalid_grant", "error_description": "Refresh token expired"}


def test_access_tokens_expire_with_spotifys_401(start_emulator: Callable[..., EmulatorServer]) -> None:
    server = start_emulator(clock=ManualClock())
    server.control("POST", "settings", {"access_token_lifetime": 60})
    tokens = server.login()
    assert tokens["expires_in"] == 60
    server.clock.advance(59.5)
    assert _api(server, tokens["access_token"]).status_code == 200
    server.clock.advance(0.5)
    expired = _api(server, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}
    assert _api(server, "garbage").json()["error"]["message"] == "Invalid access token"
    missing = requests.get(f"{server.api_url}/me", timeout=10)
    assert missing.status_code == 401 and missing.json()["error"]["message"] == "No token provided"


def test_access_tokens_die_after_their_uses(server: EmulatorServer) -> None:
    """`access_token_uses`: a token dies after authorising so many API requests, the same ones every run; the token
    a refresh gives counts from zero."""
    server.control("POST", "settings", {"access_token_uses": 2})
    tokens = server.login()
    assert [_api(server, tokens["access_token"]).status_code for _ in range(3)] == [200, 200, 401]
    assert _api(server, tokens["access_token"]).json()["error"]["message"] == "The access token expired"
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "emulator-client-id"}
    fresh = _token(server, form).json()["access_token"]
    assert _api(server, fresh).status_code == 200
    server.control("POST", "settings", {"access_token_uses": None})
    assert [_api(server, fresh).status_code for _ in range(3)] == [200] * 3


def test_missing_scope_is_403(server: EmulatorServer) -> None:
    tokens = server.login(scopes="user-read-private")
    answer = requests.get(
        f"{server.api_url}/me/player/recently-played",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "Insufficient client scope"


@pytest.mark.parametrize(
    "redirect_uri, accepted",
    [
        ("http://127.0.0.1:9000/callback", True),
        ("http://[::1]:9000/callback", True),
        ("https://example.org/callback", True),
        ("http://localhost:9000/callback", False),
        ("http://example.org/callback", False),
    ],
)
def test_redirect_uris_follow_spotifys_loopback_rule(server: EmulatorServer, redirect_uri: str, accepted: bool) -> None:
    answer = _authorize(server, redirect_uri=redirect_uri)
    assert (answer.status_code == 302) is accepted
    if not accepted:
        assert answer.status_code == 400 and "redirect URI" in answer.text


def test_denied_consent_and_bad_requests_redirect_with_error(server: EmulatorServer) -> None:
    assert _redirect_params(_authorize(server, scope="user-read-private not-a-scope"))["error"] == "invalid_scope"
    assert _redirect_params(_authorize(server, response_type="token"))["error"] == "unsupported_response_type"
    server.control("POST", "settings", {"consent": "deny"})
    params = _redirect_params(_authorize(server))
    assert params == {"error": "access_denied", "state": "xyz"}
    assert _authorize(server, client_id="someone-else").status_code == 400
