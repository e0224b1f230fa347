"""The household's commands as people meet them (subprocesses): `auth --account NAME`, `accounts`, `run` over every
login, `run --account`, `import-export --account`, and the refusals that keep one person's data from another's."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from spotify_emulator import EmulatorServer
from spotify_emulator.export import write_extended_export
from tests.cli_harness import Cli, assert_no_traceback, described, query
from tests.test_auth_cli import AuthProcess, browser_to_callback, login_env, secrets_in


def log_in(cli: Cli, env: dict[str, str], person: int, *account: str) -> str:
    """`auth --no-browser [--account NAME]`; the person picks emulated account `person` on Spotify's page."""
    auth = AuthProcess(cli, "--port", "0", *account, **env)
    browser_to_callback(f"{auth.authorize_url()}&emulator_account={person}")
    result = auth.finish()
    assert result.returncode == 0, described(result)
    return result.stdout


def test_a_household_logs_in_lists_runs_and_imports_per_person(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small", accounts=2)
    people = [server.control("GET", f"ground-truth?account={index}")["user"] for index in (0, 1)]
    cache = tmp_path / "secrets" / "token-cache.json"
    env = login_env(server, cache)

    said = log_in(cli, env, 1, "--account", "bea")
    assert f"Logged in as {people[1]['display_name']} ({people[1]['id']}), as the account bea." in said, said
    bea_cache = cache.with_name("token-cache.bea.json")
    assert bea_cache.stat().st_mode & 0o777 == 0o600
    assert not cache.exists(), "a named login must not touch the default account's cache"
    log_in(cli, env, 0)
    twice = log_in(cli, env, 0, "--account", "ann")
    assert "WARNING: the account default is the same Spotify user" in twice, twice

    listed = cli("accounts", **env)
    assert listed.returncode == 0, described(listed)
    for name, person in (("default", people[0]), ("ann", people[0]), ("bea", people[1])):
        assert re.search(rf"^  {name} +{re.escape(person['display_name'])} \({person['id']}\) +never ", listed.stdout,
                         re.MULTILINE), described(listed)  # fmt: skip
    removed = cli("accounts", "remove", "ann", **env)
    assert removed.returncode == 0 and "Its data stays" in removed.stdout, described(removed)

    unknown = cli("run", "--account", "nobody", **env)
    assert unknown.returncode == 2 and "No login for the account 'nobody'" in unknown.stderr, described(unknown)
    bad = cli("auth", "--account", "Bea!", **env)
    assert bad.returncode == 2 and "cannot be an account name" in bad.stderr, described(bad)

    run = cli("run", "--no-transform", **env)
    assert run.returncode == 0, described(run)
    assert "=== Account default (1 of 2) ===" in run.stdout and "=== Account bea (2 of 2) ===" in run.stdout
    assert sorted(query(cli.warehouse, "select id from spotify_raw.users")) == sorted((p["id"],) for p in people)
    pipelines = query(cli.warehouse, "select distinct pipeline_name from spotify_raw._dlt_pipeline_state order by 1")
    assert pipelines == [("spotify",), ("spotify_bea",)]
    listed = cli("accounts", **env)
    assert not re.search(r" never ", listed.stdout) and " UTC " in listed.stdout, described(listed)

    status = cli("status", **env)
    assert status.returncode == 0 and "Other accounts: bea " in status.stdout, described(status)

    export = write_extended_export(server.state.libraries[1], tmp_path / "export", field_version="mixed")
    imported = cli("import-export", str(export), "--account", "bea", "--no-transform", **env)
    assert imported.returncode == 0, described(imported)
    owners = query(cli.warehouse, "select distinct user_id from spotify_raw.export_streams")
    assert owners == [(people[1]["id"],)]

    tokens = secrets_in(bea_cache) | secrets_in(cache)
    for result in (said, twice, listed.stdout, run.stdout + run.stderr, imported.stdout + imported.stderr):
        assert not [token for token in tokens if token in result], "a token was printed"
    assert_no_traceback(run)
