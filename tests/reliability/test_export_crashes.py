"""`import-export` killed (SIGKILL) mid-import, then run again, ends where an import that was never killed ends.

The export is the emulator's extended streaming history (`spotify_emulator.export`, six files) of the account a
`demo --no-export` loaded first (the template every scenario copies: the account the plays belong to, and the API's
newest 50 plays, which listening_history must match rather than double). A subprocess (tests/reliability/
crash_harness.py) kills itself at a chosen point: while the reader parses the files, while dlt loads
export_streams (its staging insert or its insert-only MERGE committed, the load not yet recorded), or during the
dbt build that follows; then the same command runs again to the end. Judged by:

- every table of spotify_raw equals a clean import's, row for row as multisets (a duplicate is a difference),
  leaving out what differs between any two imports: dlt's `_dlt_load_id`/`_dlt_id`, `import_id` (one per import
  command), and the run logs export_imports/extraction_runs (one row per command; checked for rows loaded twice);
- every play of the export is in export_streams once: its `play_key`s are the clean import's, each once (also
  checked right after the kill: a half-done import may have landed or not, never twice);
- where dbt ran, `spotify.listening_history` holds every play of the ground truth once
  (`spotify_emulator.export.expected_listening_history`, compared as tests/dbt/test_listening_history.py does).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator.export import expected_listening_history, write_extended_export
from spotify_emulator.library import generate
from tests.dbt.test_listening_history import actual_keys, expected_keys
from tests.reliability import crash_harness as harness
from tests.reliability import warehouse_state as ws

pytestmark = pytest.mark.reliability

SEED = 7
ROWS_PER_FILE = 40  # six files of the `mixed` field versions: several points to die at while reading
FIELD_VERSION = "mixed"
HISTORY_COLUMNS = ("played_at", "content_type", "ms_played", "track_id", "is_in_api", "is_in_extended_export",
                   "is_in_account_export", "play_id")  # fmt: skip


@dataclass
class Export:
    """The export, the template warehouse (after `demo --no-export --no-transform`) and the clean import's tables."""

    path: Path
    template: Path
    reference: ws.Snapshot
    play_keys: set[str]
    truth: list[dict[str, Any]]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Export]:
    root = tmp_path_factory.mktemp("export-crashes")
    library = generate(SEED, "small")
    path = write_extended_export(library, root / "export", field_version=FIELD_VERSION, rows_per_file=ROWS_PER_FILE)
    template = root / "template"
    demo = harness.run(["demo", "--profile", "small", "--seed", str(SEED), "--no-export", "--no-transform"],
                       harness.pipeline_env(template))  # fmt: skip
    assert demo.returncode == 0, harness.described(demo)
    clean = root / "clean"
    shutil.copytree(template, clean)
    imported = harness.run(["import-export", str(path), "--no-transform"], harness.pipeline_env(clean))
    assert imported.returncode == 0, harness.described(imported)
    counts = play_key_counts(clean / "warehouse.duckdb")
    assert counts and set(counts.values()) == {1}
    truth = expected_listening_history(
        library, extended=(None, None), account=None, api=True, extended_field_version=FIELD_VERSION,
        extended_rows_per_file=ROWS_PER_FILE,
    )  # fmt: skip
    yield Export(path, template, ws.snapshot(clean / "warehouse.duckdb"), set(counts), truth)


def play_key_counts(database: Path) -> dict[str, int]:
    """How often each play_key is in export_streams ({} before the table exists)."""
    with ws.connect(database) as connection:
        if "export_streams" not in ws.tables(connection, "spotify_raw"):
            return {}
        return dict(connection.execute(
            "select play_key, count(*) from spotify_raw.export_streams group by play_key"
        ).fetchall())  # fmt: skip


def lost_and_doubled(expected: set[str], counts: dict[str, int]) -> tuple[int, int]:
    return len(expected - set(counts)), sum(1 for n in counts.values() if n > 1)


def listening_history(database: Path) -> list[dict[str, Any]]:
    with ws.connect(database) as connection:
        table = ws.qualified(connection, "spotify", "listening_history")
        rows = connection.execute(f"select {', '.join(HISTORY_COLUMNS)} from {table}").fetchall()
    return [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in rows]


