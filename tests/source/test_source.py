"""The source against the emulator, in both tiers: what lands equals what was served within the limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spotify_emulator import EmulatorServer
from tests.source.pipeline_harness import Harness, expected, make_harness, minimum_requests

MODES = ["extended", "development"]


@pytest.fixture(scope="module", params=MODES)
def first_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One reference run per tier, shared by the checks below (a run takes a few seconds)."""
    mode = request.param
    with EmulatorServer(profile="reference", mode=mode, seed=1) as server:
        harness = make_harness(server, tmp_path_factory.mktemp(f"first-{mode}"))
        server.control("POST", "stats/reset")
        harness.run()
        requests = harness.api_requests()
        truth = server.control("GET", "ground-truth")
        yield harness, truth, mode == "development", requests


def test_playlists_are_the_first_ones_listed(first_run: Any) -> None:
    harness, truth, development, _ = first_run
    exp = expected(truth, development)
    rows = harness.query("select id, snapshot_id, owner_id from spotify_raw.playlists order by listing_position")
    assert rows == [(p["id"], p["snapshot_id"], p["owner_id"]) for p in exp.playlists]


def test_playlist_entries_in_order_with_every_kind(first_run: Any) -> None:
    harness, truth, development, _ = first_run
    exp = expected(truth, development)
    rows = harness.query(
        "select playlist_id, position, item_type, track_id, episode_id, local_uri, "
        "strftime(added_at, '%Y-%m-%dT%H:%M:%SZ'), added_by from spotify_raw.playlist_items "
        "order by playlist_id, position"
    )
    kind = {"track": "track", "episode": "episode", "local": "local", "unavailable": "unavailable"}
    want = sorted(
        (pid, e["position"], kind[e["kind"]], e["track_id"], e["episode_id"], e["local_uri"], e["added_at"],
         e["added_by"])
        for pid, entries in exp.entries.items() for e in entries
    )  # fmt: skip
    assert rows == want
    kinds = {row[2] for row in rows}
    assert {"track", "local", "episode", "unavailable"} <= kinds, "the reference library has every kind"


def test_tracks_artists_and_features(first_run: Any) -> None:
    harness, truth, development, _ = first_run
    exp = expected(truth, development)
    tracks = {t["id"]: t for t in truth["tracks"]}
    rows = harness.query("select id, name, duration_ms, isrc, popularity from spotify_raw.tracks")
    assert {r[0] for r in rows} == exp.track_ids
    for track_id, name, duration, isrc, popularity in rows:
        t = tracks[track_id]
        assert (name, duration, isrc) == (t["name"], t["duration_ms"], t["isrc"])
        assert popularity == (None if development else t["popularity"])

    artists = {a["id"]: a for a in truth["artists"]}
    stored = harness.query(
        "select a.id, list(g.value order by g._dlt_list_idx) filter (where g.value is not null) "
        "from spotify_raw.artists a left join spotify_raw.artists__genres g on g._dlt_parent_id = a._dlt_id "
        "group by a.id"
    )
    stored_ids = {row[0] for row in stored}
    for artist_id, genres in stored:
        assert (genres or []) == artists[artist_id]["genres"]
    if development:
        budget = 100
        top = set(exp.artist_ids) - set(exp.missing_artist_ids)
        assert top <= stored_ids <= set(exp.artist_ids)
        assert len(stored_ids) == len(top) + min(budget, len(exp.missing_artist_ids))
    else:
        assert stored_ids == set(exp.artist_ids)

    tables = {r[0] for r in harness.query("select table_name from information_schema.tables")}
    # dlt creates a table only once rows arrive: in the development tier `audio_features` may not exist at all.
    features = (
        harness.query("select id, danceability, tempo from spotify_raw.audio_features")
        if ("audio_features" in tables)
        else []
    )
    truth_features = {f["track_id"]: f for f in truth["audio_features"]}
    if development:
        assert features == []
        (available,) = harness.query("select audio_features_available from spotify_raw.extraction_runs")[0]
        assert available is False
    else:
        assert {f[0] for f in features} == {t for t in exp.track_ids if t in truth_features}
        for track_id, danceability, tempo in features:
            assert (danceability, tempo) == (
                truth_features[track_id]["danceability"],
                truth_features[track_id]["tempo"],
            )


