"""Injected faults and latency: how the emulator plays a Spotify that rate-limits, fails and drops connections.

Every random decision is a hash of (fault seed, request line, how many times that request line got past the rolling
window), not a draw from a shared generator, so a failing test replays the same faults even when its requests arrive
in a different order from a thread pool, or the window turns different attempts away on a slower machine.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from spotify_emulator.clock import Clock

CORRUPT_KINDS = ("missing_field", "wrong_type", "html_200", "html_502", "empty", "truncated", "mixed")
"""How an answer can be corrupted: a field removed or of another type (the JSON stays valid), an HTML error page
with status 200 (a captive portal, a CDN's maintenance page) or 502 (a proxy), an empty body, JSON cut in half."""
HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} {title}</title></head>\n<body><h1>{title}</h1>\n"
    "<p>The server could not complete your request. Please try again in 30 seconds.</p></body></html>\n"
)


@dataclass
class FaultSettings:
    """What to inject into `/v1` requests. All rates are probabilities per request, 0 to 1."""

    latency_ms: float = 0.0
    rate_429: float = 0.0
    retry_after: int = 1
    rolling_limit: int | None = None
    """At most this many requests per rolling window, then 429 with the seconds left (Spotify's 30-s window)."""
    rolling_window_seconds: float = 30.0
    quota_exceeded: bool = False
    """Answer every request 429 with `reason: QUOTA_EXCEEDED` and a very long `Retry-After`."""
    quota_retry_after: int = 86_400
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0
    """Close the connection without an answer, as a flaky network or a restarting proxy does."""
    corrupt_rate: float = 0.0
    """Probability that a 200 answer is corrupted (`corrupt_kind`) on its way out: what a broken proxy, a captive
    portal or a changed API does to a client that trusts the body."""
    corrupt_kind: str = "mixed"
    """One of CORRUPT_KINDS; `mixed` picks one per corrupted answer from the seed."""
    corrupt_endpoints: list[str] = field(default_factory=list)
    """Endpoint templates to corrupt (`GET /v1/me/playlists`, `GET /v1/playlists/{playlist_id}/items`); empty: all."""
    corrupt_field: str | None = None
    """Dotted path of the field `missing_field`/`wrong_type` removes or retypes (`items.*.played_at`; `*` is every
    element of a list); None: one top-level key chosen from the seed."""
    unexpected_values: bool = False
    """Send values outside Spotify's documented vocabularies and ranges (`spotify_emulator.unexpected`): album type
    `EP`, an unknown context type, popularity outside 0-100. Valid JSON of the right types, unlike `corrupt_*`."""
    seed: int = 0
    accounts: list[int] | None = None
    """Only requests whose access token belongs to one of these accounts meet any of the above (latency and the
    rolling window included); other accounts are served clean. None: every request, whoever sends it."""

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update from the control endpoint, refusing unknown names and bad values."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault setting {name!r}; known: {', '.join(sorted(known))}")
            if name == "rolling_limit":
                value = None if value is None else int(value)
            elif name == "accounts":
                value = account_list(value)
            elif name == "corrupt_kind":
                if value not in CORRUPT_KINDS:
                    raise ValueError(f"corrupt_kind must be one of {', '.join(CORRUPT_KINDS)}, got {value!r}")
            elif name == "corrupt_endpoints":
                value = [e.strip() for e in value.split(",")] if isinstance(value, str) else [str(e) for e in value]
                value = [e for e in value if e]
            elif name == "corrupt_field":
                value = None if value in (None, "") else str(value)
            elif name == "corrupt_rate":
                value = float(value)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1, got {value}")
            elif name in ("quota_exceeded", "unexpected_values"):
                value = bool(value)
            elif name.startswith("rate_"):
                value = float(value)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1, got {value}")
            elif name in ("retry_after", "quota_retry_after", "seed"):
                value = int(value)
            else:
                value = float(value)
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applies_to(self, account: int | None) -> bool:
        """Whether faults may hit a request of `account` (None: a request without a known token)."""
        return self.accounts is None or account in self.accounts


