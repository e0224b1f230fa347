"""`accounts remove NAME --delete-data` on BigQuery (`account_data.forget_in_bigquery`), on the emulator: one
person's rows leave every raw, staging, snapshot and final table in one transaction, the other person's stay.

The warehouse is this module's own: a two-person household demo (`demo --accounts 2`) in its own project of the
session's emulator, so the session warehouses other tests read are not touched. It is built without dbt's data and
unit tests (tests/bigquery/test_dbt_bigquery.py runs those): a failing one makes dbt skip the marts downstream of it,
and the deletion needs the tables (when this was written, the household build on the emulator failed the data test
`unique_int_playlists__current_playlist_id`, both people following the same playlist).

What the emulator does, said here rather than hidden: it runs `BEGIN TRANSACTION; ...; COMMIT TRANSACTION;` scripts
and rolls them back whole on an error (checked below), but binds no query parameter in a multi-statement script and
lists no child jobs, so the emulator path writes the two values into the script as checked literals and counts rows
before the deletion (`inline_values=True`; Google's BigQuery gets `@user_id`/`@pipeline_name`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as google_errors
from google.cloud import bigquery

import pipeline
from spotify_emulator.library import generate_household
from spotify_pipeline import account_data, transform
from tests.bigquery.conftest import DUMMY_TOKEN, BigQueryEmulator
from tests.bigquery.dbt_runs import release_dbt_duckdb, run_dbt

pytestmark = pytest.mark.filterwarnings("ignore:Cannot create BigQuery Storage client:UserWarning")

PROJECT = "forget-project"
SEED = 7
DATASETS = ("spotify_raw", "spotify_raw_staging", "spotify_snapshots", "spotify")


@dataclass(frozen=True)
class Household:
    """The built two-person warehouse: a client of its project, and who is who."""

    client: bigquery.Client
    gone: str  # person2's user id: the one deleted
    stays: str  # the default account's user id


@pytest.fixture(scope="module")
def household(
    bigquery_emulator: BigQueryEmulator, emulator_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Household]:
    folder = tmp_path_factory.mktemp("forget-bigquery")
    emulator = BigQueryEmulator(url=bigquery_emulator.url, project=PROJECT)
    env = {
        "SPOTIFY_DUCKDB": str(folder / "warehouse.duckdb"),
        "SPOTIFY_PIPELINES_DIR": str(folder / "pipelines"),
        "SPOTIFY_DESTINATION": "",
        "SPOTIFY_BIGQUERY_PROJECT": PROJECT,
        "SPOTIFY_BIGQUERY_TOKEN": DUMMY_TOKEN,
        "SPOTIFY_BIGQUERY_API_ENDPOINT": emulator.url,
        "SPOTIFY_BIGQUERY_LOCATION": "EU",
        "SPOTIFY_BIGQUERY_JOB_RETRIES": "0",
        **emulator.dlt_env(),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(transform, "DBT_PROJECT", emulator_project)
        demo = ["demo", "--profile", "small", "--seed", str(SEED), "--accounts", "2", "--destination", "bigquery"]
        try:
            assert pipeline.main([*demo, "--no-transform"]) == 0
        finally:
            release_dbt_duckdb()
    without_tests = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]
    build = run_dbt(without_tests, emulator_project, folder / "dbt-target", emulator.dbt_env())
    assert build.result.success, build.failures()
    first, second = (library.user.id for library in generate_household(SEED, "small", accounts=2))
    yield Household(emulator.client(), gone=second, stays=first)


def tables(client: bigquery.Client) -> dict[str, list[str]]:
    """Every table of the four datasets and its columns, from the tables API (not INFORMATION_SCHEMA, which the code
    under test reads): `dataset.table` -> column names."""
    found = {}
    for dataset in DATASETS:
        for item in client.list_tables(f"{PROJECT}.{dataset}"):
            if item.table_type == "TABLE":
                schema = client.get_table(f"{PROJECT}.{dataset}.{item.table_id}").schema
                found[f"{dataset}.{item.table_id}"] = [field.name for field in schema]
    return found


def person_column(table: str, columns: list[str]) -> str | None:
    if "user_id" in columns:
        return "user_id"
    if table.endswith(".users") and table.startswith("spotify_raw") and "id" in columns:
        return "id"
    return None


def counts(client: bigquery.Client, user_ids: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Rows per table: all of them (`*`), and those of each given person."""
    found: dict[str, dict[str, int]] = {}
    for table, columns in tables(client).items():
        column = person_column(table, columns)
        per_user = ", ".join(f"countif(`{column}` = '{user}')" for user in user_ids) if column else ""
        row = next(iter(client.query(f"select count(*) {', ' + per_user if per_user else ''} "
                                     f"from `{PROJECT}.{table}`").result()))  # fmt: skip
        found[table] = {"*": row[0], **({user: row[i + 1] for i, user in enumerate(user_ids)} if column else {})}
    return found


