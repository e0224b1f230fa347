"""`--log-file PATH`: a scheduled run's output and Python logging, appended to a file a person reads afterwards.

A scheduler (cron, CI) keeps a run's output poorly or not at all; the log file keeps what the terminal would have
shown, between a header (when, which command, which pid) and a footer (the exit code), plus the records of Python's
`logging` (dlt, dbt, requests) at INFO and above. The terminal still gets everything as before.

Nothing in this project prints a token; as a second line of defence, anything shaped like one (a bearer header, an
OAuth parameter or JSON field) is masked before it reaches the file. The file is created owner-only (0600): it names
the account.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TextIO

_SECRET_SHAPES = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(\b(?:access_token|refresh_token|client_secret|code_verifier|code)=)[^&\s\"']+"),
    re.compile(r"(?i)(\"(?:access_token|refresh_token|client_secret|code_verifier)\"\s*:\s*\")[^\"]+"),
)


def redact(text: str) -> str:
    """The text with every token-shaped value replaced by `***`."""
    for shape in _SECRET_SHAPES:
        text = shape.sub(r"\1***", text)
    return text


class _Tee(io.TextIOBase):
    """A text stream that writes to the terminal's stream and (masked) to the log file."""

    def __init__(self, terminal: TextIO, file: IO[str]) -> None:
        self._terminal = terminal
        self._file = file

    def write(self, text: str) -> int:
        self._terminal.write(text)
        self._file.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._terminal.flush()
        self._file.flush()

    def isatty(self) -> bool:
        return self._terminal.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._terminal, "encoding", "utf-8")


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RunLog:
    """The open log file of one run; `finish(code)` writes the footer."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    def finish(self, exit_code: int) -> None:
        self._file.write(f"=== {_now()} exit code {exit_code} ===\n")
        self._file.flush()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@contextmanager
def log_to_file(path: Path, command_line: list[str]) -> Iterator[RunLog]:
    """Tee stdout and stderr into `path` (appended) and send Python logging there, for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8", buffering=1) as file:
        shown = " ".join(["pipeline.py", *command_line])
        file.write(f"=== {_now()} {redact(shown)} (pid {os.getpid()}) ===\n")
        handler = logging.StreamHandler(file)
        handler.setLevel(logging.INFO)
        handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        previous_level = root.level
        added = [handler]
        if not root.handlers:
            # Without handlers Python shows warnings on stderr (its "last resort"); a handler of ours would end that.
            terminal = logging.StreamHandler(sys.stderr)
            terminal.setLevel(logging.WARNING)
            added.append(terminal)
        for each in added:
            root.addHandler(each)
        root.setLevel(min(previous_level, logging.INFO) if previous_level else logging.INFO)
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(stdout, file), _Tee(stderr, file)  # type: ignore[assignment]
        try:
            yield RunLog(file)
        finally:
            sys.stdout, sys.stderr = stdout, stderr
            for each in added:
                root.removeHandler(each)
            root.setLevel(previous_level)
