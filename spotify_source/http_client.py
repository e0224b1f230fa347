"""The one HTTP client every Spotify request goes through.

Built from dlt's pieces: `RESTClient` with `JSONLinkPaginator` walks Spotify's `next` links; the session under it
retries with tenacity (which dlt's requests helper also uses), adding the jitter dlt's helper lacks. Policy:
- the bearer token: the session puts the current one on every attempt (the one place a token is applied); on a
  401 it refreshes and repeats the request once;
- 429: wait `Retry-After` when it is within `max_retry_after_seconds`, else raise `RateLimited` (stop the run);
- 500/502/503/504, dropped connections, timeouts: exponential backoff with full jitter, `max_attempts` in all;
- at most `max_concurrency` requests in flight, across all threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_result
from tenacity.wait import wait_random_exponential

from spotify_source import answers
from spotify_source.auth import TokenManager
from spotify_source.errors import BadAnswer, RateLimited, SpotifyApiError, SpotifyUnreachable

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class HttpSettings:
    timeout_seconds: float = 30.0
    max_attempts: int = 3
    """Attempts for transient failures (5xx, dropped connections, timeouts), the first one included."""
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 20.0
    max_retry_after_seconds: int = 120
    max_rate_limit_waits: int = 20
    """How many 429s (each within the cap) one request may wait out before the run stops."""
    max_concurrency: int = 4


class _RetryPolicy:
    """Which outcomes to retry and how long to wait; 429s and transient failures are counted apart."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self._jitter = wait_random_exponential(multiplier=settings.backoff_seconds, max=settings.max_backoff_seconds)

    def retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS) | retry_if_result(self._retry_response),
            wait=self._wait,
            stop=self._stop,
            reraise=True,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )

    @staticmethod
    def _retry_response(response: requests.Response) -> bool:
        return response.status_code == 429 or response.status_code in TRANSIENT_STATUSES

    @staticmethod
    def _is_429(state: RetryCallState) -> bool:
        outcome = state.outcome
        return bool(outcome and not outcome.failed and outcome.result().status_code == 429)

    def _wait(self, state: RetryCallState) -> float:
        if self._is_429(state):
            response = state.outcome.result()  # type: ignore[union-attr]
            retry_after = _retry_after(response)
            if retry_after > self.settings.max_retry_after_seconds:
                raise RateLimited(retry_after, self.settings.max_retry_after_seconds, _reason(response))
            return float(retry_after)
        # The backoff grows with this request's transient failures only: the 429s it waited out already waited
        # as long as Spotify asked, and counting them (tenacity's attempt_number does) would turn the next 503
        # after a few 429s into a wait of up to max_backoff_seconds. (tenacity computes the wait before `_stop`
        # counts this failure, hence + 1.)
        failures = self._counts(state)["transient"] + 1
        return self._jitter(SimpleNamespace(attempt_number=failures))  # type: ignore[arg-type]

    @staticmethod
    def _counts(state: RetryCallState) -> dict[str, int]:
        """429s and transient failures of this request so far, kept on tenacity's state for the request."""
        return state.__dict__.setdefault("_spotify_counts", {"rate": 0, "transient": 0})

    def _stop(self, state: RetryCallState) -> bool:
        counts = self._counts(state)
        if self._is_429(state):
            counts["rate"] += 1
            if counts["rate"] > self.settings.max_rate_limit_waits:
                response = state.outcome.result()  # type: ignore[union-attr]
                raise RateLimited(_retry_after(response), self.settings.max_retry_after_seconds, _reason(response))
            return False
        counts["transient"] += 1
        return counts["transient"] >= self.settings.max_attempts


