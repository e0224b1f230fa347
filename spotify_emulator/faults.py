"""Injected faults and latency: how the emulator plays a Spotify that rate-limits, fails and drops connections.

Every random decision is a hash of (fault seed, request line, how many times that request line was seen), not a
draw from a shared generator, so a failing test replays the same faults even when its requests arrive in a
different order from a thread pool.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, fields
from typing import Any


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
    seed: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update from the control endpoint, refusing unknown names and bad values."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault setting {name!r}; known: {', '.join(sorted(known))}")
            if name == "rolling_limit":
                value = None if value is None else int(value)
            elif name == "quota_exceeded":
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

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
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
            self._seen[request_key] += 1
            key = f"{request_key}#{self._seen[request_key]}"
            if s.quota_exceeded:
                return Fault(
                    "status",
                    429,
                    s.quota_retry_after,
                    "QUOTA_EXCEEDED",
                    "API rate limit exceeded: quota exceeded",
                )
            if s.rolling_limit is not None:
                now = time.monotonic()
                while self._window and now - self._window[0] >= s.rolling_window_seconds:
                    self._window.popleft()
                if len(self._window) >= s.rolling_limit:
                    wait = s.rolling_window_seconds - (now - self._window[0])
                    return Fault("status", 429, max(1, math.ceil(wait)), None, "API rate limit exceeded")
                self._window.append(now)
        if self._roll(key, "drop") < s.rate_drop:
            return Fault("drop")
        if self._roll(key, "429") < s.rate_429:
            return Fault("status", 429, s.retry_after, None, "API rate limit exceeded")
        for status, rate in ((500, s.rate_500), (502, s.rate_502), (503, s.rate_503)):
            if self._roll(key, str(status)) < rate:
                message = {500: "Server error", 502: "Bad gateway.", 503: "Service unavailable"}[status]
                return Fault("status", status, None, None, message)
        return None

    def reset(self) -> None:
        """Forget request counts and the rolling window (settings stay)."""
        with self._lock:
            self._seen.clear()
            self._window.clear()
