"""One person's failure is theirs alone: a rate limit past the cap or an expired login in one account leaves the
other accounts' data complete and their state where it was, and the next run completes the failed account."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.household.harness import Household, start_household
from tests.reliability.warehouse_state import stored_state

NEW_PLAYS = 5


@pytest.fixture
def household(tmp_path: Path) -> Household:
    started = start_household(2, tmp_path / "logins")
    yield started
    started.server.stop()


def plays_of(database: Path, user_id: str) -> tuple[int, int]:
    """Raw plays of the person, and final `listening_history` rows (dbt built for everyone)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        raw = connection.execute("select count(*) from spotify_raw.recently_played where user_id = ?", [user_id])
        (raw_count,) = raw.fetchone()
        (built,) = connection.execute(
            "select count(*) from spotify.listening_history where user_id = ?", [user_id]
        ).fetchone()
    return raw_count, built


def person_rows(database: Path, user_id: str, like: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The person's rows per raw table, sorted, over the columns each table had then (`like`: the columns of an
    earlier call; a later run of someone else may add a column, which changes no row of theirs)."""
    found = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema = 'spotify_raw' group by 1 having list_contains(list(column_name), 'user_id')"
        ).fetchall()
        for table, columns in sorted(tables):
            kept = (like or {}).get(f"{table} columns", columns)
            select = ", ".join(f'"{column}"' for column in kept)
            rows = connection.execute(f'select {select} from spotify_raw."{table}" where user_id = ?', [user_id])
            found[table] = sorted(map(repr, rows.fetchall()))
            found[f"{table} columns"] = kept
    return found


@pytest.mark.parametrize("fault", ["rate limit past the cap", "expired login"])
def test_a_fault_in_one_account_leaves_the_other_complete(
    household: Household, tmp_path: Path, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server, folder = household.server, tmp_path / "warehouse"
    database = folder / "warehouse.duckdb"
    first, second = household.users["default"], household.users["bea"]
    assert household.run(folder, "run") == 0
    for index in (0, 1):
        server.control("POST", "plays", {"count": NEW_PLAYS, "account": index})
    before = plays_of(database, first)
    untouched = person_rows(database, second), stored_state(database, "spotify_bea")
    capsys.readouterr()

    extra = {}
    if fault == "expired login":
        server.control("POST", "tokens/revoke-refresh", {"account": 1})
        server.control("POST", "tokens/expire-access", {"account": 1})
        expected_code = 3
    else:
        server.control("POST", "faults", {"quota_exceeded": True, "quota_retry_after": 86400, "accounts": [1]})
        extra["SOURCES__SPOTIFY__MAX_RETRY_AFTER_SECONDS"] = "5"
        expected_code = 4
    code = household.run(folder, "run", **extra)
    out = capsys.readouterr().out

    assert code == expected_code, out
    assert re.search(rf"^  bea +NOT loaded, exit code {expected_code}: ", out, re.MULTILINE), out
    assert re.search(rf"^  default +loaded \(Spotify user {first}\)$", out, re.MULTILINE), out
    # The other person: every new play loaded and built, although the failing account ran after it.
    assert plays_of(database, first) == (before[0] + NEW_PLAYS, before[1] + NEW_PLAYS)
    # The failing person: rows and stored state exactly as before the run.
    assert (person_rows(database, second, untouched[0]), stored_state(database, "spotify_bea")) == untouched
    if fault == "expired login":
        assert "python pipeline.py auth --account bea" in out, out
        household.log_in(1)
    else:
        server.control("POST", "faults", {"quota_exceeded": False, "accounts": None})

    # The next run completes the failed account, and loads nothing twice.
    second_before = plays_of(database, second)
    assert household.run(folder, "run") == 0
    assert plays_of(database, second) == (second_before[0] + NEW_PLAYS, second_before[1] + NEW_PLAYS)
    assert plays_of(database, first) == (before[0] + NEW_PLAYS, before[1] + NEW_PLAYS)
