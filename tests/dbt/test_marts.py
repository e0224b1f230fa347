"""The final tables (schema `spotify`) after a real load and a real `dbt build`, compared with the emulator's truth.

The source tests prove that the raw tables hold what Spotify served. These prove that dbt's cleaning (types, dates,
case, one row per track, current playlist snapshots, incremental plays, artists known only from tracks) keeps that
truth, table by table, in both app tiers: every expected value is derived from `/_emulator/ground-truth` and the
harness's LIMITS, never written by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotify_emulator import EmulatorServer
from spotify_pipeline import transform
from tests.dbt.parent_genre_rules import rules
from tests.source.pipeline_harness import LIMITS, Expected, Harness, expected, make_harness

Row = tuple[Any, ...]

MODES = ["extended", "development"]
# Every fourth seed's user has `display_name: null` (seed % 4 == 3): the users table then sees that deviation too.
SEED = 3
MARTS_DIR = transform.DBT_PROJECT / "models" / "marts"

# What each table check reads: the columns the ground truth can tell, timestamps as text or unix ms so the
# comparison does not depend on how the driver renders time zones.
COLUMNS: dict[str, str] = {
    "users": "user_id, display_name, country, product, followers",
    "playlists": "playlist_id, user_id, playlist_name, description, owner_id, owner_name, is_public, is_collaborative, "
    "snapshot_id, track_count, is_items_accessible, image_url is not null",
    "tracks": "track_id, track_name, album_id, album_name, album_type, release_date, release_date_precision, "
    "release_year, duration_ms, popularity, is_explicit, isrc, primary_artist_id, primary_artist_name",
    "track_audio_features": "track_id, danceability, energy, key, loudness, mode, speechiness, acousticness, "
    "instrumentalness, liveness, valence, tempo, time_signature",
    "artists": "artist_id, artist_name, popularity, followers, genre_count, is_full_profile, extracted_at is not null",
    "track_artists": "track_id, artist_position, artist_id",
    "artist_genres": "artist_id, genre",
    "artist_parent_genres": "artist_id, parent_genre, micro_genres, micro_genre_count, is_primary",
    "playlist_tracks": "playlist_id, position, user_id, item_type, is_local, track_id, episode_id, episode_name, "
    "show_name, local_uri, "
    "strftime(added_at, '%Y-%m-%dT%H:%M:%SZ'), added_by",
    "recently_played": "user_id, epoch_ms(played_at), track_id, context_type, context_uri, played_date",
    "listening_history": "user_id, epoch_ms(played_at), track_id, context_type, context_uri, played_date, origin, "
    "content_type, is_in_api, is_in_extended_export, is_in_account_export, ms_played",
    "play_lengths": "user_id, epoch_ms(played_at), epoch_ms(started_at), played_ms, length_rule, counts_as_play",
    "listening_sessions": "user_id, epoch_ms(started_at), epoch_ms(ended_at), streams, plays, "
    "cast(round(minutes * 60000) as bigint), top_artist_name",
    "top_tracks": "user_id, time_range, snapshot_date, rank, track_id",
    "top_artists": "user_id, time_range, snapshot_date, rank, artist_id",
    "saved_tracks": "user_id, track_id, strftime(added_at, '%Y-%m-%dT%H:%M:%SZ')",
    # A first build: every like, playlist and entry has one open period (test_library_changes.py closes some).
    "saved_tracks_history": "user_id, track_id, strftime(added_at, '%Y-%m-%dT%H:%M:%SZ')",
    "playlists_history": "playlist_id, user_id, playlist_name, description, owner_id, is_public, is_collaborative, "
    "snapshot_id, track_count",
    "playlist_tracks_history": "playlist_id, first_position, user_id, item_type, is_local, track_id, episode_id, "
    "local_uri, strftime(added_at, '%Y-%m-%dT%H:%M:%SZ'), added_by",
    "pipeline_runs": "user_id, tier, is_batch_endpoints_available, is_audio_features_available, plays_fetched, "
    "api_requests > 0, run_finished_at >= run_started_at",
}
FEATURES = COLUMNS["track_audio_features"].split(", ")[1:]


def documented_models() -> dict[str, list[str]]:
    """Final tables and their columns as the marts' `_*__models.yml` document them: the list the warehouse promises."""
    files = sorted(MARTS_DIR.glob("_*__models.yml"))
    models = [model for path in files for model in yaml.safe_load(path.read_text())["models"]]
    return {model["name"]: [column["name"] for column in model["columns"]] for model in models}