def crash_and_reimport(export: Export, workdir: Path, at: str, transform: bool, lose_local: bool = False) -> None:
    """Kill the import at `at`, check what the kill left, import again, compare with the clean import and the truth.

    `lose_local`: dlt's folder is gone before the rerun (a CI runner that keeps nothing between runs)."""
    shutil.copytree(export.template, workdir)
    reached = workdir / "crash-reached"
    env = harness.pipeline_env(workdir, CRASH_REACHED=str(reached))
    args = ["import-export", str(export.path), *([] if transform else ["--no-transform"])]
    database = workdir / "warehouse.duckdb"

    crashed = harness.run(args, env, crash_at=at)
    assert crashed.returncode == -9, f"the import was not killed at {at}: {harness.described(crashed)}"
    assert reached.exists()
    counts = play_key_counts(database)
    assert not set(counts) - export.play_keys, "the killed import landed plays that are not in the export"
    assert lost_and_doubled(export.play_keys, counts)[1] == 0, f"plays doubled by the import killed at {at}"
    if lose_local:
        shutil.rmtree(workdir / "pipelines")

    again = harness.run(args, env)
    assert again.returncode == 0, harness.described(again)

    lost, doubled = lost_and_doubled(export.play_keys, play_key_counts(database))
    assert (lost, doubled) == (0, 0), f"export_streams after a kill at {at}: {lost} plays lost, {doubled} doubled"
    difference = ws.compare(export.reference, ws.snapshot(database))
    assert not difference, f"differ from the clean import after a kill at {at}: {difference}"
    assert ws.duplicate_run_rows(database) == {"export_imports": 0, "extraction_runs": 0}
    if transform:
        rows = listening_history(database)
        assert len({row["play_id"] for row in rows}) == len(rows), "a play_id twice in listening_history"
        found, expected = actual_keys(rows), expected_keys(export.truth)
        missing, invented = expected - found, found - expected
        assert not missing and not invented, (
            f"listening_history after a kill at {at}: {len(rows)} plays, {len(export.truth)} in the truth; "
            f"missing {sum(missing.values())}: {list(missing)[:3]}; "
            f"extra {sum(invented.values())}: {list(invented)[:3]}"
        )


def point(at: str, *, transform: bool = False, lose_local: bool = False) -> Any:
    suffix = ("-dbt" if transform else "") + ("-fresh-runner" if lose_local else "")
    return pytest.param(at, transform, lose_local, id=f"{at}{suffix}")


# An import of this export: 6 files read, 4 load jobs (export_streams' staging parquet and its MERGE, export_imports,
# dlt's state; their order varies between runs, the MERGE comes after its staging insert), then dbt build.
CI_POINTS = [
    point("export_file:3"),  # half the files parsed, nothing extracted to disk for good yet
    point("load_job:4"),  # the last job committed, export_streams merged, the load not recorded
    point("dbt_model:listening_history", transform=True),  # built from the new plays, its tests not run yet
]
PARAMETERS = ("at", "transform", "lose_local")


@pytest.mark.parametrize(PARAMETERS, CI_POINTS)
def test_killed_import_then_reimport_equals_the_clean_import(
    export: Export, tmp_path: Path, at: str, transform: bool, lose_local: bool
) -> None:
    crash_and_reimport(export, tmp_path / "run", at, transform, lose_local)


SLOW_POINTS = [
    *[point(f"export_file:{n}") for n in (1, 5, 6)],
    point("normalized"),
    *[point(f"load_job:{n}") for n in (1, 2, 3)],
    point("load_job:3", lose_local=True),
    point("load_job:4", transform=True),
    point("export_file:2", transform=True),
    *[point(f"dbt_node:{n}", transform=True) for n in (5, 60, 140)],
]


@pytest.mark.slow
@pytest.mark.parametrize(PARAMETERS, SLOW_POINTS)
def test_killed_import_then_reimport_equals_the_clean_import_long(
    export: Export, tmp_path: Path, at: str, transform: bool, lose_local: bool
) -> None:
    crash_and_reimport(export, tmp_path / "run", at, transform, lose_local)
