"""`python -m spotify_emulator serve ...`: run the emulator until SIGINT or SIGTERM.

Prints `SPOTIFY_EMULATOR_URL=http://127.0.0.1:<port>` on one line once it accepts requests, so a script can
start it with `--port 0` and read where it is.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import UTC, datetime

from spotify_emulator.accounts import AccountSettings
from spotify_emulator.faults import FaultSettings
from spotify_emulator.profiles import PROFILES
from spotify_emulator.server import EmulatorServer
from spotify_emulator.state import MODES, EmulatorSettings


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate is a probability between 0 and 1")
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
    return parser


def settings_from(args: argparse.Namespace) -> EmulatorSettings:
    settings = EmulatorSettings(
        seed=args.seed,
        profile=args.profile,
        mode=args.mode,
        accounts=AccountSettings(
            client_id=args.client_id,
            client_secret=args.client_secret,
            access_token_lifetime=args.token_lifetime,
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
            seed=args.fault_seed,
        ),
    )
    if args.history_end is not None:
        settings.history_end = args.history_end
    return settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = EmulatorServer(settings_from(args), host=args.host, port=args.port).start()
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