# --- running dbt and reading the warehouse ---


def dbt(harness: Harness, arguments: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`transform.run_dbt` on the harness's warehouse, as the CLI runs it after a load."""
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(harness.database))  # run_dbt reads it through warehouse_path()
    transform.run_dbt(arguments)  # also closes dbt-duckdb's hold on the file, so checks can read it


def final(harness: Harness, table: str) -> str:
    """A final table by its full name. The harness's file is `warehouse.duckdb`, so DuckDB names its catalog
    `spotify` too and a bare `spotify.<table>` is ambiguous (see test_final_tables_are_reachable_by_schema_name)."""
    return f'"{harness.database.stem}"."spotify"."{table}"'


def read(harness: Harness, table: str, columns: str | None = None) -> list[Row]:
    """The rows of a final table: the columns a check compares (COLUMNS) or any given ones."""
    return harness.query(f"select {columns or COLUMNS[table]} from {final(harness, table)}")


def contents(harness: Harness, with_extracted_at: bool = True) -> dict[str, list[Row]]:
    """Every documented final table, all its documented columns (optionally without `extracted_at`, which each
    run refreshes for what it read again)."""
    tables: dict[str, list[Row]] = {}
    for table, columns in documented_models().items():
        kept = [c for c in columns if with_extracted_at or c != "extracted_at"]
        tables[table] = read(harness, table, ", ".join(kept))
    return tables


def assert_same_rows(table: str, actual: Iterable[Row], wanted: Iterable[Row]) -> None:
    """Multiset equality with a readable difference: a few rows missing and a few unexpected."""
    have, want = Counter(actual), Counter(wanted)
    if have != want:
        missing = list((want - have).elements())
        extra = list((have - want).elements())
        pytest.fail(
            f"{table}: {len(missing)} expected rows missing, {len(extra)} unexpected rows\n"
            f"  missing e.g. {missing[:4]}\n  unexpected e.g. {extra[:4]}"
        )


# --- what the ground truth says each table must hold ---


@dataclass
class Truth:
    """The ground truth of one moment, indexed, with what a run within LIMITS must land in that tier."""

    truth: dict[str, Any]
    development: bool
    exp: Expected = field(init=False)

    def __post_init__(self) -> None:
        self.exp = expected(self.truth, self.development)
        self.user_id: str = self.truth["user"]["id"]
        self.tracks = {t["id"]: t for t in self.truth["tracks"]}
        self.albums = {a["id"]: a for a in self.truth["albums"]}
        self.artists = {a["id"]: a for a in self.truth["artists"]}
        self.users = {u["id"]: u for u in self.truth["users"]}
        self.users[self.user_id] = self.truth["user"]
        self.features = {f["track_id"]: f for f in self.truth["audio_features"]}
        self.episodes = {e["id"]: e for e in self.truth["episodes"]}
        self.shows = {s["id"]: s for s in self.truth["shows"]}

    def hidden(self, value: Any) -> Any:
        """Fields the development tier does not send land as null."""
        return None if self.development else value

    def episode_names(self, episode_id: str | None) -> tuple[str | None, str | None]:
        """An episode's title and its show's name, as playlist_tracks names it; (None, None) for other entries."""
        if episode_id is None:
            return None, None
        episode = self.episodes[episode_id]
        return episode["name"], self.shows[episode["show_id"]]["name"]

    def top_artist_ids(self) -> set[str]:
        return {a for ids in self.exp.top_artists.values() for a in ids}


def release_date(text: str, precision: str) -> date:
    """Spotify's "1981" / "1981-12" / "1981-12-15" as the day the tables promise: 1 January, the 1st, the day."""
    parts = [int(p) for p in text.split("-")]
    assert len(parts) == {"year": 1, "month": 2, "day": 3}[precision]
    year, month, day = [*parts, 1, 1][:3]
    return date(year, month, day)


