"""The command line of the Spotify warehouse: `run` (the default) loads your Spotify account, `demo` loads the
local emulator. Both land raw data in `spotify_raw` of the warehouse at $SPOTIFY_DUCKDB (default
data/spotify.duckdb).

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
EXIT_OK, EXIT_FAILED = 0, 1


def warehouse_path() -> Path:
    """The DuckDB file the pipeline, dbt and the dashboard share."""
    return Path(os.environ.get("SPOTIFY_DUCKDB", ROOT / "data" / "spotify.duckdb"))


def pipelines_dir() -> Path:
    """dlt's working folder, kept in the project (dlt would use a system folder when run as root)."""
    return Path(os.environ.get("SPOTIFY_PIPELINES_DIR", ROOT / "data" / ".dlt_pipelines"))


def _prepare_dlt() -> None:
    # The source relies on dlt running its resources in order; .dlt/config.toml says so, this covers other cwds.
    os.environ.setdefault("EXTRACT__NEXT_ITEM_MODE", "fifo")
    # dlt's anonymous telemetry would call out to the internet: this project talks to nothing it was not asked to.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.chdir(ROOT)  # dlt reads .dlt/config.toml and secrets.toml from the working directory


def make_destination() -> Any:
    """The dlt destination of the raw data: the DuckDB file at $SPOTIFY_DUCKDB."""
    import dlt

    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return dlt.destinations.duckdb(str(path))


def load(source_factory: Callable[[], Any], *, label: str, pipeline_name: str = "spotify") -> dict[str, Any]:
    """Extract, normalise and load one source run into the warehouse; returns what the run reported.

    Each source has its own dlt pipeline (`spotify` for the Web API, `spotify_export` for the data export), so
    their states never mix; all land in the same dataset, spotify_raw.
    """
    import dlt

    from spotify_source.errors import SpotifySourceError

    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=make_destination(),
        dataset_name="spotify_raw",
        pipelines_dir=str(pipelines_dir()),
    )
    print(f"Loading {label} into {warehouse_path()} (dataset spotify_raw)", flush=True)
    try:
        source = source_factory()
        _step("1/3 extracting from Spotify", lambda: pipeline.extract(source))
        _step("2/3 normalising", pipeline.normalize)
        _step("3/3 loading into DuckDB", pipeline.load)
    except SpotifySourceError:
        raise
    except Exception as exc:  # dlt wraps what the source raised; unwrap ours so the user gets its message
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, SpotifySourceError):
            cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
        if isinstance(cause, SpotifySourceError):
            raise cause from None
        raise
    normalize = pipeline.last_trace.last_normalize_info
    rows = dict(sorted(normalize.row_counts.items())) if normalize else {}
    return {"rows": rows, "pipeline": pipeline}


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
    with pipeline.sql_client() as client:
        runs = client.execute_sql(
            "select tier, batch_endpoints_available, audio_features_available, notes "
            "from extraction_runs order by run_started_at desc limit 1"
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
                (count,) = client.execute_sql(f"select count(*) from {table}")[0]
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
            f"{warehouse_path()} already holds data of another Spotify account ({len(accounts)} user(s)); the demo "
            "will not mix its emulated account into it. Run the demo into its own file, e.g. "
            "`SPOTIFY_DUCKDB=data/demo.duckdb python pipeline.py demo`."
        )


def accounts_in_warehouse() -> set[str]:
    """User ids already loaded into the warehouse (none if it does not exist yet)."""
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


DBT_PROJECT = ROOT / "dbt_project"


def run_dbt(arguments: list[str]) -> None:
    """Run dbt in-process (dbt's Python runner) on the project and profile beside this file, on $SPOTIFY_DUCKDB.

    Raises TransformFailed with dbt's own messages when anything fails.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt sends no usage statistics either
    os.environ["SPOTIFY_DUCKDB"] = str(warehouse_path().resolve())
    from dbt.cli.main import dbtRunner

    try:
        result = dbtRunner().invoke(
            [*arguments, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--quiet"]
        )
    finally:
        _release_duckdb()
    if not result.success:
        failures = []
        for node_result in getattr(result.result, "results", None) or []:
            if str(node_result.status) in ("error", "fail"):
                failures.append(f"{node_result.node.name}: {node_result.message}")
        detail = "\n  ".join(failures) or str(result.exception or "see the dbt output above")
        raise TransformFailed(
            f"dbt {' '.join(arguments)} failed; the raw data is loaded, the final tables may be stale:\n  {detail}"
        )


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
    print("Building the final tables with dbt (schema spotify) ...", end="", flush=True)
    started = time.monotonic()
    try:
        run_dbt(["build"])
    except TransformFailed:
        print(" failed", flush=True)
        raise
    print(f" {time.monotonic() - started:.1f} s", flush=True)


def command_run(args: argparse.Namespace) -> int:
    from spotify_source import spotify_source

    result = load(lambda: spotify_source(), label="your Spotify account")
    print_summary(result["pipeline"])
    transform_step(args)
    return EXIT_OK


def command_demo(args: argparse.Namespace) -> int:
    from spotify_emulator import EmulatorServer
    from spotify_source import spotify_source

    # The library's own fixed history end keeps the demo deterministic: a second demo run finds nothing new.
    with EmulatorServer(seed=args.seed, profile=args.profile, mode=args.mode) as spotify:
        print(f"Emulated Spotify at {spotify.url} (profile {args.profile}, seed {args.seed}, {args.mode} tier)")
        demo_user = spotify.control("GET", "ground-truth")["user"]["id"]
        others = accounts_in_warehouse() - {demo_user}
        if others:
            raise WarehouseInUse(others)
        tokens = spotify.login()
        with tempfile.TemporaryDirectory(prefix="spotify-demo-") as scratch:

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
    print_summary(result["pipeline"])
    transform_step(args)
    print(f"Warehouse: {warehouse_path()}")
    print(f"Dashboard: SPOTIFY_DUCKDB={warehouse_path()} {sys.executable} -m streamlit run dashboard/app.py")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python pipeline.py",
        description="Keep your whole Spotify life in a warehouse you own.",
        epilog="Without a command, `run` is assumed, with its options (`python pipeline.py --no-transform`). "
        "Exit codes: 0 done, 1 failed, 2 not configured or bad usage, 3 login expired (run `auth`), "
        "4 rate-limited beyond the cap (run again later), 5 dbt failed (raw data loaded).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load your Spotify account into the warehouse (the default)")
    run.add_argument("--no-transform", action="store_true", help="load raw data only; do not run dbt build")
    demo = commands.add_parser("demo", help="the whole pipeline against a local emulated Spotify: no account needed")
    demo.add_argument("--seed", type=int, default=0, help="library seed (default 0)")
    demo.add_argument("--profile", choices=("small", "reference", "large"), default="reference")
    demo.add_argument("--mode", choices=("extended", "development"), default="extended", help="app tier to emulate")
    demo.add_argument("--no-transform", action="store_true", help="load raw data only; do not run dbt build")
    return parser


COMMANDS = ("run", "demo")


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, "run")  # `python pipeline.py --no-transform` means `run --no-transform`
    args = build_parser().parse_args(arguments)
    _prepare_dlt()
    from spotify_source.errors import SpotifySourceError

    try:
        return command_demo(args) if args.command == "demo" else command_run(args)
    except (SpotifySourceError, WarehouseInUse, TransformFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; what was loaded before is kept. Run again to continue.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
