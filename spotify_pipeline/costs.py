"""`python pipeline.py costs`: what the warehouse stores and what its queries bill, against BigQuery's free tier.

Shaped as (fetch rows) → (pure report logic on rows) so that the logic is tested on rows of the documented schema
of BigQuery's views, which no emulator serves, and so that the dashboard can reuse it: this module imports neither
`pipeline` nor `spotify_source`, and importing it has no side effects (Google's client is imported inside the
fetch functions only).

BigQuery (one project, the location of the datasets):
- storage per dataset and table: `region-<location>`.INFORMATION_SCHEMA.TABLE_STORAGE (columns used: table_schema
  STRING, table_name STRING, total_rows INT64, total_logical_bytes INT64, long_term_logical_bytes INT64, deleted
  BOOL); where that view is refused, each dataset's INFORMATION_SCHEMA.PARTITIONS (table_schema, table_name,
  partition_id, total_rows, total_logical_bytes, storage_tier), summed per table.
- bytes billed this month: `region-<location>`.INFORMATION_SCHEMA.JOBS_BY_PROJECT (job_id STRING, creation_time
  TIMESTAMP, user_email STRING, job_type STRING, total_bytes_billed INT64, cache_hit BOOL), filtered on its
  partition column creation_time; where refused, the jobs API (jobs.list with all users) gives the same fields.
- free tier (per billing account, shared by all its projects): 10 GiB of storage, 1 TiB of queries a month.
  The month's query bytes are projected linearly to the month's end by elapsed days.

DuckDB: the file's size and the rows of every table and view of spotify_raw, spotify_staging and spotify.

Exit codes of `costs`: 0 within the free tier (a warning at --warn-at percent still exits 0), 1 the figures could
not be read, 2 not configured, 6 above the free tier now (storage or this month's query bytes).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIB = 1024**3
TIB = 1024**4
FREE_STORAGE_BYTES = 10 * GIB  # "The first 10 GiB of storage per month is free" (BigQuery pricing)
FREE_QUERY_BYTES = 1 * TIB  # "The first 1 TiB of query data processed per month is free"
DATASETS = ("spotify_raw", "spotify_staging", "spotify")
EXIT_OK, EXIT_FAILED, EXIT_ABOVE_FREE_TIER = 0, 1, 6
DEFAULT_WARN_AT = 80.0
DEFAULT_MAX_BYTES_BILLED = 1_000_000_000  # 1 GB per query of the report, as the dashboard's default cap


class CostsUnavailable(Exception):
    """The figures could not be read (no permission, no warehouse): a cost check that cannot see must say so."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True)
class TableStorage:
    dataset: str
    table: str
    rows: int
    logical_bytes: int
    long_term_bytes: int = 0


@dataclass(frozen=True)
class QueryJob:
    job_id: str
    created_at: dt.datetime
    user_email: str | None
    bytes_billed: int
    cache_hit: bool = False


@dataclass(frozen=True)
class BigQueryCostReport:
    project: str
    location: str
    now: dt.datetime
    tables: Sequence[TableStorage]
    jobs: Sequence[QueryJob]
    warn_at: float = DEFAULT_WARN_AT
    storage_source: str = "INFORMATION_SCHEMA.TABLE_STORAGE"
    jobs_source: str = "INFORMATION_SCHEMA.JOBS_BY_PROJECT"

    @property
    def month_start(self) -> dt.datetime:
        return month_window(self.now)[0]

    @property
    def storage_bytes(self) -> int:
        return sum(table.logical_bytes for table in self.tables)

    @property
    def bytes_billed(self) -> int:
        return sum(job.bytes_billed for job in self.jobs if job.created_at >= self.month_start)

    @property
    def projected_bytes_billed(self) -> int:
        return project_to_month_end(self.bytes_billed, self.now)

    @property
    def shares(self) -> dict[str, float]:
        """Percent of the free tier: storage now, queries so far this month, queries projected to month end."""
        return {
            "storage": 100.0 * self.storage_bytes / FREE_STORAGE_BYTES,
            "queries": 100.0 * self.bytes_billed / FREE_QUERY_BYTES,
            "queries projected": 100.0 * self.projected_bytes_billed / FREE_QUERY_BYTES,
        }

    @property
    def above_free_tier(self) -> list[str]:
        """What is above the free tier now (a projection alone only warns: the month may still go differently)."""
        shares = self.shares
        return [name for name in ("storage", "queries") if shares[name] > 100.0]

    @property
    def warnings(self) -> list[str]:
        messages = []
        for name, share in self.shares.items():
            if name in self.above_free_tier:
                messages.append(f"{name}: {share:.1f}% of the free tier, above it: BigQuery bills the excess")
            elif share >= self.warn_at:
                messages.append(f"{name}: {share:.1f}% of the free tier (warning at {self.warn_at:g}%)")
        return messages

    @property
    def exit_code(self) -> int:
        return EXIT_ABOVE_FREE_TIER if self.above_free_tier else EXIT_OK

    def datasets(self) -> dict[str, tuple[int, int]]:
        """Dataset -> (rows, logical bytes)."""
        totals: dict[str, tuple[int, int]] = {}
        for table in self.tables:
            rows, size = totals.get(table.dataset, (0, 0))
            totals[table.dataset] = (rows + table.rows, size + table.logical_bytes)
        return dict(sorted(totals.items()))