def pipelines(client: bigquery.Client) -> dict[str, int]:
    rows = client.query(f"select pipeline_name, count(*) from `{PROJECT}.spotify_raw._dlt_pipeline_state` group by 1")
    return {name: count for name, count in rows.result()}


class FailingBeforeCommit:
    """The client, with an error raised in the deletion script after its DELETEs and before its COMMIT."""

    def __init__(self, client: bigquery.Client) -> None:
        self._client = client
        self.scripts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, sql: str, **kwargs: Any) -> Any:
        if "COMMIT TRANSACTION;" in sql:
            sql = sql.replace("COMMIT TRANSACTION;", "SELECT ERROR('failed midway');\nCOMMIT TRANSACTION;")
            self.scripts.append(sql)
        return self._client.query(sql, **kwargs)


def test_the_household_is_two_people_with_rows_everywhere(household: Household) -> None:
    found = counts(household.client, (household.gone, household.stays))
    for table in ("spotify_raw.users", "spotify_raw.export_streams", "spotify_raw_staging.users",
                  "spotify_snapshots.saved_tracks_snapshot", "spotify.listening_history", "spotify.users"):  # fmt: skip
        assert found[table][household.gone] > 0, table
    assert found["spotify.listening_history"][household.stays] > 0
    assert {"spotify", "spotify_person2"} <= set(pipelines(household.client))


def test_a_deletion_that_fails_before_its_commit_deletes_nothing(household: Household) -> None:
    client = household.client
    before = counts(client, (household.gone, household.stays)), pipelines(client)
    failing = FailingBeforeCommit(client)
    with pytest.raises(google_errors.BadRequest, match="failed midway"):
        account_data.forget_in_bigquery(failing, household.gone, "spotify_person2", inline_values=True)  # type: ignore[arg-type]
    assert failing.scripts and failing.scripts[0].count("DELETE FROM") > 20, "the script ran no DELETEs"
    assert (counts(client, (household.gone, household.stays)), pipelines(client)) == before


def test_deleting_a_person_leaves_no_row_of_theirs_and_every_other_row(household: Household) -> None:
    client, gone = household.client, household.gone
    before = counts(client, (gone, household.stays))
    imports_of = {
        user: next(iter(client.query(
            f"select count(distinct import_id) from `{PROJECT}.spotify_raw.export_streams` where user_id = '{user}'"
        ).result()))[0]
        for user in (gone, household.stays)
    }  # fmt: skip
    state_before = pipelines(client)

    deleted = account_data.forget_in_bigquery(client, gone, "spotify_person2", inline_values=True)

    after = counts(client, (gone, household.stays))
    assert set(after) == set(before), "a table appeared or went"
    expected = {table: rows[gone] for table, rows in before.items() if rows.get(gone)}
    expected["spotify_raw.export_imports"] = imports_of[gone]
    assert deleted.rows == expected
    assert deleted.counted == "before the deletion"  # the emulator lists no child jobs
    assert deleted.state_rows == state_before["spotify_person2"] > 0
    removed = {**deleted.rows, "spotify_raw._dlt_pipeline_state": deleted.state_rows}
    for table, rows in after.items():
        assert rows.get(gone, 0) == 0, f"{table} still holds rows of {gone}"
        assert rows.get(household.stays) == before[table].get(household.stays), f"{table}: the other person's rows"
        assert rows["*"] == before[table]["*"] - removed.get(table, 0), f"{table}: rows of nobody changed"
    state_after = pipelines(client)
    assert "spotify_person2" not in state_after
    assert state_after == {name: n for name, n in state_before.items() if name != "spotify_person2"}
    assert after["spotify_raw.export_imports"]["*"] == imports_of[household.stays] > 0
