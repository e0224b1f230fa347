"""Expired login: `invalid_grant` in the middle of a run keeps what was loaded, ends with "log in again" and exit 3,
and after a new login the next run lands what a run never disturbed lands.

The user logged in as `python pipeline.py auth` does (`Warehouse.log_in`: the PKCE login, stored with its login record
in the owner-only token cache; no refresh token in the config). A clean first run loads; the library changes
(`change_the_library`); the second run starts with a valid access token, and after its third Web API request the
emulator expires every access token and the refresh token dies, either revoked (the user removed the app's access) or
past its lifetime (Spotify's 6 months, `refresh_token_lifetime`, passed on the emulator's clock). The next request gets
401; the refresh it forces gets `invalid_grant`. The warehouse must be as the first run left it, dlt's state not ahead
of it; after `log_in` again, `run` (with `dbt build`) must end with raw and final tables equal to the clean sequence of
the same seed (`disturbed_runs.clean_sequence`; the columns left out are listed in `disturbed_runs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator import EmulatorServer
from tests.reliability.disturbed_runs import (
    EXIT_LOGIN_EXPIRED,
    EXIT_OK,
    after_requests,
    api_requests,
    change_the_library,
    clean_sequence,
    new_warehouse,
)
from tests.reliability.warehouse_state import compare, local_state

pytestmark = pytest.mark.reliability


@dataclass(frozen=True)
class Scenario:
    name: str
    tier: str
    settings: dict[str, Any]
    """Emulator settings changed before the second run."""
    controls: tuple[str | dict[str, Any], ...]
    """What happens after the second run's third request (the emulator applies it itself: `after_requests`)."""
    reason: str
    """What the accounts service says, which the message passes on."""


SCENARIOS = [
    Scenario(
        "refresh-token-revoked",
        "extended",
        {},
        ("tokens/revoke-refresh", "tokens/expire-access"),
        "Invalid refresh token",
    ),
    Scenario(
        # Six months and a second pass on the emulator's clock: the access token has expired, and the refresh token
        # is past Spotify's lifetime, counted from the login.
        "refresh-token-expired",
        "development",
        {},
        ({"path": "clock", "body": {"advance_seconds": 182 * 86_400 + 1}},),
        "Refresh token expired",
    ),
]


def _secrets(cache: Path, *tokens: dict[str, Any]) -> set[str]:
    stored = json.loads(cache.read_text())
    found = {str(stored.get(key)) for key in ("access_token", "refresh_token") if stored.get(key)}
    return found | {str(t[key]) for t in tokens for key in ("access_token", "refresh_token") if t.get(key)}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_invalid_grant_mid_run_keeps_the_data_and_a_new_login_completes(
    scenario: Scenario, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.getbasetemp() / "clean-sequences"
    clean = clean_sequence(1, scenario.tier, root)
    with EmulatorServer(profile="small", seed=1, mode=scenario.tier) as server:
        warehouse = new_warehouse(server, tmp_path / "w", root / "dbt")
        first_login = warehouse.log_in()
        first = warehouse.run("--no-transform")
        assert first.code == EXIT_OK, str(first)
        before, state_before = warehouse.raw(), local_state(warehouse.pipelines_dir)

        change_the_library(server)
        if scenario.settings:
            server.control("POST", "settings", scenario.settings)
        server.control("POST", "stats/reset")
        with after_requests(server, 3, *scenario.controls) as fired:
            stopped = warehouse.run("--no-transform")
        answered = api_requests(server)
        refreshes = server.control("GET", "stats")["by_endpoint"].get("POST /api/token", {})

        assert stopped.code == EXIT_LOGIN_EXPIRED, str(stopped)
        assert fired, "the tokens died during the run"
        assert answered.get("200", 0) >= 3 and answered.get("401"), f"mid-run: answers {answered}"
        # Each request in flight that met the 401 may try to refresh (at most `max_concurrency`): all are refused.
        assert set(refreshes) == {"400"} and refreshes["400"] <= 4, f"refreshes were tried and refused: {refreshes}"
        message = stopped.stderr
        assert "Log in again with `python pipeline.py auth`" in message, message
        assert "everything loaded so far is kept" in message and scenario.reason in message, message
        assert "Traceback" not in stopped.stdout + message
        printed = stopped.stdout + message
        assert not [s for s in _secrets(warehouse.token_cache, first_login) if s in printed], "a token was printed"

        assert not compare(before, warehouse.raw()), "what the first run loaded is kept, and nothing else"
        assert warehouse.problems() == []
        after = local_state(warehouse.pipelines_dir)
        assert after.get("_version_hash") == state_before.get("_version_hash"), "the stopped run moved no state"

        warehouse.log_in()  # the user follows the message
        clean.assert_completed_like(warehouse)
