"""What can end a Spotify run early, each with the message a user needs and a distinct exit code.

Messages never contain a token: they are shown to the user and may end up in logs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class UserError(Exception):
    """Base of every error a user can meet and act on (a setting, a login, a refused input, a busy warehouse).

    `pipeline.py` prints its message and exits with its `exit_code`, instead of a traceback. It lives here, in the
    source, because the source cannot import spotify_pipeline (DESIGN.md, Boundaries) and both need it.
    """

    exit_code = 1
    outcome = "Nothing of this run was loaded"
    """What the failure left in the warehouse, as the message says it; the loader knows better for a later stage."""

    def replace_outcome(self, outcome: str) -> UserError:
        """The same error, its message telling `outcome` instead of the one the raiser assumed (see `load_stages`:
        a failure in the enrichment leaves the facts' load in place)."""
        if self.args and isinstance(self.args[0], str) and self.outcome in self.args[0]:
            self.args = (self.args[0].replace(self.outcome, outcome), *self.args[1:])
        self.outcome = outcome
        return self


class SpotifySourceError(UserError):
    """Base of the source's own errors: what Spotify (or its configuration, or a data export) made impossible."""


class CredentialsMissing(SpotifySourceError):
    exit_code = 2

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"No Spotify {missing} configured. Run `python pipeline.py auth` to log in, "
            "or try `python pipeline.py demo` to see everything work without an account."
        )


class ConfigInvalid(SpotifySourceError):
    """A setting of `[sources.spotify]` (or its env variable) that cannot work: named, with what it must be.

    Exit code 2 like a missing setting: the configuration has to change before a run can succeed."""

    exit_code = 2

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        env = f"SOURCES__SPOTIFY__{name.upper()}"
        super().__init__(
            f"The setting `{name}` of [sources.spotify] {problem}. Fix it in .dlt/config.toml (or the env variable "
            f"{env}); nothing was loaded."
        )


class LoginExpired(SpotifySourceError):
    """Spotify answered `invalid_grant`: the refresh token is expired (6 months), revoked or unknown."""

    exit_code = 3

    def __init__(self, description: str) -> None:
        super().__init__(
            f"Spotify refused the saved login ({description}). Log in again with `python pipeline.py auth`; "
            "everything loaded so far is kept."
        )


class RateLimited(SpotifySourceError):
    """Spotify asked us to wait longer than the configured cap: stop now rather than hang for hours."""

    exit_code = 4

    def __init__(self, retry_after: int, cap: int, reason: str | None = None) -> None:
        self.retry_after = retry_after
        why = " (quota exceeded)" if reason == "QUOTA_EXCEEDED" else ""
        super().__init__(
            f"Spotify rate-limited this app{why} and asked to wait {retry_after} s, more than the "
            f"{cap} s cap (`max_retry_after_seconds`). Stopped cleanly; what was loaded is kept. "
            f"Run again in {_human(retry_after)} (after "
            f"{(datetime.now(UTC) + timedelta(seconds=retry_after)).strftime('%Y-%m-%d %H:%M')} UTC)."
        )


class SpotifyApiError(SpotifySourceError):
    """An answer we cannot use after retries (4xx other than those handled, or 5xx that persisted)."""

    def __init__(self, status: int, url: str, message: str) -> None:
        self.status = status
        super().__init__(f"Spotify answered {status} for {url}: {message}")


class SpotifyUnreachable(SpotifySourceError):
    """No answer at all after `max_attempts`: connections dropped, refused or timed out every time. A message and
    exit code 1 instead of a traceback; the run stops before anything is loaded, so the next one starts afresh."""

    def __init__(self, url: str, attempts: int, error: BaseException) -> None:
        super().__init__(
            f"Spotify did not answer {url} in {attempts} attempts ({type(error).__name__}: the connection was "
            "dropped, refused or timed out). Nothing of this run was loaded; run again later."
        )


class BadAnswer(SpotifyApiError):
    """An answer the source cannot use: not JSON (an HTML page, an empty or truncated body), or JSON without a field
    the source reads, or with a value of another type. Refused at the boundary, naming the endpoint and the field,
    instead of a KeyError deep in a resource; the run stops before anything is loaded (dlt commits an extract only
    when it finishes), so the next run starts from the same state."""

    def __init__(self, status: int, url: str, problem: str) -> None:
        self.status = status
        SpotifySourceError.__init__(
            self,
            f"{problem}. Nothing of this run was loaded; run again later. If it persists, Spotify's API may have "
            "changed: please report it.",
        )


class ExportError(SpotifySourceError):
    """A data export (or one file of it) that cannot be imported: the whole import is refused, nothing is loaded.

    Exit code 2 like other bad input: running the same command again cannot succeed, the input has to change.
    """

    exit_code = 2

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where} {reason}. Import refused: nothing of this export was loaded.")

    def __reduce__(self) -> tuple[type[ExportError], tuple[str, str]]:
        # Raised in a parsing worker process (export/parallel.py) and re-raised here: pickled with its arguments.
        return type(self), (self.where, self.reason)


def _human(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600, 1)} hours"
