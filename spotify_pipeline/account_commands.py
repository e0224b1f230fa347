"""`accounts` and `accounts remove NAME [--delete-data]`: who is logged in, and forgetting a person.

The list reads the token caches (whose Spotify user each login is, when it ends) and the warehouse (when each
person's data last arrived); it takes no lock. Removing takes the run lock (pipeline.py): a run must not load the
person while their rows are deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from spotify_pipeline import account_data, accounts, status
from spotify_pipeline.settings import destination_name, pipelines_dir, warehouse_path

EXIT_OK = 0


def command(action: str | None, name: str | None, delete_data: bool) -> int:
    """`accounts` (list) or `accounts remove NAME [--delete-data]`."""
    from spotify_pipeline.login import base_cache, refresh_token_configured

    base, configured = base_cache(), refresh_token_configured()
    if action == "remove":
        assert name is not None  # argparse requires it
        account = removable(base, name, default_configured=configured)
        return remove_account(account, delete_data=delete_data, refresh_token_configured=configured)
    return list_accounts(accounts.logged_in(base, default_configured=configured) if base else [])


def last_runs() -> tuple[dict[str, datetime], str | None]:
    """When each user's last run finished (from `extraction_runs`), and why it is unknown when it is."""
    if destination_name() == "bigquery":
        return _last_runs_bigquery()
    database = warehouse_path()
    if not database.exists():
        return {}, None
    import duckdb

    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.IOException:
        return {}, "the warehouse is busy (a run is writing it)"
    with connection:
        connection.execute("SET TimeZone='UTC'")
        if not connection.execute(
            "select 1 from information_schema.tables where table_schema = 'spotify_raw' "
            "and table_name = 'extraction_runs'"
        ).fetchall():
            return {}, None
        rows = connection.execute(
            "select user_id, max(coalesce(run_finished_at, run_started_at)) from spotify_raw.extraction_runs "
            "where user_id is not null group by user_id"
        ).fetchall()
    return {user: finished for user, finished in rows}, None


def _last_runs_bigquery() -> tuple[dict[str, datetime], str | None]:
    from google.api_core import exceptions as google_errors

    from spotify_pipeline.destinations import RAW_DATASET, bigquery_client, resolve

    resolved = resolve()
    table = f"`{resolved.project}.{RAW_DATASET}.extraction_runs`"
    try:
        rows = (
            bigquery_client(resolved)
            .query(
                f"select user_id, max(coalesce(run_finished_at, run_started_at)) from {table} "
                "where user_id is not null group by user_id"
            )
            .result()
        )
    except google_errors.NotFound:
        return {}, None
    return {row[0]: row[1] for row in rows}, None


