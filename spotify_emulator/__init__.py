"""A local stand-in for Spotify's Web API and accounts service, serving a synthetic, deterministic library.

Tests, benchmarks and `python pipeline.py demo` run against it; it never imports the source it checks.

    from spotify_emulator import EmulatorServer
    with EmulatorServer(profile="small", mode="development") as spotify:
        tokens = spotify.login()
        ...  # point a client at spotify.api_url and spotify.url
"""

from spotify_emulator.accounts import AccountSettings
from spotify_emulator.clock import Clock, ManualClock
from spotify_emulator.faults import FaultSettings
from spotify_emulator.server import SOURCE_SCOPES, EmulatorServer
from spotify_emulator.state import EmulatorSettings

__all__ = [
    "SOURCE_SCOPES",
    "AccountSettings",
    "Clock",
    "EmulatorServer",
    "EmulatorSettings",
    "FaultSettings",
    "ManualClock",
]
