"""Access tokens for the Web API: refreshed before they expire and on a 401, cached in an owner-only file.

Spotify may rotate the refresh token on every refresh (PKCE logins do); the newest one is written back to the
cache at once, because the old one stops working. The cache remembers a hash of the refresh token it grew from, so
a new login put into `secrets.toml` replaces a stale cached chain instead of being shadowed by it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests.auth import AuthBase

from spotify_source.errors import CredentialsMissing, LoginExpired, SpotifyApiError

REFRESH_MARGIN_SECONDS = 60
"""Refresh this long before the access token expires (a tenth of its life for short-lived tokens), so no request
goes out with a token about to lapse."""


@dataclass
class _Cached:
    access_token: str | None = None
    expires_at: float = 0.0
    refresh_token: str | None = None


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def write_private_json(path: Path, payload: dict[str, Any]) -> None:
    """Write a secret file readable by its owner only (0600), atomically, whatever the umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
        if not refresh_token:
            raise CredentialsMissing("refresh token")
        self._token_url = f"{accounts_base_url.rstrip('/')}/api/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._origin = _fingerprint(refresh_token)
        self._cache_path = cache_path
        self._timeout = timeout
        self._lock = threading.Lock()
        self._state = self._load(refresh_token)
        self._margin = REFRESH_MARGIN_SECONDS
        self.refreshes = 0
        self.rotations = 0

    def _load(self, refresh_token: str) -> _Cached:
        if self._cache_path and self._cache_path.exists():
            try:
                cached = json.loads(self._cache_path.read_text())
            except (OSError, ValueError):
                cached = {}
            if cached.get("origin") == self._origin and cached.get("client_id") == self._client_id:
                return _Cached(cached.get("access_token"), float(cached.get("expires_at", 0)), cached["refresh_token"])
        return _Cached(refresh_token=refresh_token)

    def _save(self) -> None:
        if self._cache_path is None:
            return
        write_private_json(
            self._cache_path,
            {
                "origin": self._origin,
                "client_id": self._client_id,
                "refresh_token": self._state.refresh_token,
                "access_token": self._state.access_token,
                "expires_at": self._state.expires_at,
            },
        )

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


class SpotifyBearerAuth(AuthBase):
    """Adds the current access token; on a 401 refreshes and repeats the request once (requests' hook pattern)."""

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.tokens.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or getattr(response.request, "_spotify_retried_401", False):
            return response
        sent = response.request.headers.get("Authorization", "")[7:]
        self.tokens.invalidate(sent)
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {self.tokens.access_token()}"
        retry._spotify_retried_401 = True  # type: ignore[attr-defined]
        response.content  # noqa: B018 - release the connection before reusing it
        response.close()
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return again
