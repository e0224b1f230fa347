"""`python pipeline.py status`: the warehouse, its last run and the Spotify login's age, for a person or a scheduler.

Spotify ends a refresh token 6 months after its login; after that every run fails with exit code 3 until someone
runs `auth` again. Status says so beforehand: a WARNING in the last `WARN_DAYS` days, EXPIRED after, and an exit
code a scheduler can alert on (0 fine or warning, 2 not logged in, 3 expired).

It reads only: the token cache's login record (given by the caller, which knows Spotify's side) and DuckDB opened
read-only. It takes no lock, so it answers while a run is writing (and then says the warehouse is busy).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

WARN_DAYS = 14
EXIT_OK, EXIT_NOT_LOGGED_IN, EXIT_LOGIN_EXPIRED = 0, 2, 3


class Login(Protocol):
    """What status needs of a login record (spotify_source.auth.LoginRecord has it)."""

    logged_in_at: datetime
    user_id: str | None
    display_name: str | None
    scopes: tuple[str, ...]

    @property
    def refresh_token_expires_at(self) -> datetime: ...


@dataclass(frozen=True)
class LoginAge:
    """How close a login is to its end: `ok`, `expiring` (within WARN_DAYS) or `expired`."""

    state: str
    days_left: float

    @classmethod
    def of(cls, expires_at: datetime, now: datetime) -> LoginAge:
        left = (expires_at - now).total_seconds() / 86400
        state = "expired" if left <= 0 else ("expiring" if left <= WARN_DAYS else "ok")
        return cls(state, left)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def last_run(database: Path) -> dict[str, Any] | None:
    """The newest row of spotify_raw.extraction_runs (None when there is none); raises RuntimeError when busy."""
    import duckdb

    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.IOException as exc:
        raise RuntimeError("busy: another process is writing it (DuckDB allows one writer); try again later") from exc
    with connection:
        connection.execute("SET TimeZone='UTC'")
        exists = connection.execute(
            "select 1 from information_schema.tables "
            "where table_schema = 'spotify_raw' and table_name = 'extraction_runs'"
        ).fetchall()
        if not exists:
            return None
        cursor = connection.execute("select * from spotify_raw.extraction_runs order by run_started_at desc limit 1")
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row, strict=True))


def warehouse_lines(database: Path, destination: str = "duckdb") -> list[str]:
    """The warehouse and its last run, as printed lines."""
    if destination != "duckdb":
        return [f"Warehouse: {destination} (last runs: the dashboard's Data health page; costs: `costs`)"]
    if not database.exists():
        return [f"Warehouse: {database} (not created yet: run `python pipeline.py` or `python pipeline.py demo`)"]
    lines = [f"Warehouse: {database} ({human_size(database.stat().st_size)})"]
    try:
        run = last_run(database)
    except RuntimeError as exc:
        return [*lines, f"Last run: unknown, the warehouse is {exc}"]
    if run is None:
        return [*lines, "Last run: none recorded"]
    finished = run.get("run_finished_at") or run.get("run_started_at")
    lines.append(f"Last run: {_when(finished)}, tier {run.get('tier') or 'unknown'}, user {run.get('user_id')}")
    notes = run.get("notes")
    for note in json.loads(notes) if isinstance(notes, str) else notes or []:
        lines.append(f"  note: {note}")
    return lines


def login_lines(
    login: Login | None, token_configured: bool, required_scopes: str, now: datetime
) -> tuple[list[str], int]:
    """The login's account, age and end, and the exit code they call for."""
    if login is None:
        if token_configured:
            return [
                "Login: a refresh token is configured (secrets.toml or env) but was not made by "
                "`python pipeline.py auth`, so its age is unknown; Spotify ends it 6 months after its login."
            ], EXIT_OK
        return ["Login: none. Run `python pipeline.py auth` to log in to Spotify."], EXIT_NOT_LOGGED_IN
    account = f"{login.display_name} ({login.user_id})" if login.display_name else str(login.user_id)
    expires = login.refresh_token_expires_at
    age = LoginAge.of(expires, now)
    lines = [f"Login: {account}, logged in {_when(login.logged_in_at)}"]
    missing = [scope for scope in required_scopes.split() if login.scopes and scope not in login.scopes]
    if missing:
        lines.append(f"  WARNING: scopes not granted: {', '.join(missing)} (log in again with `auth`)")
    if age.state == "expired":
        lines.append(
            f"  EXPIRED: the refresh token expired {_when(expires)}; runs fail (exit code 3) until you log in "
            "again with `python pipeline.py auth`."
        )
        return lines, EXIT_LOGIN_EXPIRED
    lines.append(f"  refresh token expires {_when(expires)} (in {age.days_left:.0f} days)")
    if age.state == "expiring":
        lines.append(
            f"  WARNING: less than {WARN_DAYS} days left; log in again with `python pipeline.py auth` "
            "before it expires (the new login counts 6 months from then)."
        )
    return lines, EXIT_OK


def report(
    database: Path,
    login: Login | None,
    token_configured: bool,
    required_scopes: str,
    *,
    destination: str = "duckdb",
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    out: Callable[[str], None] = print,
) -> int:
    """Print the status; returns the exit code (0 fine or warning, 2 not logged in, 3 login expired)."""
    for line in warehouse_lines(database, destination):
        out(line)
    lines, code = login_lines(login, token_configured, required_scopes, now())
    for line in lines:
        out(line)
    return code
