"""Exports written by the emulator's generator from its ground-truth history, imported through `pipeline.main`.

The raw table is compared with the truth play by play: every extended play is there at its second with its URI, its
largest `ms_played`, content type and `skipped` (the generator's repeated `(ts, uri)` rows are kept as rows; dbt
folds them into one play), and nothing else; every account-data row is there once, repeats in one minute included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from spotify_emulator.export import (
    expected_listening_history,
    full_history,
    write_account_export,
    write_extended_export,
)
from spotify_emulator.library import Library, generate

SEED = 3


@pytest.fixture(scope="module")
def library() -> Library:
    return generate(SEED, "small")


def extended_groups(warehouse: Path) -> dict[tuple, tuple]:
    """Extended rows grouped by play (second, URI): largest ms_played, content types, `skipped` values."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("SET TimeZone='UTC'")
        rows = connection.execute(
            "select ended_at, coalesce(track_uri, episode_uri, audiobook_chapter_uri), ms_played, content_type, "
            "skipped from spotify_raw.export_streams where export_kind = 'extended'"
        ).fetchall()
    groups: dict[tuple, tuple] = {}
    for ended, uri, ms, content_type, skipped in rows:
        most, types, skips = groups.get((ended, uri), (0, [], []))
        groups[(ended, uri)] = (max(most, ms), sorted({*types, content_type}), sorted({*skips, skipped}, key=str))
    return groups


def expected_extended(library: Library, version: str, rows_per_file: int = 12_000) -> dict[tuple, tuple]:
    truth = expected_listening_history(
        library, extended=(None, None), api=False, extended_field_version=version, extended_rows_per_file=rows_per_file
    )
    return {(p["played_at"], p["uri"]): (p["ms_played"], [p["content_type"]], [p["skipped"]]) for p in truth}


@pytest.mark.parametrize(("version", "packaging"), [("legacy", "zip"), ("2024", "folder"), ("2025", "zip"),
                                                    ("mixed", "folder")])  # fmt: skip
def test_extended_export_of_every_field_version_lands_every_play(
    tmp_path: Path, cli: Callable, library: Library, version: str, packaging: str
) -> None:
    path = write_extended_export(library, tmp_path / "export", field_version=version, packaging=packaging,
                                 rows_per_file=60)  # fmt: skip
    code, out, err = cli("import-export", str(path), "--no-transform")
    assert code == 0, err
    expected = expected_extended(library, version, rows_per_file=60)
    assert extended_groups(tmp_path / "warehouse.duckdb") == expected
    if version != "legacy":
        assert "video" in {types[0] for _, types, _ in expected.values()}

    code, out, _ = cli("import-export", str(path), "--no-transform")
    assert code == 0 and "(+0)" in out


def test_overlapping_extended_exports_add_up_to_the_whole_history(
    tmp_path: Path, cli: Callable, library: Library
) -> None:
    history = full_history(library)
    middle = history[len(history) // 2].ended_at
    older = write_extended_export(library, tmp_path / "old.zip", until=middle + timedelta(days=3))
    newer = write_extended_export(library, tmp_path / "new.zip", since=middle - timedelta(days=3))
    assert cli("import-export", str(older), "--no-transform")[0] == 0
    assert cli("import-export", str(newer), "--no-transform")[0] == 0
    assert extended_groups(tmp_path / "warehouse.duckdb") == expected_extended(library, "2024")


@pytest.mark.parametrize("legacy", [False, True])
def test_account_export_lands_every_row_repeats_included(
    tmp_path: Path, cli: Callable, library: Library, legacy: bool
) -> None:
    path = write_account_export(library, tmp_path / "account.zip", legacy=legacy, rows_per_file=50)
    code, _, err = cli("import-export", str(path), "--no-transform")
    assert code == 0, err
    truth = expected_listening_history(library, account=(None, None), api=False, account_legacy=legacy)
    expected = Counter(
        (p["played_at"], p["content_type"], p["ms_played"], p["track_name"] or p["episode_name"] or p["chapter_title"])
        for p in truth
    )
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        connection.execute("SET TimeZone='UTC'")
        rows = connection.execute(
            "select ended_at, content_type, ms_played, coalesce(track_name, episode_name, audiobook_chapter_title) "
            "from spotify_raw.export_streams where export_kind = 'account'"
        ).fetchall()
    assert Counter(rows) == expected
    assert max(expected.values()) >= 2  # the history has repeats within one minute, and they stayed apart
