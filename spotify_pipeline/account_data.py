"""`accounts remove NAME --delete-data`: one person's rows out of every raw and final table, in one transaction.

A person's rows are the ones that carry their `user_id` (raw `users` by `id`), the data exports they imported
(`export_imports`, kept while another person's plays still name the same import), dlt's staging copies of their
last loaded rows, and their pipeline's dlt state,
so a login of the same name later starts from scratch instead of from a cursor whose rows are gone. Spotify's
catalog (tracks, artists, audio features, episodes) is shared by the household and belongs to nobody: it stays.
The staging schema holds views and seeds only: nothing of anyone's.

All of it is one transaction: a crash or an error leaves every row where it was. DuckDB only (see `forget`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spotify_source.errors import UserError

PERSONAL_SCHEMAS = ("spotify_raw", "spotify_raw_staging", "spotify_snapshots", "spotify")
"""The raw data; dlt's staging copy of the last load of each merged table (dlt keeps it until the table's next load:
a person's rows would outlive the deletion there); dbt's snapshots of the library (the `*_history` marts' source);
the final tables."""


class CannotDelete(UserError):
    """The rows cannot be deleted as asked (who the account is is unknown, or the warehouse cannot do it)."""

    exit_code = 2


@dataclass(frozen=True)
class Deleted:
    """What a deletion removed: rows per `schema.table`, and the dlt state rows of the account's pipeline."""

    rows: dict[str, int]
    state_rows: int


def personal_tables(connection: Any) -> list[tuple[str, str, str]]:
    """(schema, table, column naming the person) of every table holding someone's rows."""
    found = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "join information_schema.tables using (table_catalog, table_schema, table_name) "
        "where table_type = 'BASE TABLE' and table_catalog = current_database() and table_schema in ? "
        "and (column_name = 'user_id' or (table_name = 'users' and column_name = 'id' "
        "and table_schema in ('spotify_raw', 'spotify_raw_staging'))) order by 1, 2",
        [list(PERSONAL_SCHEMAS)],
    ).fetchall()
    return [(schema, table, column) for schema, table, column in found]


def forget_in_duckdb(database: Path, user_id: str, pipeline_name: str) -> Deleted:
    """Delete the person's rows and their pipeline's stored state from the DuckDB warehouse, all or nothing."""
    import duckdb

    rows: dict[str, int] = {}
    with duckdb.connect(str(database)) as connection:
        connection.execute("begin transaction")
        try:
            tables = personal_tables(connection)
            names = {(schema, table) for schema, table, _ in tables}
            if ("spotify_raw", "export_streams") in names and _has_table(connection, "spotify_raw", "export_imports"):
                # An import is someone's while only their plays name it (two people's plays never share one).
                rows["spotify_raw.export_imports"] = _count(connection.execute(
                    "delete from spotify_raw.export_imports where import_id in "
                    "(select import_id from spotify_raw.export_streams where user_id = $user) and import_id not in "
                    "(select import_id from spotify_raw.export_streams where user_id <> $user)",
                    {"user": user_id},
                ))  # fmt: skip
            for schema, table, column in tables:
                deleted = connection.execute(f'delete from {schema}."{table}" where "{column}" = ?', [user_id])
                rows[f"{schema}.{table}"] = _count(deleted)
            state_rows = 0
            if _has_table(connection, "spotify_raw", "_dlt_pipeline_state"):
                state_rows = _count(connection.execute(
                    "delete from spotify_raw._dlt_pipeline_state where pipeline_name = ?", [pipeline_name]
                ))  # fmt: skip
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
    return Deleted({name: count for name, count in rows.items() if count}, state_rows)


def forget_local_state(pipelines_dir: Path, pipeline_name: str) -> None:
    """dlt's working folder of the account's pipeline: its local state would otherwise outlive the rows."""
    shutil.rmtree(pipelines_dir / pipeline_name, ignore_errors=True)


def _has_table(connection: Any, schema: str, table: str) -> bool:
    return bool(connection.execute(
        "select 1 from information_schema.tables where table_catalog = current_database() and table_schema = ? "
        "and table_name = ?", [schema, table],
    ).fetchall())  # fmt: skip


def _count(cursor: Any) -> int:
    """Rows a DuckDB DELETE removed (it answers with one row holding the count)."""
    row = cursor.fetchone()
    return int(row[0]) if row else 0
