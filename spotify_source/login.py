"""Logging in to Spotify once, in a browser: the authorization code flow behind `python pipeline.py auth`.

The flow (Spotify's protocol only, nothing of the pipeline): listen on `http://127.0.0.1:<port>/callback`, send the
user to `/authorize`, take exactly one callback, check its `state`, exchange the code at `/api/token`, ask `/me` who
logged in, and start a token chain in the owner-only cache the source reads (`auth.store_login`).

- Without a client secret the flow uses PKCE (S256), the way for apps that keep no secret. With one configured it
  uses the classic flow (the secret over HTTP Basic), whose refresh tokens Spotify does not rotate: a scheduler
  that cannot write its secret store back needs exactly that.
- The redirect URI is an IP literal: Spotify refuses `localhost` since 2025. The listener binds 127.0.0.1 only, so
  nothing else on the network can answer in the user's place.
- Every failure is a `LoginFailed` with a message a person can act on. No message contains a token or a code.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import secrets
import socketserver
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import dlt
import requests
from dlt.common.configuration.inject import with_config

from spotify_source import settings
from spotify_source.auth import LoginRecord, store_login
from spotify_source.errors import SpotifySourceError

CALLBACK_PATH = "/callback"
DEFAULT_TIMEOUT_SECONDS = 300.0


class LoginFailed(SpotifySourceError):
    """The login did not complete; nothing was stored (the previous login, if any, stays in place)."""

    exit_code = 1


class LoginNotConfigured(LoginFailed):
    """Nothing to log in with (no client_id), or the port cannot be used: the user must change a setting."""

    exit_code = 2


def redirect_uri(port: int) -> str:
    """The redirect URI for a port, exactly as it must be registered in the app's settings on Spotify."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier (86 characters, within 43-128) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


@dataclass(frozen=True)
class LoginOptions:
    client_id: str | None
    accounts_base_url: str
    api_base_url: str
    cache_path: Path
    client_secret: str | None = None
    port: int = settings.DEFAULT_REDIRECT_PORT
    """0 lets the system choose (tests only: Spotify accepts only the registered redirect URI)."""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    scopes: str = settings.SCOPES
    configured_refresh_token: str | None = None
    """The refresh token in secrets.toml or env, if any: the new login supersedes it (see `auth.select_chain`)."""
    request_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class LoginResult:
    login: LoginRecord
    missing_scopes: tuple[str, ...]
    cache_path: Path
    with_pkce: bool


