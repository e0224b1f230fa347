"""`accounts remove NAME --delete-data`: no row of the person is left, every other row is exactly as it was, all in
one transaction; and the household goes on without them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from spotify_emulator.export import write_extended_export
from spotify_pipeline import account_data
from tests.household.harness import Household, person_rows_anywhere, start_household
from tests.reliability.warehouse_state import fingerprint, snapshot

SCHEMAS = ("spotify_raw", "spotify")


@pytest.fixture
def household(tmp_path: Path) -> Household:
    started = start_household(2, tmp_path / "logins")
    yield started
    started.server.stop()


def loaded(household: Household, tmp_path: Path) -> Path:
    """Both people's API data and the second person's data export (`import-export --account bea`), built."""
    folder = tmp_path / "warehouse"
    assert household.run(folder, "run", "--no-transform") == 0
    export = write_extended_export(household.server.state.libraries[1], tmp_path / "export", field_version="mixed")
    assert household.run(folder, "import-export", str(export), "--account", "bea") == 0
    return folder / "warehouse.duckdb"


def everything_but(database: Path, user_id: str) -> dict[str, Counter[tuple]]:
    """Every row of the raw and final tables (and the run logs) that does not name the person; `export_imports`
    (whose rows name no person, and whose import id the snapshot leaves out) as the imports of someone else."""
    kept = {}
    for table, rows in snapshot(database, SCHEMAS, run_logs=True).items():
        kept[table] = Counter(row for row in rows if user_id not in row)
    with duckdb.connect(str(database), read_only=True) as connection:
        (others,) = connection.execute(
            "select count(*) from spotify_raw.export_imports where import_id in "
            "(select import_id from spotify_raw.export_streams where user_id <> ?)",
            [user_id],
        ).fetchone()
    kept["spotify_raw.export_imports"] = Counter({"imports of others": others})
    return kept


def compared(database: Path) -> dict[str, Counter[tuple]]:
    found = {table: Counter(rows) for table, rows in snapshot(database, SCHEMAS, run_logs=True).items()}
    found["spotify_raw.export_imports"] = Counter({"imports of others": len(found["spotify_raw.export_imports"])})
    return found


def test_removing_an_account_with_its_data_leaves_no_row_of_it_and_every_other_row(
    household: Household, tmp_path: Path
) -> None:
    database = loaded(household, tmp_path)
    gone, stays = household.users["bea"], household.users["default"]
    assert person_rows_anywhere(database, gone).get("spotify_raw.export_streams"), "the export was not bea's"
    expected = everything_but(database, gone)
    cache = household.logins / "token-cache.bea.json"
    assert cache.exists()

    assert household.run(tmp_path / "warehouse", "accounts", "remove", "bea", "--delete-data") == 0

    assert person_rows_anywhere(database, gone) == {}
    assert snapshot(database, SCHEMAS, run_logs=True) == {
        t: sorted(r.elements(), key=repr) for t, r in expected.items()
    }
    with duckdb.connect(str(database), read_only=True) as connection:
        pipelines = {row[0] for row in connection.execute(
            "select distinct pipeline_name from spotify_raw._dlt_pipeline_state").fetchall()}  # fmt: skip
    assert "spotify_bea" not in pipelines and {"spotify", "spotify_export"} <= pipelines
    assert not cache.exists() and not (tmp_path / "warehouse" / "pipelines" / "spotify_bea").exists()

    # The household goes on: the next run loads the one person left and builds without them.
    assert household.run(tmp_path / "warehouse", "run") == 0
    assert person_rows_anywhere(database, gone) == {}
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("select list(user_id) from spotify.users").fetchone()[0] == [stays]


def test_a_deletion_that_fails_midway_deletes_nothing(
    household: Household, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = loaded(household, tmp_path)
    before = fingerprint(database)
    real = account_data.personal_tables

    def and_one_that_fails(connection: object) -> list[tuple[str, str, str]]:
        return [*real(connection), ("spotify", "no_such_table", "user_id")]

    monkeypatch.setattr(account_data, "personal_tables", and_one_that_fails)
    with pytest.raises(duckdb.CatalogException):
        account_data.forget_in_duckdb(database, household.users["bea"], "spotify_bea")
    assert fingerprint(database) == before
    assert person_rows_anywhere(database, household.users["bea"])
