"""Where the pipeline writes: DuckDB (one local file, the default) or BigQuery, and what each part needs to reach it.

One set of settings serves all three parts that talk to BigQuery (dlt's destination, dbt's `bigquery` target, the
cost report), so they can never disagree about the project, the location or the login:

    destination  --destination on the command line, else env SPOTIFY_DESTINATION, else `[pipeline] destination`
                 in .dlt/config.toml, else duckdb
    project      env SPOTIFY_BIGQUERY_PROJECT, else `[destination.bigquery] project_id`, else the credentials' project
    location     env SPOTIFY_BIGQUERY_LOCATION, else `[destination.bigquery] location`, else EU
    login        env SPOTIFY_BIGQUERY_KEYFILE (a service-account key file), else SPOTIFY_BIGQUERY_TOKEN (an OAuth
                 access token, e.g. from a CI's workload identity; the tests give the emulator a dummy one), else dlt's
                 `[destination.bigquery.credentials]` in .dlt/secrets.toml, else application-default credentials
                 (GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`), as dlt resolves them
    endpoint     env SPOTIFY_BIGQUERY_API_ENDPOINT: another BigQuery API (the bqemulator in tests); unset for Google

These are the names dbt_project/profiles.yml and the dashboard (dashboard/warehouse.py) read too.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from spotify_source.errors import UserError

DESTINATIONS = ("duckdb", "bigquery")
DEFAULT_DESTINATION = "duckdb"
DEFAULT_LOCATION = "EU"
RAW_DATASET = "spotify_raw"

# Time-series raw tables and the timestamp column BigQuery partitions each by (by day: dlt writes
# `PARTITION BY DATE(column)`). The marts are partitioned the same way by dbt (DESIGN.md); partitioning the raw
# tables too keeps dbt's incremental reads of them, and anyone's ad-hoc query of a date range, cheap.
PARTITIONS: Mapping[str, str] = {
    "recently_played": "played_at",
    "top_tracks": "extracted_at",
    "top_artists": "extracted_at",
    "export_streams": "ended_at",  # the data-export source (`spotify_export`), when that source is loaded
}
# Tables that carry `user_id` are clustered by it as well, as the marts are: one warehouse may hold several users.
CLUSTERED_BY_USER = frozenset({"recently_played", "top_tracks", "top_artists"})


class DestinationNotConfigured(UserError):
    """BigQuery was chosen but a setting it needs is missing or wrong (exit code 2, like other configuration)."""

    exit_code = 2


def selected_destination(cli_value: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The destination the user chose: the command line wins over env, env over .dlt/config.toml."""
    environ = os.environ if environ is None else environ
    value = cli_value or environ.get("SPOTIFY_DESTINATION") or _dlt_config("pipeline.destination")
    chosen = str(value or DEFAULT_DESTINATION).strip().lower()
    if chosen not in DESTINATIONS:
        raise DestinationNotConfigured(
            f"unknown destination {chosen!r}: choose one of {', '.join(DESTINATIONS)} "
            "(--destination, SPOTIFY_DESTINATION or [pipeline] destination in .dlt/config.toml)"
        )
    return chosen


def _dlt_config(key: str) -> Any:
    """A value of .dlt/config.toml (or dlt's env vars), None when absent: read via dlt so its precedence holds."""
    import dlt

    try:
        return dlt.config.get(key)
    except Exception:  # a malformed or missing provider is "not set" here; dlt reports it where it matters
        return None


@dataclass(frozen=True)
class BigQuerySettings:
    """The BigQuery settings the user gave; `credentials()` resolves the login (which may ask Google's ADC)."""

    project: str | None
    location: str
    keyfile: str | None = None
    token: str | None = None
    api_endpoint: str | None = None

    @classmethod
    def from_config(cls, environ: Mapping[str, str] | None = None) -> BigQuerySettings:
        environ = os.environ if environ is None else environ

        def env(name: str) -> str | None:
            return environ.get(f"SPOTIFY_BIGQUERY_{name}") or None

        return cls(
            project=env("PROJECT") or _dlt_config("destination.bigquery.project_id"),
            location=env("LOCATION") or _dlt_config("destination.bigquery.location") or DEFAULT_LOCATION,
            keyfile=env("KEYFILE"),
            token=env("TOKEN"),
            api_endpoint=env("API_ENDPOINT"),
        )

    def describe(self) -> str:
        return f"BigQuery project {self.project or '(from the credentials)'} ({self.location})"

    def explicit_credentials(self) -> Any:
        """dlt credentials for an explicitly given key file or token; None lets dlt resolve its own secrets/ADC."""
        if self.keyfile:
            from dlt.common.configuration.specs import GcpServiceAccountCredentials

            try:
                info = open(self.keyfile, encoding="utf-8").read()  # noqa: SIM115 (read once, closed by GC)
            except OSError as exc:
                raise DestinationNotConfigured(f"cannot read SPOTIFY_BIGQUERY_KEYFILE: {exc}") from None
            service_account = GcpServiceAccountCredentials()
            service_account.parse_native_representation(info)
            return service_account
        if self.token:
            import google.oauth2.credentials
            from dlt.common.configuration.specs import GcpOAuthCredentials

            oauth = GcpOAuthCredentials()
            oauth.parse_native_representation(google.oauth2.credentials.Credentials(token=self.token))
            if self.project:
                oauth.project_id = self.project
            return oauth
        return None


