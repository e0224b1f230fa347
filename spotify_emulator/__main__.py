"""`python -m spotify_emulator serve ...`: run the emulator until SIGINT or SIGTERM.

Prints `SPOTIFY_EMULATOR_URL=http://127.0.0.1:<port>` on one line once it accepts requests, so a script can
start it with `--port 0` and read where it is.

`python -m spotify_emulator export --kind extended|account|bulk ...` writes a Spotify data export of the
library's whole history (or, `bulk`, a large synthetic one for benchmarks) and prints its path.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from spotify_emulator.accounts import AccountSettings
from spotify_emulator.clock import CLOCKS, make_clock
from spotify_emulator.faults import CORRUPT_KINDS, FaultSettings
from spotify_emulator.profiles import PROFILES
from spotify_emulator.server import EmulatorServer
from spotify_emulator.state import MAX_ACCOUNTS, MODES, EmulatorSettings


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate is a probability between 0 and 1")
    return value


def _account_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_ACCOUNTS:
        raise argparse.ArgumentTypeError(f"a household has 1 to {MAX_ACCOUNTS} accounts")
    return value


def _index(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("an account index is 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spotify_emulator", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated Spotify Web API and accounts service")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    serve.add_argument("--seed", type=int, default=0, help="library seed: same seed, same library")
    serve.add_argument("--profile", choices=sorted(PROFILES), default="reference")
    serve.add_argument("--mode", choices=MODES, default="extended", help="app tier to play")
    serve.add_argument("--history-end", type=_moment, default=None, help="when the generated history ends (ISO-8601)")
    serve.add_argument(
        "--accounts", type=_account_count, default=1,
        help="serve a household of N accounts (login with /authorize?emulator_account=I); account I is seed+I's "
        "library over seed's catalogue (default 1)",
    )  # fmt: skip
    serve.add_argument(
        "--clock", choices=CLOCKS, default="system",
        help="what tokens and rate windows are measured by: system (wall clock), manual (stands still until "
        "POST /_emulator/clock {\"advance_seconds\": N}); both can be advanced",
    )  # fmt: skip

    auth = serve.add_argument_group("accounts service")
    auth.add_argument("--client-id", default=AccountSettings.client_id)
    auth.add_argument("--client-secret", default=AccountSettings.client_secret)
    auth.add_argument(
        "--token-lifetime",
        type=float,
        default=AccountSettings.access_token_lifetime,
        help="access token lifetime in seconds (Spotify: 3600)",
    )
    auth.add_argument(
        "--token-uses", type=int, default=None,
        help="emulator-only: an access token dies after this many API requests (default: only its lifetime)",
    )  # fmt: skip
    auth.add_argument(
        "--refresh-token-lifetime",
        type=float,
        default=AccountSettings.refresh_token_lifetime,
        help="seconds from login until refresh fails with invalid_grant (Spotify: ~6 months)",
    )
    auth.add_argument("--refresh-rotation", choices=("pkce", "always", "never"), default="pkce")
    auth.add_argument("--consent", choices=("grant", "deny"), default="grant")

    faults = serve.add_argument_group("faults and latency (all seeded)")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="added to every API request")
    faults.add_argument("--rate-429", type=_rate, default=0.0, help="probability of a 429")
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After of those 429s, in seconds")
    faults.add_argument("--rolling-limit", type=int, default=None, help="max requests per rolling 30 s window")
    faults.add_argument("--quota-exceeded", action="store_true", help="answer 429 QUOTA_EXCEEDED to everything")
    faults.add_argument("--quota-retry-after", type=int, default=86_400)
    faults.add_argument("--rate-500", type=_rate, default=0.0)
    faults.add_argument("--rate-502", type=_rate, default=0.0)
    faults.add_argument("--rate-503", type=_rate, default=0.0)
    faults.add_argument("--rate-drop", type=_rate, default=0.0, help="probability of closing the connection")
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument(
        "--fault-account", action="append", type=_index, default=None, metavar="I",
        help="inject faults only into requests of this account's tokens (repeatable; default: every account)",
    )  # fmt: skip
    faults.add_argument("--corrupt-rate", type=_rate, default=0.0, help="probability of corrupting a 200 answer")
    faults.add_argument("--corrupt-kind", choices=CORRUPT_KINDS, default="mixed", help="how (default: mixed)")
    faults.add_argument(
        "--corrupt-endpoint", action="append", default=[], metavar="TEMPLATE",
        help="only this endpoint template, e.g. 'GET /v1/me/playlists' (repeatable; default: all)",
    )  # fmt: skip
    faults.add_argument("--corrupt-field", default=None, help="dotted path to remove/retype, e.g. items.*.played_at")
    faults.add_argument(
        "--unexpected-values", action="store_true",
        help="send values outside the documented vocabularies: album type EP, context type mix, popularity 101/-1",
    )  # fmt: skip

    export = commands.add_parser("export", help="write a Spotify data export of the library's history")
    export.add_argument("--kind", choices=("extended", "account", "bulk"), default="extended")
    export.add_argument("--seed", type=int, default=0, help="library seed (bulk: generator seed)")
    export.add_argument("--profile", choices=sorted(PROFILES), default="reference")
    export.add_argument(
        "--account", type=_index, default=0, metavar="I",
        help="extended/account: export account I of the household of --seed (the library of seed+I; default 0)",
    )  # fmt: skip
    export.add_argument("--out", type=Path, required=True, help="folder to write into (or a .zip path with --zip)")
    export.add_argument("--zip", action="store_true", help="write my_spotify_data.zip as Spotify sends it")
    export.add_argument("--plays", type=int, default=500_000, help="bulk: number of plays (default 500,000)")
    export.add_argument("--field-version", choices=("2024", "legacy", "2025", "mixed"), default="2024")
    export.add_argument("--legacy", action="store_true", help="account: StreamingHistoryN.json of old exports")
    export.add_argument("--no-quirks", action="store_true", help="extended: no duplicates, rows in order")
    export.add_argument("--since", type=_moment, default=None, help="plays that ended at or after (ISO-8601)")
    export.add_argument("--until", type=_moment, default=None, help="plays that ended before (ISO-8601)")
    return parser


def export_command(args: argparse.Namespace) -> int:
    """Write the export asked for and print where it is."""
    from spotify_emulator.export import write_account_export, write_bulk_extended_history, write_extended_export
    from spotify_emulator.library import generate

    packaging = "zip" if args.zip else "folder"
    window = {"since": args.since, "until": args.until}
    if args.kind == "bulk":
        path = write_bulk_extended_history(args.out, plays=args.plays, seed=args.seed, packaging=packaging)
    elif args.kind == "account":
        library = generate(args.seed + args.account, args.profile, catalog_seed=args.seed)
        path = write_account_export(library, args.out, packaging=packaging, legacy=args.legacy, **window)
    else:
        library = generate(args.seed + args.account, args.profile, catalog_seed=args.seed)
        path = write_extended_export(
            library, args.out, packaging=packaging, field_version=args.field_version, quirks=not args.no_quirks,
            **window,
        )  # fmt: skip
    print(path)
    return 0


def settings_from(args: argparse.Namespace) -> EmulatorSettings:
    settings = EmulatorSettings(
        seed=args.seed,
        profile=args.profile,
        mode=args.mode,
        account_count=args.accounts,
        accounts=AccountSettings(
            client_id=args.client_id,
            client_secret=args.client_secret,
            access_token_lifetime=args.token_lifetime,
            access_token_uses=args.token_uses,
            refresh_token_lifetime=args.refresh_token_lifetime,
            refresh_rotation=args.refresh_rotation,
            consent=args.consent,
        ),
        faults=FaultSettings(
            latency_ms=args.latency_ms,
            rate_429=args.rate_429,
            retry_after=args.retry_after,
            rolling_limit=args.rolling_limit,
            quota_exceeded=args.quota_exceeded,
            quota_retry_after=args.quota_retry_after,
            rate_500=args.rate_500,
            rate_502=args.rate_502,
            rate_503=args.rate_503,
            rate_drop=args.rate_drop,
            corrupt_rate=args.corrupt_rate,
            corrupt_kind=args.corrupt_kind,
            corrupt_endpoints=list(args.corrupt_endpoint),
            corrupt_field=args.corrupt_field,
            unexpected_values=args.unexpected_values,
            seed=args.fault_seed,
            accounts=sorted(set(args.fault_account)) if args.fault_account else None,
        ),
    )
    if args.history_end is not None:
        settings.history_end = args.history_end
    return settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export":
        return export_command(args)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = EmulatorServer(
            settings_from(args), host=args.host, port=args.port, clock=make_clock(args.clock)
        ).start()
    except (ValueError, OSError) as exc:
        print(f"spotify_emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    print(f"SPOTIFY_EMULATOR_URL={server.url}", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
    print("spotify_emulator: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