def want_users(t: Truth) -> list[Row]:
    me = t.truth["user"]
    return [(me["id"], me["display_name"], t.hidden(me["country"]), t.hidden(me["product"]), t.hidden(me["followers"]))]


def want_playlists(t: Truth) -> list[Row]:
    readable = {p["id"] for p in t.exp.readable}
    return [
        (p["id"], t.user_id, p["name"], p["description"], p["owner_id"], t.users[p["owner_id"]]["display_name"],
         p["public"], p["collaborative"], p["snapshot_id"], len(p["entries"]), p["id"] in readable,
         p["image_count"] > 0)
        for p in t.exp.playlists
    ]  # fmt: skip


def want_tracks(t: Truth, track_ids: Iterable[str]) -> list[Row]:
    rows = []
    for track_id in track_ids:
        track = t.tracks[track_id]
        album = t.albums[track["album_id"]]
        released = release_date(album["release_date"], album["release_date_precision"])
        first = track["artist_ids"][0]
        rows.append(
            (track_id, track["name"], album["id"], album["name"], album["album_type"].lower(), released,
             album["release_date_precision"], released.year, track["duration_ms"], t.hidden(track["popularity"]),
             track["explicit"], track["isrc"], first, t.artists[first]["name"])
        )  # fmt: skip
    return rows


def want_features(t: Truth, track_ids: Iterable[str]) -> list[Row]:
    if t.development:
        return []
    return [(i, *(t.features[i][name] for name in FEATURES)) for i in track_ids if i in t.features]


def want_track_artists(t: Truth, track_ids: Iterable[str]) -> list[Row]:
    return [(i, position, a) for i in track_ids for position, a in enumerate(t.tracks[i]["artist_ids"])]


def want_artists(t: Truth, artist_ids: Iterable[str], full: set[str]) -> list[Row]:
    """Full profiles carry popularity (extended tier only), followers and the genre count; artists known only
    from tracks carry their id and name, the rest null."""
    rows = []
    for artist_id in artist_ids:
        a = t.artists[artist_id]
        if artist_id in full:
            rows.append((artist_id, a["name"], t.hidden(a["popularity"]), t.hidden(a["followers"]),
                         len(a["genres"]), True, True))  # fmt: skip
        else:
            rows.append((artist_id, a["name"], None, None, None, False, False))
    return rows


def want_artist_genres(t: Truth, full: Iterable[str]) -> list[Row]:
    return sorted({(a, genre) for a in full for genre in t.artists[a]["genres"]})


def want_artist_parent_genres(t: Truth, full: Iterable[str]) -> list[Row]:
    """The seeds' rules (tests/dbt/parent_genre_rules.py) applied to each full profile's genres."""
    return [row for a in full for row in rules().artist_rows(a, t.artists[a]["genres"])]


def want_playlist_tracks(t: Truth, playlist_ids: Iterable[str] | None = None, *, named: bool = True) -> list[Row]:
    """The entries as playlist_tracks holds them; `named=False`: as playlist_tracks_history (no episode names)."""
    chosen = set(t.exp.entries if playlist_ids is None else playlist_ids)
    return [
        (pid, e["position"], t.user_id, e["kind"], e["kind"] == "local", e["track_id"], e["episode_id"],
         *(t.episode_names(e["episode_id"]) if named else ()), e["local_uri"], e["added_at"], e["added_by"])
        for pid, entries in t.exp.entries.items() if pid in chosen for e in entries
    ]  # fmt: skip


def want_plays(t: Truth, plays: Iterable[dict[str, Any]]) -> list[Row]:
    return [
        (t.user_id, p["played_at_ms"], p["track_id"], p["context_type"], p["context_uri"],
         datetime.fromtimestamp(p["played_at_ms"] / 1000, UTC).date())
        for p in plays
    ]  # fmt: skip


def want_history(t: Truth, plays: Iterable[dict[str, Any]]) -> list[Row]:
    """listening_history without a data export: the API's plays, as music of origin `api`, length unknown."""
    return [(*row, "api", "track", True, False, False, None) for row in want_plays(t, plays)]


