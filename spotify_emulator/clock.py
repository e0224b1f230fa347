"""The emulator's sense of time: what token lifetimes, authorization codes and rolling rate windows are measured by.

Every reading of time in the emulator goes through one `Clock`, so a test can move time forward instead of
sleeping: in-process it passes a `ManualClock` and calls `advance`; against a running server it posts
`{"advance_seconds": N}` to `/_emulator/clock`. Injected latency is not a reading of time (it delays the answer,
as a slow network does) and stays a real sleep.
"""

from __future__ import annotations

import threading
import time

CLOCKS = ("system", "manual")
"""What `serve --clock` takes: `system` follows the wall clock, `manual` stands still until advanced."""


class Clock:
    """The wall clock plus an offset that `advance` moves forward; never backwards, so expiries stay monotonic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def _base(self) -> float:
        return time.time()

    def now(self) -> float:
        """Seconds since the epoch, as `time.time()` but moved by every `advance`."""
        with self._lock:
            return self._base() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds` (>= 0) and return the new `now()`."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got advance_seconds={seconds}")
        with self._lock:
            self._offset += seconds
        return self.now()

    @property
    def kind(self) -> str:
        return "system"


class ManualClock(Clock):
    """A clock that stands still until advanced: a test decides exactly when a token expires or a window reopens."""

    def __init__(self, start: float | None = None) -> None:
        super().__init__()
        self._start = time.time() if start is None else start

    def _base(self) -> float:
        return self._start

    @property
    def kind(self) -> str:
        return "manual"


def make_clock(kind: str) -> Clock:
    """The clock `serve --clock KIND` asks for."""
    if kind == "manual":
        return ManualClock()
    if kind == "system":
        return Clock()
    raise ValueError(f"unknown clock {kind!r}; choose one of {', '.join(CLOCKS)}")
