"""The real HTTP server around the emulator, in a background thread, plus helpers for tests and the demo.

A threading server with HTTP/1.1 keep-alive, so a client's connection pool and concurrency behave as they do
against Spotify. `EmulatorServer` is a context manager: `with EmulatorServer(profile="small") as spotify:`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, build_opener
from urllib.request import Request as UrlRequest

from spotify_emulator.app import EmulatorApp
from spotify_emulator.clock import Clock
from spotify_emulator.http import Request
from spotify_emulator.model import Library
from spotify_emulator.state import EmulatorSettings, EmulatorState

SOURCE_SCOPES = (
    "user-read-private user-read-email playlist-read-private playlist-read-collaborative "
    "user-read-recently-played user-top-read user-library-read"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once; no 40 ms delayed-ACK stall per answer
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry codes and the accounts service handles tokens; nothing is logged."""

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        request = Request(self.command, split.path, split.query, headers, body)
        response = self.server.app.handle(request)
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: EmulatorApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class EmulatorServer:
    """A running emulator on 127.0.0.1 and a free port (or the one given).

    `clock`: what tokens, codes and rolling windows are measured by; pass a `ManualClock` and `advance` it to make
    time pass in a test without sleeping (default: the wall clock, still advanceable over `/_emulator/clock`).
    `accounts=N` (an int) serves a household of N accounts: it sets `EmulatorSettings.account_count`, since the
    settings' own `accounts` field holds the accounts service's settings (an `AccountSettings` passes through)."""

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        **fields: Any,
    ) -> None:
        if isinstance(fields.get("accounts"), int):
            fields["account_count"] = fields.pop("accounts")
        self.settings = settings or EmulatorSettings(**fields)
        self.state = EmulatorState(self.settings, clock)
        self.host = host
        self.port = port
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The root: accounts service at `/authorize` and `/api/token`, control at `/_emulator`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def clock(self) -> Clock:
        """The emulator's clock: `server.clock.advance(3600)` expires the tokens of a one-hour lifetime."""
        return self.state.clock

    def start(self) -> EmulatorServer:
        self._server = _HTTPServer((self.host, self.port), EmulatorApp(self.state))
        self.port = self._server.server_address[1]
        self.state.root = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- helpers for tests, benchmarks and the demo (plain HTTP, as any client would do) ---

    def control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Call a `/_emulator` endpoint and return its JSON."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = UrlRequest(f"{self.url}/_emulator/{path.lstrip('/')}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with build_opener().open(request, timeout=30) as answer:
            return json.loads(answer.read())

    def library_of(self, account: int = 0) -> Library:
        """Account `account`'s library as the emulator holds it now (mutations included); read, don't change it."""
        return self.state.library_of(account)

    def login(
        self,
        scopes: str = SOURCE_SCOPES,
        redirect_uri: str = "http://127.0.0.1:8765/callback",
        account: int = 0,
    ) -> dict[str, Any]:
        """Log in as the emulated user (`account`: which one of a household) with PKCE, over HTTP, and return the
        token endpoint's answer.

        This is the authorization code flow a real login does, minus the browser: `/authorize` redirects at once.
        """
        verifier = secrets.token_urlsafe(64)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        state = secrets.token_urlsafe(16)
        query = urlencode(
            {
                "client_id": self.settings.accounts.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": scopes,
                "state": state,
                "code_challenge_method": "S256",
                "code_challenge": challenge,
                "emulator_account": str(account),
            }
        )
        opener = build_opener(_NoRedirect)
        try:
            opener.open(f"{self.url}/authorize?{query}", timeout=30)
            raise RuntimeError("the emulator's /authorize did not redirect")
        except HTTPError as redirect:
            location = redirect.headers["Location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if params.get("state") != state or "code" not in params:
            why = " ".join(filter(None, (params.get("error"), params.get("error_description"))))
            raise RuntimeError(f"login refused: {why or 'no code in redirect'}")
        form = urlencode(
            {
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": redirect_uri,
                "client_id": self.settings.accounts.client_id,
                "code_verifier": verifier,
            }
        ).encode()
        request = UrlRequest(f"{self.url}/api/token", data=form, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        with build_opener().open(request, timeout=30) as answer:
            return json.loads(answer.read())