def test_plays_top_lists_and_saved_tracks(first_run: Any) -> None:
    harness, truth, development, _ = first_run
    exp = expected(truth, development)
    plays = harness.query(
        "select epoch_ms(played_at), track_id, context_uri from spotify_raw.recently_played order by played_at"
    )
    assert plays == [(p["played_at_ms"], p["track_id"], p["context_uri"]) for p in exp.plays]
    for kind, column in (("tracks", "track_id"), ("artists", "artist_id")):
        rows = harness.query(f"select time_range, rank, {column} from spotify_raw.top_{kind} order by time_range, rank")
        lists = exp.top_tracks if kind == "tracks" else exp.top_artists
        assert rows == sorted((r, i + 1, x) for r, ids in lists.items() for i, x in enumerate(ids))
    saved = harness.query(
        "select track_id, strftime(added_at, '%Y-%m-%dT%H:%M:%SZ') from spotify_raw.saved_tracks order by added_at desc"
    )
    assert saved == [(s["track_id"], s["added_at"]) for s in exp.saved]
    user = harness.query("select id, product, country from spotify_raw.users")
    me = truth["user"]
    assert user == [(me["id"], None, None)] if development else [(me["id"], me["product"], me["country"])]


def test_first_run_makes_the_minimum_number_of_requests(first_run: Any) -> None:
    harness, truth, development, requests = first_run
    assert requests == minimum_requests(expected(truth, development), truth, development)
    (counted,) = harness.query("select count_api_requests from spotify_raw.extraction_runs")[0]
    assert counted == sum(requests.values()), "the run's own count agrees with the emulator's"


def test_episodes_met_in_playlists(first_run: Any) -> None:
    harness, truth, development, _ = first_run
    exp = expected(truth, development)
    episodes = {e["id"]: e for e in truth["episodes"]}
    want = {e["episode_id"] for es in exp.entries.values() for e in es if e["episode_id"]}
    rows = harness.query("select id, name, show_id from spotify_raw.episodes")
    assert {r[0] for r in rows} == want and want
    assert all((name, show) == (episodes[i]["name"], episodes[i]["show_id"]) for i, name, show in rows)


