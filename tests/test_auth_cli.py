"""`python pipeline.py auth`, `status` and the run lock, as a user meets them: subprocesses from the repo root.

The login is played end to end against the emulator's accounts service: the test is the browser. It reads the
address `auth --no-browser` prints, asks `/authorize` (which answers at once, as a user who clicks Agree), and
follows the redirect to the callback `auth` listens on. What `auth` stored must then carry a real `run`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import duckdb
import pytest
import requests

from spotify_emulator import EmulatorServer
from spotify_source.auth import LoginRecord, store_login
from spotify_source.settings import REFRESH_TOKEN_LIFETIME_DAYS, SCOPES
from tests.cli_harness import ROOT, Cli, assert_no_traceback, described, query

LOCKED = 75


@pytest.fixture
def no_local_secrets() -> None:
    if (ROOT / ".dlt" / "secrets.toml").exists():
        pytest.skip(".dlt/secrets.toml exists in this checkout and would configure the login")


def login_env(server: EmulatorServer, cache: Path) -> dict[str, str]:
    """`[sources.spotify]` pointing at the emulator, with no refresh token: the login provides it."""
    return {
        "SOURCES__SPOTIFY__API_BASE_URL": server.api_url,
        "SOURCES__SPOTIFY__ACCOUNTS_BASE_URL": server.url,
        "SOURCES__SPOTIFY__CLIENT_ID": server.settings.accounts.client_id,
        "SOURCES__SPOTIFY__TOKEN_CACHE_PATH": str(cache),
    }


class AuthProcess:
    """`pipeline.py auth --no-browser` running; its output is collected by a thread so the pipe never fills."""

    def __init__(self, cli: Cli, *args: str, **env: str) -> None:
        self.process = cli.start("auth", "--no-browser", *args, **env)
        self.lines: list[str] = []
        self._url = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("http"):
                self._url.set()
        self._url.set()

    def authorize_url(self) -> str:
        assert self._url.wait(60), "auth printed no address"
        urls = [line.strip() for line in self.lines if line.startswith("http")]
        assert urls, self.finish()
        return urls[0]

    def finish(self) -> subprocess.CompletedProcess[str]:
        stderr = self.process.stderr.read() if self.process.stderr else ""
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return subprocess.CompletedProcess(self.process.args, code, "".join(self.lines), stderr)


def browser_to_callback(authorize_url: str, tamper: Callable[[str], str] = lambda url: url) -> requests.Response:
    """What a browser does: open Spotify's page (the emulated user agrees at once), follow its redirect."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    callback = tamper(answer.headers["Location"])
    assert callback.startswith("http://127.0.0.1:"), "the redirect URI must be an IP literal"
    return requests.get(callback, timeout=30)


def secrets_in(cache: Path) -> set[str]:
    content = json.loads(cache.read_text())
    return {value for key, value in content.items() if key in ("refresh_token", "access_token") and value}


