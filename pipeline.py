"""The command line of the Spotify warehouse: `run` (the default) loads your Spotify account, `demo` loads the
local emulator. Both land raw data in `spotify_raw` of the warehouse at $SPOTIFY_DUCKDB (default
data/warehouse.duckdb).

    python pipeline.py                 # = run: your account (after `python pipeline.py auth`)
    python pipeline.py demo            # no account, no network: the emulated Spotify
    python pipeline.py demo --mode development --profile small --seed 3
    python pipeline.py wrapped --year 2025   # your recap (text, --format json or png)

This module only parses arguments, wires the parts together and maps errors to exit codes: the work lives in
spotify_pipeline (settings, loading, transform, export_import, demo, login, status, costs), the source in
spotify_source, and `wrapped`, which reads what the dashboard reads, in dashboard/wrapped_command.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext
from pathlib import Path

from spotify_pipeline import settings  # only paths and env: `--help` imports neither dlt nor dbt

EXIT_OK, EXIT_INTERRUPTED = 0, 130
COMMANDS = ("run", "demo", "costs", "import-export", "auth", "accounts", "status", "wrapped")
LOCKED_COMMANDS = ("run", "demo", "import-export", "auth")
"""Commands that write (the warehouse, dlt's state, the token cache): one process at a time (see run_lock)."""
READ_ONLY_COMMANDS = ("wrapped",)
"""Commands that read the final tables as the dashboard does: no lock, none of the pipeline's imports (dlt), their
own messages and exit codes."""
DEMO_PROFILES = (
    "small", "reference", "large", "library-10k", "empty", "no-playlists", "no-likes", "no-plays", "followed-only",
)  # fmt: skip
"""The emulator's libraries (spotify_emulator/profiles.py), named here so `--help` needs no emulator import."""


# Each command imports its steps when it runs: after prepare_dlt() has set dlt's env, and `--help` stays instant.


def command_run(args: argparse.Namespace) -> int:
    """Load the account named by `--account`, else every logged-in account in turn (spotify_pipeline.household)."""
    from spotify_pipeline.household import run_accounts

    return run_accounts(args.account, transform=not args.no_transform)


def command_demo(args: argparse.Namespace) -> int:
    from spotify_pipeline.demo import run_demo

    run_demo(seed=args.seed, profile=args.profile, mode=args.mode, with_export=not args.no_export,
             transform=not args.no_transform, accounts=args.accounts)  # fmt: skip
    return EXIT_OK


def command_import_export(args: argparse.Namespace) -> int:
    """Load a Spotify data export whole or not at all, for its owner (`--user-id`, `--account`, or the one account
    the warehouse holds), then build the final tables."""
    from spotify_pipeline import export_import, transform
    from spotify_pipeline.login import user_of_account

    owner = user_of_account(args.account) if args.account else args.user_id
    export_import.import_export(args.path, export_import.export_owner(owner))
    transform.build(skip=args.no_transform)
    return EXIT_OK


def command_costs(args: argparse.Namespace) -> int:
    from spotify_pipeline import costs

    return costs.command(settings.destination_name(), warn_at=args.warn_at, duckdb_path=settings.warehouse_path())


def command_auth(args: argparse.Namespace) -> int:
    from spotify_pipeline.login import log_in

    log_in(port=args.port, timeout=args.timeout, open_browser=not args.no_browser, account=args.account)
    return EXIT_OK


def command_accounts(args: argparse.Namespace) -> int:
    """List the logged-in accounts, or forget one (`remove NAME [--delete-data]`)."""
    from spotify_pipeline import account_commands

    return account_commands.command(args.accounts_action, getattr(args, "name", None), args.delete_data)


def command_status(args: argparse.Namespace) -> int:
    from spotify_pipeline.login import report_status

    return report_status()


def command_wrapped(args: argparse.Namespace) -> int:
    from dashboard import wrapped_command

    return wrapped_command.run(args)


HANDLERS = {
    "run": command_run,
    "demo": command_demo,
    "import-export": command_import_export,
    "costs": command_costs,
    "auth": command_auth,
    "accounts": command_accounts,
    "status": command_status,
    "wrapped": command_wrapped,
}


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
    run = commands.add_parser("run", help="load every logged-in Spotify account into the warehouse (the default)")
    run.add_argument("--account", metavar="NAME", help="load only this account (default: all, see `accounts`)")
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
    demo.add_argument("--accounts", type=int, default=1, metavar="N",
                      help="a household: N emulated people (seeds SEED, SEED+1, ...) sharing one catalog, loaded "
                      "into one warehouse (default 1; at most 10)")  # fmt: skip
    demo.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    export = commands.add_parser(
        "import-export", help="load Spotify's data export (zip, folder or one JSON file): your whole history"
    )
    export.add_argument(
        "path", type=os.path.abspath, metavar="PATH",
        help="my_spotify_data.zip as Spotify sends it, its unpacked folder, or one Streaming_History*.json file",
    )  # fmt: skip
    owner = export.add_mutually_exclusive_group()
    owner.add_argument(
        "--user-id", metavar="ID",
        help="whose export this is (default: the one account in the warehouse; needed before the first run, or "
        "when several accounts share the warehouse)",
    )  # fmt: skip
    owner.add_argument(
        "--account", metavar="NAME",
        help="whose export this is, by account name (see `accounts`): that login's Spotify user",
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
    auth.add_argument("--account", metavar="NAME",
                      help="log in one person of a household under this name (lower-case letters, digits, _); "
                      "their own token cache beside the default one")  # fmt: skip
    household = commands.add_parser("accounts", help="the logged-in accounts: Spotify user, last run, login end")
    household.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    household.set_defaults(delete_data=False)  # `accounts` alone lists
    actions = household.add_subparsers(dest="accounts_action")
    remove = actions.add_parser("remove", help="forget an account's login (and, with --delete-data, its rows)")
    remove.add_argument("name", metavar="NAME", help="the account (`default` for the one logged in without a name)")
    remove.add_argument("--delete-data", action="store_true", help="also delete their rows, in one transaction")
    status = commands.add_parser(
        "status", help="the warehouse, its last run, and when the Spotify login expires (exit 3 once it has)"
    )
    status.add_argument("--destination", choices=("duckdb", "bigquery"), help=DESTINATION_HELP)
    from dashboard import wrapped_command  # argparse only at import: `--help` stays instant

    wrapped_command.add_arguments(commands.add_parser("wrapped", help=wrapped_command.HELP), DESTINATION_HELP)
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


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, "run")  # `python pipeline.py --no-transform` means `run --no-transform`
    args = build_parser().parse_args(arguments)
    settings.choose_destination(getattr(args, "destination", None))
    settings.prepare_dlt()
    if not args.log_file:
        return run_command(args)
    from spotify_pipeline.run_log import log_to_file

    with log_to_file(Path(args.log_file), arguments) as run_log:
        code = run_command(args)
        run_log.finish(code)
    return code


def run_command(args: argparse.Namespace) -> int:
    """The command, under the run lock when it writes. Every error a user can act on (spotify_source.errors'
    UserError) becomes its message and its documented exit code, here and nowhere else: no traceback."""
    if args.command in READ_ONLY_COMMANDS:
        return HANDLERS[args.command](args)
    from spotify_pipeline.run_lock import lock_path_for, run_lock
    from spotify_source.errors import UserError

    writes = args.command in LOCKED_COMMANDS or getattr(args, "accounts_action", None) == "remove"
    lock = run_lock(lock_path_for(settings.warehouse_path()), args.command) if writes else nullcontext()
    try:
        with lock:
            return HANDLERS[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; what was loaded before is kept. Run again to continue.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
