"""`accounts remove NAME --delete-data`: one person's rows out of every raw and final table, in one transaction.

A person's rows are the ones that carry their `user_id` (raw `users` by `id`), the data exports they imported
(`export_imports`, kept while another person's plays still name the same import), dlt's staging copies of their
last loaded rows, and their pipeline's dlt state,
so a login of the same name later starts from scratch instead of from a cursor whose rows are gone. Spotify's
catalog (tracks, artists, audio features, episodes) is shared by the household and belongs to nobody: it stays.
The staging schema holds views and seeds only: nothing of anyone's.

All of it is one transaction: a crash or an error leaves every row where it was. On DuckDB (`forget_in_duckdb`) one
connection's transaction; on BigQuery (`forget_in_bigquery`) one multi-statement script `BEGIN TRANSACTION; DELETE
...; COMMIT TRANSACTION;`, which BigQuery rolls back whole when any statement fails.
"""

from __future__ import annotations

import re
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
    counted: str = "as deleted"
    """How the counts were taken: "as deleted" (the DELETE statements' own counts) or, where the warehouse reports
    none (the BigQuery emulator's scripts), "before the deletion" (the rows the statements matched just before)."""


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


BIGQUERY_LITERAL = re.compile(r"[A-Za-z0-9._:@+-]{1,128}")
"""The values the emulator path (`forget_in_bigquery(inline_values=True)`) writes into its script as literals: Spotify
user ids and the pipelines' names are made of these; anything else is refused there rather than quoted."""

_USER, _PIPELINE = "forget_user_id", "forget_pipeline_name"
"""The script's variables holding the person and their pipeline: every statement names them, never a value."""


def bigquery_personal_tables(client: Any) -> tuple[list[tuple[str, str, str]], set[tuple[str, str]]]:
    """(dataset, table, column naming the person) of every BigQuery table holding someone's rows, as
    `personal_tables` finds them on DuckDB; and every base table of those datasets (export_imports, dlt's state).

    Read from each dataset's INFORMATION_SCHEMA (the emulator serves COLUMNS and TABLES too), in one query over the
    personal datasets that exist: a household that never imported an export or never built has fewer."""
    existing = {dataset.dataset_id for dataset in client.list_datasets()}
    datasets = [name for name in PERSONAL_SCHEMAS if name in existing]
    if not datasets:
        return [], set()
    sql = " UNION ALL ".join(
        f"SELECT '{name}' AS table_schema, t.table_name, c.column_name "
        f"FROM `{client.project}.{name}`.INFORMATION_SCHEMA.TABLES AS t "
        f"LEFT JOIN `{client.project}.{name}`.INFORMATION_SCHEMA.COLUMNS AS c "
        "ON c.table_name = t.table_name AND c.column_name IN ('user_id', 'id') "
        "WHERE t.table_type = 'BASE TABLE'"
        for name in datasets
    )
    personal: set[tuple[str, str, str]] = set()
    tables: set[tuple[str, str]] = set()
    for schema, table, column in client.query(sql).result():
        tables.add((schema, table))
        if column == "user_id" or (column == "id" and table == "users" and schema in PERSONAL_SCHEMAS[:2]):
            personal.add((schema, table, column))
    return sorted(personal), tables