@dataclass
class _Callback:
    """The one callback the listener waits for: its query parameters."""

    params: dict[str, str]


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer
    timeout = 10  # a browser's idle speculative connection must not stall the single-threaded listener

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        if split.path != CALLBACK_PATH or self.server.callback is not None:
            self._answer(404, "Not the login callback.")
            return
        params = {key: values[0] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
        self.server.callback = _Callback(params)
        if params.get("state") != self.server.expected_state:
            self._answer(400, "This answer does not belong to the login started in the terminal; nothing was saved.")
        elif "error" in params:
            self._answer(200, f"Spotify did not log you in ({params['error']}). See the terminal.")
        else:
            self._answer(200, "Spotify answered. You can close this tab; the terminal says how the login ended.")

    def _answer(self, status: int, message: str) -> None:
        body = (
            "<!doctype html><meta charset=utf-8><title>Spotify warehouse login</title>"
            f"<p style='font-family:sans-serif'>{html.escape(message)}</p>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the authorization code."""


class _CallbackServer(socketserver.TCPServer):
    """A single-threaded listener on 127.0.0.1 that takes one callback (TCPServer: no reverse DNS on bind)."""

    allow_reuse_address = True

    def __init__(self, port: int, expected_state: str) -> None:
        self.callback: _Callback | None = None
        self.expected_state = expected_state
        super().__init__(("127.0.0.1", port), _CallbackHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def wait(self, timeout_seconds: float) -> _Callback | None:
        """Serve requests until the callback came or the time is up (other paths, e.g. /favicon.ico, get a 404)."""
        deadline = time.monotonic() + timeout_seconds
        while self.callback is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.timeout = min(remaining, 1.0)
            self.handle_request()
        return self.callback


def _listen(port: int, state: str) -> _CallbackServer:
    try:
        return _CallbackServer(port, state)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LoginNotConfigured(
                f"Port {port} on 127.0.0.1 is in use by another program, so the login cannot receive Spotify's "
                f"answer. Stop that program, or choose another port with `--port N` and register "
                f"{redirect_uri(port).replace(str(port), 'N')} in your app's settings on Spotify's dashboard."
            ) from None
        raise LoginNotConfigured(
            f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}); choose another `--port`."
        ) from None


def authorize_url(options: LoginOptions, redirect: str, state: str, challenge: str | None) -> str:
    query = {
        "client_id": options.client_id or "",
        "response_type": "code",
        "redirect_uri": redirect,
        "scope": options.scopes,
        "state": state,
    }
    if challenge is not None:
        query |= {"code_challenge_method": "S256", "code_challenge": challenge}
    return f"{options.accounts_base_url.rstrip('/')}/authorize?{urlencode(query)}"


def login(
    options: LoginOptions,
    *,
    show_url: Callable[[str, str, bool], None],
    open_browser: Callable[[str], bool] | None = None,
) -> LoginResult:
    """Run the whole flow; returns who logged in and with which scopes, after storing the new token chain.

    `show_url(url, redirect_uri, opened)` tells the user where to go (`opened`: whether a browser was started);
    `open_browser(url)` starts one and says whether it could (None: never try, e.g. `--no-browser`).
    """
    if not options.client_id:
        raise LoginNotConfigured(
            "No Spotify client_id configured. Create an app on https://developer.spotify.com/dashboard with the "
            f"redirect URI {redirect_uri(options.port or settings.DEFAULT_REDIRECT_PORT)}, then put its client id "
            'in .dlt/secrets.toml under [sources.spotify] (client_id = "..."), or set SOURCES__SPOTIFY__CLIENT_ID.'
        )
    with_pkce = not options.client_secret
    verifier, challenge = pkce_pair() if with_pkce else (None, None)
    state = secrets.token_urlsafe(24)
    with _listen(options.port, state) as server:
        redirect = redirect_uri(server.port)
        url = authorize_url(options, redirect, state, challenge)
        opened = bool(open_browser and open_browser(url))
        show_url(url, redirect, opened)
        callback = server.wait(options.timeout_seconds)
    if callback is None:
        raise LoginFailed(
            f"No answer from Spotify within {options.timeout_seconds:.0f} s (waiting on {redirect}). Run "
            "`python pipeline.py auth` again and finish the login in the browser, or give more time with `--timeout`."
        )
    code = _checked_code(callback.params, state)
    tokens = _exchange(options, code, redirect, verifier)
    me = _who(options, str(tokens["access_token"]))
    granted = tuple(str(tokens.get("scope") or "").split())
    record = LoginRecord(
        logged_in_at=datetime.now(UTC),
        user_id=str(me["id"]),
        display_name=me.get("display_name"),
        scopes=granted,
    )
    store_login(options.cache_path, options.client_id, tokens, record, options.configured_refresh_token)
    missing = tuple(s for s in options.scopes.split() if s not in granted) if "scope" in tokens else ()
    return LoginResult(record, missing, options.cache_path, with_pkce)


def _checked_code(params: dict[str, str], state: str) -> str:
    """The authorization code, once the callback proved it answers this login (`state`) and carries no error."""
    if not secrets.compare_digest(params.get("state", ""), state):
        raise LoginFailed(
            "The answer on the callback does not belong to this login (its `state` differs), so it was refused and "
            "nothing was saved. This happens when an old browser tab or another program calls the callback. Run "
            "`python pipeline.py auth` again and use the link it prints."
        )
    error = params.get("error")
    if error == "access_denied":
        raise LoginFailed(
            "You declined the access on Spotify's consent page (access_denied); nothing was saved. Run "
            "`python pipeline.py auth` again and choose Agree to let the pipeline read your library."
        )
    if error:
        raise LoginFailed(f"Spotify refused the login ({error}); nothing was saved.")
    code = params.get("code")
    if not code:
        raise LoginFailed("Spotify's answer carried no authorization code; nothing was saved.")
    return code


def _exchange(options: LoginOptions, code: str, redirect: str, verifier: str | None) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    auth: tuple[str, str] | None = None
    if verifier is not None:
        form |= {"client_id": options.client_id or "", "code_verifier": verifier}
    else:
        auth = (options.client_id or "", options.client_secret or "")
    token_url = f"{options.accounts_base_url.rstrip('/')}/api/token"
    try:
        answer = requests.post(token_url, data=form, auth=auth, timeout=options.request_timeout_seconds)
    except requests.RequestException as exc:
        raise LoginFailed(
            f"Could not reach Spotify's accounts service at {token_url} ({type(exc).__name__})."
        ) from None
    try:
        payload = answer.json()
    except ValueError:
        payload = {}
    if answer.status_code != 200 or not isinstance(payload, dict) or not payload.get("refresh_token"):
        error = payload.get("error") if isinstance(payload, dict) else None
        description = payload.get("error_description") if isinstance(payload, dict) else None
        hint = " Check client_id and client_secret in .dlt/secrets.toml." if error == "invalid_client" else ""
        raise LoginFailed(
            f"Spotify did not exchange the authorization code (HTTP {answer.status_code}, "
            f"{error or 'no error code'}: {description or 'no description'}); nothing was saved.{hint}"
        )
    return payload


def _who(options: LoginOptions, access_token: str) -> dict[str, Any]:
    """`/me`: the account that logged in. A development-mode app refuses users not on its dashboard's user list."""
    url = f"{options.api_base_url.rstrip('/')}/me"
    try:
        answer = requests.get(
            url, headers={"Authorization": f"Bearer {access_token}"}, timeout=options.request_timeout_seconds
        )
    except requests.RequestException as exc:
        raise LoginFailed(f"Logged in, but could not reach {url} ({type(exc).__name__}); nothing was saved.") from None
    if answer.status_code != 200:
        try:
            message = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = answer.text[:200] or "no message"
        hint = (
            " A development-mode app accepts only the users listed under User Management in its dashboard settings."
            if answer.status_code == 403
            else ""
        )
        raise LoginFailed(
            f"Logged in, but Spotify refused `/me` (HTTP {answer.status_code}: {message}); nothing was saved.{hint}"
        )
    return dict(answer.json())


@with_config(sections=("sources", "spotify", "spotify"))
def configured_settings(
    client_id: str | None = None,
    client_secret: dlt.TSecretStrValue | None = None,
    refresh_token: dlt.TSecretStrValue | None = None,
    accounts_base_url: str = settings.DEFAULT_ACCOUNTS_BASE_URL,
    api_base_url: str = settings.DEFAULT_API_BASE_URL,
    token_cache_path: str | None = None,
    redirect_port: int = settings.DEFAULT_REDIRECT_PORT,
    request_timeout_seconds: float = 30.0,
) -> dict[str, Any]:
    """`[sources.spotify]` as the source resolves it (secrets.toml, config.toml, env vars, same section), so that
    `auth` logs in to the accounts service the source will refresh at and writes the cache it will read."""
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "accounts_base_url": accounts_base_url,
        "api_base_url": api_base_url,
        "token_cache_path": token_cache_path,
        "redirect_port": redirect_port,
        "request_timeout_seconds": request_timeout_seconds,
    }
