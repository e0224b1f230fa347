"""`listening_history` against the emulator's ground truth: the API's plays (a real demo run), then the emulator's
data exports imported through `python pipeline.py import-export`, then `dbt build`.

Each scenario compares the final table with `spotify_emulator.export.expected_listening_history` for the same
library and exports: every play once (multiset of played_at, content type, ms_played, origins), nothing invented,
track ids right. Re-importing adds nothing; an overlapping newer export adds only its new plays; plays the API
already loaded are not doubled by an export of the same period.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipeline
from spotify_emulator.export import expected_listening_history, write_account_export, write_extended_export
from spotify_emulator.library import Library, generate
from spotify_pipeline import transform

ROOT = Path(pipeline.__file__).resolve().parent
PROFILE = "small"


class Warehouse:
    """A temporary warehouse driven through the command line, as a user drives it."""

    def __init__(self, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.path = path
        self.capsys = capsys

    def cli(self, *args: str) -> str:
        code = pipeline.main(list(args))
        captured = self.capsys.readouterr()
        assert code == 0, captured.err + captured.out
        return captured.out

    def build(self, *args: str) -> None:
        transform.run_dbt(["build", *args])

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as connection:
            connection.execute("set TimeZone = 'UTC'")
            return connection.execute(sql).fetchall()

    def history(self) -> list[dict[str, Any]]:
        columns = "played_at, content_type, ms_played, track_id, is_in_api, is_in_extended_export, is_in_account_export"
        rows = self.rows(f'select {columns} from "{self.path.stem}".spotify.listening_history')
        return [dict(zip(columns.split(", "), row, strict=True)) for row in rows]


@pytest.fixture
def warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Warehouse]:
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(tmp_path / "history.duckdb"))
    monkeypatch.setenv("SPOTIFY_PIPELINES_DIR", str(tmp_path / "dlt"))
    monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
    monkeypatch.chdir(ROOT)
    yield Warehouse(tmp_path / "history.duckdb", capsys)


def key(played_at: datetime, content_type: str, ms_played: int | None, origins: list[str]) -> tuple[Any, ...]:
    moment = played_at.astimezone(UTC).replace(tzinfo=None)
    return (moment.isoformat(timespec="milliseconds"), content_type, ms_played, tuple(sorted(origins)))


def actual_keys(rows: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    names = ("is_in_account_export", "account"), ("is_in_api", "api"), ("is_in_extended_export", "extended")
    return Counter(
        key(
            row["played_at"], row["content_type"], row["ms_played"], [origin for column, origin in names if row[column]]
        )
        for row in rows
    )


def expected_keys(truth: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter(key(row["played_at"], row["content_type"], row["ms_played"], row["origins"]) for row in truth)


def assert_matches_truth(warehouse: Warehouse, truth: list[dict[str, Any]], library: Library) -> None:
    rows = warehouse.history()
    actual, expected = actual_keys(rows), expected_keys(truth)
    missing, invented = expected - actual, actual - expected
    assert not missing and not invented, (
        f"{len(rows)} plays in listening_history, {len(truth)} in the truth; "
        f"missing {sum(missing.values())}: {list(missing)[:5]}; invented {sum(invented.values())}: {list(invented)[:5]}"
    )
    # Track ids: as the API or the export URI gives them; account-only plays take the id of a known track with the
    # same names, which must then be the true track.
    known_tracks = {track_id for (track_id,) in warehouse.rows(
        f'select track_id from "{warehouse.path.stem}".spotify.tracks'
    )}  # fmt: skip
    want = Counter(
        (key(t["played_at"], t["content_type"], t["ms_played"], t["origins"]), t["track_id"])
        for t in truth
        if t["track_id"] is not None
    )
    have = Counter(
        (key(r["played_at"], r["content_type"], r["ms_played"], [o for c, o in (
            ("is_in_account_export", "account"), ("is_in_api", "api"), ("is_in_extended_export", "extended")
        ) if r[c]]), r["track_id"])
        for r in rows
        if (r["is_in_api"] or r["is_in_extended_export"]) and r["track_id"] is not None
    )  # fmt: skip
    assert have == want, (list((have - want).items())[:5], list((want - have).items())[:5])
    account_only = {(t["played_at"], t["ms_played"]): t for t in truth if t["origins"] == ["account"]}
    for row in rows:
        if row["is_in_api"] or row["is_in_extended_export"]:
            continue
        moment = row["played_at"].astimezone(UTC)
        truth_row = account_only[(moment, row["ms_played"])]
        if row["track_id"] is not None:
            assert row["track_id"] == truth_row["true_track_id"]
    resolved = [
        row for row in rows if not (row["is_in_api"] or row["is_in_extended_export"]) and row["track_id"] is not None
    ]
    resolvable = [
        t for t in truth
        if t["origins"] == ["account"] and t["true_track_id"] in known_tracks and t["track_name"] is not None
    ]  # fmt: skip
    assert len(resolved) >= 0.9 * len(resolvable), "account-data plays of known tracks take their track's id"


@pytest.mark.parametrize(("seed", "field_version"), [(1, "2024"), (2, "legacy"), (3, "2025")])
def test_api_and_both_exports_give_every_play_once(
    warehouse: Warehouse, tmp_path: Path, seed: int, field_version: str
) -> None:
    library = generate(seed, PROFILE)
    warehouse.cli("demo", "--profile", PROFILE, "--seed", str(seed), "--no-export", "--no-transform")
    extended = write_extended_export(library, tmp_path / "extended", field_version=field_version)
    account = write_account_export(library, tmp_path / "account", legacy=field_version == "legacy")
    warehouse.cli("import-export", str(extended), "--no-transform")
    warehouse.cli("import-export", str(account), "--no-transform")
    warehouse.build()
    truth = expected_listening_history(
        library, extended=(None, None), account=(None, None), extended_field_version=field_version,
        account_legacy=field_version == "legacy",
    )  # fmt: skip
    assert {"api", "extended", "account"} <= {origin for t in truth for origin in t["origins"]}
    assert_matches_truth(warehouse, truth, library)

    # The same exports again: nothing new in the raw tables, nothing doubled in the final table.
    before = warehouse.rows(f'select count(*) from "{warehouse.path.stem}".spotify_raw.export_streams')
    warehouse.cli("import-export", str(extended), "--no-transform")
    warehouse.cli("import-export", str(account), "--no-transform")
    assert warehouse.rows(f'select count(*) from "{warehouse.path.stem}".spotify_raw.export_streams') == before
    warehouse.build()
    assert_matches_truth(warehouse, truth, library)


def test_an_overlapping_newer_export_adds_only_its_new_plays(warehouse: Warehouse, tmp_path: Path) -> None:
    """Import an extended export cut three weeks before the end, build, then the whole one (an incremental build
    that only sees the days the newer export brought), then account data; API plays were loaded first."""
    seed = 5
    library = generate(seed, PROFILE)
    warehouse.cli("demo", "--profile", PROFILE, "--seed", str(seed), "--no-export", "--no-transform")
    cut = max(play.played_at for play in library.plays) - timedelta(days=21)
    older = write_extended_export(library, tmp_path / "older", until=cut, packaging="folder")
    warehouse.cli("import-export", str(older), "--no-transform")
    warehouse.build()
    assert_matches_truth(warehouse, expected_listening_history(library, extended=(None, cut)), library)

    newer = write_extended_export(library, tmp_path / "newer")
    warehouse.cli("import-export", str(newer), "--no-transform")
    warehouse.build()
    full = expected_listening_history(library, extended=(None, None))
    assert_matches_truth(warehouse, full, library)

    warehouse.cli("import-export", str(write_account_export(library, tmp_path / "account")), "--no-transform")
    warehouse.build()
    everything = expected_listening_history(library, extended=(None, None), account=(None, None))
    assert_matches_truth(warehouse, everything, library)

    # A full rebuild gives the same tables as the incremental builds did: the plays, their lengths (an API play
    # capped by an export play loaded later) and the sessions (sessions the exports' plays joined together).
    tables = ("listening_history", "play_lengths", "listening_sessions")
    incremental = {table: sorted(warehouse.rows(_without_load_id(warehouse, table))) for table in tables}
    assert len(incremental["listening_sessions"]) > 10
    warehouse.build("--full-refresh", "--select", "listening_history+")
    for table in tables:
        assert sorted(warehouse.rows(_without_load_id(warehouse, table))) == incremental[table], table


def _without_load_id(warehouse: Warehouse, table: str) -> str:
    return f'select * exclude (source_load_id) from "{warehouse.path.stem}".spotify.{table}'


def test_unit_tests_run_apart_from_the_scheduled_build(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dbt build` (the default selector, what `run` schedules) leaves the unit tests out: their inputs are fixed, so
    their result cannot change with the data. `dbt test --select test_type:unit` runs every one of them after a build
    (one reads the columns of an incremental model's built table), and every one passes."""
    monkeypatch.setenv("DBT_WRITE_JSON", "true")  # run_results.json and manifest.json are read here
    warehouse.cli("demo", "--profile", PROFILE, "--seed", "4", "--no-export", "--no-transform")
    warehouse.build()
    assert not _ran("unit_test"), "the scheduled build ran unit tests"
    warnings = f'"{warehouse.path.stem}".spotify.data_quality_warnings'
    with duckdb.connect(str(warehouse.path)) as connection:  # what the build's data tests found stays found
        connection.execute(f"insert into {warnings} (test_name) values ('found by the build')")
    transform.run_dbt(["test", "--select", "test_type:unit"])
    assert warehouse.rows(f"select test_name from {warnings}") == [("found by the build",)]
    manifest = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    assert len(manifest["unit_tests"]) >= 20
    assert _ran("unit_test") == {name: "pass" for name in manifest["unit_tests"]}


def _ran(resource_type: str) -> dict[str, str]:
    """The nodes of one type in dbt's last run_results.json (per test session: tests/conftest.py), with status."""
    results = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith(f"{resource_type}.")}
