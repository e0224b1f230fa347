"""`run` for a household: every logged-in account, one after another, each unable to harm another's run.

Each account is its own dlt pipeline (spotify_pipeline.accounts), so a failed, rate-limited or logged-out account
leaves the others' data and state as they were, and the next account still runs. The catalog the accounts share
(tracks, artists, audio features) lands in the same tables: the enrichment of each run asks the warehouse what is
still unknown, so an artist the first account's run fetched is not asked again for the second.

One account alone keeps the single-user behaviour: its error is the command's error. With several, each failure is
reported under its account, the final tables are built once for everyone, and the exit code is the worst account's.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spotify_pipeline.accounts import Account
from spotify_source.errors import UserError

EXIT_OK, EXIT_FAILED = 0, 1
SEVERITY = (1, 2, 3, 5, 4)
"""Exit codes from worst to mildest: a failure nobody foresaw, a setting to fix, a login to renew, a dbt failure
(the raw data is loaded), a rate limit (run again later)."""


@dataclass(frozen=True)
class Outcome:
    """How one account's load ended: its exit code (0 loaded) and what to tell the person."""

    account: Account
    exit_code: int
    message: str
    user: str | None = None


def run_accounts(name: str | None, *, transform: bool) -> int:
    """`run [--account NAME]`: load the account named, else every logged-in account in turn, then build once."""
    from spotify_pipeline import loading
    from spotify_pipeline.login import chosen_accounts, source_for
    from spotify_pipeline.transform import build

    accounts = chosen_accounts(name)
    if len(accounts) == 1:  # one person: their error is the command's error, as it has always been
        only = accounts[0]
        label = "your Spotify account" + ("" if only.is_default else f" ({only.name})")
        result = loading.load(lambda: source_for(only), label=label, pipeline_name=only.pipeline_name)
        loading.print_summary(result["pipeline"])
        build(skip=not transform)
        return EXIT_OK

    def load_one(account: Account) -> Any:
        label = f"the Spotify account {account.name}"
        result = loading.load(lambda: source_for(account), label=label, pipeline_name=account.pipeline_name)
        loading.print_summary(result["pipeline"])
        return result["pipeline"]

    outcomes = load_each(accounts, load_one)
    for line in summary_lines(outcomes):
        print(line)
    codes = [outcome.exit_code for outcome in outcomes]
    if EXIT_OK in codes:  # the final tables are built for everyone whose data arrived
        try:
            build(skip=not transform)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            codes.append(exc.exit_code)
    return worst(codes)


def worst(codes: list[int]) -> int:
    """The exit code that speaks for all the accounts: the most severe one (0 when every account loaded)."""
    failed = [code for code in codes if code != EXIT_OK]
    if not failed:
        return EXIT_OK
    return min(failed, key=lambda code: SEVERITY.index(code) if code in SEVERITY else -1)


def load_each(accounts: list[Account], load_one: Callable[[Account], Any]) -> list[Outcome]:
    """Load the accounts in turn; an account's failure is recorded and the next account runs all the same.

    `load_one(account)` loads it and returns its dlt pipeline (for the summary). An interruption (Ctrl-C) stops
    everything: it is the person's decision, not an account's failure."""
    outcomes = []
    for position, account in enumerate(accounts, start=1):
        print(f"\n=== Account {account.name} ({position} of {len(accounts)}) ===", flush=True)
        try:
            pipeline = load_one(account)
        except UserError as exc:
            outcomes.append(Outcome(account, exc.exit_code, _with_login_hint(str(exc), account)))
            print(f"error (account {account.name}): {outcomes[-1].message}", flush=True)
            continue
        except Exception:  # a bug must not cost the other accounts their run; its traceback is shown
            traceback.print_exc()
            outcomes.append(Outcome(account, EXIT_FAILED, "failed unexpectedly (the traceback above says where)"))
            continue
        outcomes.append(Outcome(account, EXIT_OK, "loaded", _user_of(pipeline)))
    return outcomes


def _with_login_hint(message: str, account: Account) -> str:
    """Errors name `auth`; a named account's login is renewed with `auth --account NAME`."""
    return message.replace("`python pipeline.py auth`", account.auth_command)


def _user_of(pipeline: Any) -> str | None:
    """The Spotify user the account's last run loaded (its newest `extraction_runs` row), for the summary."""
    from spotify_pipeline.loading import warehouse_held

    try:
        with warehouse_held(), pipeline.sql_client() as client:
            table = client.make_qualified_table_name("extraction_runs")
            rows = client.execute_sql(f"select user_id from {table} order by run_started_at desc limit 1")
    except Exception:  # the summary only names the user; it never fails a run that loaded
        return None
    return str(rows[0][0]) if rows and rows[0][0] else None


def summary_lines(outcomes: list[Outcome]) -> list[str]:
    """One line per account: loaded, or what stopped it and the exit code it stands for."""
    lines = ["", "Accounts:"]
    width = max(len(outcome.account.name) for outcome in outcomes)
    for outcome in outcomes:
        if outcome.exit_code == EXIT_OK:
            what = f"loaded (Spotify user {outcome.user})" if outcome.user else "loaded"
        else:
            what = f"NOT loaded, exit code {outcome.exit_code}: {outcome.message}"
        lines.append(f"  {outcome.account.name:{width}}  {what}")
    code = worst([outcome.exit_code for outcome in outcomes])
    if code != EXIT_OK:
        names = ", ".join(o.account.name for o in outcomes if o.exit_code == code)
        lines.append(f"The exit code is {code}, the worst account's ({names}); every account that loaded is complete.")
    return lines
