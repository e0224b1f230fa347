"""Removals are data too: an un-liked song, a deleted or unfollowed playlist, entries taken out of a playlist.

After each change on the emulator, a real run and a real `dbt build` must leave the current-state marts
(`saved_tracks`, `playlists`, `playlist_tracks`) equal to the emulator's ground truth, and the `*_history` marts
holding what left with the end of its period. Requests stay minimal: the whole list of liked songs is read only when
Spotify's count disagrees with the warehouse, or when the periodic full check is due.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from spotify_emulator import EmulatorServer
from spotify_emulator.library import SavedTrack
from tests.dbt.test_marts import Row, Truth, assert_same_rows, dbt, final, read, want_playlist_tracks, want_saved
from tests.source.pipeline_harness import Harness, make_harness

MODES = ["extended", "development"]
SEED = 5
LIKES = "GET /v1/me/tracks"


def tracks_requests(harness: Harness) -> int:
    return harness.api_requests().get(LIKES, 0)


def history(harness: Harness, table: str, columns: str, where: str = "true") -> list[Row]:
    return harness.query(f"select {columns} from {final(harness, table)} where {where}")


@dataclass
class Changed:
    harness: Harness
    before: Truth
    after: Truth
    unliked: list[str]
    removed_playlists: dict[str, bool]
    edited_playlist: str
    likes_requests: int


def own_playlist_with_entries(truth: dict[str, Any], exclude: set[str]) -> str:
    user = truth["user"]["id"]
    listed = set(truth["playlist_listing"])
    return next(
        p["id"] for p in truth["playlists"]
        if p["owner_id"] == user and p["id"] in listed and p["id"] not in exclude and len(p["entries"]) > 4
    )  # fmt: skip


@pytest.fixture(scope="module", params=MODES)
def changed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Changed]:
    """A first run and build; then two likes removed, an own playlist deleted, a followed one unfollowed and two
    entries taken out of a third; then a second run and build."""
    mode = request.param
    with EmulatorServer(profile="small", mode=mode, seed=SEED) as server, pytest.MonkeyPatch.context() as mp:
        harness = make_harness(server, tmp_path_factory.mktemp(f"changes-{mode}"))
        harness.run()
        dbt(harness, ["build"], mp)
        before = Truth(server.control("GET", "ground-truth"), mode == "development")

        unliked = server.control("POST", "saved-tracks/remove", {"count": 2})["removed"]
        own = own_playlist_with_entries(before.truth, set())
        user = before.truth["user"]["id"]
        followed = next(p["id"] for p in before.exp.playlists if p["owner_id"] != user and not p["collaborative"])
        removed = {}
        for playlist_id in (own, followed):
            removed[playlist_id] = server.control("POST", "playlists/remove", {"playlist_id": playlist_id})["owned"]
        edited = own_playlist_with_entries(before.truth, {own})
        server.control("POST", "playlists/edit", {"playlist_id": edited, "add": 0, "remove": 2})

        server.control("POST", "stats/reset")
        harness.run()
        likes_requests = tracks_requests(harness)
        dbt(harness, ["build"], mp)
        after = Truth(server.control("GET", "ground-truth"), mode == "development")
        yield Changed(harness, before, after, unliked, removed, edited, likes_requests)


def test_unliked_songs_leave_saved_tracks(changed: Changed) -> None:
    assert_same_rows("saved_tracks", read(changed.harness, "saved_tracks"), want_saved(changed.after))
    assert not {row[1] for row in read(changed.harness, "saved_tracks")} & set(changed.unliked)


def test_an_unlike_reads_the_whole_list_once(changed: Changed) -> None:
    """Spotify's count fell by two: the run read every page of liked songs, no more."""
    assert changed.likes_requests == max(1, math.ceil(len(changed.after.truth["saved_tracks"]) / 50))


def test_saved_tracks_history_closes_the_unliked_periods(changed: Changed) -> None:
    rows = history(changed.harness, "saved_tracks_history", "track_id, valid_from = added_at, is_current, valid_to")
    closed = {track_id for track_id, _, is_current, _ in rows if not is_current}
    assert closed == set(changed.unliked)
    assert all(starts_at_like for _, starts_at_like, _, _ in rows)
    assert {t for t, _, current, _ in rows if current} == {s["track_id"] for s in changed.after.truth["saved_tracks"]}
    assert all(valid_to is not None for _, _, current, valid_to in rows if not current)


def test_removed_playlists_leave_playlists(changed: Changed) -> None:
    ids = {row[0] for row in read(changed.harness, "playlists", "playlist_id")}
    assert ids == {p["id"] for p in changed.after.exp.playlists}
    assert not ids & set(changed.removed_playlists)
    assert set(changed.removed_playlists.values()) == {True, False}, "one deleted, one unfollowed"