def month_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The UTC calendar month holding `now`: [first instant, first instant of the next month)."""
    now = now.astimezone(dt.UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def project_to_month_end(bytes_so_far: int, now: dt.datetime) -> int:
    """Linear by elapsed days: the rate so far times the month's days. The first day counts as a whole day, so a
    morning's few queries are not multiplied into an alarm."""
    start, end = month_window(now)
    elapsed_days = max((now.astimezone(dt.UTC) - start) / dt.timedelta(days=1), 1.0)
    return round(bytes_so_far * ((end - start) / dt.timedelta(days=1)) / elapsed_days)


def _value(row: Mapping[str, Any], name: str) -> Any:
    """A column by its documented name; INFORMATION_SCHEMA spells names in either case depending on the client."""
    if name in row:
        return row[name]
    return row.get(name.upper())


def storage_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[TableStorage]:
    """Rows of INFORMATION_SCHEMA.TABLE_STORAGE (deleted tables and other datasets left out)."""
    tables = []
    for row in rows:
        if _value(row, "deleted") or _value(row, "table_schema") not in DATASETS:
            continue
        tables.append(
            TableStorage(
                dataset=str(_value(row, "table_schema")),
                table=str(_value(row, "table_name")),
                rows=int(_value(row, "total_rows") or 0),
                logical_bytes=int(_value(row, "total_logical_bytes") or 0),
                long_term_bytes=int(_value(row, "long_term_logical_bytes") or 0),
            )
        )
    return sorted(tables, key=lambda t: (t.dataset, t.table))


def storage_from_partition_rows(rows: Iterable[Mapping[str, Any]]) -> list[TableStorage]:
    """Rows of a dataset's INFORMATION_SCHEMA.PARTITIONS (one per partition), summed per table."""
    totals: dict[tuple[str, str], TableStorage] = {}
    for row in rows:
        key = (str(_value(row, "table_schema")), str(_value(row, "table_name")))
        if key[0] not in DATASETS:
            continue
        size = int(_value(row, "total_logical_bytes") or 0)
        before = totals.get(key, TableStorage(*key, rows=0, logical_bytes=0))
        totals[key] = TableStorage(
            *key,
            rows=before.rows + int(_value(row, "total_rows") or 0),
            logical_bytes=before.logical_bytes + size,
            long_term_bytes=before.long_term_bytes + (size if _value(row, "storage_tier") == "LONG_TERM" else 0),
        )
    return [totals[key] for key in sorted(totals)]


def jobs_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[QueryJob]:
    """Rows of INFORMATION_SCHEMA.JOBS_BY_PROJECT (query jobs only; a null total_bytes_billed bills nothing)."""
    jobs = []
    for row in rows:
        if (_value(row, "job_type") or "QUERY") != "QUERY":
            continue
        created = _value(row, "creation_time")
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created)
        jobs.append(
            QueryJob(
                job_id=str(_value(row, "job_id")),
                created_at=created.astimezone(dt.UTC),
                user_email=_value(row, "user_email"),
                bytes_billed=int(_value(row, "total_bytes_billed") or 0),
                cache_hit=bool(_value(row, "cache_hit")),
            )
        )
    return jobs


# --- SQL (shared with the dashboard, which runs it under its bytes-billed cap) ---


def region(location: str) -> str:
    """`region-eu` for location EU: the qualifier of the project-wide INFORMATION_SCHEMA views."""
    cleaned = location.strip().lower()
    if not cleaned.replace("-", "").isalnum():
        raise ValueError(f"not a BigQuery location: {location!r}")
    return f"region-{cleaned}"


def table_storage_sql(project: str, location: str) -> str:
    names = ", ".join(f"'{dataset}'" for dataset in DATASETS)
    return (
        "select table_schema, table_name, total_rows, total_logical_bytes, long_term_logical_bytes, deleted\n"
        f"from `{project}`.`{region(location)}`.INFORMATION_SCHEMA.TABLE_STORAGE\n"
        f"where table_schema in ({names})"
    )


