"""`python pipeline.py` as a new user meets it: a subprocess from the repo root, judged by exit code and output.

The other suites call the source in-process; only here do argument parsing, `main()`'s error handling (a message
and an exit code instead of a traceback) and the printed summary get exercised. Every run writes into pytest's
tmp_path (the `cli` fixture, tests/cli_harness.py) so the repo's data/ is never touched, and every address is
127.0.0.1: the emulator for Spotify, and a local recorder for dlt's telemetry, which would otherwise go to the
internet.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import spotify_pipeline
import spotify_source
from spotify_emulator import EmulatorServer
from spotify_emulator.library import generate
from spotify_source.errors import UserError
from tests.cli_harness import ROOT, Cli, TelemetrySink, assert_no_traceback, described, emulator_env, query

RAW_SUMMARY_TABLES = ("users", "playlists", "playlist_items", "tracks", "artists", "audio_features",
                      "recently_played", "top_tracks", "top_artists", "saved_tracks", "episodes")  # fmt: skip


def raw_table_counts(database: Path) -> dict[str, int]:
    """Row counts of every data table in spotify_raw (child tables included, dlt's bookkeeping left out)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("SET TimeZone='UTC'")
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'spotify_raw' "
            "and not starts_with(table_name, '_dlt') order by table_name"
        ).fetchall()
        return {
            name: connection.execute(f'select count(*) from spotify_raw."{name}"').fetchall()[0][0]
            for (name,) in tables
        }


def summary_counts(stdout: str) -> dict[str, int]:
    """The `Rows in spotify_raw:` block of the summary, as {table: count}."""
    block = stdout.split("Rows in spotify_raw:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^  (\w+)\s+(\d+)$", block, flags=re.MULTILINE)}


# --- demo -----------------------------------------------------------------------------------------------------


@dataclass
class DemoRun:
    result: subprocess.CompletedProcess[str]
    warehouse: Path
    telemetry_hits: list[str]


@pytest.fixture(scope="module")
def demo_seed_1(tmp_path_factory: pytest.TempPathFactory, telemetry_sink: TelemetrySink) -> DemoRun:
    """One `demo --profile small --seed 1`, shared by the tests that only read what it did (it is the slow part)."""
    cli = Cli(tmp_path_factory.mktemp("demo-seed-1"), telemetry_sink)
    result = cli("demo", "--profile", "small", "--seed", "1")
    return DemoRun(result, cli.warehouse, cli.telemetry_hits)


def test_demo_exits_0_and_prints_the_summary(demo_seed_1: DemoRun) -> None:
    result = demo_seed_1.result
    assert result.returncode == 0, described(result)
    assert_no_traceback(result)
    assert "profile small, seed 1, extended tier" in result.stdout
    assert "App tier: extended; batch endpoints: yes; audio features: yes" in result.stdout, described(result)
    printed = summary_counts(result.stdout)
    assert set(printed) == set(RAW_SUMMARY_TABLES), described(result)
    assert str(demo_seed_1.warehouse) in result.stdout, "the user is told where the warehouse is"


def test_demo_summary_matches_the_warehouse(demo_seed_1: DemoRun) -> None:
    """The printed counts are what a user trusts without opening DuckDB: they must be the warehouse's."""
    assert demo_seed_1.result.returncode == 0, described(demo_seed_1.result)
    assert demo_seed_1.warehouse.is_file()
    in_warehouse = raw_table_counts(demo_seed_1.warehouse)
    printed = summary_counts(demo_seed_1.result.stdout)
    assert printed == {table: in_warehouse.get(table, 0) for table in RAW_SUMMARY_TABLES}