@pytest.mark.parametrize("mode", MODES)
def test_incremental_runs(start_emulator: Callable[..., EmulatorServer], tmp_path: Path, mode: str) -> None:
    """Nothing changed: no new rows, no requests for entries, artists or features. Then exactly the changes."""
    server = start_emulator(profile="reference", mode=mode, seed=2)
    harness = make_harness(server, tmp_path)
    harness.source_options["artist_request_budget"] = 1000  # all artists in the first run, in both tiers
    harness.run()
    counts = _counts(harness)

    server.control("POST", "stats/reset")
    harness.run()
    second = harness.api_requests()
    assert _counts(harness) == {**counts, "extraction_runs": counts["extraction_runs"] + 1}
    for endpoint in ("GET /v1/playlists/{playlist_id}/items", "GET /v1/artists", "GET /v1/artists/{id}",
                     "GET /v1/audio-features"):  # fmt: skip
        assert endpoint not in second, f"an unchanged run asked {endpoint}"
    assert second["GET /v1/me/tracks"] == 1, "liked songs: one page shows nothing is new"

    added = server.control("POST", "plays", {"count": 10})["added"]
    truth = server.control("GET", "ground-truth")
    development = mode == "development"
    editable = [p for p in expected(truth, development).readable if p["owner_id"] == truth["user"]["id"]]
    edit = server.control("POST", "playlists/edit", {"playlist_id": editable[0]["id"], "add": 3, "remove": 2})
    server.control("POST", "stats/reset")
    harness.run()
    third = harness.api_requests()
    truth = server.control("GET", "ground-truth")
    exp = expected(truth, development)
    assert "GET /v1/audio-features" not in third or third["GET /v1/audio-features"] == 1
    assert third["GET /v1/playlists/{playlist_id}/items"] == -(-len(exp.entries[edit["playlist_id"]]) // 50)
    plays = harness.query("select count(*), count(distinct played_at) from spotify_raw.recently_played")[0]
    assert plays == (counts["recently_played"] + len(added),) * 2
    entries = harness.query(
        f"select track_id from spotify_raw.playlist_items where playlist_id = '{edit['playlist_id']}' order by position"
    )
    assert [r[0] for r in entries] == [e["track_id"] for e in exp.entries[edit["playlist_id"]]]


def _counts(harness: Harness) -> dict[str, int]:
    tables = [r[0] for r in harness.query(
        "select table_name from information_schema.tables where table_schema = 'spotify_raw' "
        "and table_name not like '_dlt%'"
    )]  # fmt: skip
    return {t: harness.query(f"select count(*) from spotify_raw.{t}")[0][0] for t in sorted(tables)}


def test_development_artist_budget_carries_over(start_emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    """Single `/artists/{id}` calls stay within the per-run budget; the next run fetches the rest."""
    server = start_emulator(profile="reference", mode="development", seed=1)
    harness = make_harness(server, tmp_path)
    truth = server.control("GET", "ground-truth")
    exp = expected(truth, development=True)
    fetched = 0
    for _ in range(3):
        server.control("POST", "stats/reset")
        harness.run(artist_request_budget=60)
        calls = harness.api_requests().get("GET /v1/artists/{id}", 0)
        assert calls <= 60
        fetched += calls
    assert fetched == min(len(exp.missing_artist_ids), 180)
    assert {r[0] for r in harness.query("select id from spotify_raw.artists")} <= set(exp.artist_ids)


def test_enrichment_a_crash_lost_is_asked_by_the_next_run(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    """The run died after loading its facts: the warehouse shows which artists and features are missing, and the
    next run asks for exactly those, in full batches; no id lists are kept in dlt's state."""
    server = start_emulator(profile="reference", mode="extended", seed=1)
    harness = make_harness(server, tmp_path)
    truth = server.control("GET", "ground-truth")
    exp = expected(truth, development=False)
    harness.run(stages=1)
    top = {artist_id for ids in exp.top_artists.values() for artist_id in ids}
    assert {r[0] for r in harness.query("select id from spotify_raw.artists")} == top
    tables = {r[0] for r in harness.query("select table_name from information_schema.tables")}
    assert not tables & {"audio_features", "extraction_runs"}, "nothing of the enrichment was loaded"

    server.control("POST", "stats/reset")
    pipeline = harness.run()
    requests = harness.api_requests()
    minimum = minimum_requests(exp, truth, development=False)
    for endpoint in ("GET /v1/artists", "GET /v1/audio-features"):
        assert requests[endpoint] == minimum[endpoint], endpoint
    assert {r[0] for r in harness.query("select id from spotify_raw.artists")} == set(exp.artist_ids)
    with_features = {f["track_id"] for f in truth["audio_features"]}
    features = {r[0] for r in harness.query("select id from spotify_raw.audio_features")}
    without = {r[0] for r in harness.query("select id from spotify_raw.tracks_without_audio_features")}
    assert features == exp.track_ids & with_features and without == exp.track_ids - with_features
    assert harness.query("select count(*) from spotify_raw.extraction_runs")[0][0] == 1
    resources = pipeline.state["sources"]["spotify"]["resources"]
    assert set(resources.get("enrichment", {})) <= {"audio_features_refused_at"}
