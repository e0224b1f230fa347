"""The command line of the Spotify warehouse: `run` (the default) loads your Spotify account, `demo` loads the
local emulator. Both land raw data in `spotify_raw` of the warehouse at $SPOTIFY_DUCKDB (default
data/warehouse.duckdb).

    python pipeline.py                 # = run: your account (after `python pipeline.py auth`)
    python pipeline.py demo            # no account, no network: the emulated Spotify
    python pipeline.py demo --mode development --profile small --seed 3

This module only wires the parts together: the source (spotify_source), the emulator (for demo), the warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
EXIT_OK, EXIT_FAILED = 0, 1


def warehouse_path() -> Path:
    """The DuckDB file the pipeline, dbt and the dashboard share."""
    return Path(os.environ.get("SPOTIFY_DUCKDB", ROOT / "data" / "warehouse.duckdb"))


def pipelines_dir() -> Path:
    """dlt's working folder, kept in the project (dlt would use a system folder when run as root)."""
    return Path(os.environ.get("SPOTIFY_PIPELINES_DIR", ROOT / "data" / ".dlt_pipelines"))


def _prepare_dlt() -> None:
    # dlt's anonymous telemetry would call out to the internet: this project talks to nothing it was not asked to.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.chdir(ROOT)  # dlt reads .dlt/config.toml and secrets.toml from the working directory


def destination_name() -> str:
    """duckdb or bigquery: `--destination` (main puts it in SPOTIFY_DESTINATION), env, or .dlt/config.toml."""
    from spotify_pipeline import destinations

    return destinations.selected_destination()


def describe_destination() -> str:
    """Where the data goes, for people."""
    if destination_name() == "bigquery":
        from spotify_pipeline import destinations

        return destinations.BigQuerySettings.from_config().describe()
    return str(warehouse_path())


def make_destination() -> Any:
    """The dlt destination of the raw data: the DuckDB file at $SPOTIFY_DUCKDB, or BigQuery (spotify_pipeline)."""
    from spotify_pipeline import destinations

    path = warehouse_path()
    if destination_name() == "duckdb":
        path.parent.mkdir(parents=True, exist_ok=True)
    return destinations.make_destination(destination_name(), str(path))


def load(source_factory: Callable[[], Any], *, label: str, pipeline_name: str = "spotify") -> dict[str, Any]:
    """Extract, normalise and load one source run into the warehouse; returns what the run reported.

    Each source has its own dlt pipeline (`spotify` for the Web API, `spotify_export` for the data export), so
    their states never mix; all land in the same dataset, spotify_raw.
    """
    import dlt

    from spotify_source import load_stages
    from spotify_source.errors import SpotifySourceError

    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=make_destination(),
        dataset_name="spotify_raw",
        pipelines_dir=str(pipelines_dir()),
    )
    print(f"Loading {label} into {describe_destination()} (dataset spotify_raw)", flush=True)
    if pipeline.has_pending_data:
        # A run was killed and left a package. Resuming it could run a load job twice (dlt loads at least once: a
        # repeated staging insert duplicates rows of merge tables), and dlt's local state, saved at extraction, may
        # be ahead of the warehouse: drop both, and start over from the state stored with the data.
        print("  an earlier run was interrupted: its unfinished load is dropped and read again", flush=True)
        pipeline.drop()
    # As dlt's own run(): continue from the state stored in the warehouse with the data (the last completed load),
    # also where dlt's folder did not survive (a fresh CI runner), instead of reading everything again.
    with warehouse_held():
        pipeline.sync_destination()
    rows: dict[str, int] = {}
    try:
        source = source_factory()
        if destination_name() == "bigquery":
            from spotify_pipeline.destinations import apply_partition_hints

            apply_partition_hints(source)
        origin = "the export files" if pipeline_name == "spotify_export" else "Spotify"
        # The Web API source loads in two stages: its enrichment reads what the facts' load left unknown.
        stages = load_stages(source) if source.name == "spotify" else [source]
        for index, stage in enumerate(stages):
            with warehouse_held() if index else nullcontext():  # a later stage reads the warehouse as it extracts
                _step(f"1/3 extracting from {origin}", lambda stage=stage: pipeline.extract(stage))
            _step("2/3 normalising", pipeline.normalize)
            normalize = pipeline.last_trace.last_normalize_info
            for table, count in (normalize.row_counts.items() if normalize else ()):
                rows[table] = rows.get(table, 0) + count
            with warehouse_held():
                _step(f"3/3 loading into {'BigQuery' if destination_name() == 'bigquery' else 'DuckDB'}", pipeline.load)
    except SpotifySourceError:
        raise
    except Exception as exc:  # dlt wraps what the source raised; unwrap ours so the user gets its message
        from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

        if isinstance(exc, ConfigValueCannotBeCoercedException):  # e.g. max_playlists = "abc": name the setting
            from spotify_source.errors import ConfigInvalid

            hint = getattr(exc.hint, "__name__", str(exc.hint))
            kind = {"int": "whole number", "float": "number", "bool": "boolean (true or false)"}.get(hint, hint)
            raise ConfigInvalid(exc.field_name, f"must be a {kind}, not {exc.field_value!r}") from None
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, SpotifySourceError):
            cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
        if isinstance(cause, SpotifySourceError):
            raise cause from None
        raise
    return {"rows": dict(sorted(rows.items())), "pipeline": pipeline}


