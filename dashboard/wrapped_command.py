"""`python pipeline.py wrapped`: the recap of a year or any period, as text, JSON or a PNG card.

It reads the final tables the way the dashboard does (dashboard/warehouse.py: the same settings, DuckDB read-only)
and builds the same dict as the Wrapped page (dashboard/recap.py), so the command and the page agree. It lives in
the dashboard's package because it is the dashboard's read side on a terminal; pipeline.py only hands it its
arguments. At import it needs argparse alone (the parser is built on every `python pipeline.py`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HELP = "your recap of a year or any period (default: the last complete year): text, JSON or PNG"
EXIT_UNAVAILABLE, EXIT_INTERRUPTED = 2, 130


class RecapUnavailable(Exception):
    """No recap can be made (no warehouse or account yet, several accounts and no --user-id, bad period or zone)."""


def add_arguments(parser: argparse.ArgumentParser, destination_help: str) -> None:
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--year", type=int, metavar="YYYY", help="a calendar year")
    period.add_argument("--from", dest="start", type=_date, metavar="DATE", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", type=_date, metavar="DATE", help="last day, included (YYYY-MM-DD)")
    parser.add_argument("--user-id", metavar="ID", help="whose recap (needed when the warehouse holds several)")
    parser.add_argument("--format", choices=("text", "json", "png"), default="text", help="default text")
    parser.add_argument(
        "--out", type=Path, metavar="PATH", help="write here (default: the terminal; for png wrapped-<period>.png)"
    )
    parser.add_argument(
        "--tz", metavar="ZONE",
        help="time zone of days, months and sessions (IANA name, e.g. Europe/Berlin; default the machine's)",
    )  # fmt: skip
    parser.add_argument("--destination", choices=("duckdb", "bigquery"), help=destination_help)


def run(args: argparse.Namespace) -> int:
    """The command: the recap written where asked, or an error that says what to do (exit 2), never a traceback."""
    try:
        return command(
            year=args.year, start=args.start, end=args.end, user_id=args.user_id, output_format=args.format,
            out=args.out, tz=args.tz,
        )  # fmt: skip
    except RecapUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print("Interrupted; nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED


def machine_timezone(environ: Mapping[str, str] | None = None) -> str:
    """The machine's IANA time zone: $TZ, else /etc/localtime's target, else UTC."""
    environ = os.environ if environ is None else environ
    candidates = [environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    for name in candidates:
        if name and _is_zone(name):
            return name
    return "UTC"


def checked_timezone(name: str) -> str:
    if not _is_zone(name):
        raise RecapUnavailable(f"unknown time zone {name!r}: give an IANA name such as Europe/Berlin or UTC")
    return name


def command(
    *,
    year: int | None,
    start: dt.date | None,
    end: dt.date | None,
    user_id: str | None,
    output_format: str,
    out: Path | None,
    tz: str | None,
) -> int:
    """Build the recap and write it where asked (stdout for text and JSON; a file for PNG)."""
    from dashboard import recap, warehouse

    zone = checked_timezone(tz) if tz else machine_timezone()
    try:
        store = warehouse.open_warehouse(warehouse.load_config(os.environ))

        def run_statement(query: Any, options: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
            return store.run(query.render(store.dialect, **dict(options)), dict(params))

        user, display_name = _choose_user(run_statement, user_id)
        period = _choose_period(run_statement, user, zone, year=year, start=start, end=end)
        result = recap.build_recap(run_statement, user_id=user, period=period, tz=zone, display_name=display_name)
    except warehouse.WarehouseError as exc:
        raise RecapUnavailable(f"{exc.title} {exc.hint}") from None
    if not result["streams"]:
        print(f"No plays in {period.label} ({zone}) for {display_name or user}.", file=sys.stderr)
    if output_format == "json":
        _write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", out)
    elif output_format == "png":
        from dashboard.wrapped_card import card_filename, render_card

        target = out or Path(card_filename(result))
        target.write_bytes(render_card(result))
        print(f"Wrote {target}")
    else:
        _write_text(as_text(result), out)
    return 0


def _choose_user(run: Any, user_id: str | None) -> tuple[str, str | None]:
    import pandas as pd

    from dashboard import queries

    users = run(queries.users, {}, {})
    known = {
        str(row.user_id): (None if pd.isna(row.display_name) else str(row.display_name)) for row in users.itertuples()
    }
    if user_id:
        if user_id not in known:
            raise RecapUnavailable(f"no account {user_id!r} in the warehouse; it holds: {', '.join(known) or 'none'}")
        return user_id, known[user_id]
    if not known:
        raise RecapUnavailable("the warehouse holds no account yet: run `python pipeline.py` (or `demo`) first")
    if len(known) > 1:
        raise RecapUnavailable(f"the warehouse holds several accounts; choose one with --user-id: {', '.join(known)}")
    return next(iter(known.items()))


def _choose_period(
    run: Any, user_id: str, tz: str, *, year: int | None, start: dt.date | None, end: dt.date | None
) -> Any:
    import pandas as pd

    from dashboard import queries, recap

    if year is not None:
        return recap.calendar_year(year)
    bounds = run(queries.play_bounds, {}, {"user_id": user_id}).iloc[0]
    if start is None or end is None:
        if not int(bounds["plays"] or 0):
            raise RecapUnavailable("no plays in the warehouse yet: nothing to recap")
        zone = ZoneInfo(tz)
        first = pd.Timestamp(bounds["first_played_at"]).to_pydatetime().astimezone(zone).date()
        last = pd.Timestamp(bounds["last_played_at"]).to_pydatetime().astimezone(zone).date()
        if start is None and end is None:
            return recap.default_period(first, last)
        start, end = start or first, end or last
    try:
        return recap.Period(start, end)
    except ValueError as exc:
        raise RecapUnavailable(str(exc)) from None


def as_text(result: Mapping[str, Any]) -> str:
    """The recap for a terminal."""
    lines = [
        f"Your Wrapped {result['period']['label']}"
        + (f" — {result['display_name']}" if result.get("display_name") else "")
        + f" ({result['period']['from']} to {result['period']['to']}, {result['time_zone']})",
        "",
        f"  {result['minutes_listened']:,.0f} minutes listened{_change(result)}",
        f"  {result['plays']:,} plays (streams of 30 s or more), {result['distinct_tracks']:,} tracks, "
        f"{result['distinct_artists']:,} artists",
    ]
    if result["new_artists_share"] is not None:
        lines.append(f"  {result['new_artists_share']:.0%} of those artists were new to you")
    lines += ["", "Top artists (by minutes)"]
    lines += [
        f"  {n}. {a['name']}: {a['minutes']:,.0f} min, {a['plays']:,} plays"
        for n, a in _numbered(result["top_artists"])
    ]
    lines += ["", "Top tracks (by plays)"]
    lines += [
        f"  {n}. {t['name']} — {t['artist']}: {t['plays']:,} plays, {t['minutes']:,.0f} min"
        for n, t in _numbered(result["top_tracks"])
    ]
    if result["top_genres"]:
        lines += ["", "Top genres (by minutes)"]
        lines += [f"  {n}. {g['name']}: {g['minutes']:,.0f} min" for n, g in _numbered(result["top_genres"])]
    without = result["genre_coverage"]["minutes_without_genre"]
    if without:
        lines.append(
            f"  ({without:,.0f} min of music have no genre: their artist has none or no profile yet, "
            "or the export names a track the warehouse does not know)"
        )
    if result["top_podcasts"]:
        lines += ["", "Top podcasts (by minutes)"]
        lines += [f"  {n}. {p['name']}: {p['minutes']:,.0f} min" for n, p in _numbered(result["top_podcasts"])]
    lines.append("")
    if result["busiest_day"]:
        day = dt.date.fromisoformat(result["busiest_day"]["date"])
        lines.append(f"  Busiest day: {day:%A} {day.day} {day:%B %Y}, {result['busiest_day']['minutes']:,.0f} min")
    if result["longest_session"]:
        session = result["longest_session"]
        lines.append(
            f"  Longest session: {session['minutes']:,.0f} min from {session['start'][:16].replace('T', ' ')} "
            f"to {session['end'][11:16]}" + (f", mostly {session['top_artist']}" if session["top_artist"] else "")
        )
    lines.append(f"  Longest streak: {result['longest_streak_days']} days in a row")
    peak = max((month["minutes"] for month in result["minutes_by_month"]), default=0) or 1
    lines += ["", "Minutes by month"]
    lines += [
        f"  {month['month']}  {'█' * round(30 * month['minutes'] / peak):<30} {month['minutes']:,.0f}"
        for month in result["minutes_by_month"]
    ]
    return "\n".join(lines) + "\n"


def _change(result: Mapping[str, Any]) -> str:
    previous = result.get("previous_period") or {}
    before = previous.get("minutes_listened") or 0
    if not before:
        return ""
    change = result["minutes_listened"] / before - 1
    return f" ({change:+.0%} on {previous['period']['label']})"


def _numbered(items: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(items, start=1))


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"Wrote {out}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
