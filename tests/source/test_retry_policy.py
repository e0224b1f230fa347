"""The waits between attempts of one request: Spotify's `Retry-After` for a 429, backoff for transient failures.

Unit tests of the policy the client's session retries with (spotify_source.http_client): the waits themselves are
what is checked, so no test sleeps through them.
"""

from __future__ import annotations

import requests
from tenacity import RetryCallState

from spotify_source.http_client import HttpSettings, _RetryPolicy


def _answer(status: int, retry_after: int | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _attempts(policy: _RetryPolicy, answers: list[requests.Response]) -> tuple[RetryCallState, list[float]]:
    """One request's attempts answered in turn by `answers`, as tenacity drives them (wait, then stop); the waits."""
    state = RetryCallState(policy.retrying(), fn=None, args=(), kwargs={})
    waits = []
    for number, answer in enumerate(answers, start=1):
        state.attempt_number = number
        state.set_result(answer)
        waits.append(policy._wait(state))
        assert not policy._stop(state), f"attempt {number} ended the request"
    return state, waits


def test_a_429_waits_what_spotify_asks() -> None:
    policy = _RetryPolicy(HttpSettings())
    _, waits = _attempts(policy, [_answer(429, retry_after=3), _answer(429, retry_after=0)])
    assert waits == [3.0, 0.0]


def test_backoff_grows_with_transient_failures_not_with_429s_waited_out() -> None:
    """Six 429s waited out, then the request's first 503: its backoff is that of a first failure (full jitter up to
    `backoff_seconds`), not of a seventh attempt (up to 2^6 times as long, capped at `max_backoff_seconds`)."""
    settings = HttpSettings(backoff_seconds=1.0, max_backoff_seconds=20.0, max_attempts=10)
    limited = [_answer(429, retry_after=0)] * 6
    first_failure = [_attempts(_RetryPolicy(settings), [*limited, _answer(503)])[1][-1] for _ in range(200)]
    assert max(first_failure) <= 1.0, max(first_failure)
    # The backoff still grows with the request's own failures: the third may wait up to 4 s (1 s x 2^2).
    third_failure = [
        _attempts(_RetryPolicy(settings), [*limited, _answer(503), _answer(502), _answer(500)])[1][-1]
        for _ in range(200)
    ]
    assert 1.0 < max(third_failure) <= 4.0, max(third_failure)