def warehouse_held() -> AbstractContextManager[None]:
    """For a step that writes the DuckDB file: wait while a reader (the dashboard) has it open, then keep it for the
    step, so a dashboard query never fails a run (spotify_pipeline.warehouse_access says why). BigQuery: no-op."""
    if destination_name() != "duckdb":
        return nullcontext()
    from spotify_pipeline.warehouse_access import held_for_writing

    return held_for_writing(warehouse_path())


def _step(title: str, action: Callable[[], Any]) -> None:
    """One line per pipeline step, finished with its duration: the progress a user sees."""
    print(f"  {title} ...", end="", flush=True)
    started = time.monotonic()
    try:
        action()
    except BaseException:
        print(" failed", flush=True)
        raise
    print(f" {time.monotonic() - started:.1f} s", flush=True)


def print_summary(pipeline: Any) -> None:
    """The run's own report (tier, what was skipped and why) and the warehouse's table sizes."""
    with warehouse_held(), pipeline.sql_client() as client:
        runs = client.execute_sql(
            "select tier, batch_endpoints_available, audio_features_available, notes "
            f"from {client.make_qualified_table_name('extraction_runs')} order by run_started_at desc limit 1"
        )
        if runs:
            tier, batches, features, notes = runs[0]
            print(f"App tier: {tier}; batch endpoints: {_yes_no(batches)}; audio features: {_yes_no(features)}")
            for message in json.loads(notes) if isinstance(notes, str) else notes or []:
                print(f"  note: {message}")
        print("Rows in spotify_raw:")
        for table in ("users", "playlists", "playlist_items", "tracks", "artists", "audio_features",
                      "recently_played", "top_tracks", "top_artists", "saved_tracks", "episodes"):  # fmt: skip
            try:
                # Qualified: BigQuery emulators ignore the default dataset dlt's client sets.
                (count,) = client.execute_sql(f"select count(*) from {client.make_qualified_table_name(table)}")[0]
            except Exception:
                count = 0
            print(f"  {table:16} {count:>7}")


def _yes_no(value: object) -> str:
    return "not asked this run" if value is None else ("yes" if value else "no")


class WarehouseInUse(Exception):
    """The warehouse holds another account: the demo must never mix its data into someone's real history."""

    exit_code = 2

    def __init__(self, accounts: set[str]) -> None:
        super().__init__(
            f"{describe_destination()} already holds data of another Spotify account ({len(accounts)} user(s)); "
            "the demo will not mix its emulated account into it. Run the demo into its own file, e.g. "
            "`SPOTIFY_DUCKDB=data/demo.duckdb python pipeline.py demo` (on BigQuery: another project, "
            "SPOTIFY_BIGQUERY_PROJECT)."
        )