def list_accounts(found: list[accounts.Account], now: datetime | None = None) -> int:
    """Print every logged-in account: its Spotify user, its last run, when its login ends."""
    now = now or datetime.now(UTC)
    if not found:
        print("No account is logged in. Log in with `python pipeline.py auth` (or `auth --account NAME` for each "
              "person of a household).")  # fmt: skip
        return EXIT_OK
    runs, unknown = last_runs()
    print(f"{len(found)} account(s); their logins are kept beside {found[0].cache_path.parent}/ (owner-only):")
    rows = [("ACCOUNT", "SPOTIFY USER", "LAST RUN", "LOGIN ENDS")]
    for account in found:
        login = account.login()
        user = "unknown (no login record: a refresh token from secrets.toml)"
        ends = "unknown"
        ran = "never"
        if login is not None:
            user = f"{login.display_name} ({login.user_id})" if login.display_name else str(login.user_id)
            age = status.LoginAge.of(login.refresh_token_expires_at, now)
            ends = f"{login.refresh_token_expires_at:%Y-%m-%d} ({_age(age)})"
            if login.user_id in runs:
                ran = f"{runs[login.user_id].astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if unknown:
            ran = "unknown"
        rows.append((account.name, user, ran, ends))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print("  " + "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=False)) + "  " + row[3])
    if unknown:
        print(f"Last runs unknown: {unknown}.")
    return EXIT_OK


def _age(age: status.LoginAge) -> str:
    if age.state == "expired":
        return "EXPIRED: log in again"
    return f"in {age.days_left:.0f} days" + (", renew soon" if age.state == "expiring" else "")


def remove_account(account: accounts.Account, *, delete_data: bool, refresh_token_configured: bool) -> int:
    """Forget the account's login; with `delete_data`, first its rows in every raw and final table."""
    login = account.login()
    if delete_data:
        if login is None or not login.user_id:
            raise account_data.CannotDelete(
                f"The login of {account.name!r} does not record its Spotify user, so its rows cannot be told from "
                f"anyone else's. Log it in again with {account.auth_command}, then remove it. Nothing was deleted."
            )
        if destination_name() == "bigquery":
            _delete_rows_bigquery(account, login.user_id)
        else:
            _delete_rows(account, login.user_id)
    account.cache_path.unlink(missing_ok=True)
    print(f"Forgot the login of the account {account.name}" + (f" ({login.user_id})." if login else "."))
    if not delete_data:
        print("Its data stays in the warehouse; `accounts remove NAME --delete-data` deletes it (log in again "
              "first if you already removed the login).")  # fmt: skip
    if account.is_default and refresh_token_configured:
        print("WARNING: a refresh_token is still configured in secrets.toml (or env); delete it there, or `run` "
              "keeps loading this account.")  # fmt: skip
    return EXIT_OK


def _delete_rows(account: accounts.Account, user_id: str) -> None:
    from spotify_pipeline.loading import warehouse_held

    database = warehouse_path()
    if not database.exists():
        print(f"No warehouse at {database}: no rows to delete.")
        return
    with warehouse_held():
        deleted = account_data.forget_in_duckdb(database, user_id, account.pipeline_name)
    account_data.forget_local_state(pipelines_dir(), account.pipeline_name)
    _print_deleted(account, user_id, deleted)


def _delete_rows_bigquery(account: accounts.Account, user_id: str) -> None:
    """The same deletion on BigQuery: one multi-statement transaction over the personal datasets.

    With SPOTIFY_BIGQUERY_API_ENDPOINT set (the local emulator, which binds no query parameter in a script) the
    user id and pipeline name go into the script as checked literals; see `account_data.forget_in_bigquery`."""
    from google.api_core import exceptions as google_errors

    from spotify_pipeline.destinations import bigquery_client, resolve

    resolved = resolve()
    try:
        deleted = account_data.forget_in_bigquery(
            bigquery_client(resolved), user_id, account.pipeline_name,
            inline_values=bool(resolved.settings.api_endpoint),
        )  # fmt: skip
    except google_errors.GoogleAPICallError as exc:
        # The job answered with an error: a failed script's transaction is rolled back whole.
        raise account_data.CannotDelete(
            f"BigQuery did not delete the rows of {user_id}: {exc.message}. A failed transaction deletes nothing; "
            "the login was kept."
        ) from None
    account_data.forget_local_state(pipelines_dir(), account.pipeline_name)
    _print_deleted(account, user_id, deleted)


def _print_deleted(account: accounts.Account, user_id: str, deleted: account_data.Deleted) -> None:
    total = sum(deleted.rows.values())
    counted = "" if deleted.counted == "as deleted" else f" (rows counted {deleted.counted})"
    print(f"Deleted {total} rows of {user_id} in one transaction{counted}:")
    for table, count in sorted(deleted.rows.items()):
        print(f"  {table:40} {count:>8}")
    if deleted.state_rows:
        print(f"  and the stored state of the pipeline {account.pipeline_name} ({deleted.state_rows} versions)")


def removable(base: Path | None, name: str, *, default_configured: bool) -> accounts.Account:
    """The account to remove: it must be logged in (a typo must not read as done)."""
    if base is None:
        raise accounts.AccountUnknown("No token_cache_path configured under [sources.spotify]: no login to remove.")
    return accounts.chosen(base, name, default_configured=default_configured)[0]
