"""A value Spotify sends that the tests did not expect warns; a broken key of ours still fails (issue #18).

`python pipeline.py run` as a subprocess against the real emulator with its `unexpected_values` fault (album type
`EP` in top tracks, a context type `mix`, popularity 101 and -1), into a real DuckDB file, with the real dbt build:
the run exits 0, the rows are in the final tables, and the warnings are printed and kept in
`spotify.data_quality_warnings`. A duplicate key is our own invariant broken: exit 5 as before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from spotify_emulator import EmulatorServer
from spotify_emulator.faults import FaultSettings
from spotify_pipeline.data_quality import DataQualityWarning, summary_lines
from tests.cli_harness import Cli, assert_no_traceback, described, emulator_env, query

POPULARITY_TEST = "accepted_range_tracks_popularity__100__0"
CONTEXT_TEST = "accepted_values_recently_played_context_type__playlist__album__artist__show__collection"


def test_unexpected_values_warn_and_the_run_exits_0(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small", seed=5, faults=FaultSettings(unexpected_values=True))
    env = emulator_env(server, server.login()["refresh_token"], tmp_path / "token-cache.json")
    result = cli("run", **env)
    assert result.returncode == 0, described(result)
    assert_no_traceback(result)

    # The rows landed in the final tables, with Spotify's values (EP lower-cased: a known variant, no warning).
    raw_ep = query(cli.warehouse, "select count(distinct id) from spotify_raw.tracks where album_type = 'ep'")[0][0]
    assert raw_ep > 0
    assert query(cli.warehouse, "select count(*) from spotify.tracks where album_type = 'ep'")[0][0] == raw_ep
    assert query(cli.warehouse, "select count(*) from spotify.tracks where album_type <> lower(album_type)") == [(0,)]
    odd_popularity = query(
        cli.warehouse, "select count(*), min(popularity), max(popularity) from spotify.tracks"
        " where popularity not between 0 and 100"
    )[0]  # fmt: skip
    assert odd_popularity[0] > 0 and odd_popularity[1:] == (-1, 101)
    mix_plays = query(cli.warehouse, "select count(*) from spotify.recently_played where context_type = 'mix'")[0][0]
    raw_mix = query(cli.warehouse, "select count(*) from spotify_raw.recently_played where context_type = 'mix'")
    assert mix_plays > 0 and raw_mix == [(mix_plays,)]

    # The warnings: kept for the dashboard, exactly the two tests of Spotify's values that met them.
    warnings = {
        row[0]: row[1:]
        for row in query(
            cli.warehouse,
            "select test_name, model_name, column_name, failing_rows, example_values"
            " from spotify.data_quality_warnings",
        )
    }
    assert set(warnings) == {POPULARITY_TEST, CONTEXT_TEST}, warnings
    assert warnings[POPULARITY_TEST][:3] == ("tracks", "popularity", odd_popularity[0])
    assert set(warnings[POPULARITY_TEST][3].split(", ")) == {"101", "-1"}
    assert warnings[CONTEXT_TEST] == ("recently_played", "context_type", mix_plays, f"mix ({mix_plays} rows)")

    # ... and printed at the end of the run.
    assert f"Spotify sent {odd_popularity[0]} tracks with popularity not between 0 and 100" in result.stdout
    assert f"Spotify sent {mix_plays} plays with context_type not one of" in result.stdout
    assert "dbt build still succeeded" in result.stdout


def test_a_duplicate_key_still_fails_with_exit_5(
    cli: Cli, start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = start_emulator(profile="small", seed=5, faults=FaultSettings(unexpected_values=True))
    env = emulator_env(server, server.login()["refresh_token"], tmp_path / "token-cache.json")
    first = cli("run", "--no-transform", **env)
    assert first.returncode == 0, described(first)
    # A second row for the oldest play: (user_id, played_at) is recently_played's key. The next run's cursor is
    # past it, so nothing re-reads (and merges away) the copy.
    with duckdb.connect(str(cli.warehouse)) as connection:
        connection.execute(
            "insert into spotify_raw.recently_played (user_id, played_at, track_id, extracted_at, _dlt_load_id,"
            " _dlt_id) select user_id, played_at, track_id, extracted_at, _dlt_load_id, 'duplicate-play'"
            " from spotify_raw.recently_played order by played_at limit 1"
        )
    second = cli("run", **env)
    assert second.returncode == 5, described(second)
    output = second.stdout + second.stderr
    # Staging's key test catches it, before any mart is built on it.
    assert "primary_key_stg_spotify__recently_played_user_id__played_at" in output, described(second)
    # The values Spotify controls still only warned in that build.
    assert "Spotify sent" in second.stdout and "dbt build still succeeded" not in second.stdout, described(second)
    assert query(cli.warehouse, "select count(*) from spotify_raw.recently_played where _dlt_id = 'duplicate-play'")


def test_summary_sentences() -> None:
    """How each kind of warned test reads in the run's summary."""
    not_null = DataQualityWarning("not_null_playlists_owner_id", "not_null", "playlists", "owner_id", 2,
                                  "not null", ("p1", "p2"))  # fmt: skip
    album = DataQualityWarning("accepted_values_tracks_album_type", "accepted_values", "tracks", "album_type", 3,
                               "one of album, single, compilation, ep", ("mixtape (3 rows)",))  # fmt: skip
    assert not_null.sentence() == "Spotify sent 2 playlists without owner_id (e.g. p1, p2)"
    assert album.sentence() == (
        "Spotify sent 3 tracks with album_type not one of album, single, compilation, ep: mixtape (3 rows)"
    )
    lines = summary_lines([album], succeeded=False)
    assert lines[0].startswith("Warning: Spotify sent 3 tracks") and "still succeeded" not in lines[0]
    assert summary_lines([]) == []