def _retry_after(response: requests.Response) -> int:
    try:
        return max(0, int(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1


def _reason(response: requests.Response) -> str | None:
    try:
        return response.json().get("error", {}).get("reason")
    except (ValueError, AttributeError):
        return None


class _RetryingSession(requests.Session):
    """A session whose `send` applies the bearer token, retries by the policy, then raises for any error status the
    caller did not allow.

    The token is set on each attempt, here and nowhere else: after a Retry-After wait or a backoff the token of the
    first attempt may have expired (or been replaced after another thread's 401), and sending it again would cost a
    401 and a repeat. The status check sits after the retries (not in a response hook, which runs inside each
    attempt) so a 429 or 503 that a retry resolves never surfaces, and one that persists always does.
    """

    def __init__(
        self,
        policy: _RetryPolicy,
        gate: threading.BoundedSemaphore,
        timeout: float,
        allowed: Callable[[], set[int]],
        sent: Callable[[], None],
        tokens: TokenManager,
        stopped: Callable[[], Exception | None],
    ) -> None:
        super().__init__()
        self._sent = sent
        self._stopped = stopped
        self._tokens = tokens
        self._allowed = allowed
        self._policy = policy
        self._gate = gate
        self._timeout = timeout
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=4, max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout

        def once() -> requests.Response:
            with self._gate:
                if (error := self._stopped()) is not None:
                    raise error  # another request ended the run: this one is not sent (nor repeated)
                request.headers["Authorization"] = f"Bearer {self._tokens.access_token()}"
                self._sent()
                return super(_RetryingSession, self).send(request, **kwargs)

        try:
            response = self._policy.retrying()(once)
            if response.status_code == 401:
                # The token expired on Spotify's side before our clock said so: refresh (once, however many threads
                # saw it) and repeat the request once; a second 401 is an answer, not a stale token.
                self._tokens.invalidate(request.headers["Authorization"].removeprefix("Bearer "))
                response.close()
                response = self._policy.retrying()(once)
        except TRANSIENT_ERRORS as error:  # every attempt failed without an answer
            attempts = self._policy.settings.max_attempts
            raise SpotifyUnreachable(_path_only(request.url or ""), attempts, error) from error
        if response.status_code >= 400 and response.status_code not in self._allowed():
            if _is_html(response):
                raise BadAnswer(response.status_code, _path_only(response.url), _html_problem(response))
            raise SpotifyApiError(response.status_code, _path_only(response.url), _message(response))
        if 200 <= response.status_code < 300:
            _check_json(response)
        return response


class SpotifyApi:
    """GETs against the Web API with Spotify's auth, retry and rate-limit rules; counts what it sent."""

    def __init__(self, api_base_url: str, tokens: TokenManager, settings: HttpSettings | None = None) -> None:
        self.base_url = api_base_url.rstrip("/")
        self.tokens = tokens
        self.settings = settings or HttpSettings()
        self._policy = _RetryPolicy(self.settings)
        self._gate = threading.BoundedSemaphore(self.settings.max_concurrency)
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=self.settings.max_concurrency, thread_name_prefix="spotify")
        self._count_lock = threading.Lock()
        self._failure: Exception | None = None
        """What ended the run, raised by a request: requests queued or waiting to repeat are then not sent."""
        self.requests_sent = 0
        """Every attempt sent to the Web API, retries and the repeat after a 401 included, as Spotify counts them."""

    def _count_request(self) -> None:
        with self._count_lock:
            self.requests_sent += 1

    def _client(self) -> RESTClient:
        client = getattr(self._local, "client", None)
        if client is None:
            session = _RetryingSession(
                self._policy,
                self._gate,
                self.settings.timeout_seconds,
                lambda: getattr(self._local, "allow", set()),
                self._count_request,
                self.tokens,
                lambda: self._failure,
            )
            client = RESTClient(base_url=self.base_url, session=session)
            self._local.client = client
        return client

    def get(self, path: str, params: dict[str, Any] | None = None, allow: Iterable[int] = ()) -> requests.Response:
        """One GET; statuses in `allow` (403 when probing a tier) come back instead of raising."""
        self._local.allow = set(allow)
        try:
            return self._client().get(path, params=params)
        except Exception as error:
            self._stop(error)
            raise
        finally:
            self._local.allow = set()

    def _stop(self, error: Exception) -> None:
        """Every error a request raises ends the run (nothing in the source goes on after one). Requests sent ahead
        or side by side would otherwise go on after it: against a rate limit, an expired login or a dead network,
        each would only repeat the failure (up to `max_attempts` times each)."""
        with self._count_lock:
            self._failure = self._failure or error

    def get_json(self, path: str, params: dict[str, Any] | None = None, shape: tuple[answers.Rule, ...] = ()) -> Any:
        """The answer's JSON, checked against `shape` (answers.py): a missing or mistyped field raises BadAnswer."""
        return self.json(self.get(path, params), shape)

    @staticmethod
    def json(response: requests.Response, shape: tuple[answers.Rule, ...] = ()) -> Any:
        """A response's JSON (the session checked it is JSON), checked against `shape`."""
        payload = getattr(response, PARSED, None)
        if payload is None:
            payload = response.json()
        return answers.check(payload, shape, _path_only(response.url), response.status_code) if shape else payload

    def paginate(
        self, path: str, params: dict[str, Any] | None = None, shape: tuple[answers.Rule, ...] = ()
    ) -> Iterator[list[Any]]:
        """Walk an offset page's `next` links, yielding each page's `items` (dlt's RESTClient and paginator).

        Each page is checked against `shape` before its items are used: dlt's paginator reads a page without
        `items` as an empty page, which would pass for a user with nothing saved."""
        pages = self._client().paginate(
            path,
            params=params,
            paginator=JSONLinkPaginator(next_url_path="next"),
            data_selector="items",
            hooks={"response": []},  # errors are raised by the session, after its retries
        )
        try:
            for page in pages:
                if shape:
                    self.json(page.response, shape)
                yield page
        except Exception as error:
            self._stop(error)
            raise

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run independent calls concurrently (at most `max_concurrency` at once); results in input order."""
        return list(self.imap(function, items))

    def imap(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """As `map`, but each result as soon as it and those before it are in: the caller works on the first answers
        while the rest are still on their way. Every call is queued at once; one left unread is cancelled."""
        return self._pool.map(function, items)

    def submit(self, function: Callable[..., R], *args: Any) -> Future[R]:
        """Start one call now, for a result wanted later: a request no other request waits for goes out beside the
        others instead of after them. `Future.result()` raises what the call raised."""
        return self._pool.submit(function, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _path_only(url: str) -> str:
    return url.split("?", 1)[0]


def _is_html(response: requests.Response) -> bool:
    content_type = response.headers.get("Content-Type", "").lower()
    return "html" in content_type or response.content.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))


def _html_problem(response: requests.Response) -> str:
    return (
        f"Spotify answered with an HTML page (status {response.status_code}) at {_path_only(response.url)} instead "
        "of JSON (an outage page, a proxy or a captive portal in between)"
    )


PARSED = "_spotify_json"
"""The attribute of a response that holds its parsed JSON (set by `_check_json`)."""


def _check_json(response: requests.Response) -> None:
    """A success answer must be JSON: an HTML page, an empty or a truncated body is refused, naming the endpoint."""
    url = _path_only(response.url)
    if _is_html(response):
        raise BadAnswer(response.status_code, url, _html_problem(response))
    status = response.status_code
    if not response.content.strip():
        raise BadAnswer(status, url, f"Spotify answered {status} with an empty body at {url}")
    try:
        # Kept on the response: a page of 50 full tracks is parsed once, not once here and again by its reader.
        setattr(response, PARSED, json.loads(response.content))
    except ValueError as exc:
        # Cut short: the parser ran out of text (or inside a string), rather than meeting a wrong character.
        truncated = isinstance(exc, json.JSONDecodeError) and (
            exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string")
        )
        what = "JSON that ends early (truncated after" if truncated else "a body that is not JSON ("
        size = len(response.content)
        raise BadAnswer(status, url, f"Spotify answered {status} at {url} with {what} {size} bytes)") from None


def _message(response: requests.Response) -> str:
    try:
        error = response.json().get("error")
    except ValueError:
        return response.reason or "no message"
    if isinstance(error, dict):
        return str(error.get("message", "no message"))
    return str(error or response.reason or "no message")
