"""Shared fixtures: real emulator servers on free ports, and an authorised HTTP session against them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from spotify_emulator import EmulatorServer

# Tests talk to 127.0.0.1 only: no dlt telemetry.
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"


@dataclass
class SpotifyClient:
    """A bare HTTP client for tests of the emulator itself: a session with the bearer token of one login."""

    server: EmulatorServer
    session: requests.Session
    tokens: dict[str, Any]

    def get(self, path_or_url: str, **params: Any) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.server.api_url}{path_or_url}"
        return self.session.get(url, params=params or None, timeout=30)


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., EmulatorServer]]:
    """Start emulators with any settings (`profile=`, `mode=`, `seed=`, ...); all are stopped after the test."""
    started: list[EmulatorServer] = []

    def start(**fields: Any) -> EmulatorServer:
        fields.setdefault("profile", "small")
        server = EmulatorServer(**fields).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def connect(server: EmulatorServer) -> SpotifyClient:
    tokens = server.login()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    return SpotifyClient(server, session, tokens)


@pytest.fixture
def spotify_client(start_emulator: Callable[..., EmulatorServer]) -> Callable[..., SpotifyClient]:
    """`spotify_client(profile="reference", mode="development")`: a started emulator and a logged-in client."""

    def make(**fields: Any) -> SpotifyClient:
        return connect(start_emulator(**fields))

    return make