def partitions_sql(project: str, dataset: str) -> str:
    if dataset not in DATASETS:
        raise ValueError(f"not a dataset of this warehouse: {dataset!r}")
    return (
        "select table_schema, table_name, partition_id, total_rows, total_logical_bytes, storage_tier\n"
        f"from `{project}.{dataset}`.INFORMATION_SCHEMA.PARTITIONS"
    )


def jobs_sql(project: str, location: str) -> str:
    """This month's query jobs; `@month_start` filters the view's partition column, so only the month is read."""
    return (
        "select job_id, creation_time, user_email, job_type, total_bytes_billed, cache_hit\n"
        f"from `{project}`.`{region(location)}`.INFORMATION_SCHEMA.JOBS_BY_PROJECT\n"
        "where creation_time >= @month_start and job_type = 'QUERY'"
    )


# --- fetching (BigQuery) ---


@dataclass
class Fetched:
    rows: list[TableStorage] | list[QueryJob]
    source: str
    notes: list[str] = field(default_factory=list)


def _capped(max_bytes_billed: int, **options: Any) -> Any:
    """Every query of the report carries a bytes-billed cap (INFORMATION_SCHEMA views bill at least 10 MB each)."""
    from google.cloud import bigquery

    return bigquery.QueryJobConfig(maximum_bytes_billed=max_bytes_billed, labels={"app": "spotify-costs"}, **options)


def fetch_storage(
    client: Any, project: str, location: str, max_bytes_billed: int = DEFAULT_MAX_BYTES_BILLED
) -> Fetched:
    """Storage per table: the project-wide TABLE_STORAGE view, else each dataset's PARTITIONS view (which needs
    only read access to the dataset, not bigquery.tables.list on the whole project)."""
    from google.api_core import exceptions as google_errors

    try:
        rows = client.query(table_storage_sql(project, location), job_config=_capped(max_bytes_billed)).result()
        return Fetched(storage_from_rows(dict(row.items()) for row in rows), "INFORMATION_SCHEMA.TABLE_STORAGE")
    except google_errors.GoogleAPICallError as exc:
        note = f"TABLE_STORAGE refused ({_first_line(exc)}); read each dataset's PARTITIONS view instead"
    partitions: list[dict[str, Any]] = []
    notes = [note]
    for dataset in DATASETS:
        try:
            job = client.query(partitions_sql(project, dataset), job_config=_capped(max_bytes_billed))
            partitions += [dict(row.items()) for row in job.result()]
        except google_errors.NotFound as exc:
            notes.append(f"{dataset}: {_first_line(exc)}")
            continue
        except google_errors.GoogleAPICallError as exc:
            raise CostsUnavailable(f"cannot read the storage of {project}.{dataset}: {_first_line(exc)}") from None
    return Fetched(storage_from_partition_rows(partitions), "INFORMATION_SCHEMA.PARTITIONS", notes)


def fetch_jobs(
    client: Any, project: str, location: str, month_start: dt.datetime, max_bytes_billed: int = DEFAULT_MAX_BYTES_BILLED
) -> Fetched:
    """This month's query jobs: the JOBS_BY_PROJECT view, else the jobs API (needs the same permission)."""
    from google.api_core import exceptions as google_errors
    from google.cloud import bigquery

    config = _capped(
        max_bytes_billed, query_parameters=[bigquery.ScalarQueryParameter("month_start", "TIMESTAMP", month_start)]
    )
    try:
        rows = client.query(jobs_sql(project, location), job_config=config).result()
        return Fetched(jobs_from_rows(dict(row.items()) for row in rows), "INFORMATION_SCHEMA.JOBS_BY_PROJECT")
    except google_errors.GoogleAPICallError as exc:
        note = f"JOBS_BY_PROJECT refused ({_first_line(exc)}); listed the jobs through the API instead"
    try:
        listed = client.list_jobs(project=project, all_users=True, min_creation_time=month_start)
        rows = [
            {
                "job_id": job.job_id,
                "creation_time": job.created,
                "user_email": job.user_email,
                "job_type": job.job_type.upper(),
                "total_bytes_billed": getattr(job, "total_bytes_billed", None),
                "cache_hit": getattr(job, "cache_hit", None),
            }
            for job in listed
            if job.created is not None
        ]
    except google_errors.GoogleAPICallError as exc:
        raise CostsUnavailable(
            "cannot read this month's query jobs: the account needs BigQuery Resource Viewer (or another role "
            f"with bigquery.jobs.listAll) on the project. BigQuery said: {_first_line(exc)}"
        ) from None
    return Fetched(jobs_from_rows(rows), "jobs.list (jobs API)", [note])