def account_list(value: Any) -> list[int] | None:
    """`accounts` as the control endpoint takes it: null, or a list of account indexes (a bare index is a list of
    one). Whether each exists is the state's to say; here only the shape is checked."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in items):
        raise ValueError(f"accounts must be null or a list of account indexes, got {value!r}")
    return sorted(set(items))


@dataclass(frozen=True)
class Fault:
    """What to do instead of answering: a status with headers and body, or `drop` the connection."""

    kind: str
    status: int = 0
    retry_after: int | None = None
    reason: str | None = None
    message: str = ""


class FaultInjector:
    """Decides, per request, whether a fault replaces the answer; keeps the rolling-window counts."""

    def __init__(self, settings: FaultSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        """What the rolling window is measured by; tests advance it to reopen the window instead of sleeping."""
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._window: deque[float] = deque()

    def _roll(self, key: str, salt: str) -> float:
        """A number in [0, 1) fixed by the seed, the request key and the salt."""
        digest = hashlib.sha256(f"{self.settings.seed}|{key}|{salt}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def decide(self, request_key: str) -> Fault | None:
        """The fault for this request, or None to answer normally. `request_key` is method and path with query."""
        s = self.settings
        with self._lock:
            if s.quota_exceeded:
                return Fault(
                    "status",
                    429,
                    s.quota_retry_after,
                    "QUOTA_EXCEEDED",
                    "API rate limit exceeded: quota exceeded",
                )
            if s.rolling_limit is not None:
                now = self.clock.now()
                while self._window and now - self._window[0] >= s.rolling_window_seconds:
                    self._window.popleft()
                if len(self._window) >= s.rolling_limit:
                    wait = s.rolling_window_seconds - (now - self._window[0])
                    return Fault("status", 429, max(1, math.ceil(wait)), None, "API rate limit exceeded")
                self._window.append(now)
            # Counted only past the window: which attempts the window turns away depends on timing, and would
            # otherwise shift every roll below onto another attempt number.
            self._seen[request_key] += 1
            key = f"{request_key}#{self._seen[request_key]}"
        if self._roll(key, "drop") < s.rate_drop:
            return Fault("drop")
        if self._roll(key, "429") < s.rate_429:
            return Fault("status", 429, s.retry_after, None, "API rate limit exceeded")
        for status, rate in ((500, s.rate_500), (502, s.rate_502), (503, s.rate_503)):
            if self._roll(key, str(status)) < rate:
                message = {500: "Server error", 502: "Bad gateway.", 503: "Service unavailable"}[status]
                return Fault("status", status, None, None, message)
        return None

    def corruption(self, endpoint: str, request_key: str) -> str | None:
        """The corruption of this 200 answer (a kind of CORRUPT_KINDS but `mixed`), or None to send it as it is.

        `endpoint` is the route's template (`GET /v1/me/top/{kind}`), `request_key` what `decide` got for the same
        request: the roll uses the count `decide` recorded, so it replays like the other faults."""
        s = self.settings
        if s.corrupt_rate <= 0 or (s.corrupt_endpoints and endpoint not in s.corrupt_endpoints):
            return None
        with self._lock:
            key = f"{request_key}#{self._seen[request_key]}"
        if self._roll(key, "corrupt") >= s.corrupt_rate:
            return None
        if s.corrupt_kind != "mixed":
            return s.corrupt_kind
        kinds = CORRUPT_KINDS[:-1]
        return kinds[int(self._roll(key, "corrupt-kind") * len(kinds))]

    def corrupt(self, kind: str, body: bytes, request_key: str) -> tuple[int, bytes, str]:
        """(status, body, content type) of the corrupted answer whose real body was `body`."""
        if kind in ("html_200", "html_502"):
            status = 200 if kind == "html_200" else 502
            title = "Service Temporarily Unavailable" if status == 200 else "Bad Gateway"
            return status, HTML_PAGE.format(status=status, title=title).encode(), "text/html; charset=utf-8"
        if kind == "empty":
            return 200, b"", "application/json; charset=utf-8"
        if kind == "truncated":
            return 200, body[: len(body) // 2], "application/json; charset=utf-8"
        payload = json.loads(body)
        path = self.settings.corrupt_field
        if path is None and isinstance(payload, dict) and payload:
            keys = sorted(payload)
            path = keys[int(self._roll(request_key, "corrupt-field") * len(keys))]
        if path:
            _change(payload, path.split("."), kind)
        return 200, json.dumps(payload, separators=(",", ":")).encode(), "application/json; charset=utf-8"

    def reset(self) -> None:
        """Forget request counts and the rolling window (settings stay)."""
        with self._lock:
            self._seen.clear()
            self._window.clear()


def _other_type(value: Any) -> Any:
    """A value of another JSON type than `value`, as a changed or broken API might send it."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, str):
        return 404
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return {"unexpected": True}
    if isinstance(value, dict):
        return "unexpected"
    return 404  # null


def _change(node: Any, path: list[str], kind: str) -> None:
    """Remove (`missing_field`) or retype (`wrong_type`) the field at `path` in place; `*` walks every list item."""
    head, rest = path[0], path[1:]
    if head == "*":
        for item in node if isinstance(node, list) else []:
            if rest:
                _change(item, rest, kind)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _change(node[head], rest, kind)
    elif kind == "missing_field":
        del node[head]
    else:
        node[head] = _other_type(node[head])