def _use_endpoint(settings: BigQuerySettings) -> None:
    """Point Google's BigQuery client at another endpoint (dlt offers no option for it; the client honours
    BIGQUERY_EMULATOR_HOST). The emulator takes no gzip files, so dlt writes them plain there."""
    if settings.api_endpoint:
        os.environ["BIGQUERY_EMULATOR_HOST"] = settings.api_endpoint
        os.environ["NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION"] = "true"


def make_bigquery_destination(settings: BigQuerySettings | None = None) -> Any:
    """dlt's bigquery destination with the project, location and login of the settings."""
    import dlt

    settings = settings or BigQuerySettings.from_config()
    _use_endpoint(settings)
    # google-cloud-bigquery's notice that the optional Storage API package is absent: results here are small, the
    # REST API is all that is used, and the notice would read like a fault to the user.
    warnings.filterwarnings("ignore", message="Cannot create BigQuery Storage client", category=UserWarning)
    options: dict[str, Any] = {"location": settings.location}
    if settings.project:
        options["project_id"] = settings.project
    credentials = settings.explicit_credentials()
    if credentials is not None:
        options["credentials"] = credentials
    return dlt.destinations.bigquery(**options)


DUCKDB_LOADER_FILE_FORMAT = "parquet"
"""How dlt hands rows to DuckDB: Parquet files, which DuckDB reads in one statement per file, rather than dlt's default
for DuckDB (`insert_values`, SQL insert statements): a large first run loads over 10x faster in a sixth of the memory
(benchmarks/RESULTS.md). The tables' DDL comes from dlt's schema either way, so their columns and types are the same
(tests/source/test_raw_schema.py loads with both)."""


def make_destination(name: str, duckdb_path: str, duckdb_memory_limit: str | None = None) -> Any:
    """The dlt destination called `name`: the DuckDB file at `duckdb_path`, or BigQuery from the settings.

    `duckdb_memory_limit` caps what DuckDB holds while dlt loads (beyond it DuckDB spills to a temporary file)."""
    import dlt

    if name == "bigquery":
        return make_bigquery_destination()
    credentials: Any = duckdb_path
    if duckdb_memory_limit is not None:
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        credentials = DuckDbCredentials(duckdb_path, global_config={"memory_limit": duckdb_memory_limit})
    return dlt.destinations.duckdb(credentials, preferred_loader_file_format=DUCKDB_LOADER_FILE_FORMAT)


def apply_partition_hints(source: Any) -> Any:
    """Day partitioning (and clustering by user) of the time-series tables, as dlt's `bigquery_adapter` hints.

    Applied to whichever of them the source has (the Web API source or the export source); the hints only change
    the CREATE TABLE dlt sends to BigQuery, so a table created before keeps its layout.
    """
    from dlt.destinations.adapters import bigquery_adapter

    for name, column in PARTITIONS.items():
        resource = source.resources.get(name) if hasattr(source, "resources") else None
        if resource is None:
            continue
        cluster = "user_id" if name in CLUSTERED_BY_USER else None
        bigquery_adapter(resource, partition=column, cluster=cluster)
    return source


@dataclass(frozen=True)
class ResolvedBigQuery:
    """The login and project after resolution: what clients outside dlt (Google's client, dbt) are given."""

    settings: BigQuerySettings
    project: str
    credentials: Any  # google.auth credentials
    is_application_default: bool


