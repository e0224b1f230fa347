"""Request counts by endpoint and status, and how many API requests were in flight at once.

The benchmarks and the request-count tests read these: a pipeline's cost is the number of requests it makes, and
its concurrency limit is checked by the peak of requests in flight, counted here rather than trusted.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._retry_after: Counter[str] = Counter()
        self._in_flight = 0
        self._max_in_flight = 0

    def record(self, endpoint: str, status: int | str, retry_after: str | None = None) -> None:
        with self._lock:
            self._counts[(endpoint, str(status))] += 1
            if retry_after is not None:
                self._retry_after[retry_after] += 1

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._retry_after.clear()
            self._max_in_flight = self._in_flight

    def snapshot(self) -> dict[str, Any]:
        """`{"total", "by_endpoint": {"GET /v1/me": {"200": 3}}, "by_status", "retry_after", "in_flight",
        "max_in_flight"}`; `retry_after` counts the answers by the `Retry-After` they asked for (`{"30": 2}`), so a
        test tells a long rate limit from short ones without timing the client."""
        with self._lock:
            by_endpoint: dict[str, dict[str, int]] = {}
            by_status: Counter[str] = Counter()
            for (endpoint, status), count in sorted(self._counts.items()):
                by_endpoint.setdefault(endpoint, {})[status] = count
                by_status[status] += count
            return {
                "total": sum(self._counts.values()),
                "by_endpoint": by_endpoint,
                "by_status": dict(sorted(by_status.items())),
                "retry_after": dict(sorted(self._retry_after.items(), key=lambda item: int(item[0]))),
                "in_flight": self._in_flight,
                "max_in_flight": self._max_in_flight,
            }
