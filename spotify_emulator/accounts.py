"""The accounts service: `/authorize`, `/api/token`, and the bearer-token check of the Web API.

It behaves like accounts.spotify.com for one registered app: authorization codes with PKCE (S256) or the client
secret, refresh tokens that may rotate, expire after a configurable age (Spotify: 6 months) or be revoked, and
access tokens with a configurable lifetime so tests can make them expire in the middle of a run.

Emulator-only: one app, several users (a household). `/authorize?emulator_account=I` logs in as account I, and
every code and token issued from that login carries the index, so the Web API knows whose library to answer from.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from spotify_emulator.clock import Clock
from spotify_emulator.http import Request, Response, api_error, json_response, oauth_error

KNOWN_SCOPES = frozenset(
    {
        "user-read-private",
        "user-read-email",
        "playlist-read-private",
        "playlist-read-collaborative",
        "user-read-recently-played",
        "user-top-read",
        "user-library-read",
        "user-library-modify",
        "playlist-modify-private",
        "playlist-modify-public",
        "user-follow-read",
        "user-read-playback-state",
        "user-read-currently-playing",
        "user-modify-playback-state",
        "ugc-image-upload",
        "streaming",
        "user-read-playback-position",
        "user-follow-modify",
        "app-remote-control",
    }
)
CODE_LIFETIME_SECONDS = 600
_ACCOUNT_PROBLEM = "emulator_account must be an account index from 0 to {}"


@dataclass
class AccountSettings:
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret"
    access_token_lifetime: float = 3600.0
    refresh_token_lifetime: float = 182 * 86400.0
    """Spotify's 6 months, counted from the login, not from the last refresh."""
    access_token_uses: int | None = None
    """Emulator-only: an access token dies after this many Web API requests (None: only its lifetime ends it).
    Tokens dying before the client expects (a session ended by Spotify), at the same requests every run."""
    refresh_rotation: str = "pkce"
    """`pkce`: rotate refresh tokens issued to PKCE logins (as Spotify does); `always`; `never`."""
    consent: str = "grant"
    """`grant` or `deny`: what the emulated user answers on the consent page."""


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    issued: float
    account: int = 0


@dataclass
class _RefreshToken:
    client_id: str
    scopes: tuple[str, ...]
    pkce: bool
    login_time: float
    revoked: bool = False
    account: int = 0


@dataclass
class AccessToken:
    client_id: str
    scopes: tuple[str, ...]
    expires: float
    uses: int = 0
    """Web API requests it authorised (`AccountSettings.access_token_uses`)."""
    account: int = 0
    """Whose library the Web API answers this token from: the account of the login it descends from."""


@dataclass
class TokenStore:
    """Codes and tokens the accounts service has issued. Tokens are random: they are not part of the library."""

    settings: AccountSettings
    codes: dict[str, _Code] = field(default_factory=dict)
    refresh_tokens: dict[str, _RefreshToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    clock: Clock = field(default_factory=Clock)
    """What token lifetimes and code ages are measured by; tests advance it instead of sleeping."""
    account_count: int = 1
    """How many accounts may log in (`/authorize?emulator_account=0..account_count-1`)."""

    def issue(
        self, client_id: str, scopes: tuple[str, ...], pkce: bool, login_time: float, account: int = 0
    ) -> dict[str, object]:
        """A new access and refresh token pair, as the token endpoint answers a code exchange."""
        refresh = secrets.token_urlsafe(48)
        self.refresh_tokens[refresh] = _RefreshToken(client_id, scopes, pkce, login_time, account=account)
        payload = self._access(client_id, scopes, account)
        payload["refresh_token"] = refresh
        return payload

    def _access(self, client_id: str, scopes: tuple[str, ...], account: int = 0) -> dict[str, object]:
        token = secrets.token_urlsafe(64)
        lifetime = self.settings.access_token_lifetime
        self.access_tokens[token] = AccessToken(client_id, scopes, self.clock.now() + lifetime, account=account)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
            "expires_in": int(lifetime),
        }

    def revoke_refresh_tokens(self, account: int | None = None) -> int:
        """Revoke the refresh tokens of `account` (None: of every account); how many there were."""
        with self.lock:
            chosen = [t for t in self.refresh_tokens.values() if account is None or t.account == account]
            for token in chosen:
                token.revoked = True
            return len(chosen)

    def expire_access_tokens(self, account: int | None = None) -> int:
        """Expire the access tokens of `account` (None: of every account); how many there were."""
        with self.lock:
            chosen = [t for t in self.access_tokens.values() if account is None or t.account == account]
            for token in chosen:
                token.expires = 0.0
            return len(chosen)

    def account_of(self, request: Request) -> int | None:
        """The account of the request's bearer token, or None (no token, unknown token), without counting a use:
        faults are scoped by account before the bearer check that counts it."""
        header = request.header("authorization") or ""
        if not header.lower().startswith("bearer "):
            return None
        with self.lock:
            access = self.access_tokens.get(header[7:].strip())
        return None if access is None else access.account