def bigquery_report(
    client: Any,
    project: str,
    location: str,
    now: dt.datetime,
    warn_at: float = DEFAULT_WARN_AT,
    max_bytes_billed: int = DEFAULT_MAX_BYTES_BILLED,
) -> BigQueryCostReport:
    storage = fetch_storage(client, project, location, max_bytes_billed)
    jobs = fetch_jobs(client, project, location, month_window(now)[0], max_bytes_billed)
    return BigQueryCostReport(
        project=project,
        location=location,
        now=now,
        tables=storage.rows,  # type: ignore[arg-type]
        jobs=jobs.rows,  # type: ignore[arg-type]
        warn_at=warn_at,
        storage_source=storage.source,
        jobs_source=jobs.source,
    )


# --- DuckDB ---


@dataclass(frozen=True)
class DuckDBCostReport:
    path: Path
    file_bytes: int
    tables: Sequence[TableStorage]  # logical_bytes unknown per table in DuckDB: 0

    exit_code = EXIT_OK


def duckdb_report(path: Path) -> DuckDBCostReport:
    """The file's size (with its write-ahead log) and the rows of every table and view of the three schemas."""
    import duckdb

    if not path.is_file():
        raise CostsUnavailable(f"no warehouse at {path}: run `python pipeline.py` (or `demo`) first")
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists())
    names = ", ".join(f"'{dataset}'" for dataset in DATASETS)
    with duckdb.connect() as connection:
        connection.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as w (read_only)")
        listed = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_catalog = 'w' and table_schema in ({names}) order by 1, 2"
        ).fetchall()
        count = 'select count(*) from w."{}"."{}"'
        tables = [
            TableStorage(schema, table, connection.execute(count.format(schema, table)).fetchone()[0], 0)
            for schema, table in listed
        ]
    return DuckDBCostReport(path, size, tables)


# --- rendering ---


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} TiB"


def render_bigquery(report: BigQueryCostReport) -> str:
    shares = report.shares
    lines = [
        f"BigQuery project {report.project} ({report.location}), {report.now:%Y-%m-%d %H:%M} UTC",
        f"Storage (logical, from {report.storage_source}):",
    ]
    for dataset, (rows, size) in report.datasets().items():
        lines.append(f"  {dataset:30} {rows:>12,} rows {human_bytes(size):>12}")
        for table in (t for t in report.tables if t.dataset == dataset):
            lines.append(f"    {table.table:28} {table.rows:>12,} rows {human_bytes(table.logical_bytes):>12}")
    billed, projected = report.bytes_billed, report.projected_bytes_billed
    billed_jobs = sum(1 for job in report.jobs if job.created_at >= report.month_start)
    lines += [
        f"  total {human_bytes(report.storage_bytes)} of {human_bytes(FREE_STORAGE_BYTES)} free: "
        f"{shares['storage']:.2f}%",
        f"Queries since {report.month_start:%Y-%m-%d} (from {report.jobs_source}): {billed_jobs} jobs, "
        f"{human_bytes(billed)} billed of {human_bytes(FREE_QUERY_BYTES)} free: {shares['queries']:.2f}%",
        f"  projected to the month's end: {human_bytes(projected)}, {shares['queries projected']:.2f}%",
        "The free tier belongs to the billing account: other projects on it share these 10 GiB and 1 TiB.",
    ]
    return "\n".join(lines)


def render_duckdb(report: DuckDBCostReport) -> str:
    lines = [f"DuckDB file {report.path}: {human_bytes(report.file_bytes)} (local: no cloud costs)"]
    for dataset in DATASETS:
        tables = [t for t in report.tables if t.dataset == dataset]
        if tables:
            lines.append(f"  {dataset}: {sum(t.rows for t in tables):,} rows")
            lines += [f"    {t.table:34} {t.rows:>12,}" for t in tables]
    return "\n".join(lines)


def command(
    destination: str, *, warn_at: float = DEFAULT_WARN_AT, duckdb_path: Path, now: dt.datetime | None = None
) -> int:
    """`python pipeline.py costs`: prints the report, warnings to stderr; returns the exit code."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        if destination == "bigquery":
            from spotify_pipeline import destinations

            resolved = destinations.resolve()
            client = destinations.bigquery_client(resolved)
            report: BigQueryCostReport | DuckDBCostReport = bigquery_report(
                client, resolved.project, resolved.settings.location, now, warn_at
            )
            print(render_bigquery(report))  # type: ignore[arg-type]
            for message in report.warnings:  # type: ignore[union-attr]
                print(f"warning: {message}", file=sys.stderr)
        else:
            report = duckdb_report(duckdb_path)
            print(render_duckdb(report))
    except CostsUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return report.exit_code


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
