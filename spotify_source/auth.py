"""Access tokens for the Web API: refreshed before they expire and on a 401, cached in an owner-only file.

Spotify may rotate the refresh token on every refresh (PKCE logins do); the newest one is written back to the
cache at once, because the old one stops working. The cache remembers a hash of the refresh token it grew from, so
a new login put into `secrets.toml` replaces a stale cached chain instead of being shadowed by it.

`python pipeline.py auth` writes the cache too (`store_login`): then it also holds the login record (when, which
account, which scopes), which every later write carries forward, because Spotify counts a refresh token's 6 months
from the login, through any number of rotations. Such a cache needs no refresh token in `secrets.toml`; one that is
there and older than the login (the login recorded that it `supersedes` it) does not shadow it either.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from spotify_source.errors import CredentialsMissing, LoginExpired, SpotifyApiError
from spotify_source.settings import REFRESH_TOKEN_LIFETIME_DAYS

REFRESH_MARGIN_SECONDS = 60
"""Refresh this long before the access token expires (a tenth of its life for short-lived tokens), so no request
goes out with a token about to lapse."""


@dataclass(frozen=True)
class LoginRecord:
    """What a login through `python pipeline.py auth` recorded: kept beside the refresh token chain it started."""

    logged_in_at: datetime
    user_id: str | None = None
    display_name: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def refresh_token_expires_at(self) -> datetime:
        """When Spotify stops accepting the chain's refresh tokens: 6 months after the login, rotations or not."""
        return self.logged_in_at + timedelta(days=REFRESH_TOKEN_LIFETIME_DAYS)

    def as_json(self) -> dict[str, Any]:
        return {
            "logged_in_at": self.logged_in_at.astimezone(UTC).isoformat(),
            "user_id": self.user_id,
            "display_name": self.display_name,
            "scopes": list(self.scopes),
        }

    @classmethod
    def from_json(cls, data: Any) -> LoginRecord | None:
        """The record of a cache file, None when there is none or it is unreadable (a cache is never fatal)."""
        if not isinstance(data, dict):
            return None
        try:
            logged_in_at = datetime.fromisoformat(str(data["logged_in_at"]))
        except (KeyError, ValueError):
            return None
        if logged_in_at.tzinfo is None:
            logged_in_at = logged_in_at.replace(tzinfo=UTC)
        return cls(logged_in_at, data.get("user_id"), data.get("display_name"), tuple(data.get("scopes") or ()))


@dataclass
class _Cached:
    access_token: str | None = None
    expires_at: float = 0.0
    refresh_token: str | None = None
    origin: str | None = None
    login: LoginRecord | None = None
    supersedes: list[str] = field(default_factory=list)


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_cache(path: Path | None) -> dict[str, Any]:
    """The token cache's content, {} when it is missing or unreadable (it is rebuilt from the configured token)."""
    if path is None or not path.exists():
        return {}
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def select_chain(cached: dict[str, Any], client_id: str | None, refresh_token: str | None) -> _Cached | None:
    """The cached token chain to continue, or None when the configured refresh token must start a new one.

    The cache wins when it grew from the configured token, when a login replaced that token (`supersedes`), or when
    no token is configured at all; a token configured after the login (unknown to the cache) wins over the cache.
    """
    if not cached.get("refresh_token") or cached.get("client_id") != client_id:
        return None
    if refresh_token is not None:
        configured = _fingerprint(refresh_token)
        if configured != cached.get("origin") and configured not in (cached.get("supersedes") or []):
            return None
    return _Cached(
        access_token=cached.get("access_token"),
        expires_at=float(cached.get("expires_at") or 0),
        refresh_token=str(cached["refresh_token"]),
        origin=cached.get("origin"),
        login=LoginRecord.from_json(cached.get("login")),
        supersedes=list(cached.get("supersedes") or []),
    )


def current_login(cache_path: Path | None, client_id: str | None, refresh_token: str | None) -> LoginRecord | None:
    """The login record of the chain the source would use now (None: not logged in through `auth`)."""
    chain = select_chain(read_cache(cache_path), client_id, refresh_token)
    return chain.login if chain else None


def _cache_payload(client_id: str, state: _Cached) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "origin": state.origin,
        "client_id": client_id,
        "refresh_token": state.refresh_token,
        "access_token": state.access_token,
        "expires_at": state.expires_at,
    }
    if state.login is not None:
        payload["login"] = state.login.as_json()
    if state.supersedes:
        payload["supersedes"] = state.supersedes
    return payload


