"""`auth` and `status`: log in to Spotify in the browser and keep the login where `run` reads it; say its age.

spotify_source.login does the OAuth flow and spotify_pipeline.status the report; this module feeds them the
configured settings (`[sources.spotify]`) and prints what a person needs at each step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from spotify_pipeline import status
from spotify_pipeline.settings import destination_name, warehouse_path

PLACEHOLDER_CLIENT_ID = "your-spotify-app-client-id"
"""The client id of .dlt/example.secrets.toml: copied but not filled in, it is no client id."""


def log_in(*, port: int | None, timeout: float, open_browser: bool = True) -> None:
    """Log in to Spotify in the browser (spotify_source.login) and keep the refresh token where `run` reads it."""
    from spotify_source.login import LoginNotConfigured, LoginOptions, configured_settings, login

    config = configured_settings()
    if not config["token_cache_path"]:
        raise LoginNotConfigured("No token_cache_path configured under [sources.spotify]: the login has nowhere to go.")
    client_id = None if config["client_id"] == PLACEHOLDER_CLIENT_ID else config["client_id"]
    options = LoginOptions(
        client_id=client_id,
        client_secret=config["client_secret"],
        accounts_base_url=config["accounts_base_url"],
        api_base_url=config["api_base_url"],
        cache_path=Path(config["token_cache_path"]),
        port=config["redirect_port"] if port is None else port,
        timeout_seconds=timeout,
        configured_refresh_token=config["refresh_token"],
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
    return status.report(
        warehouse_path(), record, bool(config["refresh_token"]), SCOPES, destination=destination_name()
    )