def resolve(settings: BigQuerySettings | None = None) -> ResolvedBigQuery:
    """Resolve the login the way dlt does for its destination, so dbt and the cost report use the same one."""
    settings = settings or BigQuerySettings.from_config()
    _use_endpoint(settings)
    destination = make_bigquery_destination(settings)
    try:
        initial = destination.spec()
        initial.dataset_name = RAW_DATASET  # dlt's pipeline gives it; resolving the login alone needs it too
        config = destination.configuration(initial)
    except Exception as exc:  # dlt's ConfigFieldMissingException names what it looked for
        raise DestinationNotConfigured(
            "no Google credentials for BigQuery: run `gcloud auth application-default login`, set "
            "GOOGLE_APPLICATION_CREDENTIALS or SPOTIFY_BIGQUERY_KEYFILE to a service-account key file, or fill "
            f"[destination.bigquery.credentials] in .dlt/secrets.toml (README, Production). dlt said: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    credentials = config.credentials
    project = settings.project or config.project_id or getattr(credentials, "project_id", None)
    if not project:
        raise DestinationNotConfigured(
            "no Google Cloud project for BigQuery: set SPOTIFY_BIGQUERY_PROJECT or [destination.bigquery] "
            "project_id in .dlt/config.toml"
        )
    has_default = bool(getattr(credentials, "has_default_credentials", lambda: False)())
    if settings.token and not settings.keyfile:
        # dlt rebuilds OAuth credentials from a refresh token, which a bare access token has not.
        import google.oauth2.credentials

        return ResolvedBigQuery(settings, project, google.oauth2.credentials.Credentials(token=settings.token), False)
    return ResolvedBigQuery(settings, project, credentials.to_native_credentials(), has_default)


def bigquery_client(resolved: ResolvedBigQuery) -> Any:
    """google-cloud-bigquery's client for the resolved project, location and login (and endpoint, if any)."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import bigquery

    endpoint = resolved.settings.api_endpoint
    return bigquery.Client(
        project=resolved.project,
        credentials=resolved.credentials,
        location=resolved.settings.location,
        client_options=ClientOptions(api_endpoint=endpoint) if endpoint else None,
    )


@contextmanager
def dbt_environment(resolved: ResolvedBigQuery) -> Iterator[dict[str, str]]:
    """The env dbt_project/profiles.yml reads for its `bigquery` target, set for the duration of a dbt run.

    The login maps onto dbt-bigquery's methods: a key file → `service-account`; application-default credentials
    → `oauth` (dbt asks google.auth itself); anything else dlt resolved (a token, a service account or OAuth
    client in .dlt/secrets.toml) → a fresh access token with `oauth-secrets`, so a private key is never written to
    disk for dbt. Values are restored afterwards; none is printed.
    """
    settings = resolved.settings
    env = {
        "SPOTIFY_DBT_TARGET": "bigquery",
        "SPOTIFY_BIGQUERY_PROJECT": resolved.project,
        "SPOTIFY_BIGQUERY_LOCATION": settings.location,
        "SPOTIFY_BIGQUERY_API_ENDPOINT": settings.api_endpoint or "",
    }
    if settings.keyfile:
        env |= {"SPOTIFY_BIGQUERY_METHOD": "service-account", "SPOTIFY_BIGQUERY_KEYFILE": settings.keyfile}
    elif resolved.is_application_default and not settings.token:
        env |= {"SPOTIFY_BIGQUERY_METHOD": "oauth"}
    else:
        env |= {"SPOTIFY_BIGQUERY_METHOD": "oauth-secrets", "SPOTIFY_BIGQUERY_TOKEN": _access_token(resolved)}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _access_token(resolved: ResolvedBigQuery) -> str:
    """A current access token of the resolved credentials (refreshed when they can refresh)."""
    credentials = resolved.credentials
    if resolved.settings.token:
        return resolved.settings.token
    if not getattr(credentials, "valid", False) or not getattr(credentials, "token", None):
        import google.auth.transport.requests

        credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


def accounts_in_bigquery(settings: BigQuerySettings | None = None) -> set[str]:
    """User ids in `spotify_raw.users` on BigQuery (none when the dataset or table does not exist yet)."""
    from google.api_core import exceptions as google_errors

    resolved = resolve(settings)
    client = bigquery_client(resolved)
    table = f"`{resolved.project}.{RAW_DATASET}.users`"
    try:
        return {row[0] for row in client.query(f"select id from {table}").result()}
    except google_errors.NotFound:
        return set()