def accounts_in_warehouse() -> set[str]:
    """User ids already loaded into the warehouse (none if it does not exist yet)."""
    if destination_name() == "bigquery":
        from spotify_pipeline.destinations import accounts_in_bigquery

        return accounts_in_bigquery()
    path = warehouse_path()
    if not path.exists():
        return set()
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select 1 from information_schema.tables where table_schema = 'spotify_raw' and table_name = 'users'"
        ).fetchall()
        if not tables:
            return set()
        return {row[0] for row in connection.execute("select id from spotify_raw.users").fetchall()}


class TransformFailed(Exception):
    """dbt failed (a model or a data test): the raw data is loaded, the final tables are not trusted."""

    exit_code = 5

    def __init__(self, message: str, warnings: list[Any] | None = None) -> None:
        super().__init__(message)
        self.warnings = warnings or []
        """Tests that only warned in the same build (spotify_pipeline.data_quality.DataQualityWarning)."""


DBT_PROJECT = ROOT / "dbt_project"
DEMO_PROFILES = ("small", "reference", "large", "empty", "no-playlists", "no-likes", "no-plays", "followed-only")
"""The emulator's libraries (spotify_emulator/profiles.py), named here so `--help` needs no emulator import."""


def run_dbt(arguments: list[str]) -> list[Any]:
    """Run dbt in-process (dbt's Python runner) on the project and profile beside this file, on $SPOTIFY_DUCKDB.

    Returns the tests that warned (spotify_pipeline.data_quality.DataQualityWarning: Spotify sent values the tests did
    not expect; the build still succeeded). Raises TransformFailed with dbt's own messages when anything fails.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt sends no usage statistics either
    os.environ["SPOTIFY_DUCKDB"] = str(warehouse_path().resolve())
    from contextlib import nullcontext

    from dbt.cli.main import dbtRunner

    from spotify_pipeline import destinations
    from spotify_pipeline.data_quality import WarningCollector

    target = destination_name()
    # On BigQuery the profile's env comes from the same settings as dlt's destination (spotify_pipeline.destinations).
    environment = destinations.dbt_environment(destinations.resolve()) if target == "bigquery" else nullcontext()
    collector = WarningCollector()  # what the on-run-end hook logs of the tests that warned
    try:
        # warehouse_held: dbt-duckdb's connection shares the file this process holds (same configuration)
        with environment, warehouse_held():
            result = dbtRunner(callbacks=[collector]).invoke(
                [*arguments, "--target", target, "--project-dir", str(DBT_PROJECT), "--profiles-dir",
                 str(DBT_PROJECT), "--quiet"]
            )  # fmt: skip
    finally:
        _release_duckdb()
    if not result.success:
        failures = []
        for node_result in getattr(result.result, "results", None) or []:
            if str(node_result.status) in ("error", "fail"):
                failures.append(f"{node_result.node.name}: {node_result.message}")
        detail = "\n  ".join(failures) or str(result.exception or "see the dbt output above")
        raise TransformFailed(
            f"dbt {' '.join(arguments)} failed; the raw data is loaded, the final tables may be stale:\n  {detail}",
            collector.warnings,
        )
    return collector.warnings


def _release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after a run.

    While it stays open DuckDB refuses every other connection to the file with another configuration (a read-only
    reader, dlt's next load), so a process that goes on after dbt, a test or a scheduler, would be locked out.
    dbt-duckdb has no public call for this; `_ENV` is its process-wide environment.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None


def transform_step(args: argparse.Namespace) -> None:
    """`dbt build`: staging views and the final tables in schema `spotify`, with their tests."""
    if args.no_transform:
        print("Transform skipped (--no-transform).")
        return
    from spotify_pipeline.data_quality import summary_lines

    print("Building the final tables with dbt (schema spotify) ...", end="", flush=True)
    started = time.monotonic()
    try:
        warnings = run_dbt(["build"])
    except TransformFailed as failure:
        print(" failed", flush=True)
        for line in summary_lines(failure.warnings, succeeded=False):
            print(line, flush=True)
        raise
    print(f" {time.monotonic() - started:.1f} s", flush=True)
    # Values Spotify sent that the tests did not expect: the run goes on (exit 0), but a person must see them.
    for line in summary_lines(warnings):
        print(line, flush=True)


def command_run(args: argparse.Namespace) -> int:
    from spotify_source import spotify_source

    result = load(lambda: spotify_source(), label="your Spotify account")
    print_summary(result["pipeline"])
    transform_step(args)
    return EXIT_OK


def export_pipeline() -> Any:
    """The dlt pipeline of data-export imports: its own state, the same warehouse and dataset as `run`."""
    import dlt

    return dlt.pipeline(
        pipeline_name="spotify_export",
        destination=make_destination(),
        dataset_name="spotify_raw",
        pipelines_dir=str(pipelines_dir()),
    )


class ExportOwnerUnknown(Exception):
    """The export names no account id we keep, and the warehouse does not say whose it is."""

    exit_code = 2


def export_owner(user_id: str | None) -> str:
    """Whose plays the export holds: `--user-id`, else the one account the warehouse holds.

    Every play carries `user_id` (several people may share a warehouse); an export alone cannot say, so with no
    account loaded yet, or several, the import is refused before anything is read.
    """
    if user_id:
        return user_id
    accounts = accounts_in_warehouse()
    if len(accounts) == 1:
        return next(iter(accounts))
    if not accounts:
        raise ExportOwnerUnknown(
            "The warehouse holds no Spotify account yet, so the export's plays cannot be attributed. Run "
            "`python pipeline.py` once first (it loads your account), or pass `--user-id <your Spotify user id>`. "
            "Nothing was imported."
        )
    raise ExportOwnerUnknown(
        f"The warehouse holds {len(accounts)} Spotify accounts ({', '.join(sorted(accounts))}): say whose export "
        "this is with `--user-id`. Nothing was imported."
    )


def command_import_export(args: argparse.Namespace) -> int:
    """Load a Spotify data export whole or not at all, then build the final tables."""
    import_export(args.path, export_owner(args.user_id))
    transform_step(args)
    return EXIT_OK


def import_export(path: str, user_id: str) -> None:
    """Load one data export whole or not at all: a bad file stops the extract, and its package is dropped."""
    from spotify_source.export import ImportReport, new_import_id, spotify_export
    from spotify_source.export.report import rows_by_kind, summary_lines

    # Arrow tables get dlt's `_dlt_load_id` like every other raw row (dbt reads it); off by default for Arrow.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    pipeline = export_pipeline()
    pipeline.abort_packages()  # what a killed earlier import left extracted must never load with this one
    with warehouse_held():
        before = rows_by_kind(pipeline)
    report = ImportReport(new_import_id(), Path(path).name)
    try:
        result = load(
            lambda: spotify_export(path, import_id=report.import_id, user_id=user_id, report=report),
            label=f"the Spotify data export {path}",
            pipeline_name="spotify_export",
        )
    except BaseException:
        export_pipeline().abort_packages()
        raise
    with warehouse_held():
        after = rows_by_kind(result["pipeline"])
    print("\n".join(summary_lines(report, before, after)))


def import_demo_exports(library: Any, user_id: str, scratch: Path) -> None:
    """The emulated account's data exports (extended history and a year of account data), written by the emulator
    from the same history its API serves, imported as a user imports theirs: the demo shows a whole history."""
    from spotify_emulator.export import write_account_export, write_extended_export

    if not library.plays:
        print("The emulated account has never played anything: it has no data export to import.")
        return
    for written in (
        write_extended_export(library, scratch / "extended", field_version="mixed"),
        write_account_export(library, scratch / "account"),
    ):
        import_export(str(written), user_id)


def command_demo(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from spotify_emulator import EmulatorServer
    from spotify_source import spotify_source
    from spotify_source.auth import LoginRecord, store_login

    # The library's own fixed history end keeps the demo deterministic: a second demo run finds nothing new.
    with EmulatorServer(seed=args.seed, profile=args.profile, mode=args.mode) as spotify:
        print(f"Emulated Spotify at {spotify.url} (profile {args.profile}, seed {args.seed}, {args.mode} tier)")
        demo_user = spotify.control("GET", "ground-truth")["user"]["id"]
        others = accounts_in_warehouse() - {demo_user}
        if others:
            raise WarehouseInUse(others)
        tokens = spotify.login()
        with tempfile.TemporaryDirectory(prefix="spotify-demo-") as scratch:
            # Recorded as `auth` records a login, so the demo's runs carry the login's age like real ones.
            store_login(
                Path(scratch) / "token-cache.json",
                spotify.settings.accounts.client_id,
                tokens,
                LoginRecord(datetime.now(UTC), demo_user, None, tuple(str(tokens.get("scope", "")).split())),
            )

            def source() -> Any:
                return spotify_source(
                    client_id=spotify.settings.accounts.client_id,
                    refresh_token=tokens["refresh_token"],
                    api_base_url=spotify.api_url,
                    accounts_base_url=spotify.url,
                    token_cache_path=str(Path(scratch) / "token-cache.json"),
                )

            result = load(source, label="the emulated account")
            requests = spotify.control("GET", "stats")["by_endpoint"]
            api_requests = sum(
                n for endpoint, statuses in requests.items() if "/v1/" in endpoint for n in statuses.values()
            )
            print(f"Requests to the emulated Web API: {api_requests}")
            if not args.no_export:
                import_demo_exports(spotify.state.library, demo_user, Path(scratch))
    print_summary(result["pipeline"])
    transform_step(args)
    print(f"Warehouse: {describe_destination()}")
    print(f"Dashboard: {dashboard_env()} {sys.executable} -m streamlit run dashboard/app.py")
    return EXIT_OK


def dashboard_env() -> str:
    """The env that points the dashboard (dashboard/warehouse.py) at the warehouse just loaded."""
    if destination_name() == "bigquery":
        from spotify_pipeline.destinations import BigQuerySettings

        settings = BigQuerySettings.from_config()
        return (
            f"SPOTIFY_WAREHOUSE=bigquery SPOTIFY_BIGQUERY_PROJECT={settings.project} "
            f"SPOTIFY_BIGQUERY_LOCATION={settings.location}"
        )
    return f"SPOTIFY_DUCKDB={warehouse_path()}"


def command_costs(args: argparse.Namespace) -> int:
    from spotify_pipeline import costs

    return costs.command(destination_name(), warn_at=args.warn_at, duckdb_path=warehouse_path())


def command_auth(args: argparse.Namespace) -> int:
    """Log in to Spotify in the browser (spotify_source.login) and keep the refresh token where `run` reads it."""
    from spotify_source.login import LoginNotConfigured, LoginOptions, configured_settings, login

    config = configured_settings()
    if not config["token_cache_path"]:
        raise LoginNotConfigured("No token_cache_path configured under [sources.spotify]: the login has nowhere to go.")
    # The placeholder of .dlt/example.secrets.toml, copied but not filled in, is no client id either.
    client_id = None if config["client_id"] == "your-spotify-app-client-id" else config["client_id"]
    options = LoginOptions(
        client_id=client_id,
        client_secret=config["client_secret"],
        accounts_base_url=config["accounts_base_url"],
        api_base_url=config["api_base_url"],
        cache_path=Path(config["token_cache_path"]),
        port=config["redirect_port"] if args.port is None else args.port,
        timeout_seconds=args.timeout,
        configured_refresh_token=config["refresh_token"],
        request_timeout_seconds=config["request_timeout_seconds"],
    )

    def show(url: str, callback: str, opened: bool) -> None:
        if opened:
            print("Your browser shows Spotify's login page. If it did not open, open this address yourself:")
        else:
            print("Open this address in a browser on this machine and log in to Spotify:")
        print(url, flush=True)
        print(f"Waiting up to {args.timeout:.0f} s for Spotify's answer on {callback} ...", flush=True)

    result = login(options, show_url=show, open_browser=None if args.no_browser else _open_browser)
    record = result.login
    account = f"{record.display_name} ({record.user_id})" if record.display_name else record.user_id
    print(f"Logged in as {account}.")
    print(f"Scopes granted: {' '.join(record.scopes) or 'not reported by Spotify'}")
    if result.missing_scopes:
        print(f"WARNING: Spotify did not grant {', '.join(result.missing_scopes)}; what needs them will be missing.")
    print(
        f"Saved the login to {result.cache_path} (readable by you only). Spotify ends it "
        f"{record.refresh_token_expires_at:%Y-%m-%d} (6 months after the login); `python pipeline.py status` "
        "says how long is left."
    )
    if config["refresh_token"]:
        print("The refresh_token in secrets.toml (or env) is replaced by this login; you may delete it there.")
    return EXIT_OK


def _open_browser(url: str) -> bool:
    """Open the URL in a graphical browser when the machine has one; False on a headless machine (or no browser).

    On Linux without a display Python's webbrowser would start a text browser in this terminal, which cannot log in
    to Spotify: print the address instead."""
    import webbrowser

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        return webbrowser.get().open(url)
    except webbrowser.Error:
        return False


def command_status(args: argparse.Namespace) -> int:
    """The warehouse, its last run and the login's age; exit code 3 once the login expired (spotify_pipeline.status)."""
    from spotify_pipeline import status
    from spotify_source.auth import current_login
    from spotify_source.login import configured_settings
    from spotify_source.settings import SCOPES

    config = configured_settings()
    cache = Path(config["token_cache_path"]) if config["token_cache_path"] else None
    record = current_login(cache, config["client_id"], config["refresh_token"])
    return status.report(
        warehouse_path(), record, bool(config["refresh_token"]), SCOPES, destination=destination_name()
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python pipeline.py",
        description="Keep your whole Spotify life in a warehouse you own.",
        epilog="Without a command, `run` is assumed, with its options (`python pipeline.py --no-transform`). "
        "Exit codes: 0 done, 1 failed, 2 not configured, bad usage or a refused data export, "
        "3 login expired (run `auth`), "
        "4 rate-limited beyond the cap (run again later), 5 dbt failed (raw data loaded), "
        "6 `costs`: above the BigQuery free tier, "
        "75 another pipeline run holds the lock (nothing done; run again later), or another process kept the DuckDB "
        "file open for over 10 s. "
        "`status` exits 0 (also while warning that the login expires within 14 days), 2 not logged in, "
        "3 login expired. `run`, `demo`, `import-export` and `auth` take the lock <warehouse>.lock "
        "(default data/warehouse.duckdb.lock).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load your Spotify account into the warehouse (the default)")
    run.add_argument("--no-transform", action="store_true", help="load raw data only; do not run dbt build")
    run.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    demo = commands.add_parser("demo", help="the whole pipeline against a local emulated Spotify: no account needed")
    demo.add_argument("--seed", type=int, default=0, help="library seed (default 0)")
    demo.add_argument("--profile", choices=DEMO_PROFILES, default="reference",
                      help="the emulated library: sized (small, reference, large) or an awkward real account "
                      "(empty, no-playlists, no-likes, no-plays, followed-only)")  # fmt: skip
    demo.add_argument("--mode", choices=("extended", "development"), default="extended", help="app tier to emulate")
    demo.add_argument(
        "--no-export", action="store_true",
        help="skip importing the emulated account's data export (then only the API's last 50 plays are kept)",
    )  # fmt: skip
    demo.add_argument("--no-transform", action="store_true", help="load raw data only; do not run dbt build")
    demo.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    export = commands.add_parser(
        "import-export", help="load Spotify's data export (zip, folder or one JSON file): your whole history"
    )
    export.add_argument(
        "path", type=os.path.abspath, metavar="PATH",
        help="my_spotify_data.zip as Spotify sends it, its unpacked folder, or one Streaming_History*.json file",
    )  # fmt: skip
    export.add_argument(
        "--user-id", metavar="ID",
        help="whose export this is (default: the one account in the warehouse; needed before the first run, or "
        "when several accounts share the warehouse)",
    )  # fmt: skip
    export.add_argument("--no-transform", action="store_true", help="load raw data only; do not run dbt build")
    export.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    costs = commands.add_parser("costs", help="storage and query bytes against the BigQuery free tier (or DuckDB)")
    costs.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    costs.add_argument(
        "--warn-at", type=float, default=80.0, metavar="PERCENT",
        help="warn when a free-tier share (or its month-end projection) reaches this (default 80)",
    )  # fmt: skip
    auth = commands.add_parser("auth", help="log in to Spotify in your browser; `run` uses the login after")
    auth.add_argument(
        "--port", type=int, metavar="N",
        help="listen on http://127.0.0.1:N/callback (default 8888, or redirect_port in .dlt/config.toml); the "
        "redirect URI registered for your app on Spotify's dashboard must name the same port",
    )  # fmt: skip
    auth.add_argument("--no-browser", action="store_true", help="only print the login address (e.g. over SSH)")
    auth.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS", help="wait this long (default 300)")
    status = commands.add_parser(
        "status", help="the warehouse, its last run, and when the Spotify login expires (exit 3 once it has)"
    )
    status.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    for command in commands.choices.values():
        command.add_argument(
            "--log-file", type=os.path.abspath, metavar="PATH",
            help="also append this run's output and Python logging to PATH (created owner-only; no tokens)",
        )  # fmt: skip
    return parser


