"""Injected faults happen at the asked rates, with the asked Retry-After, and replay the same for the same seed."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from spotify_emulator import ManualClock
from tests.conftest import SpotifyClient


def _statuses(client: SpotifyClient, count: int, path: str = "/me") -> list[int | str]:
    statuses: list[int | str] = []
    for _ in range(count):
        try:
            statuses.append(client.get(path).status_code)
        except requests.ConnectionError:
            statuses.append("dropped")
    return statuses


def _within_binomial(observed: int, trials: int, rate: float) -> bool:
    """Five standard deviations: the draws are seeded, so this can only fail if the rate is wrong."""
    sd = math.sqrt(trials * rate * (1 - rate))
    return abs(observed - trials * rate) <= 5 * sd + 1


@pytest.mark.parametrize(
    "setting, status",
    [("rate_429", 429), ("rate_500", 500), ("rate_502", 502), ("rate_503", 503), ("rate_drop", "dropped")],
)
def test_fault_rates(spotify_client: Callable[..., SpotifyClient], setting: str, status: Any) -> None:
    client = spotify_client(profile="small")
    client.server.control("POST", "faults", {setting: 0.2, "retry_after": 7, "seed": 11})
    statuses = _statuses(client, 600)
    counts = Counter(statuses)
    assert set(counts) <= {200, status}
    assert _within_binomial(counts[status], 600, 0.2), counts
    recorded = client.server.control("GET", "stats")["by_endpoint"]["GET /v1/me"]
    assert recorded.get(str(status), 0) == counts[status]


def test_429_carries_retry_after_and_spotifys_body(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    client.server.control("POST", "faults", {"rate_429": 1.0, "retry_after": 42})
    answer = client.get("/me/playlists")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "42"
    assert answer.json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}


def test_quota_exceeded(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    client.server.control("POST", "faults", {"quota_exceeded": True, "quota_retry_after": 86400})
    answer = client.get("/me")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "86400"
    assert answer.json()["error"]["reason"] == "QUOTA_EXCEEDED"
    client.server.control("POST", "faults", {"quota_exceeded": False})
    assert client.get("/me").status_code == 200


def test_rolling_window_limit(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client(clock=ManualClock())
    client.server.control("POST", "faults", {"rolling_limit": 5, "rolling_window_seconds": 30})
    statuses = [client.get("/me") for _ in range(5)]
    client.server.clock.advance(12)
    statuses += [client.get("/me") for _ in range(3)]
    assert [a.status_code for a in statuses] == [200] * 5 + [429] * 3
    assert [a.headers["Retry-After"] for a in statuses[5:]] == ["18"] * 3


def test_rolling_window_reopens(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client(clock=ManualClock())
    client.server.control("POST", "faults", {"rolling_limit": 2, "rolling_window_seconds": 30})
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 429]
    client.server.clock.advance(29)
    closed = client.get("/me")
    assert closed.status_code == 429 and closed.headers["Retry-After"] == "1"
    client.server.clock.advance(1)
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 429]


def test_same_fault_seed_replays_the_same_faults(spotify_client: Callable[..., SpotifyClient]) -> None:
    runs = []
    for _ in range(2):
        client = spotify_client(profile="small")
        client.server.control("POST", "faults", {"rate_500": 0.3, "rate_429": 0.1, "seed": 5})
        runs.append(_statuses(client, 60, "/me/playlists"))
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 1


def test_latency_is_added_to_every_api_request(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    client.server.control("POST", "faults", {"latency_ms": 150})
    started = time.perf_counter()
    for _ in range(3):
        assert client.get("/me").status_code == 200
    assert time.perf_counter() - started >= 0.45


def test_bad_fault_settings_are_refused(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    for payload in ({"rate_429": 2}, {"no_such_fault": 1}):
        answer = requests.post(f"{client.server.url}/_emulator/faults", json=payload, timeout=10)
        assert answer.status_code == 400


def test_stats_count_requests_and_reset(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    client.server.control("POST", "stats/reset")
    for _ in range(3):
        client.get("/me")
    client.get("/me/playlists", limit=51)
    stats = client.server.control("GET", "stats")
    assert stats["by_endpoint"] == {"GET /v1/me": {"200": 3}, "GET /v1/me/playlists": {"400": 1}}
    assert stats["total"] == 4 and stats["max_in_flight"] >= 1
    assert client.server.control("POST", "stats/reset")["total"] == 0


def test_peak_of_requests_in_flight_is_counted(spotify_client: Callable[..., SpotifyClient]) -> None:
    """Four clients whose requests each take a second overlap; how many at once a busy machine decides, so the test
    asserts the bounds: some overlap was seen, and never more than the clients could send."""
    from concurrent.futures import ThreadPoolExecutor

    client = spotify_client()
    client.server.control("POST", "faults", {"latency_ms": 1000})
    client.server.control("POST", "stats/reset")
    token = client.tokens["access_token"]

    def one(_: int) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.get(f"{client.server.api_url}/me", headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(one, range(4))) == [200] * 4
    assert 2 <= client.server.control("GET", "stats")["max_in_flight"] <= 4


def test_unexpected_values_stay_valid_json_of_the_same_types(spotify_client: Callable[..., SpotifyClient]) -> None:
    """`unexpected_values`: an `EP` album type in top tracks (`ep` elsewhere), popularity outside 0-100 and an
    unknown context type, the same for an object in every answer that embeds it; nothing else changes."""
    client = spotify_client(profile="small")
    before = {path: client.get(path, limit=50).json() for path in ("/me/top/tracks", "/me/player/recently-played")}
    client.server.control("POST", "faults", {"unexpected_values": True})
    top = client.get("/me/top/tracks", limit=50).json()
    plays = client.get("/me/player/recently-played", limit=50).json()

    album_types = Counter(track["album"]["album_type"] for track in top["items"])
    assert album_types["EP"] > 0 and set(album_types) <= {"EP", "ALBUM", "SINGLE", "COMPILATION"}, album_types
    popularity = {track["id"]: track["popularity"] for track in top["items"]}
    assert any(value > 100 for value in popularity.values()) and any(value < 0 for value in popularity.values())
    assert [t["id"] for t in top["items"]] == [t["id"] for t in before["/me/top/tracks"]["items"]]

    contexts = Counter((play["context"] or {}).get("type") for play in plays["items"])
    assert contexts["mix"] > 0, contexts
    unchanged = [(p["played_at"], p["track"]["id"]) for p in before["/me/player/recently-played"]["items"]]
    assert [(p["played_at"], p["track"]["id"]) for p in plays["items"]] == unchanged

    # The same track, read elsewhere, carries the same values (lower-case `ep`: only top tracks shout).
    ep_track = next(t for t in top["items"] if t["album"]["album_type"] == "EP")
    alone = client.get(f"/tracks/{ep_track['id']}").json()
    assert alone["album"]["album_type"] == "ep" and alone["popularity"] == popularity[ep_track["id"]]

    client.server.control("POST", "faults", {"unexpected_values": False})
    assert client.get("/me/top/tracks", limit=50).json() == before["/me/top/tracks"]
