"""`auth` and `status`: log in to Spotify in the browser and keep the login where `run` reads it; say its age.

spotify_source.login does the OAuth flow and spotify_pipeline.status the report; this module feeds them the
configured settings (`[sources.spotify]`) and prints what a person needs at each step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from spotify_pipeline import accounts, status
from spotify_pipeline.settings import destination_name, warehouse_path

PLACEHOLDER_CLIENT_ID = "your-spotify-app-client-id"
"""The client id of .dlt/example.secrets.toml: copied but not filled in, it is no client id."""


def base_cache() -> Path | None:
    """The configured token cache (`token_cache_path`): the default account's, and the folder of every other's."""
    from spotify_source.login import configured_settings

    configured = configured_settings()["token_cache_path"]
    return Path(configured) if configured else None


def chosen_accounts(name: str | None) -> list[accounts.Account]:
    """The accounts `run` loads: `--account NAME`, else every one logged in (spotify_pipeline.accounts)."""
    from spotify_source.login import configured_settings

    config = configured_settings()
    cache = base_cache()
    if cache is None:  # no cache configured: only a refresh token in secrets.toml can log in, the default account
        if name not in (None, accounts.DEFAULT_ACCOUNT):
            raise accounts.AccountUnknown("No token_cache_path configured under [sources.spotify]: no account "
                                          f"{name!r} can be logged in. Nothing was loaded.")  # fmt: skip
        return [accounts.Account(accounts.DEFAULT_ACCOUNT, Path())]
    return accounts.chosen(cache, name, default_configured=bool(config["refresh_token"]))


def refresh_token_configured() -> bool:
    """Whether a refresh token is configured (secrets.toml or env): it logs in the default account."""
    from spotify_source.login import configured_settings

    return bool(configured_settings()["refresh_token"])


def user_of_account(name: str) -> str:
    """The Spotify user of a logged-in account (`import-export --account NAME`): the export's plays are theirs."""
    cache = base_cache()
    if cache is None:
        raise accounts.AccountUnknown("No token_cache_path configured under [sources.spotify]: no account is known.")
    (account,) = accounts.chosen(cache, name, default_configured=refresh_token_configured())
    login = account.login()
    if login is None or not login.user_id:
        raise accounts.AccountUnknown(
            f"The login of the account {account.name!r} does not record its Spotify user; pass `--user-id` instead, "
            f"or log it in again with {account.auth_command}. Nothing was imported."
        )
    return str(login.user_id)


def source_for(account: accounts.Account) -> Any:
    """The Spotify source of one account: its own token cache; a named account never uses a configured
    `refresh_token`, which is the default account's."""
    from spotify_source import spotify_source

    if account.cache_path == Path():
        return spotify_source()
    return spotify_source(token_cache_path=str(account.cache_path), cached_login_only=not account.is_default)


def log_in(*, port: int | None, timeout: float, open_browser: bool = True, account: str | None = None) -> None:
    """Log in to Spotify in the browser (spotify_source.login) and keep the refresh token where `run` reads it:
    the default account's cache, or `--account NAME`'s beside it."""
    from spotify_source.login import LoginNotConfigured, LoginOptions, configured_settings, login

    config = configured_settings()
    if not config["token_cache_path"]:
        raise LoginNotConfigured("No token_cache_path configured under [sources.spotify]: the login has nowhere to go.")
    chosen = accounts.account(Path(config["token_cache_path"]), account)
    client_id = None if config["client_id"] == PLACEHOLDER_CLIENT_ID else config["client_id"]
    options = LoginOptions(
        client_id=client_id,
        client_secret=config["client_secret"],
        accounts_base_url=config["accounts_base_url"],
        api_base_url=config["api_base_url"],
        cache_path=chosen.cache_path,
        port=config["redirect_port"] if port is None else port,
        timeout_seconds=timeout,
        # The configured refresh token is the default account's: only its login supersedes it.
        configured_refresh_token=config["refresh_token"] if chosen.is_default else None,
        request_timeout_seconds=config["request_timeout_seconds"],
    )

    def show(url: str, callback: str, opened: bool) -> None:
        if opened:
            print("Your browser shows Spotify's login page. If it did not open, open this address yourself:")
        else:
            print("Open this address in a browser on this machine and log in to Spotify:")
        print(url, flush=True)
        print(f"Waiting up to {timeout:.0f} s for Spotify's answer on {callback} ...", flush=True)

    result = login(options, show_url=show, open_browser=_open_browser if open_browser else None)
    record = result.login
    person = f"{record.display_name} ({record.user_id})" if record.display_name else record.user_id
    print(f"Logged in as {person}" + ("." if chosen.is_default else f", as the account {chosen.name}."))
    for other in _same_person(chosen, record.user_id, config):
        print(f"WARNING: the account {other.name} is the same Spotify user; one account per person is enough "
              f"(`python pipeline.py accounts remove {other.name}` forgets the other login).")  # fmt: skip
    print(f"Scopes granted: {' '.join(record.scopes) or 'not reported by Spotify'}")
    if result.missing_scopes:
        print(f"WARNING: Spotify did not grant {', '.join(result.missing_scopes)}; what needs them will be missing.")
    print(
        f"Saved the login to {result.cache_path} (readable by you only). Spotify ends it "
        f"{record.refresh_token_expires_at:%Y-%m-%d} (6 months after the login); `python pipeline.py status` "
        "says how long is left."
    )
    if config["refresh_token"] and chosen.is_default:
        print("The refresh_token in secrets.toml (or env) is replaced by this login; you may delete it there.")


def _same_person(chosen: accounts.Account, user_id: str | None, config: dict[str, Any]) -> list[accounts.Account]:
    """Other accounts logged in as the same Spotify user (two names for one person load the same data twice)."""
    others = accounts.logged_in(Path(config["token_cache_path"]), default_configured=False)
    return [
        other for other in others if other != chosen and user_id and getattr(other.login(), "user_id", None) == user_id
    ]


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


def report_status() -> int:
    """The warehouse, its last run and the login's age; exit code 3 once the login expired (spotify_pipeline.status)."""
    from spotify_source.auth import current_login
    from spotify_source.login import configured_settings
    from spotify_source.settings import SCOPES

    config = configured_settings()
    cache = Path(config["token_cache_path"]) if config["token_cache_path"] else None
    record = current_login(cache, config["client_id"], config["refresh_token"])
    code = status.report(
        warehouse_path(), record, bool(config["refresh_token"]), SCOPES, destination=destination_name()
    )
    found = accounts.logged_in(cache, default_configured=False) if cache is not None else []
    named = [each.name for each in found if not each.is_default]
    if named:
        print(f"Other accounts: {', '.join(named)} (`python pipeline.py accounts` shows when each login ends).")
    return code