def test_demo_lands_the_emulated_account(demo_seed_1: DemoRun) -> None:
    """Facts that hold wherever the demo's history ends (it has ended at the current hour), so no exact counts."""
    assert demo_seed_1.result.returncode == 0, described(demo_seed_1.result)
    database = demo_seed_1.warehouse
    library = generate(1, "small")  # ids and the playlist listing do not depend on where the history ends
    listed = [p for p in library.playlist_listing() if p is not None]

    assert query(database, "select id from spotify_raw.users") == [(library.user.id,)]
    assert query(database, "select count(*) from spotify_raw.playlists")[0][0] == min(20, len(listed))
    assert query(database, "select count(*) from spotify_raw.recently_played")[0][0] == 50
    top = dict(query(database, "select time_range, count(*) from spotify_raw.top_tracks group by all"))
    assert 0 < sum(top.values()) <= 60
    assert set(top) <= {"short_term", "medium_term", "long_term"} and max(top.values()) <= 20
    runs = query(database, "select tier, user_id from spotify_raw.extraction_runs")
    assert runs == [("extended", library.user.id)]


def test_demo_sends_nothing_off_the_machine(demo_seed_1: DemoRun) -> None:
    assert demo_seed_1.result.returncode == 0, described(demo_seed_1.result)
    assert demo_seed_1.telemetry_hits == []


def test_demo_development_tier_says_so(cli: Cli) -> None:
    result = cli("demo", "--mode", "development", "--profile", "small", "--no-transform")
    assert result.returncode == 0, described(result)
    assert_no_traceback(result)
    assert "App tier: development" in result.stdout, described(result)
    assert "audio features: no" in result.stdout
    notes = [line for line in result.stdout.splitlines() if line.strip().startswith("note:")]
    assert any("audio features" in n.lower() and "not available" in n.lower() for n in notes), described(result)
    assert summary_counts(result.stdout)["audio_features"] == 0
    assert "Transform skipped (--no-transform)." in result.stdout


def test_second_demo_into_the_same_warehouse_adds_only_a_run_row(tmp_path: Path, cli: Cli) -> None:
    """Merge keys and incremental cursors make a repeated load idempotent; only the run log grows.

    Should the demo's history end at the current hour (it has; top lists are also keyed by date), a pair of runs
    straddling an hour boundary would legitimately see new plays: such a pair is discarded and run again.
    """
    for attempt in range(2):
        cli = cli.elsewhere(tmp_path / f"attempt-{attempt}")
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        first = cli("demo", "--profile", "small", "--seed", "1", "--no-transform")
        assert first.returncode == 0, described(first)
        after_first = raw_table_counts(cli.warehouse)
        second = cli("demo", "--profile", "small", "--seed", "1", "--no-transform")
        assert second.returncode == 0, described(second)
        if datetime.now(UTC).replace(minute=0, second=0, microsecond=0) == hour:
            break
    after_second = raw_table_counts(cli.warehouse)
    assert after_first["extraction_runs"] == 1 and after_first["export_imports"] == 2
    assert after_first["export_streams"] > 50  # the demo's data export brings the history the API does not show
    # Each run records itself (a run row, an import row per export); the data itself is the same.
    assert after_second == {**after_first, "extraction_runs": 2, "export_imports": 4}


# --- run, unconfigured ------------------------------------------------------------------------------------------


@pytest.fixture
def no_local_secrets() -> None:
    """A developer's own .dlt/secrets.toml would configure the run (dlt reads it from the repo root)."""
    if (ROOT / ".dlt" / "secrets.toml").exists():
        pytest.skip(".dlt/secrets.toml exists in this checkout, so `run` is configured; cannot test its absence")


