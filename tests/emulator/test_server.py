"""The emulator as a process and as a moving account: the CLI contract, and control endpoints that change it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from tests.conftest import SpotifyClient

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_its_url_serves_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spotify_emulator",
            "serve",
            "--port",
            "0",
            "--profile",
            "small",
            "--seed",
            "3",
            "--mode",
            "development",
            "--clock",
            "manual",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline().strip() if process.stdout else ""
        assert line.startswith("SPOTIFY_EMULATOR_URL=http://127.0.0.1:"), line
        url = line.split("=", 1)[1]
        health = requests.get(f"{url}/_emulator/health", timeout=10).json()
        assert health == {"status": "ok", "seed": 3, "profile": "small", "mode": "development"}
        # `--clock manual` stands still until a test moves it: no test of another process needs to sleep.
        clock = requests.get(f"{url}/_emulator/clock", timeout=10).json()
        assert clock["kind"] == "manual" and requests.get(f"{url}/_emulator/clock", timeout=10).json() == clock
        moved = requests.post(f"{url}/_emulator/clock", json={"advance_seconds": 30}, timeout=10).json()
        assert moved["now"] == clock["now"] + 30
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_refuses_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "spotify_emulator", "serve", "--rate-429", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "between 0 and 1" in result.stderr


def test_new_plays_reach_recently_played(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    newest = client.get("/me/player/recently-played", limit=1).json()["cursors"]["after"]
    added = client.server.control("POST", "plays", {"count": 10})["added"]
    page = client.get("/me/player/recently-played", limit=50, after=newest).json()
    assert [item["played_at"] for item in page["items"]] == [p["played_at"] for p in reversed(added)]
    assert [item["track"]["id"] for item in page["items"]] == [p["track_id"] for p in reversed(added)]


def test_edited_playlist_gets_a_new_snapshot(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()

    def snapshots() -> dict[str, str]:
        items = client.get("/me/playlists", limit=50).json()["items"]
        return {p["id"]: p["snapshot_id"] for p in items if p}

    before = snapshots()
    edit = client.server.control("POST", "playlists/edit", {"add": 3, "remove": 2})
    after = snapshots()
    changed = {pid for pid in before if before[pid] != after[pid]}
    assert changed == {edit["playlist_id"]}
    assert after[edit["playlist_id"]] == edit["snapshot_id"]
    items = client.get(f"/playlists/{edit['playlist_id']}/items", limit=50).json()
    assert items["total"] == edit["entries"]


def test_new_saved_tracks_come_first(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    added = client.server.control("POST", "saved-tracks", {"count": 3})["added"]
    first = client.get("/me/tracks", limit=3).json()["items"]
    assert [i["track"]["id"] for i in first] == [a["track_id"] for a in reversed(added)]


def test_mode_can_change_at_run_time(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    assert "popularity" in client.get("/me/top/artists").json()["items"][0]
    client.server.control("POST", "settings", {"mode": "development"})
    assert "popularity" not in client.get("/me/top/artists").json()["items"][0]
    assert client.get("/artists", ids="0" * 22).status_code == 403


def test_cover_images_are_served_locally(spotify_client: Callable[..., SpotifyClient]) -> None:
    client = spotify_client()
    artist = client.get("/me/top/artists").json()["items"][0]
    url = artist["images"][0]["url"]
    assert url.startswith(client.server.url)
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/svg+xml"


def test_changes_scheduled_after_a_request_count(spotify_client: Callable[..., SpotifyClient]) -> None:
    """The emulator applies a scheduled change itself, before the request after the count: the same point every
    time, however late a watching thread would have been."""
    client = spotify_client()
    server = client.server
    server.control("POST", "after-requests", {"count": 2, "then": ["tokens/expire-access", {"path": "plays"}]})
    plays_before = len(server.control("GET", "ground-truth")["plays"])
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 401]
    assert server.control("GET", "after-requests") == [
        {"count": 2, "then": [{"path": "tokens/expire-access"}, {"path": "plays"}], "seen": 2, "fired_at": 2}
    ]
    assert len(server.control("GET", "ground-truth")["plays"]) == plays_before + 10
    assert server.control("DELETE", "after-requests") == []
    for bad in ({"count": 1}, {"then": ["plays"]}, {"count": 1, "then": [{"body": {}}]}):
        answer = requests.post(f"{server.url}/_emulator/after-requests", json=bad, timeout=10)
        assert answer.status_code == 400, bad