def store_login(
    path: Path,
    client_id: str,
    tokens: dict[str, Any],
    login: LoginRecord,
    replaces_refresh_token: str | None = None,
) -> None:
    """Start a new token chain in the cache from a code exchange's answer, with its login record.

    `replaces_refresh_token`: the refresh token configured in secrets.toml (or env) at login time, which this login
    supersedes; only its hash is kept.
    """
    refresh_token = str(tokens["refresh_token"])
    state = _Cached(
        access_token=tokens.get("access_token"),
        expires_at=time.time() + float(tokens.get("expires_in", 3600)),
        refresh_token=refresh_token,
        origin=_fingerprint(refresh_token),
        login=login,
        supersedes=[_fingerprint(replaces_refresh_token)] if replaces_refresh_token else [],
    )
    write_private_json(path, _cache_payload(client_id, state))


def write_private_json(path: Path, payload: dict[str, Any]) -> None:
    """Write a secret file readable by its owner only (0600), atomically, whatever the umask; a folder it has to
    create is owner-only too (0700), so not even the file's name is listed to others."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class TokenManager:
    """Hands out a valid access token; thread-safe, so concurrent requests share one refresh."""

    def __init__(
        self,
        accounts_base_url: str,
        client_id: str | None,
        refresh_token: str | None,
        client_secret: str | None = None,
        cache_path: Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not client_id:
            raise CredentialsMissing("client_id")
        self._token_url = f"{accounts_base_url.rstrip('/')}/api/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._cache_path = cache_path
        self._timeout = timeout
        self._lock = threading.Lock()
        chain = select_chain(read_cache(cache_path), client_id, refresh_token or None)
        if chain is None:
            if not refresh_token:
                raise CredentialsMissing("refresh token")
            chain = _Cached(refresh_token=refresh_token, origin=_fingerprint(refresh_token))
        self._state = chain
        self._margin = REFRESH_MARGIN_SECONDS
        self.refreshes = 0
        self.rotations = 0

    @property
    def login(self) -> LoginRecord | None:
        """The login this token chain started from, when `python pipeline.py auth` recorded it."""
        return self._state.login

    def _save(self) -> None:
        if self._cache_path is None:
            return
        write_private_json(self._cache_path, _cache_payload(self._client_id, self._state))

    def access_token(self) -> str:
        with self._lock:
            if not self._state.access_token or time.time() >= self._state.expires_at - self._margin:
                self._refresh()
            assert self._state.access_token
            return self._state.access_token

    def invalidate(self, token: str) -> None:
        """The API said this token expired: the next `access_token()` refreshes (once, however many threads saw it)."""
        with self._lock:
            if self._state.access_token == token:
                self._state.access_token = None

    def _refresh(self) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": self._state.refresh_token}
        auth = None
        if self._client_secret:
            auth = (self._client_id, self._client_secret)
        else:
            form["client_id"] = self._client_id
        try:
            answer = requests.post(self._token_url, data=form, auth=auth, timeout=self._timeout)
        except requests.RequestException as exc:
            raise SpotifyApiError(
                0, self._token_url, f"could not reach the accounts service ({type(exc).__name__})"
            ) from None
        if answer.status_code == 400 and _oauth_error(answer) == "invalid_grant":
            raise LoginExpired(_oauth_description(answer))
        if answer.status_code != 200:
            raise SpotifyApiError(answer.status_code, self._token_url, _oauth_error(answer) or "token refresh failed")
        payload = answer.json()
        self._state.access_token = payload["access_token"]
        lifetime = float(payload.get("expires_in", 3600))
        self._state.expires_at = time.time() + lifetime
        self._margin = min(REFRESH_MARGIN_SECONDS, lifetime / 10)
        self.refreshes += 1
        if payload.get("refresh_token") and payload["refresh_token"] != self._state.refresh_token:
            self._state.refresh_token = payload["refresh_token"]
            self.rotations += 1
        self._save()


def _oauth_error(answer: requests.Response) -> str | None:
    try:
        error = answer.json().get("error")
    except ValueError:
        return None
    return error if isinstance(error, str) else None


def _oauth_description(answer: requests.Response) -> str:
    try:
        return str(answer.json().get("error_description", "invalid_grant"))
    except ValueError:
        return "invalid_grant"