@pytest.mark.usefixtures("no_local_secrets")
@pytest.mark.parametrize("args", [(), ("run",), ("run", "--no-transform")], ids=["default", "run", "no-transform"])
def test_run_without_credentials_says_what_to_do(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.returncode == 2, described(result)
    assert "python pipeline.py auth" in result.stderr, described(result)
    assert "python pipeline.py demo" in result.stderr, described(result)
    assert_no_traceback(result)


@pytest.mark.usefixtures("no_local_secrets")
def test_run_options_work_without_the_run_command(cli: Cli) -> None:
    result = cli("--no-transform")
    assert "unrecognized arguments" not in result.stderr, described(result)
    assert result.returncode == 2 and "python pipeline.py auth" in result.stderr, described(result)


# --- run, against the emulator (configured through env vars only) -------------------------------------------------


def test_run_against_the_emulator_keeps_tokens_secret(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small")
    login = server.login()
    cache = tmp_path / "secrets" / "token-cache.json"
    result = cli("run", "--no-transform", **emulator_env(server, login["refresh_token"], cache))
    assert result.returncode == 0, described(result)
    assert_no_traceback(result)
    assert "Transform skipped (--no-transform)." in result.stdout
    assert query(cli.warehouse, "select count(*) from spotify_raw.users")[0][0] == 1

    cached = json.loads(cache.read_text())
    secrets = {login["refresh_token"], login["access_token"], cached["access_token"], cached["refresh_token"]}
    output = result.stdout + result.stderr
    assert not [s for s in secrets if s and s in output], "a token was printed"
    assert cache.stat().st_mode & 0o777 == 0o600


def test_run_with_a_revoked_login_exits_3(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small")
    login = server.login()
    server.control("POST", "tokens/revoke-refresh")
    cache = tmp_path / "fresh" / "token-cache.json"  # no cached access token to carry the run
    result = cli("run", "--no-transform", **emulator_env(server, login["refresh_token"], cache))
    assert result.returncode == 3, described(result)
    assert "log in again" in result.stderr.lower(), described(result)
    assert "python pipeline.py auth" in result.stderr
    assert login["refresh_token"] not in result.stdout + result.stderr
    assert_no_traceback(result)


def test_run_rate_limited_beyond_the_cap_exits_4(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    """A day-long Retry-After must not hang the run: it stops and tells the user when to come back."""
    server = start_emulator(profile="small")
    login = server.login()
    server.control("POST", "faults", {"quota_exceeded": True, "quota_retry_after": 86400})
    env = emulator_env(
        server, login["refresh_token"], tmp_path / "token-cache.json", SOURCES__SPOTIFY__MAX_RETRY_AFTER_SECONDS="5"
    )
    result = cli("run", "--no-transform", **env)
    assert result.returncode == 4, described(result)
    assert re.search(r"Run again in 24(\.0)? hours \(after \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)", result.stderr), (
        described(result)
    )
    assert_no_traceback(result)


# --- help --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("--help",), ("demo", "run", "Exit codes")),
        (("demo", "--help"), ("demo", "--no-transform", "--profile", "--mode", "--seed")),
        (("run", "--help"), ("run", "--no-transform")),
    ],
    ids=["top", "demo", "run"],
)
def test_help(cli: Cli, args: tuple[str, ...], mentions: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.returncode == 0, described(result)
    assert [m for m in mentions if m not in result.stdout] == [], described(result)


def test_top_level_help_mentions_the_default_commands_options(cli: Cli) -> None:
    result = cli("--help")
    assert "--no-transform" in result.stdout


# --- errors ------------------------------------------------------------------------------------------------------

HANDLED_WHERE_RAISED = {"spotify_pipeline.costs.CostsUnavailable"}
"""`costs.command` reports it itself: the dashboard shows the same report and must not import the source."""


def test_every_error_with_an_exit_code_is_a_user_error() -> None:
    """pipeline.py turns errors into exit codes in one `except UserError`: an error class that carries an exit code
    but is not a UserError would reach the user as a traceback."""
    errors = {}
    for package in (spotify_pipeline, spotify_source):
        for found in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(found.name)
            for name, value in vars(module).items():
                if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == found.name:
                    errors[f"{found.name}.{name}"] = value
    with_codes = {name for name, error in errors.items() if isinstance(getattr(error, "exit_code", None), int)}
    assert {"spotify_pipeline.transform.TransformFailed", "spotify_source.errors.LoginExpired"} <= with_codes
    assert {name for name in with_codes if not issubclass(errors[name], UserError)} == HANDLED_WHERE_RAISED
