"""Disturbed runs end with the same data as a clean run; long rate limits and lost logins stop cleanly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator import EmulatorServer
from spotify_source.errors import LoginExpired, RateLimited
from tests.source.pipeline_harness import Harness, make_harness

# Columns that differ between any two runs by design (load ids, extraction times) are left out of comparisons.
TABLES = {
    "playlists": "id, snapshot_id, name, listing_position",
    "playlist_items": "playlist_id, position, item_type, track_id, episode_id, local_uri, added_at, added_by",
    "tracks": "id, name, album_id, duration_ms, popularity",
    "artists": "id, name, popularity",
    "audio_features": "id, danceability, tempo",
    "recently_played": "played_at, track_id, context_uri",
    "top_tracks": "time_range, rank, track_id",
    "top_artists": "time_range, rank, artist_id",
    "saved_tracks": "track_id, added_at",
}


def snapshot(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    return {t: harness.query(f"select {cols} from spotify_raw.{t} order by all") for t, cols in TABLES.items()}


def _raise(error: BaseException) -> BaseException:
    """The source's own error, unwrapped from dlt's PipelineStepFailed."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, (RateLimited, LoginExpired)):
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
    assert cause is not None, f"expected the source's error inside {error!r}"
    return cause


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    with EmulatorServer(profile="small", seed=4) as server:
        harness = make_harness(server, tmp_path_factory.mktemp("clean"))
        harness.run()
        return snapshot(harness)


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"rate_429": 0.15, "retry_after": 1, "seed": 1}, id="429-short-retry-after"),
        pytest.param({"rate_500": 0.1, "rate_502": 0.05, "rate_503": 0.05, "seed": 2}, id="5xx"),
        pytest.param({"rate_drop": 0.1, "seed": 3}, id="dropped-connections"),
        pytest.param({"rate_429": 0.05, "rate_503": 0.05, "rate_drop": 0.05, "seed": 4}, id="all-together"),
    ],
)
def test_disturbed_run_lands_what_a_clean_run_lands(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, clean: dict[str, Any], faults: dict[str, Any]
) -> None:
    server = start_emulator(profile="small", seed=4)
    harness = make_harness(server, tmp_path)
    server.control("POST", "faults", faults)
    harness.run(max_attempts=6)
    assert snapshot(harness) == clean
    statuses = server.control("GET", "stats")["by_status"]
    assert set(statuses) - {"200", "302"}, "the faults were actually injected"


def test_access_token_expiring_mid_run(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, clean: dict[str, Any]
) -> None:
    """Tokens that live one second, with latency: some expire in flight (401), the source refreshes and repeats."""
    server = start_emulator(profile="small", seed=4)
    server.control("POST", "settings", {"access_token_lifetime": 1})
    server.control("POST", "faults", {"latency_ms": 150})
    harness = make_harness(server, tmp_path)
    harness.run()
    assert snapshot(harness) == clean
    stats = server.control("GET", "stats")
    assert sum(stats["by_endpoint"]["POST /api/token"].values()) > 2, "tokens were refreshed during the run"


def test_token_expired_on_the_server_is_refreshed_on_401(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, clean: dict[str, Any]
) -> None:
    """The cached access token looks valid to the client but Spotify says it expired: refresh, repeat once."""
    server = start_emulator(profile="small", seed=4)
    harness = make_harness(server, tmp_path)
    harness.run()
    server.control("POST", "tokens/expire-access")
    server.control("POST", "stats/reset")
    harness.run()
    assert snapshot(harness) == clean
    stats = server.control("GET", "stats")
    assert stats["by_endpoint"]["GET /v1/me"] == {"200": 1, "401": 1}
    assert stats["by_endpoint"]["POST /api/token"] == {"200": 1}


def test_retry_after_above_the_cap_stops_and_the_next_run_completes(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, clean: dict[str, Any]
) -> None:
    server = start_emulator(profile="small", seed=4)
    harness = make_harness(server, tmp_path)
    harness.run(max_playlists=2)  # something is loaded before the rate limit bites
    loaded = harness.query("select count(*) from spotify_raw.playlists")[0][0]
    server.control("POST", "faults", {"quota_exceeded": True, "quota_retry_after": 3600})
    with pytest.raises(Exception) as failure:
        harness.run(max_retry_after_seconds=5)
    error = _raise(failure.value)
    assert isinstance(error, RateLimited) and error.retry_after == 3600 and error.exit_code == 4
    assert "Run again in 60 minutes (after " in str(error)
    assert harness.query("select count(*) from spotify_raw.playlists")[0][0] == loaded, "loaded data is kept"

    server.control("POST", "faults", {"quota_exceeded": False})
    harness.run()
    assert snapshot(harness) == clean


def test_lost_login_ends_with_log_in_again(start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = start_emulator(profile="small", seed=4)
    harness = make_harness(server, tmp_path)
    harness.run()
    server.control("POST", "tokens/expire-access")
    server.control("POST", "tokens/revoke-refresh")
    with pytest.raises(Exception) as failure:
        harness.run()
    error = _raise(failure.value)
    assert isinstance(error, LoginExpired) and error.exit_code == 3
    assert "python pipeline.py auth" in str(error)
    assert harness.refresh_token not in str(error)
    assert harness.query("select count(*) from spotify_raw.users")[0][0] == 1


def test_token_cache_is_owner_only_and_follows_rotation(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small", seed=4)
    server.control("POST", "settings", {"refresh_rotation": "always"})
    harness = make_harness(server, tmp_path)
    harness.run()
    cache = tmp_path / "token-cache.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    server.control("POST", "tokens/expire-access")
    harness.run()  # the original refresh token is spent: only the rotated one in the cache works
    assert harness.refresh_token not in cache.read_text()
