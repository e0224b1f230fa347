"""Real people's accounts, not only full ones: every path ends in a built warehouse and a dashboard without errors.

The matrix of issue 13: an account with nothing at all, no playlists, no likes, no plays, only followed playlists
(in both app tiers), and a warehouse that holds only a data export (extended history, or account data alone).
For each: the command exits 0, every final table the marts document exists (empty where there is nothing), the
tables hold what the emulator served, and every page of the dashboard runs without an exception or an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

import pipeline
from spotify_emulator import EmulatorServer
from spotify_emulator.export import expected_listening_history, write_account_export, write_extended_export
from spotify_emulator.library import generate
from spotify_pipeline import transform
from tests.cli_harness import Cli, assert_no_traceback, described, emulator_env
from tests.dashboard.conftest import APP, Warehouse, build_demo, run_in_process
from tests.dashboard.test_pages import PAGES
from tests.dbt.test_marts import documented_models

AWKWARD = ["empty", "no-playlists", "no-likes", "no-plays", "followed-only"]
MODES = ["extended", "development"]
DEMO_SEED = 0  # `demo`'s default


def final_tables(warehouse: Path) -> dict[str, list[str]]:
    """Tables in schema `spotify` and their columns, without the warnings table dbt's on-run-end hook writes."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{warehouse}' as w (read_only)")
        rows = connection.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_catalog = 'w' and table_schema = 'spotify' group by table_name"
        ).fetchall()
    tables = dict(rows)
    assert tables.pop("data_quality_warnings"), "dbt's hook wrote its table"
    return tables


def assert_every_final_table(warehouse: Warehouse) -> None:
    assert final_tables(warehouse.path) == documented_models()


