"""The login's age travels from the token cache through `extraction_runs` into staging, and staging still builds on
a warehouse loaded before the source recorded it (the columns missing from the raw table)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from spotify_emulator import EmulatorServer
from spotify_pipeline import transform
from spotify_source.auth import LoginRecord, store_login
from tests.source.pipeline_harness import Harness

STAGING = "stg_spotify__extraction_runs"


def staged(harness: Harness) -> list[tuple[object, ...]]:
    return harness.query(
        f'select user_id, logged_in_at, refresh_token_expires_at from "{harness.database.stem}".spotify_staging.'
        f"{STAGING}"
    )


def test_login_age_reaches_staging_and_old_warehouses_still_build(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_emulator(profile="small")
    tokens = server.login()
    logged_in_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    user_id = server.control("GET", "ground-truth")["user"]["id"]
    record = LoginRecord(logged_in_at, user_id, None, tuple(tokens["scope"].split()))
    store_login(tmp_path / "token-cache.json", server.settings.accounts.client_id, tokens, record)
    harness = Harness(server, tmp_path, tokens["refresh_token"])
    harness.run()
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(harness.database))

    transform.run_dbt(["build", "--select", STAGING])
    assert staged(harness) == [(user_id, logged_in_at, logged_in_at + timedelta(days=182))]

    with duckdb.connect(str(harness.database)) as connection:
        for column in ("logged_in_at", "refresh_token_expires_at"):
            connection.execute(f"alter table spotify_raw.extraction_runs drop column {column}")
    transform.run_dbt(["build", "--select", STAGING])
    assert staged(harness) == [(user_id, None, None)]
