"""A failing dbt test fails the run with dbt's message; the docs build; the raw data stays either way."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from spotify_emulator import EmulatorServer
from spotify_pipeline import transform
from tests.source.pipeline_harness import make_harness


def test_a_failing_data_test_fails_the_transform_with_dbts_message(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = make_harness(start_emulator(profile="small", seed=5), tmp_path)
    harness.run()
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(harness.database))
    transform.run_dbt(["build"])
    with duckdb.connect(str(harness.database)) as connection:  # a play from the future: a clock gone wrong upstream
        connection.execute(
            "insert into spotify_raw.recently_played"
            " (user_id, played_at, track_id, extracted_at, _dlt_load_id, _dlt_id)"
            " select user_id, now() + interval 3 day, track_id, extracted_at, _dlt_load_id, 'future-play'"
            " from spotify_raw.recently_played limit 1"
        )
    with pytest.raises(transform.TransformFailed) as failure:
        transform.run_dbt(["build"])
    message = str(failure.value)
    assert "not_in_future_recently_played_played_at" in message
    assert failure.value.exit_code == 5
    raw = harness.query("select count(*) from spotify_raw.recently_played where _dlt_id = 'future-play'")
    assert raw == [(1,)], "the raw data stays loaded"


    # A null where a mart's contract says not null: no data test looks for it (the marts' YAML says why); the
    # warehouse refuses it while the table is written, and the build fails naming the model.
    with duckdb.connect(str(harness.database)) as connection:
        connection.execute("delete from spotify_raw.recently_played where _dlt_id = 'future-play'")
        connection.execute(
            "update spotify_raw.playlists set snapshot_id = null"
            " where _dlt_id = (select min(_dlt_id) from spotify_raw.playlists)"
        )
    with pytest.raises(transform.TransformFailed) as failure:
        transform.run_dbt(["build"])
    message = str(failure.value)
    assert "playlists:" in message and "NOT NULL constraint failed" in message and "snapshot_id" in message, message


def test_docs_generate(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = make_harness(start_emulator(profile="small", seed=5, mode="development"), tmp_path)
    harness.run()
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(harness.database))
    transform.run_dbt(["build"])
    transform.run_dbt(["docs", "generate"])
    target = Path(os.environ.get("DBT_TARGET_PATH", transform.DBT_PROJECT / "target"))  # tests/conftest.py's
    catalog = target / "catalog.json"
    assert catalog.exists() and '"model.spotify_warehouse.track_audio_features"' in catalog.read_text()
