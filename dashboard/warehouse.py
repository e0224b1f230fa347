"""Where the dashboard reads from: the DuckDB file the pipeline writes (default) or BigQuery.

Chosen by environment (or a `[warehouse]` table in `.streamlit/secrets.toml`, same names in lower case without
the `SPOTIFY_` prefix; the environment wins). The names are the pipeline's, so one setting serves both:

    SPOTIFY_DESTINATION               duckdb (default) | bigquery
    SPOTIFY_DUCKDB                    the DuckDB file (default data/warehouse.duckdb under the repository)
    SPOTIFY_BIGQUERY_PROJECT          the Google Cloud project holding the datasets
    SPOTIFY_BIGQUERY_LOCATION         the datasets' location (default EU, as dbt's profile)
    SPOTIFY_BIGQUERY_API_ENDPOINT     another BigQuery endpoint (an emulator); optional
    SPOTIFY_BIGQUERY_MAX_BYTES_BILLED the cap on bytes billed per query (default 1 GB)
    SPOTIFY_BIGQUERY_KEYFILE          a service-account key file; optional (else application-default login)
    SPOTIFY_BIGQUERY_TOKEN            an OAuth access token; optional

DuckDB is opened **read-only, one short connection per query**, never held open: DuckDB lets a writer in only when
no other process has the file open, so a connection kept in a cache would lock the pipeline out for as long as the
dashboard runs. Opening costs milliseconds and results are cached (st.cache_data) anyway. While the pipeline writes,
the file is locked the other way round: that is `WarehouseBusy`, a message, not a crash.

Every failure a user can meet is a `WarehouseError` with a title and what to do; nothing here shows tracebacks.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from dashboard import queries

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DUCKDB = REPO_ROOT / "data" / "warehouse.duckdb"
DEFAULT_MAX_BYTES_BILLED = 1_000_000_000  # 1 GB: a personal warehouse's queries read kilobytes to megabytes
DEMO_COMMAND = "python pipeline.py demo"


class WarehouseError(Exception):
    """A problem the user can act on: `title` says what is wrong, `hint` what to do."""

    def __init__(self, title: str, hint: str) -> None:
        super().__init__(f"{title} {hint}")
        self.title = title
        self.hint = hint


class WarehouseMissing(WarehouseError):
    """There is no warehouse where the dashboard looks (no DuckDB file, no BigQuery dataset)."""


class WarehouseBusy(WarehouseError):
    """The pipeline holds the DuckDB file (it is loading or running dbt right now)."""


class WarehouseNotConfigured(WarehouseError):
    """Settings are missing or wrong (BigQuery project, credentials)."""


class QueryFailed(WarehouseError):
    """The warehouse refused a statement (a table changed shape, the bytes-billed cap was hit, ...)."""


@dataclass(frozen=True)
class WarehouseConfig:
    """Which warehouse to read; frozen, so that st.cache_resource keys the open warehouse by it."""

    kind: str = "duckdb"
    duckdb_path: Path = DEFAULT_DUCKDB
    bigquery_project: str | None = None
    bigquery_location: str = "EU"
    bigquery_api_endpoint: str | None = None
    bigquery_max_bytes_billed: int = DEFAULT_MAX_BYTES_BILLED
    bigquery_keyfile: str | None = None
    bigquery_token: str | None = None


def load_config(environ: Mapping[str, str] | None = None, settings: Mapping[str, Any] | None = None) -> WarehouseConfig:
    """The configuration from the environment, falling back to `settings` (the secrets' `[warehouse]` table)."""
    environ = os.environ if environ is None else environ
    settings = settings or {}

    def value(name: str) -> str | None:
        found = environ.get(f"SPOTIFY_{name.upper()}")
        if found in (None, ""):
            found = settings.get(name.lower())
        return None if found in (None, "") else str(found)

    kind = (value("destination") or "duckdb").strip().lower()
    if kind not in ("duckdb", "bigquery"):
        raise WarehouseNotConfigured(
            f"Unknown destination {kind!r}.", "Set SPOTIFY_DESTINATION to `duckdb` (the default) or `bigquery`."
        )
    path = Path(value("duckdb") or settings.get("duckdb_path") or DEFAULT_DUCKDB)
    if not path.is_absolute():
        path = REPO_ROOT / path  # as the pipeline: relative to the repository, whatever the working directory
    cap = value("bigquery_max_bytes_billed")
    try:
        max_bytes = int(float(cap)) if cap else DEFAULT_MAX_BYTES_BILLED
    except ValueError:
        raise WarehouseNotConfigured(
            f"SPOTIFY_BIGQUERY_MAX_BYTES_BILLED is not a number: {cap!r}.", "Give bytes, e.g. 1000000000 for 1 GB."
        ) from None
    return WarehouseConfig(
        kind=kind,
        duckdb_path=path,
        bigquery_project=value("bigquery_project"),
        bigquery_location=value("bigquery_location") or "EU",
        bigquery_api_endpoint=value("bigquery_api_endpoint"),
        bigquery_max_bytes_billed=max_bytes,
        bigquery_keyfile=value("bigquery_keyfile"),
        bigquery_token=value("bigquery_token"),
    )


class Warehouse(Protocol):
    """What the dashboard needs of a warehouse."""

    dialect: queries.Dialect

    def describe(self) -> str:
        """Where the data lives, for people (a path, a project)."""
        ...

    def fingerprint(self) -> str:
        """Changes when the data may have changed: part of every cached result's key."""
        ...

    def run(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        """Run one rendered statement with bound parameters."""
        ...


def bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a statement uses, checked: a missing one is a bug; extra ones are dropped (DuckDB refuses)."""
    names = queries.parameter_names(sql.replace("$", "@"))
    missing = [name for name in names if name not in params]
    if missing:
        raise ValueError(f"missing query parameters: {', '.join(missing)}")
    return {name: params[name] for name in names}


class DuckDBWarehouse:
    """The DuckDB file, read-only, one short connection per statement (see the module's docstring for why)."""

    dialect = queries.DuckDBDialect()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one open at a time from this process: DuckDB's in-process file cache

    def describe(self) -> str:
        try:
            shown = self.path.relative_to(REPO_ROOT)  # data/warehouse.duckdb reads better than a long path
        except ValueError:
            shown = self.path
        return f"DuckDB · {shown}"

    def fingerprint(self) -> str:
        parts = []
        for file in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                stat = file.stat()
                parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
            except OSError:
                parts.append("-")
        return f"{self.path}|{'|'.join(parts)}"

    def run(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        import duckdb

        if not self.path.is_file():
            raise WarehouseMissing(
                f"No warehouse at {self.path}.",
                f"Build one with `{DEMO_COMMAND}` (no account needed) or `python pipeline.py` for your own "
                "account, or point SPOTIFY_DUCKDB at an existing file.",
            )
        values = bind(sql, params)
        with self._lock:
            connection = duckdb.connect()  # in memory; the warehouse is attached under a fixed catalog name
            try:
                connection.execute("SET TimeZone='UTC'")
                try:
                    connection.execute(f"ATTACH {_sql_string(self.path)} AS {self.dialect.catalog_name} (READ_ONLY)")
                except duckdb.Error as exc:
                    raise _duckdb_open_error(self.path, exc) from exc
                return connection.execute(sql, values).df()
            except duckdb.Error as exc:
                log.warning("DuckDB query failed: %s\n%s", exc, sql)
                raise QueryFailed(
                    "The warehouse could not answer a query.",
                    f"DuckDB said: {_first_line(exc)}. If the pipeline's dbt step failed, run it again "
                    "(`python pipeline.py` or `cd dbt_project && dbt build`).",
                ) from exc
            finally:
                connection.close()


def _sql_string(path: Path) -> str:
    """A path as an SQL string literal (ATTACH takes no bound parameter)."""
    return "'" + str(path).replace("'", "''") + "'"


def _duckdb_open_error(path: Path, exc: Exception) -> WarehouseError:
    message = str(exc)
    if "lock" in message.lower() or "different configuration" in message.lower():
        return WarehouseBusy(
            "The pipeline is writing to the warehouse right now.",
            "The dashboard reads it again as soon as the run is done: reload the page in a minute.",
        )
    if "not a valid DuckDB database" in message or "Invalid Input Error" in message:
        return WarehouseMissing(
            f"{path} is not a DuckDB warehouse.",
            f"Point SPOTIFY_DUCKDB at the pipeline's file, or run `{DEMO_COMMAND}`.",
        )
    return QueryFailed(f"Could not open {path}.", f"DuckDB said: {_first_line(exc)}.")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --- BigQuery ---


def bigquery_parameter(name: str, value: Any) -> Any:
    """One bound parameter for BigQuery, typed from the Python value (BigQuery does not infer types)."""
    from google.cloud import bigquery

    if isinstance(value, list | tuple):
        element_type = _bigquery_type(value[0]) if value else "STRING"
        return bigquery.ArrayQueryParameter(name, element_type, [_bigquery_scalar(item) for item in value])
    return bigquery.ScalarQueryParameter(name, _bigquery_type(value), _bigquery_scalar(value))


def _bigquery_type(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps are bound with a time zone (UTC)")
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, str):
        return "STRING"
    raise TypeError(f"no BigQuery type for {type(value).__name__}")


def _bigquery_scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def bigquery_job_config(sql: str, params: Mapping[str, Any], max_bytes_billed: int) -> Any:
    """The job settings of every dashboard query: the bytes-billed cap, and the parameters bound, never formatted."""
    from google.cloud import bigquery

    return bigquery.QueryJobConfig(
        maximum_bytes_billed=max_bytes_billed,
        query_parameters=[bigquery_parameter(name, value) for name, value in bind(sql, params).items()],
        use_query_cache=True,
        labels={"app": "spotify-dashboard"},
    )


class BigQueryWarehouse:
    """BigQuery datasets `spotify`, `spotify_staging`, `spotify_raw` of one project; a client made once."""

    def __init__(self, config: WarehouseConfig) -> None:
        if not config.bigquery_project:
            raise WarehouseNotConfigured(
                "SPOTIFY_DESTINATION is bigquery, but no project is set.",
                "Set SPOTIFY_BIGQUERY_PROJECT to the Google Cloud project that holds the `spotify` dataset.",
            )
        try:
            self.dialect: queries.Dialect = queries.BigQueryDialect(config.bigquery_project)
        except ValueError as exc:
            raise WarehouseNotConfigured(
                str(exc), "Check SPOTIFY_BIGQUERY_PROJECT and SPOTIFY_BIGQUERY_LOCATION."
            ) from None
        self.config = config
        self._client: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"BigQuery · {self.config.bigquery_project} ({self.config.bigquery_location})"

    def fingerprint(self) -> str:
        # BigQuery results are cached for the TTL only: asking the tables' modification times costs a query too.
        where = (self.config.bigquery_project, self.config.bigquery_location, self.config.bigquery_api_endpoint)
        return "bigquery|" + "|".join(str(part or "") for part in where)

    def client(self) -> Any:
        """The BigQuery client, made on first use (credentials are looked up then, not at import)."""
        with self._lock:
            if self._client is None:
                self._client = make_bigquery_client(self.config)
            return self._client

    def run(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        from google.api_core import exceptions as google_errors
        from google.auth import exceptions as auth_errors

        job_config = bigquery_job_config(sql, params, self.config.bigquery_max_bytes_billed)
        try:
            job = self.client().query(sql, job_config=job_config, location=self.config.bigquery_location)
            frame = bigquery_frame(job.result(timeout=120))
        except google_errors.NotFound as exc:
            where = f"{self.config.bigquery_project} ({self.config.bigquery_location})"
            raise WarehouseMissing(
                f"BigQuery has no Spotify warehouse in {where}.",
                "Run the pipeline with the BigQuery destination first, or check SPOTIFY_BIGQUERY_PROJECT and "
                f"SPOTIFY_BIGQUERY_LOCATION. BigQuery said: {_first_line(exc)}",
            ) from exc
        except google_errors.Forbidden as exc:
            raise WarehouseNotConfigured(
                "BigQuery refused access.",
                "The account needs BigQuery Data Viewer and Job User on the project. "
                f"BigQuery said: {_first_line(exc)}",
            ) from exc
        except google_errors.GoogleAPICallError as exc:
            if "bytesBilledLimitExceeded" in str(exc) or "bytes billed" in str(exc).lower():
                raise QueryFailed(
                    "A query would read more than the dashboard's cost cap.",
                    f"The cap is {self.config.bigquery_max_bytes_billed:,} bytes; raise "
                    "SPOTIFY_BIGQUERY_MAX_BYTES_BILLED, or choose a shorter period.",
                ) from exc
            log.warning("BigQuery query failed: %s\n%s", exc, sql)
            raise QueryFailed("BigQuery could not answer a query.", f"BigQuery said: {_first_line(exc)}") from exc
        except auth_errors.GoogleAuthError as exc:
            raise WarehouseNotConfigured(
                "The Google login for BigQuery did not work.",
                f"Run `gcloud auth application-default login` again. ({_first_line(exc)})",
            ) from exc
        except OSError as exc:  # network errors and timeouts (requests' errors are OSErrors too)
            raise QueryFailed(
                "BigQuery could not be reached.", f"Check the network and try again. ({_first_line(exc)})"
            ) from exc
        return frame


def make_bigquery_client(config: WarehouseConfig) -> Any:
    """A client with the credentials the settings name (token, key file) or the application-default login."""
    import google.auth
    from google.api_core.client_options import ClientOptions
    from google.auth import exceptions as auth_errors
    from google.cloud import bigquery

    credentials: Any = None
    try:
        if config.bigquery_token:
            import google.oauth2.credentials

            credentials = google.oauth2.credentials.Credentials(token=config.bigquery_token)
        elif config.bigquery_keyfile:
            from google.oauth2 import service_account

            credentials = service_account.Credentials.from_service_account_file(config.bigquery_keyfile)
        else:
            credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/bigquery"])
    except (auth_errors.GoogleAuthError, OSError, ValueError) as exc:
        raise WarehouseNotConfigured(
            "No Google credentials for BigQuery.",
            "Run `gcloud auth application-default login`, or set SPOTIFY_BIGQUERY_KEYFILE to a service-account "
            f"key file. ({_first_line(exc)})",
        ) from exc
    options = ClientOptions(api_endpoint=config.bigquery_api_endpoint) if config.bigquery_api_endpoint else None
    return bigquery.Client(
        project=config.bigquery_project,
        credentials=credentials,
        location=config.bigquery_location,
        client_options=options,
    )


def bigquery_frame(rows: Any) -> pd.DataFrame:
    """A result as the pages get it from DuckDB: DATE and TIMESTAMP columns as datetime64, numbers as numbers.

    Built from the rows themselves (a personal warehouse's results are small): google-cloud-bigquery's own
    to_dataframe is deprecated in favour of pandas-gbq and needs db-dtypes, two dependencies for no gain here."""
    names = [field.name for field in rows.schema]
    frame = pd.DataFrame([tuple(row.values()) for row in rows], columns=names)
    for name, kind in zip(names, [field.field_type for field in rows.schema], strict=True):
        if kind == "DATE":
            frame[name] = pd.to_datetime(frame[name])
        elif kind == "TIMESTAMP":
            frame[name] = pd.to_datetime(frame[name], utc=True)
        elif kind in ("INTEGER", "INT64", "FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC"):
            frame[name] = pd.to_numeric(frame[name])
    return frame


def open_warehouse(config: WarehouseConfig) -> Warehouse:
    """The warehouse the configuration names (nothing is contacted yet)."""
    if config.kind == "bigquery":
        return BigQueryWarehouse(config)
    return DuckDBWarehouse(config.duckdb_path)