DESTINATION_HELP = (
    "warehouse: duckdb (default; the file $SPOTIFY_DUCKDB) or bigquery; else SPOTIFY_DESTINATION or "
    "[pipeline] destination in .dlt/config.toml"
)


COMMANDS = ("run", "demo", "costs", "import-export", "auth", "status")
LOCKED_COMMANDS = ("run", "demo", "import-export", "auth")
"""Commands that write (the warehouse, dlt's state, the token cache): one process at a time (see run_lock)."""


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, "run")  # `python pipeline.py --no-transform` means `run --no-transform`
    args = build_parser().parse_args(arguments)
    if getattr(args, "destination", None):
        os.environ["SPOTIFY_DESTINATION"] = args.destination  # one place every part asks (destination_name)
    _prepare_dlt()
    if not args.log_file:
        return _run_command(args)
    from spotify_pipeline.run_log import log_to_file

    with log_to_file(Path(args.log_file), arguments) as run_log:
        code = _run_command(args)
        run_log.finish(code)
    return code


def _run_command(args: argparse.Namespace) -> int:
    """The command, under the run lock when it writes; errors of ours become a message and an exit code."""
    from contextlib import nullcontext

    from spotify_pipeline.destinations import DestinationNotConfigured
    from spotify_pipeline.run_lock import LockHeld, lock_path_for, run_lock
    from spotify_pipeline.warehouse_access import WarehouseLocked
    from spotify_source.errors import SpotifySourceError

    lock = run_lock(lock_path_for(warehouse_path()), args.command) if args.command in LOCKED_COMMANDS else nullcontext()
    # What the user can act on: each prints its message and exits with its documented code (no traceback).
    user_errors = (
        SpotifySourceError, WarehouseInUse, TransformFailed, DestinationNotConfigured, LockHeld, ExportOwnerUnknown,
        WarehouseLocked,
    )  # fmt: skip
    try:
        with lock:
            return _dispatch(args)
    except user_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; what was loaded before is kept. Run again to continue.", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "auth":
        return command_auth(args)
    if args.command == "status":
        return command_status(args)
    if args.command == "costs":
        return command_costs(args)
    if args.command == "import-export":
        return command_import_export(args)
    return command_demo(args) if args.command == "demo" else command_run(args)


if __name__ == "__main__":
    sys.exit(main())
