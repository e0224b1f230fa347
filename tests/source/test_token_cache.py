"""Which token chain the source continues, and that a login's record survives refresh-token rotation.

Against the emulator's real accounts service: its PKCE refresh tokens rotate on every refresh, as Spotify's do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spotify_emulator import EmulatorServer
from spotify_source.auth import LoginRecord, TokenManager, current_login, read_cache, select_chain, store_login
from spotify_source.errors import CredentialsMissing

LOGIN = LoginRecord(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), "user-1", "User One", ("user-top-read",))


def logged_in(cache: Path, refresh_token: str = "login-token", replaces: str | None = None, **tokens: object) -> None:
    answer = {"refresh_token": refresh_token, "access_token": "access", "expires_in": 3600, **tokens}
    store_login(cache, "client", answer, LOGIN, replaces)


def test_a_login_is_used_without_a_configured_token(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    logged_in(cache)
    chain = select_chain(read_cache(cache), "client", None)
    assert chain is not None and chain.refresh_token == "login-token" and chain.login == LOGIN
    assert cache.stat().st_mode & 0o777 == 0o600


def test_a_login_supersedes_the_token_configured_when_it_happened(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    logged_in(cache, replaces="old-configured-token")
    assert "old-configured-token" not in cache.read_text(), "only a hash of the replaced token is kept"
    assert current_login(cache, "client", "old-configured-token") == LOGIN
    # A token put into secrets.toml after the login is newer than the cache: it starts its own chain.
    assert select_chain(read_cache(cache), "client", "token-configured-later") is None
    # Another app's cache is never used.
    assert select_chain(read_cache(cache), "other-client", None) is None


def test_no_token_and_no_login_is_credentials_missing(tmp_path: Path) -> None:
    with pytest.raises(CredentialsMissing, match=r"python pipeline\.py auth"):
        TokenManager("http://127.0.0.1:9", "client", None, cache_path=tmp_path / "missing.json")


def test_rotation_keeps_the_login_record(start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = start_emulator(profile="small")
    client_id = server.settings.accounts.client_id
    tokens = server.login()
    cache = tmp_path / "cache.json"
    store_login(cache, client_id, {**tokens, "expires_in": 0}, LOGIN)  # expired access token: the next use refreshes

    manager = TokenManager(server.url, client_id, None, cache_path=cache)
    manager.access_token()
    assert manager.rotations == 1
    stored = json.loads(cache.read_text())
    assert stored["refresh_token"] != tokens["refresh_token"]
    assert LoginRecord.from_json(stored["login"]) == LOGIN
    assert LOGIN.refresh_token_expires_at == LOGIN.logged_in_at + timedelta(days=182)
    # The next process continues the rotated chain, still knowing its login.
    again = TokenManager(server.url, client_id, None, cache_path=cache)
    assert again.login == LOGIN and again.access_token() == stored["access_token"]