def _redirect_problem(redirect_uri: str) -> str | None:
    """Why Spotify would refuse this redirect URI, or None: HTTPS, or loopback IP literals only."""
    parts = urlsplit(redirect_uri)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme != "http" or not parts.hostname:
        return "INVALID_CLIENT: Invalid redirect URI"
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        # `localhost` (and any other name) is refused: only an IP literal counts as loopback since 2025.
        return "INVALID_CLIENT: Insecure redirect URI"
    return None if address.is_loopback else "INVALID_CLIENT: Insecure redirect URI"


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def _login_account(store: TokenStore, raw: str | None) -> int | None:
    """The emulator-only `emulator_account` of an authorize request (absent: 0), or None if it names no account."""
    if raw is None:
        return 0
    if not raw.isdecimal():  # also refuses "-1", " 1" and "1.0": an index is written as digits only
        return None
    index = int(raw)
    return index if index < store.account_count else None


def authorize(store: TokenStore, request: Request) -> Response:
    """`GET /authorize`: no consent page; the emulated user answers at once and is redirected back."""
    query = request.query
    settings = store.settings
    if query.get("client_id") != settings.client_id:
        return Response(400, b"INVALID_CLIENT: Invalid client", {"Content-Type": "text/plain"})
    redirect_uri = query.get("redirect_uri", "")
    problem = _redirect_problem(redirect_uri)
    if problem:
        return Response(400, problem.encode(), {"Content-Type": "text/plain"})
    state = query.get("state")
    back: dict[str, str] = {"state": state} if state is not None else {}
    if query.get("response_type") != "code":
        return Response(
            302,
            headers={"Location": _with_query(redirect_uri, {"error": "unsupported_response_type", **back})},
        )
    scopes = tuple(s for s in query.get("scope", "").split() if s)
    if any(s not in KNOWN_SCOPES for s in scopes):
        return Response(302, headers={"Location": _with_query(redirect_uri, {"error": "invalid_scope", **back})})
    challenge = query.get("code_challenge")
    if challenge is not None and query.get("code_challenge_method") != "S256":
        return Response(302, headers={"Location": _with_query(redirect_uri, {"error": "invalid_request", **back})})
    account = _login_account(store, query.get("emulator_account"))
    if account is None:
        # Refused like any other bad parameter, plus a description, since no real Spotify would explain it.
        described = {"error": "invalid_request", "error_description": _ACCOUNT_PROBLEM.format(store.account_count - 1)}
        return Response(302, headers={"Location": _with_query(redirect_uri, {**described, **back})})
    if settings.consent == "deny":
        return Response(302, headers={"Location": _with_query(redirect_uri, {"error": "access_denied", **back})})
    code = secrets.token_urlsafe(32)
    with store.lock:
        store.codes[code] = _Code(settings.client_id, redirect_uri, scopes, challenge, store.clock.now(), account)
    return Response(302, headers={"Location": _with_query(redirect_uri, {"code": code, **back})})


