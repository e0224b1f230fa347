"""Secrets stay secret: never printed or logged at any level, stored owner-only, ignored by git; the login's
listener is loopback-only and single-use; the dashboard is loopback-only and every filter is a bound parameter.

tests/test_auth_cli.py covers the `auth` command end to end (state mismatch refused, S256 challenge sent, token
cache 0600, log file masked); this module adds what it does not: every token the emulator ever issued searched for
in a DEBUG run's output, logs, dlt folder and warehouse; the PKCE verifier matching its challenge; the listener's
address and its end; folders; git's ignore rules; SQL metacharacters through the dashboard's filters.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import stat
import subprocess
import threading
import tomllib
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

import pipeline
import spotify_emulator
from dashboard import queries, warehouse
from spotify_emulator import EmulatorServer
from spotify_source import login as login_module
from spotify_source.auth import write_private_json
from tests.dashboard.conftest import Warehouse, demo_warehouse  # noqa: F401 - the fixture, built once here

pytestmark = pytest.mark.reliability
ROOT = Path(pipeline.__file__).resolve().parent


def issued_secrets(server: EmulatorServer) -> set[str]:
    """Every access token, refresh token and authorization code the emulator issued, and the client secret."""
    tokens = server.state.tokens
    return {*tokens.access_tokens, *tokens.refresh_tokens, *tokens.codes, server.settings.accounts.client_secret}


def everything_written(*roots: Path) -> bytes:
    return b"\n".join(p.read_bytes() for root in roots for p in ([root] if root.is_file() else root.rglob("*"))
                      if p.is_file())  # fmt: skip


def warehouse_text(path: Path) -> str:
    """Every value of every table in the warehouse, as text."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        return "\n".join(str(connection.execute(f'select * from "{s}"."{t}"').fetchall()) for s, t in tables)


@pytest.fixture
def debug_everywhere(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """dlt at DEBUG (RUNTIME__LOG_LEVEL) and Python's root logger at DEBUG (requests, urllib3, dlt, dbt)."""
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    return caplog


def test_no_secret_in_output_logs_dlt_folder_or_warehouse_of_run_and_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    debug_everywhere: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    servers: list[EmulatorServer] = []

    class Recorded(EmulatorServer):
        def start(self) -> Recorded:
            servers.append(self)
            return super().start()  # type: ignore[return-value]

    monkeypatch.setenv("SPOTIFY_PIPELINES_DIR", str(tmp_path / "dlt"))
    monkeypatch.chdir(ROOT)
    # demo: its own emulator, login and token cache, all inside the command.
    monkeypatch.setattr(spotify_emulator, "EmulatorServer", Recorded)
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(tmp_path / "demo.duckdb"))
    demo_log = tmp_path / "logs" / "demo.log"
    assert pipeline.main(["demo", "--profile", "small", "--no-transform", "--log-file", str(demo_log)]) == 0
    # run: an emulator of the test's, with a client secret configured (sent by HTTP Basic) and a token that rotates
    # at every refresh; access tokens die after 10 requests, so the run refreshes (and rotates) several times.
    server = Recorded(profile="small", seed=2).start()
    try:
        server.control("POST", "settings", {"refresh_rotation": "always", "access_token_uses": 10})
        monkeypatch.setenv("SPOTIFY_DUCKDB", str(tmp_path / "run.duckdb"))
        accounts = server.settings.accounts
        env = {"API_BASE_URL": server.api_url, "ACCOUNTS_BASE_URL": server.url, "CLIENT_ID": accounts.client_id,
               "CLIENT_SECRET": accounts.client_secret, "REFRESH_TOKEN": server.login()["refresh_token"],
               "TOKEN_CACHE_PATH": str(tmp_path / "run-cache.json")}
        for name, value in env.items():
            monkeypatch.setenv(f"SOURCES__SPOTIFY__{name}", value)
        run_log = tmp_path / "logs" / "run.log"
        assert pipeline.main(["run", "--no-transform", "--log-file", str(run_log)]) == 0
    finally:
        server.stop()
    captured = capsys.readouterr()

    secrets = set().union(*(issued_secrets(s) for s in servers))
    assert len(servers) == 2 and len(secrets) > 6  # both logins, refreshes and rotations were seen
    assert debug_everywhere.records, "DEBUG logging captured nothing: the check would be empty"
    assert any(r.levelno == logging.DEBUG for r in debug_everywhere.records)
    printed = captured.out + captured.err + debug_everywhere.text
    written = everything_written(demo_log, run_log, tmp_path / "dlt").decode("utf-8", "replace")
    stored = warehouse_text(tmp_path / "demo.duckdb") + warehouse_text(tmp_path / "run.duckdb")
    for secret in secrets:
        assert secret not in printed, "a secret was printed or logged"
        assert secret not in written, "a secret is in the log file or dlt's folder"
        assert secret not in stored, "a secret is in the warehouse"


def test_token_cache_and_its_new_folder_are_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.umask", lambda mask: 0)  # not relied on: the modes are set explicitly
    cache = tmp_path / "new" / "folder" / "cache.json"
    write_private_json(cache, {"refresh_token": "x"})
    write_private_json(cache, {"refresh_token": "y"})  # rewritten atomically, still private
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert [p.name for p in cache.parent.iterdir()] == ["cache.json"]  # no temporary file left behind