def test_login_stores_a_private_token_that_carries_a_run(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small")
    user = server.control("GET", "ground-truth")["user"]
    cache = tmp_path / "secrets" / "token-cache.json"
    env = login_env(server, cache)

    auth = AuthProcess(cli, "--port", "0", **env)
    url = auth.authorize_url()
    query_of = parse_qs(urlsplit(url).query)
    assert query_of["code_challenge_method"] == ["S256"] and query_of["code_challenge"]
    assert query_of["redirect_uri"][0].startswith("http://127.0.0.1:")
    page = browser_to_callback(url)
    result = auth.finish()

    assert page.status_code == 200
    assert result.returncode == 0, described(result)
    assert_no_traceback(result)
    assert f"Logged in as {user['display_name']} ({user['id']})" in result.stdout, described(result)
    assert "user-top-read" in result.stdout and "WARNING" not in result.stdout
    assert cache.stat().st_mode & 0o777 == 0o600
    stored = json.loads(cache.read_text())
    logged_in_at = datetime.fromisoformat(stored["login"]["logged_in_at"])
    assert abs(datetime.now(UTC) - logged_in_at) < timedelta(minutes=5)
    assert stored["login"]["user_id"] == user["id"]
    tokens = secrets_in(cache)
    assert not [t for t in tokens if t in result.stdout + result.stderr], "a token was printed"

    log = tmp_path / "logs" / "run.log"
    run = cli("run", "--no-transform", "--log-file", str(log), **env)
    assert run.returncode == 0, described(run)
    assert query(cli.warehouse, "select id from spotify_raw.users") == [(user["id"],)]
    ((recorded_login, expires),) = query(
        cli.warehouse, "select logged_in_at, refresh_token_expires_at from spotify_raw.extraction_runs"
    )
    assert recorded_login == logged_in_at
    assert expires == logged_in_at + timedelta(days=REFRESH_TOKEN_LIFETIME_DAYS)
    # PKCE refresh tokens rotate; the rotated chain keeps its login time.
    assert json.loads(cache.read_text())["login"] == stored["login"]

    written = log.read_text()
    assert "run --no-transform --log-file" in written and "Loading your Spotify account" in written
    assert written.rstrip().endswith("exit code 0 ===")
    assert log.stat().st_mode & 0o777 == 0o600
    assert not [t for t in tokens | secrets_in(cache) if t in written + run.stdout + run.stderr]

    status = cli("status", **env)
    assert status.returncode == 0, described(status)
    assert f"Login: {user['display_name']} ({user['id']})" in status.stdout
    assert f"expires {expires:%Y-%m-%d}" in status.stdout and "WARNING" not in status.stdout
    assert "Last run:" in status.stdout and "tier extended" in status.stdout, described(status)


def test_denied_consent_is_a_clear_failure(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small")
    server.control("POST", "settings", {"consent": "deny"})
    cache = tmp_path / "token-cache.json"
    auth = AuthProcess(cli, "--port", "0", **login_env(server, cache))
    browser_to_callback(auth.authorize_url())
    result = auth.finish()
    assert result.returncode == 1, described(result)
    assert "declined" in result.stderr and "access_denied" in result.stderr, described(result)
    assert_no_traceback(result)
    assert not cache.exists()


def test_a_callback_with_the_wrong_state_is_refused(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small")
    cache = tmp_path / "token-cache.json"
    auth = AuthProcess(cli, "--port", "0", **login_env(server, cache))

    def forged(url: str) -> str:
        parts = urlsplit(url)
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        return urlunsplit(parts._replace(query=urlencode({**params, "state": "not-the-state-auth-sent"})))

    page = browser_to_callback(auth.authorize_url(), forged)
    result = auth.finish()
    assert page.status_code == 400
    assert result.returncode == 1, described(result)
    assert "state" in result.stderr and "nothing was saved" in result.stderr, described(result)
    assert not cache.exists()


def test_a_port_in_use_says_so(cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = start_emulator(profile="small")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("auth", "--no-browser", "--port", str(port), **login_env(server, tmp_path / "cache.json"))
    assert result.returncode == 2, described(result)
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr and "--port" in result.stderr
    assert_no_traceback(result)


def test_no_answer_times_out(cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = start_emulator(profile="small")
    result = cli("auth", "--no-browser", "--port", "0", "--timeout", "1", **login_env(server, tmp_path / "c.json"))
    assert result.returncode == 1, described(result)
    assert "No answer from Spotify within 1 s" in result.stderr
    assert not (tmp_path / "c.json").exists()


@pytest.mark.usefixtures("no_local_secrets")
@pytest.mark.parametrize("client_id", [None, "your-spotify-app-client-id"], ids=["none", "example-placeholder"])
def test_auth_without_a_client_id_says_how_to_get_one(cli: Cli, client_id: str | None) -> None:
    env = {"SOURCES__SPOTIFY__CLIENT_ID": client_id} if client_id else {}
    result = cli("auth", "--no-browser", "--port", "0", **env)
    assert result.returncode == 2, described(result)
    assert "No Spotify client_id configured" in result.stderr
    assert "http://127.0.0.1:8888/callback" in result.stderr and "developer.spotify.com" in result.stderr
    assert_no_traceback(result)


# --- status: the login's age ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "exit_code", "says"),
    [(20, 0, "(in 162 days)"), (REFRESH_TOKEN_LIFETIME_DAYS - 10, 0, "WARNING: less than 14 days left"),
     (REFRESH_TOKEN_LIFETIME_DAYS + 1, 3, "EXPIRED")],
    ids=["fresh", "last-two-weeks", "expired"],
)  # fmt: skip
def test_status_counts_the_login_age(
    cli: Cli, tmp_path: Path, age_days: int, exit_code: int, says: str
) -> None:
    cache = tmp_path / "token-cache.json"
    logged_in_at = datetime.now(UTC) - timedelta(days=age_days, hours=1)
    store_login(
        cache,
        "a-client",
        {"refresh_token": "r-token-value", "access_token": "a-token-value", "expires_in": 3600},
        LoginRecord(logged_in_at, "someone", "Some One", tuple(SCOPES.split())),
    )
    result = cli("status", SOURCES__SPOTIFY__CLIENT_ID="a-client", SOURCES__SPOTIFY__TOKEN_CACHE_PATH=str(cache))
    assert result.returncode == exit_code, described(result)
    assert "Login: Some One (someone)" in result.stdout and says in result.stdout, described(result)
    assert "not created yet" in result.stdout  # no warehouse in this test's folder
    assert "token-value" not in result.stdout + result.stderr


@pytest.mark.usefixtures("no_local_secrets")
def test_status_without_a_login_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("status", SOURCES__SPOTIFY__TOKEN_CACHE_PATH=str(tmp_path / "none.json"))
    assert result.returncode == 2, described(result)
    assert "python pipeline.py auth" in result.stdout


# --- one run at a time -------------------------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from spotify_pipeline.run_lock import lock_path_for, run_lock
with run_lock(lock_path_for(Path(sys.argv[1])), "run"):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_a_second_run_exits_at_once_and_leaves_the_warehouse_alone(cli: Cli) -> None:
    cli.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(cli.warehouse)) as connection:
        connection.execute("create table marker as select 1 as x")
    before = (cli.warehouse.read_bytes(), cli.warehouse.stat().st_mtime_ns)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(cli.warehouse)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        for args in (("run", "--no-transform"), ("demo", "--profile", "small")):
            second = cli(*args)
            assert second.returncode == LOCKED, described(second)
            assert "another pipeline run holds the lock since 20" in second.stderr, described(second)
            assert f"pid {holder.pid}" in second.stderr and "without touching the warehouse" in second.stderr
            assert_no_traceback(second)
        assert (cli.warehouse.read_bytes(), cli.warehouse.stat().st_mtime_ns) == before
        assert not (cli.workdir / "dlt_pipelines").exists()
        status = cli("status", SOURCES__SPOTIFY__TOKEN_CACHE_PATH=str(cli.workdir / "none.json"))
        assert "Warehouse:" in status.stdout, "status reads only, so it does not wait for the lock"
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a crashed holder: the kernel drops its lock
        holder.wait(timeout=30)
    from spotify_pipeline.run_lock import lock_path_for, run_lock

    with run_lock(lock_path_for(cli.warehouse), "test"):
        pass  # the dead holder's lock file does not block


def test_the_example_workflow_runs_commands_this_cli_accepts() -> None:
    """docs/github-actions-example.yml is copied by users: its `pipeline.py` command lines must parse."""
    import shlex

    import yaml

    import pipeline

    workflow = yaml.safe_load((ROOT / "docs" / "github-actions-example.yml").read_text())
    lines = [
        line for step in workflow["jobs"]["load"]["steps"] for line in str(step.get("run", "")).splitlines()
        if "pipeline.py" in line
    ]  # fmt: skip
    assert len(lines) == 2
    for line in lines:
        arguments = shlex.split(line.split("pipeline.py", 1)[1])
        parsed = pipeline.build_parser().parse_args(arguments)
        assert parsed.command in ("status", "run") and parsed.destination == "bigquery"
    restore = next(s["run"] for s in workflow["jobs"]["load"]["steps"] if "SPOTIFY_TOKEN_CACHE" in s.get("env", {}))
    assert ".dlt/.spotify_token_cache.json" in restore and "umask 077" in restore


def test_the_log_file_masks_anything_shaped_like_a_token() -> None:
    from spotify_pipeline.run_log import redact

    line = (
        'Authorization: Bearer abcdefgh12345678 refresh_token=r-secret&code=c-secret '
        '{"access_token": "a-secret", "user": "kept"}'
    )
    masked = redact(line)
    assert not [s for s in ("abcdefgh12345678", "r-secret", "c-secret", "a-secret") if s in masked], masked
    assert '"user": "kept"' in masked and "Bearer ***" in masked