def assert_dashboard_clean(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page, as a browser opens it (the router first): no exception, no error message."""
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(warehouse.path))
    monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
    for title, page in PAGES.items():
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.run()
        if title != "Overview":
            app.switch_page(page).run()
        assert not app.exception, (title, [item.value for item in app.exception])
        assert not app.error, (title, [item.value for item in app.error])


# --- accounts, through `demo` (the same load and transform as `run`, against the emulator) ---


@pytest.fixture(scope="module", params=[(p, m) for p in AWKWARD for m in MODES], ids=lambda pm: f"{pm[0]}-{pm[1]}")
def account(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Warehouse]:
    profile, mode = request.param
    folder = tmp_path_factory.mktemp(f"account-{profile}-{mode}")
    return profile, Warehouse(build_demo(folder, "--profile", profile, "--mode", mode), mode)


def test_every_final_table_is_built(account: tuple[str, Warehouse]) -> None:
    assert_every_final_table(account[1])


def test_the_tables_hold_what_the_account_has(account: tuple[str, Warehouse]) -> None:
    profile, warehouse = account
    library = generate(DEMO_SEED, profile)
    listed = [p for p in library.playlist_listing() if p is not None]
    assert warehouse.scalar("select count(*) from spotify.saved_tracks") == len(library.saved_tracks)
    assert warehouse.scalar("select count(*) from spotify.playlists") == len(listed)
    assert warehouse.scalar("select count(*) from spotify.recently_played") == min(50, len(library.plays))
    assert warehouse.scalar("select count(*) from spotify.users") == 1
    readable = [p for p in listed if warehouse.mode == "extended" or p.editable_by(library.user.id)]
    entries = warehouse.scalar("select count(*) from spotify.playlist_tracks")
    assert entries == sum(len(p.entries) for p in readable)
    if not library.plays:
        assert warehouse.scalar("select count(*) from spotify.listening_history") == 0
        assert warehouse.scalar("select count(*) from spotify.top_tracks") == 0


def test_the_dashboard_shows_every_page(account: tuple[str, Warehouse], monkeypatch: pytest.MonkeyPatch) -> None:
    assert_dashboard_clean(account[1], monkeypatch)


# --- a warehouse that holds only a data export: no Spotify app, no API table ---


@pytest.fixture(scope="module", params=["extended", "account"])
def export_only(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Warehouse]:
    kind = request.param
    folder = tmp_path_factory.mktemp(f"export-only-{kind}")
    library = generate(DEMO_SEED, "small")
    write = write_extended_export if kind == "extended" else write_account_export
    export = write(library, folder / "export")
    database = run_in_process(folder, "import-export", str(export), "--user-id", "me")
    return kind, Warehouse(database, "export only")


def test_an_export_into_a_new_warehouse_builds_every_final_table(export_only: tuple[str, Warehouse]) -> None:
    assert_every_final_table(export_only[1])


def test_an_export_into_a_new_warehouse_builds_the_listening_history(export_only: tuple[str, Warehouse]) -> None:
    kind, warehouse = export_only
    library = generate(DEMO_SEED, "small")
    window = {"extended": (None, None)} if kind == "extended" else {"account": (None, None)}
    want = expected_listening_history(library, api=False, **window)  # type: ignore[arg-type]
    assert want, "the export holds plays"
    assert warehouse.scalar("select count(*) from spotify.listening_history") == len(want)
    assert warehouse.scalar("select count(distinct user_id) from spotify.listening_history") == 1
    # The account is known by the id the import was given, and by nothing else until the API is read.
    assert warehouse.query("select user_id, display_name from spotify.users") == [("me", None)]
    for table in ("playlists", "saved_tracks", "tracks", "recently_played", "top_tracks"):
        assert warehouse.scalar(f"select count(*) from spotify.{table}") == 0, table


def test_an_export_only_dashboard_shows_every_page(
    export_only: tuple[str, Warehouse], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = export_only[1]
    assert_dashboard_clean(warehouse, monkeypatch)
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    plays = {item.label: item.value for item in app.metric}["Plays"]
    assert int(plays.replace(",", "")) == warehouse.scalar("select count(*) from spotify.listening_history")


# --- a standalone `dbt build` on a warehouse nothing has loaded yet ---


def test_dbt_build_on_a_new_warehouse_builds_every_table_empty(tmp_path: Path) -> None:
    """`cd dbt_project && dbt build` before any load, as a user trying dbt first would: exit 0, all tables, no rows."""
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "SPOTIFY_DUCKDB": str(database), "DO_NOT_TRACK": "1"}
    result = subprocess.run(
        [str(dbt), "build", "--profiles-dir", ".", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=transform.DBT_PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    tables = final_tables(database)
    assert tables == documented_models()
    with duckdb.connect(str(database), read_only=True) as connection:
        for table in tables:
            assert connection.execute(f'select count(*) from "{database.stem}".spotify."{table}"').fetchone() == (0,)


# --- `python pipeline.py run`, the command a user schedules, on an account with nothing at all ---


def test_run_on_an_empty_account_exits_0(
    tmp_path: Path, cli: Cli, start_emulator: Callable[..., EmulatorServer]
) -> None:
    """Twice, the second build incremental on empty tables. In the development tier only, the one a new app gets:
    the load and transform of an empty account in both tiers are the `account` matrix's (the same code as `run`);
    what `run` adds, the login and the token cache, does not depend on the tier."""
    server = start_emulator(profile="empty", mode="development")
    login = server.login()
    result = cli("run", **emulator_env(server, login["refresh_token"], tmp_path / "cache" / "token-cache.json"))
    assert result.returncode == 0, described(result)
    assert_no_traceback(result)
    assert final_tables(cli.warehouse) == documented_models()
    second = cli("run", **emulator_env(server, login["refresh_token"], tmp_path / "cache" / "token-cache.json"))
    assert second.returncode == 0, described(second)


def test_demo_offers_every_emulator_profile() -> None:
    """`pipeline.py` names the profiles so that `--help` needs no emulator import: the two lists must agree."""
    from spotify_emulator.profiles import PROFILES

    assert set(pipeline.DEMO_PROFILES) == set(PROFILES)