COUNTED_PLAY_MS, SESSION_GAP_MS = 30_000, 30 * 60_000


def want_play_lengths(t: Truth, plays: Iterable[dict[str, Any]]) -> list[Row]:
    """API plays have no measured length: the track's, cut to the time since the previous play ended."""
    rows, previous_ms = [], None
    for p in sorted(plays, key=lambda p: p["played_at_ms"]):
        length, rule = t.tracks[p["track_id"]]["duration_ms"], "track_length"
        if previous_ms is not None and p["played_at_ms"] - previous_ms < length:
            length, rule = p["played_at_ms"] - previous_ms, "capped"
        rows.append((t.user_id, p["played_at_ms"], p["played_at_ms"] - length, length, rule, length >= COUNTED_PLAY_MS))
        previous_ms = p["played_at_ms"]
    return rows


def want_sessions(t: Truth, plays: Iterable[dict[str, Any]]) -> list[Row]:
    """A play starting 30 minutes or more after the previous one ended starts a session; the top artist is the
    primary artist played longest (ties: the name first in order)."""
    sessions: list[dict[str, Any]] = []
    by_play = {p["played_at_ms"]: p for p in plays}
    for _, ended, started, length, _, counts in want_play_lengths(t, plays):
        if not sessions or started - sessions[-1]["ended"] >= SESSION_GAP_MS:
            sessions.append({"started": started, "ended": ended, "streams": 0, "plays": 0, "ms": 0, "artists": {}})
        session = sessions[-1]
        session["ended"] = ended
        session["streams"] += 1
        session["plays"] += counts
        session["ms"] += length
        track = t.tracks[by_play[ended]["track_id"]]
        artist = t.artists[track["artist_ids"][0]]["name"]
        session["artists"][artist] = session["artists"].get(artist, 0) + length
    return [
        (t.user_id, s["started"], s["ended"], s["streams"], s["plays"], s["ms"],
         min(s["artists"], key=lambda name: (-s["artists"][name], name)))
        for s in sessions
    ]  # fmt: skip


def want_top(t: Truth, kind: str, day: date) -> list[Row]:
    lists = t.exp.top_tracks if kind == "tracks" else t.exp.top_artists
    return [(t.user_id, r, day, rank, x) for r, ids in lists.items() for rank, x in enumerate(ids, start=1)]


def want_saved(t: Truth) -> list[Row]:
    return [(t.user_id, s["track_id"], s["added_at"]) for s in t.exp.saved]


# --- one load and one build per tier, shared by the table checks ---


@dataclass
class Built:
    """A warehouse after one load and one `dbt build`, and the UTC days the run spanned (top-list snapshots)."""

    harness: Harness
    t: Truth
    days: set[date]


