"""`demo`: the whole pipeline against the local emulated Spotify (spotify_emulator), no account and no network.

The one module of this package that uses the emulator: it stands in for Spotify and for the user's data export.
A guard keeps the demo's emulated account out of a warehouse that holds someone's real history.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spotify_pipeline.accounts import DEFAULT_ACCOUNT, Account
from spotify_pipeline.export_import import import_export
from spotify_pipeline.loading import load, print_summary
from spotify_pipeline.settings import accounts_in_warehouse, describe_destination, destination_name, warehouse_path
from spotify_pipeline.transform import build
from spotify_source.errors import UserError


class WarehouseInUse(UserError):
    """The warehouse holds another account: the demo must never mix its data into someone's real history."""

    exit_code = 2

    def __init__(self, accounts: set[str]) -> None:
        super().__init__(
            f"{describe_destination()} already holds data of another Spotify account ({len(accounts)} user(s)); "
            "the demo will not mix its emulated account into it. Run the demo into its own file, e.g. "
            "`SPOTIFY_DUCKDB=data/demo.duckdb python pipeline.py demo` (on BigQuery: another project, "
            "SPOTIFY_BIGQUERY_PROJECT)."
        )


def run_demo(
    *, seed: int, profile: str, mode: str, with_export: bool = True, transform: bool = True, accounts: int = 1
) -> None:
    """Emulator → warehouse → dbt, as `run` does against Spotify, then how to open the dashboard on it.

    `accounts` > 1: a household, N emulated people sharing Spotify's catalog, each loaded by its own pipeline (as
    `run` loads each account logged in with `auth --account NAME`) into the one warehouse."""
    import spotify_emulator  # looked up at call time: tests stand in for the server

    if not 1 <= accounts <= MAX_DEMO_ACCOUNTS:
        raise DemoSettingInvalid(f"--accounts must be between 1 and {MAX_DEMO_ACCOUNTS}, not {accounts}.")
    # The library's own fixed history end keeps the demo deterministic: a second demo run finds nothing new.
    with spotify_emulator.EmulatorServer(seed=seed, profile=profile, mode=mode, accounts=accounts) as spotify:
        people = f", {accounts} accounts" if accounts > 1 else ""
        print(f"Emulated Spotify at {spotify.url} (profile {profile}, seed {seed}, {mode} tier{people})")
        users = [spotify.control("GET", f"ground-truth?account={index}")["user"]["id"] for index in range(accounts)]
        others = accounts_in_warehouse() - set(users)
        if others:
            raise WarehouseInUse(others)
        with tempfile.TemporaryDirectory(prefix="spotify-demo-") as scratch:
            for index, user_id in enumerate(users):
                if accounts > 1:
                    print(f"\n=== Emulated account {demo_account_name(index)} (Spotify user {user_id}) ===")
                folder = Path(scratch) / str(index)
                result = _load_demo_account(spotify, index, user_id, folder)
                if with_export:
                    import_demo_exports(spotify.state.libraries[index], user_id, folder)
    print_summary(result["pipeline"])
    build(skip=not transform)
    print(f"Warehouse: {describe_destination()}")
    print(f"Dashboard: {dashboard_env()} {sys.executable} -m streamlit run dashboard/app.py")


MAX_DEMO_ACCOUNTS = 10


class DemoSettingInvalid(UserError):
    exit_code = 2


def demo_account_name(index: int) -> str:
    """The demo's accounts as `auth --account` would name them: the first is the default, then person2, ..."""
    return DEFAULT_ACCOUNT if index == 0 else f"person{index + 1}"


def _load_demo_account(spotify: Any, index: int, user_id: str, folder: Path) -> dict[str, Any]:
    """Log in to emulated account `index` (PKCE, as a real login does) and load it with its own pipeline."""
    from spotify_source import spotify_source
    from spotify_source.auth import LoginRecord, store_login

    tokens = spotify.login(account=index)
    cache = folder / "token-cache.json"
    # Recorded as `auth` records a login, so the demo's runs carry the login's age like real ones.
    store_login(cache, spotify.settings.accounts.client_id, tokens,
                LoginRecord(datetime.now(UTC), user_id, None, tuple(str(tokens.get("scope", "")).split())))  # fmt: skip

    def source() -> Any:
        return spotify_source(
            client_id=spotify.settings.accounts.client_id,
            refresh_token=tokens["refresh_token"],
            api_base_url=spotify.api_url,
            accounts_base_url=spotify.url,
            token_cache_path=str(cache),
        )

    before = _api_requests(spotify)
    label = "the emulated account" if index == 0 else f"the emulated account {demo_account_name(index)}"
    pipeline_name = Account(demo_account_name(index), cache).pipeline_name
    result = load(source, label=label, pipeline_name=pipeline_name)
    print(f"Requests to the emulated Web API: {_api_requests(spotify) - before}")
    return result


def _api_requests(spotify: Any) -> int:
    requests = spotify.control("GET", "stats")["by_endpoint"]
    return sum(n for endpoint, statuses in requests.items() if "/v1/" in endpoint for n in statuses.values())


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


def dashboard_env() -> str:
    """The env that points the dashboard (dashboard/warehouse.py) at the warehouse just loaded."""
    if destination_name() == "bigquery":
        from spotify_pipeline.destinations import BigQuerySettings

        settings = BigQuerySettings.from_config()
        return (
            f"SPOTIFY_DESTINATION=bigquery SPOTIFY_BIGQUERY_PROJECT={settings.project} "
            f"SPOTIFY_BIGQUERY_LOCATION={settings.location}"
        )
    return f"SPOTIFY_DUCKDB={warehouse_path()}"
