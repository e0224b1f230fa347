"""Changes scheduled at a request count: "after the run's third request, the refresh token dies".

A test used to watch the request counts from a thread and post the change when it saw them, which a busy machine
makes late by an unknown number of requests. Here the emulator applies the change itself, before it handles the
request that follows the count, so the same run meets it at the same point every time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Trigger:
    """Once `count` more Web API requests than when it was set have arrived, POST `then` (control paths with an
    optional JSON body, as `/_emulator/...` takes them) before the next request is handled."""

    count: int
    then: list[dict[str, Any]]
    seen: int = 0
    fired_at: int | None = None
    """The number of requests seen when it fired; None while pending."""

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "then": self.then, "seen": self.seen, "fired_at": self.fired_at}


@dataclass
class Triggers:
    pending: list[Trigger] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: dict[str, Any]) -> Trigger:
        """`{"count": 3, "then": ["tokens/expire-access", {"path": "clock", "body": {"advance_seconds": 60}}]}`."""
        count = int(body["count"])
        if count < 0:
            raise ValueError("count must be >= 0")
        then = [{"path": step} if isinstance(step, str) else dict(step) for step in body.get("then", [])]
        if not then or not all(isinstance(step.get("path"), str) for step in then):
            raise ValueError("then: a list of control paths or {path, body} objects")
        trigger = Trigger(count, then)
        with self.lock:
            self.pending.append(trigger)
        return trigger

    def due(self) -> list[Trigger]:
        """Count one arriving API request; the triggers whose count it passed, marked fired."""
        fired = []
        with self.lock:
            for trigger in self.pending:
                if trigger.fired_at is not None:
                    continue
                if trigger.seen >= trigger.count:
                    trigger.fired_at = trigger.seen
                    fired.append(trigger)
                else:
                    trigger.seen += 1
        return fired

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [trigger.as_dict() for trigger in self.pending]

    def clear(self) -> None:
        with self.lock:
            self.pending.clear()