def utc_today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture(scope="module", params=MODES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One reference load and build per tier (a few seconds each): every limit bites, every entry kind occurs."""
    mode = request.param
    with EmulatorServer(profile="reference", mode=mode, seed=SEED) as server, pytest.MonkeyPatch.context() as mp:
        harness = make_harness(server, tmp_path_factory.mktemp(f"marts-{mode}"))
        first_day = utc_today()
        harness.run()
        dbt(harness, ["build"], mp)
        truth = server.control("GET", "ground-truth")
        yield Built(harness, Truth(truth, mode == "development"), {first_day, utc_today()})


def test_final_tables_are_the_documented_ones(built: Built) -> None:
    """Every model of `_marts__models.yml` exists in schema `spotify` with its documented columns, in both tiers
    (a development run has no audio features, yet `track_audio_features` must exist), and nothing else does."""
    harness = built.harness
    catalog = harness.database.stem
    rows = harness.query(
        "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
        f"where table_catalog = '{catalog}' and table_schema = 'spotify' group by table_name"
    )
    tables = dict(rows)
    # Not a model: dbt's on-run-end hook writes the tests that warned here (macros/data_quality_warnings.sql).
    assert tables.pop("data_quality_warnings") == [
        "built_at", "invocation_id", "test_name", "test_type", "model_name", "column_name", "failing_rows",
        "expected", "example_values",
    ]  # fmt: skip
    assert tables == documented_models()
    assert set(COLUMNS) == set(documented_models()), "each final table has its check in this file"


def test_users(built: Built) -> None:
    """The account, with `display_name` null as Spotify may send it and the fields a tier hides null."""
    assert_same_rows("users", read(built.harness, "users"), want_users(built.t))


def test_playlists(built: Built) -> None:
    """The first `max_playlists` listed playlists; `track_count` is Spotify's total, not the entries read;
    `is_items_accessible` exactly for those whose entries were read (own and collaborative ones in development)."""
    assert_same_rows("playlists", read(built.harness, "playlists"), want_playlists(built.t))
    counts = {p["id"]: len(p["entries"]) for p in built.t.exp.playlists}
    assert any(n > LIMITS["max_tracks_per_playlist"] for n in counts.values()), "the limit bites in reference"
    if built.t.development:
        assert len(built.t.exp.readable) < len(built.t.exp.playlists), "development hides followed playlists"


def test_tracks(built: Built) -> None:
    """One row per track met; album type lower case (top lists send upper case); release dates as DATE with the
    missing month/day filled with 1; popularity null in development; the primary artist is the first credited."""
    t = built.t
    rows = read(built.harness, "tracks")
    assert_same_rows("tracks", rows, want_tracks(t, t.exp.track_ids))
    assert all(isinstance(row[5], date) for row in rows), "release_date is a DATE"
    precisions = {t.albums[t.tracks[i]["album_id"]]["release_date_precision"] for i in t.exp.track_ids}
    assert precisions == {"year", "month", "day"}, "the reference library exercises every precision"


def test_track_audio_features(built: Built) -> None:
    """Extended: the features of every landed track that has some. Development: the table exists and is empty."""
    t = built.t
    assert_same_rows("track_audio_features", read(built.harness, "track_audio_features"),
                     want_features(t, t.exp.track_ids))  # fmt: skip


def test_artists(built: Built) -> None:
    """Every artist of a landed track, and the top artists. Full profiles: the top artists and those fetched
    (all in extended; within `artist_request_budget` in development); the rest are known from tracks only."""
    t, harness = built.t, built.harness
    rows = read(harness, "artists")
    full = {row[0] for row in rows if row[5]}
    top = t.top_artist_ids()
    if t.development:
        assert top <= full <= set(t.exp.artist_ids)
        assert len(full) == len(top) + min(LIMITS["artist_request_budget"], len(t.exp.missing_artist_ids))
    else:
        assert full == set(t.exp.artist_ids)
    assert full == {r[0] for r in harness.query("select id from spotify_raw.artists")}
    assert_same_rows("artists", rows, want_artists(t, t.exp.artist_ids, full))


def test_track_artists(built: Built) -> None:
    """The credits of each landed track, in Spotify's order (position 0 = primary artist)."""
    t = built.t
    assert_same_rows("track_artists", read(built.harness, "track_artists"), want_track_artists(t, t.exp.track_ids))


def test_artist_genres(built: Built) -> None:
    """The genres of the artists with a full profile, no more: artists known from tracks have no genres."""
    full = {r[0] for r in read(built.harness, "artists", "artist_id, is_full_profile") if r[1]}
    assert_same_rows("artist_genres", read(built.harness, "artist_genres"), want_artist_genres(built.t, full))


def test_artist_parent_genres(built: Built) -> None:
    """Each artist's micro-genres under the parent genres the seeds' rules give, one primary parent per artist
    with genres; the library's genres all have a parent (none falls to Other), and several parents occur."""
    full = {r[0] for r in read(built.harness, "artists", "artist_id, is_full_profile") if r[1]}
    rows = read(built.harness, "artist_parent_genres")
    assert_same_rows("artist_parent_genres", rows, want_artist_parent_genres(built.t, full))
    assert rows and "Other" not in {row[1] for row in rows} and len({row[1] for row in rows}) >= 3
    assert Counter(row[0] for row in rows if row[4]) == Counter({row[0] for row in rows})


def test_playlist_tracks(built: Built) -> None:
    """The first `max_tracks_per_playlist` entries of each readable playlist, every kind (track, episode, local,
    unavailable) with track_id null where there is no Spotify track, and who added it when."""
    rows = read(built.harness, "playlist_tracks")
    assert_same_rows("playlist_tracks", rows, want_playlist_tracks(built.t))
    assert {row[3] for row in rows} == {"track", "episode", "local", "unavailable"}


def test_recently_played(built: Built) -> None:
    """The 50 plays Spotify shows, each on the UTC day it was played."""
    t = built.t
    assert_same_rows("recently_played", read(built.harness, "recently_played"), want_plays(t, t.exp.plays))


def test_listening_history_without_an_export(built: Built) -> None:
    """Before any data export is imported, the history is the API's plays, each once (tests/dbt/
    test_listening_history.py covers the exports)."""
    t = built.t
    rows = read(built.harness, "listening_history")
    assert_same_rows("listening_history", rows, want_history(t, t.exp.plays))


def test_play_lengths_and_sessions_without_an_export(built: Built) -> None:
    """The API's plays only: each lasts its track's length cut to the time since the previous play ended (issue 14's
    rule), counts from 30 s, and plays less than 30 minutes apart make one session."""
    t = built.t
    assert_same_rows("play_lengths", read(built.harness, "play_lengths"), want_play_lengths(t, t.exp.plays))
    assert_same_rows("listening_sessions", read(built.harness, "listening_sessions"), want_sessions(t, t.exp.plays))


@pytest.mark.parametrize("kind", ["tracks", "artists"])
def test_top_lists(built: Built, kind: str) -> None:
    """Ranks from 1 per time range, all in one snapshot dated the UTC day of the run."""
    rows = read(built.harness, f"top_{kind}")
    days = {row[2] for row in rows}
    assert len(days) == 1 and days <= built.days, f"snapshot_date {days} is not the run's UTC day {built.days}"
    assert_same_rows(f"top_{kind}", rows, want_top(built.t, kind, days.pop()))


def test_saved_tracks(built: Built) -> None:
    """Every liked song with the moment it was liked."""
    assert_same_rows("saved_tracks", read(built.harness, "saved_tracks"), want_saved(built.t))


def test_history_tables_start_as_the_library(built: Built) -> None:
    """After a first build each history table holds the current library, every period open."""
    t, harness = built.t, built.harness
    assert_same_rows("saved_tracks_history", read(harness, "saved_tracks_history"), want_saved(t))
    playlists = [row[:5] + row[6:10] for row in want_playlists(t)]  # without owner_name and the items flags
    assert_same_rows("playlists_history", read(harness, "playlists_history"), playlists)
    assert_same_rows("playlist_tracks_history", read(harness, "playlist_tracks_history"),
                     want_playlist_tracks(t, named=False))  # fmt: skip
    for table in ("saved_tracks_history", "playlists_history", "playlist_tracks_history"):
        assert read(harness, table, "distinct is_current, valid_to is null") == [(True, True)], table


def test_pipeline_runs(built: Built) -> None:
    """The run log the dashboard's Data health reads: one row for the one run, its account and tier, what the tier
    allowed (batch artists and audio features: extended only), the plays it fetched."""
    extended = not built.t.development
    tier = "extended" if extended else "development"
    want = [(built.t.user_id, tier, extended, extended, len(built.t.exp.plays), True, True)]
    assert_same_rows("pipeline_runs", read(built.harness, "pipeline_runs"), want)


def test_source_freshness_passes_right_after_a_load(built: Built) -> None:
    """`dbt source freshness` judges `extracted_at`: right after a load nothing can be stale, in either tier."""
    with pytest.MonkeyPatch.context() as mp:
        dbt(built.harness, ["source", "freshness"], mp)


def test_final_tables_are_reachable_by_schema_name(built: Built) -> None:
    """The warehouse is meant to be queried by hand: `schema.table` must name a final table. The default file is
    `warehouse.duckdb`, not `spotify.duckdb`: DuckDB names a file's catalog after it, and a catalog `spotify` beside
    the schema `spotify` would make `select * from spotify.users` ambiguous."""
    assert built.harness.database.name == "warehouse.duckdb", "named as the default warehouse file"
    assert built.harness.query("select count(*) from spotify.users") == [(1,)]


# --- incremental builds ---


def new_keys(table: str, before: list[Row], after: list[Row]) -> set[Any]:
    """Rows keyed by their first column: the keys present before kept exactly their rows; returns the new keys."""
    old = {row[0] for row in before}
    assert_same_rows(f"{table} (rows present before)", [r for r in after if r[0] in old], before)
    return {r[0] for r in after} - old


@pytest.mark.parametrize("mode", MODES)
def test_incremental_build_adds_exactly_the_changes(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """New plays and an edited playlist between two runs: the second build adds exactly the 10 plays (once each),
    replaces exactly the edited playlist's entries, adds only newly met tracks and artists, and changes nothing
    else; a full refresh then rebuilds the very same content, so the incremental `recently_played` lost nothing."""
    development = mode == "development"
    server = start_emulator(profile="reference", mode=mode, seed=SEED)
    harness = make_harness(server, tmp_path)
    harness.source_options["artist_request_budget"] = 1000  # every artist in each run: only the changes change
    first_day = utc_today()
    harness.run()
    dbt(harness, ["build"], monkeypatch)
    t1 = Truth(server.control("GET", "ground-truth"), development)
    before = contents(harness, with_extracted_at=False)
    assert all(row[5] for row in read(harness, "artists")), "the large budget fetched every artist"

    added = server.control("POST", "plays", {"count": 10})["added"]
    limit = LIMITS["max_tracks_per_playlist"]
    own = [p for p in t1.exp.readable if p["owner_id"] == t1.user_id and len(p["entries"]) + 1 <= limit]
    edit = server.control("POST", "playlists/edit", {"playlist_id": own[0]["id"], "add": 3, "remove": 2})
    edited = edit["playlist_id"]
    harness.run()
    dbt(harness, ["build"], monkeypatch)
    days = {first_day, utc_today()}
    t2 = Truth(server.control("GET", "ground-truth"), development)
    after = contents(harness, with_extracted_at=False)

    # recently_played: the first 50 plus exactly the 10 new ones, each (user_id, played_at) once.
    new_plays = t2.truth["plays"][-len(added) :]
    assert [(p["track_id"], p["played_at"]) for p in new_plays] == [(a["track_id"], a["played_at"]) for a in added]
    assert_same_rows("recently_played", read(harness, "recently_played"), want_plays(t2, t1.exp.plays + new_plays))
    (plays, distinct) = harness.query(
        f"select count(*), count(distinct (user_id, played_at)) from {final(harness, 'recently_played')}"
    )[0]
    assert plays == distinct == len(t1.exp.plays) + len(added)
    history = read(harness, "listening_history")
    assert_same_rows("listening_history", history, want_history(t2, t1.exp.plays + new_plays))

    # The edited playlist: its row and its entries follow the new snapshot; the other playlists stay as they were.
    assert edit["snapshot_id"] != next(p["snapshot_id"] for p in t1.exp.playlists if p["id"] == edited)
    assert_same_rows("playlists", [r for r in read(harness, "playlists") if r[0] == edited],
                     [r for r in want_playlists(t2) if r[0] == edited])  # fmt: skip
    assert_same_rows("playlist_tracks", [r for r in read(harness, "playlist_tracks") if r[0] == edited],
                     want_playlist_tracks(t2, [edited]))  # fmt: skip
    for table in ("playlists", "playlist_tracks"):
        assert_same_rows(table, [r for r in after[table] if r[0] != edited],
                         [r for r in before[table] if r[0] != edited])  # fmt: skip

    # Tracks and artists: what was there is untouched; what is new is exactly what the changes brought.
    new_track_ids = t2.exp.track_ids - {r[0] for r in before["tracks"]}
    assert new_track_ids, "the new plays and entries bring tracks not met before"
    new_artist_ids = {a for i in new_track_ids for a in t2.tracks[i]["artist_ids"]} - {r[0] for r in before["artists"]}
    for table, new_ids, want in (
        ("tracks", new_track_ids, want_tracks(t2, new_track_ids)),
        ("track_artists", new_track_ids, want_track_artists(t2, new_track_ids)),
        ("track_audio_features", new_track_ids, want_features(t2, new_track_ids)),
        ("artists", new_artist_ids, want_artists(t2, new_artist_ids, new_artist_ids)),
        ("artist_genres", new_artist_ids, want_artist_genres(t2, new_artist_ids)),
        ("artist_parent_genres", new_artist_ids, want_artist_parent_genres(t2, new_artist_ids)),
    ):
        keys = new_keys(table, before[table], after[table])
        assert keys <= new_ids, f"{table}: rows for keys the changes did not bring: {sorted(keys - new_ids)[:4]}"
        assert_same_rows(table, [r for r in read(harness, table) if r[0] in new_ids], want)

    # The rest is unchanged: the account, liked songs, and the top lists (a run on a new UTC day adds that day).
    for table in ("users", "saved_tracks"):
        assert_same_rows(table, after[table], before[table])
    for kind in ("tracks", "artists"):
        rows = read(harness, f"top_{kind}")
        snapshot_days = {row[2] for row in rows}
        assert {row[2] for row in before[f"top_{kind}"]} <= snapshot_days <= days
        assert_same_rows(f"top_{kind}", rows, [r for d in snapshot_days for r in want_top(t2, kind, d)])

    # A full refresh rebuilds everything from the raw tables: the same content, row for row.
    built = contents(harness)
    dbt(harness, ["build", "--full-refresh"], monkeypatch)
    rebuilt = contents(harness)
    for table in built:
        assert_same_rows(f"{table} (full refresh)", rebuilt[table], built[table])


# --- playlists that became empty ---


@dataclass
class Emptied:
    """A development-tier warehouse after two loads and builds, an own and a followed playlist emptied between."""

    harness: Harness
    t: Truth
    own: str
    followed: str


@pytest.fixture(scope="module")
def emptied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emptied]:
    """The `small` profile is enough here: the case is an empty playlist, not the limits."""
    with EmulatorServer(profile="small", mode="development", seed=SEED) as server, pytest.MonkeyPatch.context() as mp:
        harness = make_harness(server, tmp_path_factory.mktemp("marts-emptied"))
        harness.run()
        dbt(harness, ["build"], mp)
        t1 = Truth(server.control("GET", "ground-truth"), development=True)
        readable = {p["id"] for p in t1.exp.readable}
        own = next(p for p in t1.exp.readable if p["owner_id"] == t1.user_id and p["entries"])
        followed = next(p for p in t1.exp.playlists if p["id"] not in readable and p["entries"])
        for playlist in (own, followed):
            server.control("POST", "playlists/edit", {"playlist_id": playlist["id"], "add": 0,
                                                      "remove": len(playlist["entries"])})  # fmt: skip
        harness.run()
        dbt(harness, ["build"], mp)
        yield Emptied(harness, Truth(server.control("GET", "ground-truth"), True), own["id"], followed["id"])


def test_an_own_playlist_emptied_keeps_no_entries(emptied: Emptied) -> None:
    """The raw table keeps the entries of the old snapshot (a delete-insert with nothing to insert deletes
    nothing): `playlist_tracks` must drop them, and the empty playlist's (zero) entries count as read."""
    t, harness = emptied.t, emptied.harness
    assert_same_rows("playlist_tracks", read(harness, "playlist_tracks"), want_playlist_tracks(t))
    assert not [r for r in read(harness, "playlist_tracks") if r[0] == emptied.own]
    (row,) = [r for r in read(harness, "playlists") if r[0] == emptied.own]
    assert_same_rows("playlists", [row], [r for r in want_playlists(t) if r[0] == emptied.own])
    assert (row[9], row[11]) == (0, True)


def test_a_followed_playlist_emptied_stays_unreadable_in_development(emptied: Emptied) -> None:
    """A development-tier app never reads a followed playlist's items, whatever their number:
    `is_items_accessible` is documented as false for followed playlists in that tier."""
    (row,) = [r for r in read(emptied.harness, "playlists") if r[0] == emptied.followed]
    assert_same_rows("playlists", [row], [r for r in want_playlists(emptied.t) if r[0] == emptied.followed])