def _client_from_basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return ("", "")
    return client_id, secret


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def token(store: TokenStore, request: Request) -> Response:
    """`POST /api/token`: exchange a code, or refresh. Errors in OAuth's shape, as Spotify sends them."""
    form = request.form()
    settings = store.settings
    basic = _client_from_basic(request.header("authorization"))
    if basic is not None and basic != (settings.client_id, settings.client_secret):
        return oauth_error(400, "invalid_client", "Invalid client secret")
    secret_ok = basic is not None or (
        form.get("client_id") == settings.client_id and form.get("client_secret") == settings.client_secret
    )
    client_id = basic[0] if basic else form.get("client_id")
    if client_id != settings.client_id:
        return oauth_error(400, "invalid_client", "Invalid client")
    grant_type = form.get("grant_type")
    with store.lock:
        if grant_type == "authorization_code":
            return _exchange_code(store, form, secret_ok)
        if grant_type == "refresh_token":
            return _refresh(store, form, secret_ok)
    return oauth_error(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")


def _exchange_code(store: TokenStore, form: dict[str, str], secret_ok: bool) -> Response:
    code = store.codes.pop(form.get("code", ""), None)
    if code is None:
        return oauth_error(400, "invalid_grant", "Invalid authorization code")
    if store.clock.now() - code.issued > CODE_LIFETIME_SECONDS:
        return oauth_error(400, "invalid_grant", "Authorization code expired")
    if form.get("redirect_uri") != code.redirect_uri:
        return oauth_error(400, "invalid_grant", "Invalid redirect URI")
    if code.challenge is not None:
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or _s256(verifier) != code.challenge:
            return oauth_error(400, "invalid_grant", "code_verifier was incorrect")
    elif not secret_ok:
        return oauth_error(400, "invalid_client", "Invalid client secret")
    payload = store.issue(
        code.client_id, code.scopes, pkce=code.challenge is not None, login_time=store.clock.now(), account=code.account
    )
    return json_response(200, payload)


def _refresh(store: TokenStore, form: dict[str, str], secret_ok: bool) -> Response:
    presented = form.get("refresh_token", "")
    record = store.refresh_tokens.get(presented)
    if record is None or record.revoked:
        return oauth_error(400, "invalid_grant", "Invalid refresh token")
    if store.clock.now() - record.login_time > store.settings.refresh_token_lifetime:
        return oauth_error(400, "invalid_grant", "Refresh token expired")
    if not record.pkce and not secret_ok:
        return oauth_error(400, "invalid_client", "Invalid client secret")
    rotation = store.settings.refresh_rotation
    payload = store._access(record.client_id, record.scopes, record.account)
    if rotation == "always" or (rotation == "pkce" and record.pkce):
        record.revoked = True
        fresh = secrets.token_urlsafe(48)
        store.refresh_tokens[fresh] = _RefreshToken(
            record.client_id, record.scopes, record.pkce, record.login_time, account=record.account
        )
        payload["refresh_token"] = fresh
    return json_response(200, payload)


def bearer(store: TokenStore, request: Request) -> AccessToken | Response:
    """The access token of an API request, or the 401 Spotify answers when it is missing, unknown or expired."""
    header = request.header("authorization") or ""
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        return api_error(401, "No token provided")
    with store.lock:
        access = store.access_tokens.get(header[7:].strip())
        if access is not None:
            access.uses += 1
            limit = store.settings.access_token_uses
            if limit is not None and access.uses > limit:
                access.expires = 0.0
    if access is None:
        return api_error(401, "Invalid access token")
    if access.expires <= store.clock.now():
        return api_error(401, "The access token expired")
    return access