def test_gitignore_covers_every_secret_and_cache_path() -> None:
    config = tomllib.loads((ROOT / ".dlt" / "config.toml").read_text())
    cache = config["sources"]["spotify"]["token_cache_path"]
    cache_tmp = str(Path(cache).with_name(f".{Path(cache).name}.tmp"))  # write_private_json's temporary file
    paths = [
        ".dlt/secrets.toml", cache, cache_tmp, "data/warehouse.duckdb", "data/warehouse.duckdb.wal",
        "data/warehouse.duckdb.lock", "data/.dlt_pipelines/spotify/state.json", "elsewhere/mine.duckdb",
        ".streamlit/secrets.toml", "logs/run.log", "spotify-run.log", ".bqemulator/venv/bin/python", ".env",
    ]  # fmt: skip
    result = subprocess.run(["git", "check-ignore", "--no-index", "-v", *paths], cwd=ROOT, capture_output=True,
                            text=True, check=False)  # fmt: skip
    ignored = {line.split("\t", 1)[1] for line in result.stdout.splitlines()}
    assert sorted(set(paths) - ignored) == []


def test_login_listener_is_loopback_only_single_use_and_pkce_verified(
    tmp_path: Path, start_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_emulator()
    verifiers: list[str] = []
    pair = login_module.pkce_pair

    def recorded_pair() -> tuple[str, str]:
        verifier, challenge = pair()
        verifiers.append(verifier)
        return verifier, challenge

    monkeypatch.setattr(login_module, "pkce_pair", recorded_pair)
    seen: dict[str, Any] = {}

    def browser(url: str, redirect: str, opened: bool) -> None:
        port = int(redirect.split(":")[2].split("/")[0])
        seen["url"], seen["port"], seen["listening"] = url, port, listening_addresses(port)
        answer = requests.get(url, allow_redirects=False, timeout=10)
        threading.Thread(target=requests.get, args=(answer.headers["Location"],), kwargs={"timeout": 10}).start()

    options = login_module.LoginOptions(
        client_id=server.settings.accounts.client_id, client_secret=None, accounts_base_url=server.url,
        api_base_url=server.api_url, cache_path=tmp_path / "cache.json", port=0, timeout_seconds=20,
        configured_refresh_token=None, request_timeout_seconds=10,
    )  # fmt: skip
    login_module.login(options, show_url=browser)

    assert seen["listening"] == {"127.0.0.1"}, seen["listening"]  # never 0.0.0.0 or a LAN address
    challenge = requests.utils.urlparse(seen["url"]).query
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifiers[0].encode()).digest()).decode().rstrip("=")
    assert f"code_challenge={expected}" in challenge and "code_challenge_method=S256" in challenge
    assert listening_addresses(seen["port"]) == set()  # the listener is gone after its one callback
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{seen['port']}/callback?code=replayed&state=x", timeout=5)


def listening_addresses(port: int) -> set[str]:
    """IPv4/IPv6 addresses with a TCP socket listening on `port` (from /proc/net/tcp*)."""
    found = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                if size == 8:
                    found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
                else:
                    found.add("ipv6:" + address)
    return found


def test_dashboard_binds_loopback_by_default() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["serverAddress"] == "127.0.0.1"


METACHARACTERS = ["'; drop table spotify.users; --", "x' or '1'='1", '"; select 1; --', "\\'; --", "%_%",
                  "ünïcødé ☃ 🎵 '", "\x00", "$1", "@user_id", "' union select * from spotify.users --"]  # fmt: skip
TEXT_FILTERS = ("user_id", "playlist_id", "time_range")


def test_sql_metacharacters_in_every_filter_are_only_values(demo_warehouse: Warehouse) -> None:  # noqa: F811
    """Each text filter of every dashboard statement, given SQL metacharacters, answers exactly as for an unknown
    plain value, and the warehouse (a canary table included) is unchanged afterwards."""
    from tests.dashboard.test_queries import sample_params

    path = Path(demo_warehouse.path)
    copy = path.with_name("metacharacters.duckdb")
    copy.write_bytes(path.read_bytes())
    with duckdb.connect(str(copy)) as connection:
        connection.execute("create table spotify.x as select 1 as canary")
    before = warehouse_text(copy)
    params = sample_params(demo_warehouse)
    dialect = queries.DuckDBDialect()
    tried = 0
    # As DuckDBWarehouse.run does (attached read-only under the dialect's catalog, values bound by
    # warehouse.bind), on one connection: hundreds of statements, each with its own would take a minute.
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone='UTC'")
        connection.execute(f"ATTACH '{copy}' AS {dialect.catalog_name} (READ_ONLY)")

        def run(sql: str, values: dict[str, Any]) -> list[list[str]]:
            return connection.execute(sql, warehouse.bind(sql, values)).df().astype(str).values.tolist()

        for name, query in queries.QUERIES.items():
            sql = query.render(dialect)
            for filter_name in set(re.findall(r"\$([A-Za-z_]\w*)", sql)) & set(TEXT_FILTERS):
                unknown = run(sql, {**params, filter_name: "no-such-value"})
                for value in METACHARACTERS:
                    assert run(sql, {**params, filter_name: value}) == unknown, (name, filter_name, value)
                    tried += 1
    assert tried >= 10 * len(METACHARACTERS), tried  # at least ten filtered statements
    assert warehouse_text(copy) == before
