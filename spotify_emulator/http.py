"""The small request/response vocabulary shared by the API, accounts and control handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters captured by the route."""
    account: int = 0
    """The account a `/v1` request is answered for: its access token's, set by the app after the bearer check."""

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, first value of each (Spotify ignores repeats)."""
        return {key: values[0] for key, values in parse_qs(self.raw_query, keep_blank_values=True).items()}

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        value = json.loads(self.body)
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        return value

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the connection without answering (an injected fault)."""


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def api_error(status: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """Spotify's Web API error body: `{"error": {"status": ..., "message": ...}}`, `reason` where it sends one."""
    error: dict[str, Any] = {"status": status, "message": message}
    if reason:
        error["reason"] = reason
    return json_response(status, {"error": error}, headers)


def oauth_error(status: int, error: str, description: str) -> Response:
    """The accounts service answers in OAuth's shape instead: `{"error": ..., "error_description": ...}`."""
    return json_response(status, {"error": error, "error_description": description})
