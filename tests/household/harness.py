"""A household against the emulator: N emulated people, each logged in as `auth --account NAME` would, loaded by
`python pipeline.py run` (in this process, as the dashboard tests build their warehouses) into warehouses of the
test's own, and what the final tables hold for each person.

Logins are made over HTTP by the emulator's PKCE helper and stored as `auth` stores them (tests/test_household_cli.py
drives `auth --account` itself, through its browser step).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipeline
from spotify_emulator import EmulatorServer
from spotify_pipeline.accounts import DEFAULT_ACCOUNT, account
from spotify_source.auth import LoginRecord, store_login
from tests.dashboard.conftest import release_dbt_connection
from tests.reliability.warehouse_state import RUN_VARYING, VARYING

NAMES = (DEFAULT_ACCOUNT, "bea", "cai")
"""Account i of the emulator is logged in as NAMES[i]: the first person without a name, as a single user is."""
LEFT_OUT = frozenset({"data_quality_warnings"})
"""Final tables not compared: dbt's own log of warnings, dated and numbered by the build that wrote it."""
SHARED_WORK = frozenset(
    {
        "api_requests",
        "artists_fetched",
        "audio_features_fetched",
        "is_batch_endpoints_available",
        "is_audio_features_available",
    }
)
"""Columns of `pipeline_runs` that must differ: together, the catalog one person's run fetched is not asked again
for the next (tests/household/together.py checks that it is asked less), whose run may then need no batch endpoint
nor audio features (and records that it did not ask)."""


@dataclass
class Household:
    """One emulator with several accounts and a folder of logins (`token-cache.json` and its named siblings)."""

    server: EmulatorServer
    logins: Path
    users: dict[str, str] = field(default_factory=dict)
    """Account name → Spotify user id."""

    def log_in(self, index: int) -> str:
        """Log in emulated account `index` as NAMES[index], as `auth [--account NAME]` does; its user id."""
        name = NAMES[index]
        tokens = self.server.login(account=index)
        user_id = self.server.control("GET", f"ground-truth?account={index}")["user"]["id"]
        cache = account(self.logins / "token-cache.json", name).cache_path
        record = LoginRecord(datetime.now(UTC), user_id, None, tuple(str(tokens.get("scope", "")).split()))
        store_login(cache, self.server.settings.accounts.client_id, tokens, record)
        self.users[name] = user_id
        return user_id

    def env(self, folder: Path, **extra: str) -> dict[str, str]:
        """What `run` reads: the emulator as Spotify, the logins' folder, a warehouse and dlt folder in `folder`."""
        return {
            "SOURCES__SPOTIFY__API_BASE_URL": self.server.api_url,
            "SOURCES__SPOTIFY__ACCOUNTS_BASE_URL": self.server.url,
            "SOURCES__SPOTIFY__CLIENT_ID": self.server.settings.accounts.client_id,
            "SOURCES__SPOTIFY__TOKEN_CACHE_PATH": str(self.logins / "token-cache.json"),
            "SPOTIFY_DUCKDB": str(folder / "warehouse.duckdb"),
            "SPOTIFY_PIPELINES_DIR": str(folder / "pipelines"),
            **extra,
        }

    def run(self, folder: Path, *arguments: str, **extra: str) -> int:
        """`python pipeline.py ARGUMENTS` against this household into `folder`, in this process; its exit code."""
        cwd = Path.cwd()
        with pytest.MonkeyPatch.context() as patch:
            for name in [n for n in os.environ if n.startswith("SOURCES__SPOTIFY__")]:
                patch.delenv(name)
            for name, value in self.env(folder, **extra).items():
                patch.setenv(name, value)
            try:
                return pipeline.main(list(arguments))
            finally:
                release_dbt_connection()
                os.chdir(cwd)


def start_household(accounts: int, logins: Path, *, mode: str = "extended", logged_in: int | None = None) -> Household:
    """An emulator serving `accounts` people (small libraries sharing one catalog), the first `logged_in` of them
    (default all) logged in under `logins`."""
    server = EmulatorServer(profile="small", mode=mode, accounts=accounts).start()
    household = Household(server, logins)
    for index in range(accounts if logged_in is None else logged_in):
        household.log_in(index)
    return household


def final_tables(database: Path) -> dict[str, list[str]]:
    """Every final table (schema `spotify`) and its compared columns (what differs between runs by design left out)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema = 'spotify' group by table_name order by table_name"
        ).fetchall()
    return {
        table: [column for column in columns if column not in VARYING | RUN_VARYING | SHARED_WORK]
        for table, columns in found
        if table not in LEFT_OUT
    }


def final_rows(database: Path, user_id: str | None) -> dict[str, Counter[tuple[Any, ...]]]:
    """The rows of each final table: of the person `user_id` where the table names a person, all rows otherwise
    (the shared catalog), as multisets. `user_id=None`: the person-less tables only."""
    found: dict[str, Counter[tuple[Any, ...]]] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("SET TimeZone='UTC'")
        for table, columns in final_tables(database).items():
            select = ", ".join(f'"{column}"' for column in columns)
            if "user_id" in columns:
                if user_id is None:
                    continue
                rows = connection.execute(f'select {select} from spotify."{table}" where user_id = ?', [user_id])
            elif user_id is None:
                rows = connection.execute(f'select {select} from spotify."{table}"')
            else:
                continue
            found[table] = Counter(_neutral(row) for row in rows.fetchall())
    return found


def _neutral(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Image URLs name the emulator's port; two runs of one emulator share it, but keep rows comparable anyway."""
    return tuple(value.split("/_emulator/", 1)[-1] if isinstance(value, str) else value for value in row)


def differences(expected: dict[str, Counter[Any]], actual: dict[str, Counter[Any]]) -> list[str]:
    """Per table, rows missing and rows in excess (empty when equal), for an assertion message."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table, Counter()), actual.get(table, Counter())
        missing, extra = want - got, got - want
        if missing or extra:
            example = next(iter(missing or extra))
            problems.append(
                f"{table}: {sum(missing.values())} missing, {sum(extra.values())} in excess, e.g. {example}"
            )
    return problems


def fetched(database: Path) -> tuple[int, int, int]:
    """What the runs in the warehouse asked Spotify for, summed: requests, full artists, audio features."""
    with duckdb.connect(str(database), read_only=True) as connection:
        (found,) = connection.execute(
            "select [sum(api_requests), sum(artists_fetched), sum(audio_features_fetched)] from spotify.pipeline_runs"
        ).fetchone()
    return tuple(int(value or 0) for value in found)


def person_rows_anywhere(database: Path, user_id: str) -> dict[str, int]:
    """Rows naming the person in any table of the warehouse (raw, staging, final): what a deletion must leave at 0."""
    found = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "join information_schema.tables using (table_catalog, table_schema, table_name) "
            "where table_type = 'BASE TABLE' and column_name in ('user_id', 'id') and table_schema like 'spotify%'"
        ).fetchall()
        for schema, table, column in columns:
            (count,) = connection.execute(
                f'select count(*) from {schema}."{table}" where cast("{column}" as varchar) = ?', [user_id]
            ).fetchone()
            if count:
                found[f"{schema}.{table}"] = count
    return found
