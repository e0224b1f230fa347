"""The only place where DuckDB's SQL and BigQuery's differ: table names, parameter syntax, time zones, dates.

Only SQL both engines accept is written in the query modules (standard joins, `string_agg(... order by ...)`, window
functions, `nulls last`); what differs is a `Dialect` method. User input is never formatted into SQL: values travel as
bound parameters, written `@name` (BigQuery's syntax; `Dialect.render` turns them into DuckDB's `$name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The dataset (DuckDB schema / BigQuery dataset) the dashboard reads: dbt's marts, never staging or raw (DESIGN.md).
FINAL = "spotify"

_PARAMETER = re.compile(r"(?<![@\w])@([A-Za-z_]\w*)")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def parameter_names(sql: str) -> list[str]:
    """The `@name` parameters a statement uses, in order of first use."""
    return list(dict.fromkeys(_PARAMETER.findall(sql)))


class Dialect:
    """How one warehouse spells what the two spell differently. Subclasses: DuckDB, BigQuery."""

    name = "abstract"

    def table(self, dataset: str, table: str) -> str:
        """A fully qualified table name; only trusted constants ever reach it."""
        raise NotImplementedError

    def render(self, sql: str) -> str:
        """The statement as this warehouse takes it (parameter syntax)."""
        return sql

    def local_day(self, timestamp: str) -> str:
        """The calendar day of a UTC timestamp in time zone `@tz`."""
        raise NotImplementedError

    def local_hour(self, timestamp: str) -> str:
        """The hour (0-23) of a UTC timestamp in time zone `@tz`."""
        raise NotImplementedError

    def iso_weekday(self, timestamp: str) -> str:
        """1 = Monday ... 7 = Sunday, in time zone `@tz`."""
        raise NotImplementedError

    def week_start(self, day: str) -> str:
        """The Monday of a date's ISO week."""
        raise NotImplementedError

    def minus_days(self, day: str, days: str) -> str:
        """A date minus an integer number of days."""
        raise NotImplementedError

    def month_start(self, day: str) -> str:
        """The first day of a date's month."""
        raise NotImplementedError

    def hours_between(self, earlier: str, later: str) -> str:
        """Hours (fractional) from one timestamp to another."""
        raise NotImplementedError

    def catalog(self) -> str:
        """Tables and views of the marts' dataset: (dataset, table_name, table_type)."""
        raise NotImplementedError


class DuckDBDialect(Dialect):
    """DuckDB: schemas in one file, attached as catalog `warehouse`; `$name` parameters; ICU's `timezone()`.

    Names are fully qualified with the catalog the file is attached as, so a file of any name (a `spotify.duckdb`
    would make a bare `spotify.users` ambiguous: catalog `spotify` or schema `spotify`) reads the same.
    """

    name = "duckdb"
    catalog_name = "warehouse"

    def table(self, dataset: str, table: str) -> str:
        return f"{self.catalog_name}.{checked(dataset)}.{checked(table)}"

    def render(self, sql: str) -> str:
        return _PARAMETER.sub(r"$\1", sql)

    def local_day(self, timestamp: str) -> str:
        return f"cast(timezone(@tz, {timestamp}) as date)"

    def local_hour(self, timestamp: str) -> str:
        return f"hour(timezone(@tz, {timestamp}))"

    def iso_weekday(self, timestamp: str) -> str:
        return f"isodow(timezone(@tz, {timestamp}))"

    def week_start(self, day: str) -> str:
        return f"cast(date_trunc('week', {day}) as date)"

    def minus_days(self, day: str, days: str) -> str:
        return f"({day} - cast({days} as integer))"

    def month_start(self, day: str) -> str:
        return f"cast(date_trunc('month', {day}) as date)"

    def hours_between(self, earlier: str, later: str) -> str:
        return f"(date_diff('second', {earlier}, {later}) / 3600.0)"

    def catalog(self) -> str:
        return (
            "select table_schema as dataset, table_name, table_type from information_schema.tables "
            f"where table_catalog = '{self.catalog_name}' and table_schema = '{FINAL}' order by 1, 2"
        )


@dataclass(frozen=True)
class BigQueryDialect(Dialect):
    """BigQuery: `project.dataset.table`; `@name` parameters; time zones as function arguments."""

    project: str
    name: str = field(default="bigquery", init=False)

    def table(self, dataset: str, table: str) -> str:
        return f"`{_checked_project(self.project)}.{checked(dataset)}.{checked(table)}`"

    def local_day(self, timestamp: str) -> str:
        return f"date({timestamp}, @tz)"

    def local_hour(self, timestamp: str) -> str:
        return f"extract(hour from {timestamp} at time zone @tz)"

    def iso_weekday(self, timestamp: str) -> str:
        # BigQuery's DAYOFWEEK is 1 = Sunday ... 7 = Saturday.
        return f"(mod(extract(dayofweek from {timestamp} at time zone @tz) + 5, 7) + 1)"

    def week_start(self, day: str) -> str:
        # = date_trunc(day, isoweek), spelled with DAYOFWEEK so that the BigQuery emulator the tests use agrees.
        return f"date_sub({day}, interval mod(extract(dayofweek from {day}) + 5, 7) day)"

    def minus_days(self, day: str, days: str) -> str:
        return f"date_sub({day}, interval {days} day)"

    def month_start(self, day: str) -> str:
        return f"date_trunc({day}, month)"

    def hours_between(self, earlier: str, later: str) -> str:
        return f"(timestamp_diff({later}, {earlier}, second) / 3600.0)"

    def catalog(self) -> str:
        # The dataset's own view. A missing dataset is an error (NotFound: "no warehouse yet", dbt has not run).
        project = _checked_project(self.project)
        return (
            "select table_schema as dataset, table_name, table_type "
            f"from `{project}.{FINAL}`.INFORMATION_SCHEMA.TABLES order by 1, 2"
        )


def checked(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a trusted identifier: {identifier!r}")
    return identifier


def _checked_project(project: str) -> str:
    if not re.match(r"^[a-z][a-z0-9.:-]{3,61}[a-z0-9]$", project):
        raise ValueError(f"not a valid Google Cloud project id: {project!r}")
    return project