def test_playlists_history_keeps_removed_and_changed_versions(changed: Changed) -> None:
    rows = history(changed.harness, "playlists_history", "playlist_id, snapshot_id, is_current")
    closed = {(p, s) for p, s, current in rows if not current}
    before = {p["id"]: p["snapshot_id"] for p in changed.before.exp.playlists}
    after = {p["id"]: p["snapshot_id"] for p in changed.after.exp.playlists}
    # Each removed playlist and the edited playlist's old version closed; the edited one has a current version.
    assert closed == {(p, before[p]) for p in [*changed.removed_playlists, changed.edited_playlist]}
    assert {(p, s) for p, s, current in rows if current} == set(after.items())


def test_playlist_tracks_hold_only_current_entries(changed: Changed) -> None:
    assert_same_rows("playlist_tracks", read(changed.harness, "playlist_tracks"), want_playlist_tracks(changed.after))


def test_playlist_tracks_history_closes_removed_entries(changed: Changed) -> None:
    """Entries of removed playlists (when they were read) and the two entries taken out are closed; the rest of
    the edited playlist stays open, however it moved."""
    rows = history(changed.harness, "playlist_tracks_history", "playlist_id, track_id, is_current")
    before_entries = {p: es for p, es in changed.before.exp.entries.items()}
    after_entries = {p: es for p, es in changed.after.exp.entries.items()}
    closed = [(p, t) for p, t, current in rows if not current]
    want_closed = [(p, e["track_id"]) for p in changed.removed_playlists for e in before_entries.get(p, [])]
    kept = [(e.get("track_id"), e.get("added_at")) for e in after_entries[changed.edited_playlist]]
    gone = list(before_entries[changed.edited_playlist])
    for entry in after_entries[changed.edited_playlist]:
        gone.remove(next(e for e in gone if (e["track_id"], e["added_at"]) == (entry["track_id"], entry["added_at"])))
    assert len(gone) == 2 and len(kept) == len(before_entries[changed.edited_playlist]) - 2
    want_closed += [(changed.edited_playlist, e["track_id"]) for e in gone]
    assert sorted(closed, key=str) == sorted(want_closed, key=str)
    open_rows = [(p, t) for p, t, current in rows if current]
    assert len(open_rows) == sum(len(es) for es in after_entries.values())


# --- the periodic full check ---


@pytest.fixture
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with EmulatorServer(profile="small", mode="extended", seed=SEED) as server:
        yield make_harness(server, tmp_path_factory.mktemp("full-check"))


def test_unchanged_likes_cost_one_request(harness: Harness) -> None:
    harness.run()
    harness.server.control("POST", "stats/reset")
    harness.run()
    assert tracks_requests(harness) == 1


def test_a_like_and_an_unlike_with_an_unchanged_count_are_caught_by_the_periodic_check(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A song un-liked and another liked with a date older than the newest known like (Spotify's `added_at` is
    the client's clock): the count is unchanged and the first page holds nothing new, so a daily run cannot see it;
    the weekly full read does."""
    harness.run()
    library = harness.server.state.library
    with harness.server.state.lock:
        known = {s.track_id for s in library.saved_tracks}
        unliked = library.saved_tracks.pop(3)
        newcomer = next(t for t in library.tracks if t not in known)
        library.saved_tracks.insert(10, SavedTrack(newcomer, library.saved_tracks[10].added_at + timedelta(seconds=1)))
    harness.run()
    liked = {r[0] for r in harness.query("select track_id from spotify_raw.saved_tracks")}
    assert newcomer not in liked, "an unchanged count and no newer like: the daily run reads one page only"
    harness.server.control("POST", "stats/reset")
    harness.run(saved_tracks_full_check_days=0)
    assert tracks_requests(harness) == math.ceil(len(library.saved_tracks) / 50)
    dbt(harness, ["build"], monkeypatch)
    current = {r[0] for r in read(harness, "saved_tracks", "track_id")}
    assert current == {s.track_id for s in library.saved_tracks}
    assert unliked.track_id not in current and newcomer in current


# --- the dashboard shows the changes ---


def open_page(page: str | None, database: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    monkeypatch.setenv("SPOTIFY_DUCKDB", str(database))
    monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]
    return app


def test_the_dashboard_shows_likes_gained_and_lost(changed: Changed, monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(None, changed.harness.database, monkeypatch)
    assert "Liked songs over time" in [item.value for item in app.subheader]
    chart = app.get("vega_lite_chart")
    assert any("Un-liked" in str(c.proto.spec) for c in chart), "the un-likes are charted"


def test_the_dashboard_shows_removed_playlists_and_a_playlists_changes(
    changed: Changed, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page("app_pages/playlists.py", changed.harness.database, monkeypatch)
    assert "Removed playlists" in [item.value for item in app.subheader]
    removed_names = {p["name"] for p in changed.before.truth["playlists"] if p["id"] in changed.removed_playlists}
    table = next(frame.value for frame in app.dataframe if "removed_at" in frame.value.columns)
    shown = set(table["playlist_name"])
    assert shown == removed_names
    app.selectbox(key="playlist").set_value(changed.edited_playlist).run()
    assert not app.exception and not app.error
    assert "Added and removed" in [item.value for item in app.subheader]