def forget_in_bigquery(client: Any, user_id: str, pipeline_name: str, *, inline_values: bool = False) -> Deleted:
    """Delete the person's rows and their pipeline's stored state from the BigQuery datasets, all or nothing.

    The same rows as `forget_in_duckdb`, deleted by one multi-statement script `BEGIN TRANSACTION; DELETE ...;
    COMMIT TRANSACTION;`: BigQuery applies all of its DELETEs or, when any fails, none. The person and the pipeline
    reach the script as query parameters (`@user_id`, `@pipeline_name`), copied into script variables that every
    statement reads.

    `inline_values` is for the local BigQuery emulator (bqemulator) only: it runs the same transaction (it snapshots
    each table a DELETE touches and restores them all when a statement fails) but binds no query parameter in a
    multi-statement script ("Values were not provided for the following prepared statement parameters"). There the
    two values are written into the script's DECLAREs as string literals instead, after checking that they are made
    of the characters of `BIGQUERY_LITERAL` (so no quoting is needed); any other value is refused. Google's BigQuery
    always gets parameters.

    Rows per table come from the script's child jobs (one per statement, with `num_dml_affected_rows`), matched to
    their DELETE by the line each statement is on. Where there are none (the emulator lists no child jobs), the
    counts are those of the rows each DELETE matched just before the script ran (`Deleted.counted` says which):
    the run lock keeps runs from writing in between.
    """
    from google.cloud import bigquery

    tables, existing = bigquery_personal_tables(client)
    project = client.project
    deletes: list[tuple[str, str]] = []  # (dataset.table, the rows: FROM ... WHERE ...)
    names = {(schema, table) for schema, table, _ in tables}
    if ("spotify_raw", "export_streams") in names and ("spotify_raw", "export_imports") in existing:
        # An import is someone's while only their plays name it (two people's plays never share one).
        streams = f"`{project}.spotify_raw.export_streams`"
        deletes.append(("spotify_raw.export_imports", (
            f"FROM `{project}.spotify_raw.export_imports` WHERE import_id IN "
            f"(SELECT import_id FROM {streams} WHERE user_id = {_USER}) AND import_id NOT IN "
            f"(SELECT import_id FROM {streams} WHERE user_id <> {_USER})"
        )))  # fmt: skip
    for schema, table, column in tables:
        deletes.append((f"{schema}.{table}", f"FROM `{project}.{schema}.{table}` WHERE `{column}` = {_USER}"))
    state = "spotify_raw._dlt_pipeline_state"
    if ("spotify_raw", "_dlt_pipeline_state") in existing:
        deletes.append((state, f"FROM `{project}.{state}` WHERE pipeline_name = {_PIPELINE}"))
    if not deletes:
        return Deleted({}, 0)

    config = bigquery.QueryJobConfig()
    if inline_values:
        for value in (user_id, pipeline_name):
            if not BIGQUERY_LITERAL.fullmatch(value):
                raise CannotDelete(
                    f"{value!r} cannot be written into the BigQuery emulator's script (it binds no query "
                    "parameter there): only letters, digits and ._:@+- are. Nothing was deleted."
                )
        declare = [f"DECLARE {_USER} STRING DEFAULT '{user_id}';",
                   f"DECLARE {_PIPELINE} STRING DEFAULT '{pipeline_name}';"]  # fmt: skip
    else:
        config.query_parameters = [
            bigquery.ScalarQueryParameter("user_id", "STRING", user_id),
            bigquery.ScalarQueryParameter("pipeline_name", "STRING", pipeline_name),
        ]
        declare = [f"DECLARE {_USER} STRING DEFAULT @user_id;", f"DECLARE {_PIPELINE} STRING DEFAULT @pipeline_name;"]

    counting = " UNION ALL ".join(f"SELECT '{name}' AS name, COUNT(*) AS n {rows}" for name, rows in deletes)
    before: dict[str, int] = dict.fromkeys((name for name, _ in deletes), 0)
    for name, count in client.query("\n".join([*declare, counting + ";"]), job_config=config).result():
        before[name] += int(count)

    # One statement per line: a child job's line number tells which DELETE it was.
    script = [*declare, "BEGIN TRANSACTION;"]
    line_of: dict[int, str] = {}
    for name, rows in deletes:
        script.append(f"DELETE {rows};")
        line_of[len(script)] = name
    script.append("COMMIT TRANSACTION;")
    job = client.query("\n".join(script), job_config=config)
    job.result()

    rows, counted = _deleted_per_statement(client, job, line_of), "as deleted"
    if rows is None:
        rows, counted = before, "before the deletion"
    state_rows = rows.pop(state, 0)
    return Deleted({name: count for name, count in rows.items() if count}, state_rows, counted)


def _deleted_per_statement(client: Any, job: Any, line_of: dict[int, str]) -> dict[str, int] | None:
    """Rows each DELETE of the script removed, from its child jobs; None unless every DELETE has one."""
    rows: dict[str, int] = {}
    for child in client.list_jobs(parent_job=job.job_id):
        frames = getattr(getattr(child, "script_statistics", None), "stack_frames", None) or []
        if getattr(child, "statement_type", None) != "DELETE" or not frames:
            continue
        name = line_of.get(frames[0].start_line)
        if name is not None:
            rows[name] = rows.get(name, 0) + int(child.num_dml_affected_rows or 0)
    return rows if len(rows) == len(line_of) else None
