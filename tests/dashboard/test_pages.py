"""Every page of the dashboard, run by Streamlit's AppTest against warehouses the real pipeline built.

Each page must run without an exception or an error message, show its title, its main chart and its widgets,
and show numbers that agree with the warehouse: the expected values come from SQL written here against the
final tables, never from the dashboard's own queries.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from spotify_emulator import EmulatorServer
from spotify_emulator.faults import FaultSettings
from spotify_pipeline import transform
from tests.dashboard.conftest import APP, Warehouse, release_dbt_connection
from tests.source.pipeline_harness import make_harness

PAGES = {
    "Overview": "app_pages/overview.py",
    "Listening": "app_pages/listening.py",
    "Top lists": "app_pages/top_lists.py",
    "Wrapped": "app_pages/wrapped.py",
    "Together": "app_pages/together.py",
    "Playlists": "app_pages/playlists.py",
    "Artists & genres": "app_pages/artists.py",
    "Audio features": "app_pages/audio_features.py",
    "Data health": "app_pages/data_health.py",
}
# Pages that compare accounts: on a warehouse of one account they explain how to add a second, with no chart.
NEEDS_TWO_ACCOUNTS = {"Together"}


def open_page(title: str, timezone: str | None = None) -> AppTest:
    """The app as a browser opens it (the router first), then the page."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    if timezone:
        app.context = {"timezone": timezone}
    app.run()
    if title != "Overview":
        app.switch_page(PAGES[title]).run()
    return app


def assert_clean(app: AppTest, title: str) -> None:
    """No exception, no error message, and the page's own title."""
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]
    assert [item.value for item in app.title] == [title]


def metrics(app: AppTest) -> dict[str, str]:
    return {item.label: item.value for item in app.metric}


def charts(app: AppTest) -> int:
    return len(app.get("vega_lite_chart"))


def number(text: str) -> int:
    return int(text.replace(",", ""))


# --- every page, every kind of warehouse ---


def test_no_pages_folder_beside_the_router() -> None:
    """Streamlit runs a `pages/` folder beside the entry point as an old-style app until st.navigation has run
    once: a first visit to a page's address would skip the router. The pages live in app_pages/ instead."""
    assert not (APP.parent / "pages").exists()
    assert {Path(path).name for path in PAGES.values()} == {
        path.name for path in (APP.parent / "app_pages").glob("*.py")
    }


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_draws_on_the_demo_warehouse(title: str, demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page(title)
    assert_clean(app, title)
    if title in NEEDS_TWO_ACCOUNTS:
        assert any("needs a second person" in item.value for item in app.info)
        return
    assert charts(app) >= 1, "the page's main chart is missing"
    assert not app.info or title == "Top lists", [item.value for item in app.info]  # the demo has data everywhere


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_draws_on_a_development_tier_warehouse(
    title: str, development_warehouse: Warehouse, point_at
) -> None:
    point_at(development_warehouse)
    app = open_page(title)
    assert_clean(app, title)
    if title != "Audio features" and title not in NEEDS_TWO_ACCOUNTS:
        assert charts(app) >= 1


@pytest.mark.parametrize("which", ["empty_warehouse", "empty_tables_warehouse"])
@pytest.mark.parametrize("title", list(PAGES))
def test_an_empty_warehouse_says_how_to_fill_it(title: str, which: str, request, point_at) -> None:
    point_at(request.getfixturevalue(which))
    app = open_page(title)
    assert_clean(app, title)
    assert charts(app) == 0
    assert any("No data yet" in item.value for item in app.info)
    assert "python pipeline.py demo" in [block.value for block in app.code]


def test_a_missing_warehouse_file_is_a_message_not_a_crash(tmp_path, point_at) -> None:
    point_at(tmp_path / "nowhere" / "warehouse.duckdb")
    app = open_page("Overview")
    assert not app.exception
    assert not app.error
    (message,) = [item.value for item in app.info]
    assert "No warehouse at" in message and "python pipeline.py demo" in message


def test_a_file_that_is_no_warehouse_is_a_message_not_a_crash(tmp_path, point_at) -> None:
    bogus = tmp_path / "warehouse.duckdb"
    bogus.write_text("not a database")
    point_at(bogus)
    app = open_page("Data health")
    assert not app.exception
    assert not app.error
    assert any("not a DuckDB warehouse" in item.value for item in app.info)


# --- the numbers ---


def test_overview_numbers_match_the_warehouse(demo_warehouse: Warehouse, point_at) -> None:
    """The demo imports its data export, so the numbers are those of listening_history (every play, all origins)."""
    point_at(demo_warehouse)
    app = open_page("Overview")
    assert app.segmented_control(key="overview_period").value == "All time"
    shown = metrics(app)
    plays = demo_warehouse.scalar("select count(*) from spotify.listening_history")
    assert plays > demo_warehouse.scalar("select count(*) from spotify.recently_played") > 0
    assert number(shown["Plays"]) == plays
    # The demo's extended export covers every play, so every music play has its track id.
    assert number(shown["Distinct tracks"]) == demo_warehouse.scalar(
        "select count(distinct track_id) from spotify.listening_history where content_type = 'track'"
    )
    assert number(shown["Distinct artists"]) == demo_warehouse.scalar(
        "select count(distinct coalesce(t.primary_artist_name, p.artist_name)) "
        "from spotify.listening_history p left join spotify.tracks t using (track_id) where p.content_type = 'track'"
    )
    assert number(shown["Playlists"]) == demo_warehouse.scalar("select count(*) from spotify.playlists")
    hours = demo_warehouse.scalar(
        "select sum(coalesce(p.ms_played, t.duration_ms)) / 3600000.0 "
        "from spotify.listening_history p left join spotify.tracks t using (track_id)"
    )
    assert shown["Hours listened"] == f"{hours:,.1f}"
    by_artist = demo_warehouse.query(
        "select coalesce(t.primary_artist_name, p.artist_name), count(*) from spotify.listening_history p "
        "left join spotify.tracks t using (track_id) where p.content_type = 'track' group by 1 order by 2 desc"
    )
    top_artists = {name for name, count in by_artist if count == by_artist[0][1]}
    assert any(f"### {name}" == item.value for item in app.markdown for name in top_artists)


def test_overview_period_counts_only_its_days(demo_warehouse: Warehouse, point_at) -> None:
    """`7 days` ends on the last day with plays (the data's own end), not on today."""
    point_at(demo_warehouse)
    app = open_page("Overview")
    app.segmented_control(key="overview_period").set_value("7 days").run()
    assert_clean(app, "Overview")
    last_day = demo_warehouse.scalar("select max(played_date) from spotify.listening_history")
    expected = demo_warehouse.scalar(
        "select count(*) from spotify.listening_history where played_date > $last - interval 7 day",
        {"last": last_day},
    )
    assert number(metrics(app)["Plays"]) == expected > 0


def test_listening_defaults_to_the_datas_range_and_filters_by_it(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Listening")
    first, last = demo_warehouse.query("select min(played_date), max(played_date) from spotify.listening_history")[0]
    period = app.date_input(key="period")
    assert tuple(period.value) == (first, last)
    assert number(metrics(app)["Plays"]) == demo_warehouse.scalar("select count(*) from spotify.listening_history")
    active_days = demo_warehouse.scalar("select count(distinct played_date) from spotify.listening_history")
    assert metrics(app)["Days with music"] == f"{active_days} of {(last - first).days + 1}"
    assert charts(app) >= 5  # plays over time, heatmap, contexts, most played tracks and artists, sessions
    sessions, longest, median = demo_warehouse.query(
        "select count(*), max(minutes), median(minutes) from spotify.listening_sessions"
    )[0]
    assert number(metrics(app)["Sessions"]) == sessions > 10
    assert metrics(app)["Longest session"] == f"{longest:,.0f} min"
    assert metrics(app)["Typical session"] == f"{median:,.0f} min"

    period.set_value((last, last)).run()
    assert_clean(app, "Listening")
    on_last_day = demo_warehouse.scalar(
        "select count(*) from spotify.listening_history where played_date = $day", {"day": last}
    )
    assert number(metrics(app)["Plays"]) == on_last_day

    app.segmented_control(key="granularity").set_value("Week").run()
    assert_clean(app, "Listening")
    assert any(item.value == "Plays per week" for item in app.subheader)


def test_listening_days_are_the_viewers(demo_warehouse: Warehouse, point_at) -> None:
    """In Kiritimati (UTC+14) the same plays fall on other calendar days: the default period follows."""
    point_at(demo_warehouse)
    zone = "Pacific/Kiritimati"
    app = open_page("Listening", timezone=zone)
    assert_clean(app, "Listening")
    first, last = demo_warehouse.query("select min(played_at), max(played_at) from spotify.listening_history")[0]
    local = ZoneInfo(zone)
    assert tuple(app.date_input(key="period").value) == (first.astimezone(local).date(), last.astimezone(local).date())
    assert any(zone in item.value for item in app.sidebar.caption)


def test_top_lists_show_the_latest_snapshot(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Top lists")
    assert_clean(app, "Top lists")
    assert app.segmented_control(key="time_range").value == "short_term"
    latest = demo_warehouse.scalar("select max(snapshot_date) from spotify.top_tracks where time_range = 'short_term'")
    assert app.selectbox(key="snapshot_tracks").value == latest
    tracks_table, artists_table = app.dataframe
    assert len(tracks_table.value) == demo_warehouse.scalar(
        "select count(*) from spotify.top_tracks where time_range = 'short_term' and snapshot_date = $day",
        {"day": latest},
    )
    assert list(tracks_table.value["rank"])[:3] == [1, 2, 3]
    assert len(artists_table.value) == demo_warehouse.scalar(
        "select count(*) from spotify.top_artists where time_range = 'short_term' and snapshot_date = $day",
        {"day": latest},
    )

    app.segmented_control(key="time_range").set_value("long_term").run()
    assert_clean(app, "Top lists")
    assert len(app.dataframe[0].value) == demo_warehouse.scalar(
        "select count(*) from spotify.top_tracks where time_range = 'long_term' and snapshot_date = $day",
        {"day": latest},
    )


def test_playlists_list_them_all_and_open_one(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Playlists")
    playlists = demo_warehouse.scalar("select count(*) from spotify.playlists")
    assert number(metrics(app)["Playlists"]) == playlists
    assert len(app.dataframe[0].value) == playlists
    choice = app.selectbox(key="playlist")
    assert len(choice.options) == playlists

    playlist_id, name, entries = demo_warehouse.query(
        "select p.playlist_id, p.playlist_name, count(*) from spotify.playlists p "
        "join spotify.playlist_tracks t using (playlist_id) group by all order by 3 desc, 2 limit 1"
    )[0]
    choice.set_value(playlist_id).run()
    assert_clean(app, "Playlists")
    assert any(item.value == name for item in app.subheader)
    assert len(app.dataframe[1].value) == entries


def test_artists_page_counts_what_the_warehouse_knows(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Artists & genres")
    shown = metrics(app)
    assert number(shown["Artists in the warehouse"]) == demo_warehouse.scalar("select count(*) from spotify.artists")
    assert number(shown["With popularity"]) == demo_warehouse.scalar("select count(popularity) from spotify.artists")
    assert charts(app) == 3  # genres, artists by plays, popularity

    app.segmented_control(key="genre_weight").set_value("Liked songs").run()
    assert_clean(app, "Artists & genres")


# The demo's music plays with the primary parent genre of each track's primary artist (null: no genre), in SQL of
# its own (string_split, not the page's strpos) so the page is checked against the marts, not against itself.
PLAYS_BY_PARENT = (
    "select g.parent_genre, count(*) as plays, sum(coalesce(p.ms_played, t.duration_ms)) as ms "
    "from spotify.listening_history p left join spotify.tracks t on t.track_id = p.track_id "
    "left join spotify.artist_parent_genres g on g.artist_id = t.primary_artist_id and g.is_primary "
    "where p.content_type = 'track' group by g.parent_genre"
)


def test_artists_page_groups_genres_into_parents(demo_warehouse: Warehouse, point_at) -> None:
    """Parent genres by listening time (each play once, for its artist's primary parent), the micro-genres of a
    chosen parent one click away with their plays, and the share of plays without a genre said, not hidden."""
    point_at(demo_warehouse)
    app = open_page("Artists & genres")
    assert_clean(app, "Artists & genres")
    by_parent = demo_warehouse.query(PLAYS_BY_PARENT)
    with_genre = sorted(((-ms, -plays, parent) for parent, plays, ms in by_parent if parent is not None))
    chart_order = [parent for _, _, parent in with_genre]
    assert len(chart_order) >= 3
    secondary = demo_warehouse.query(
        "select distinct g.parent_genre from spotify.listening_history p join spotify.tracks t using (track_id) "
        "join spotify.artist_parent_genres g on g.artist_id = t.primary_artist_id where p.content_type = 'track'"
    )
    choice = app.selectbox(key="parent_genre")
    assert choice.options[: len(chart_order)] == chart_order, "the chart's parents first, in its order"
    assert set(choice.options) == {parent for (parent,) in secondary}

    parent = chart_order[0]
    choice.set_value(parent).run()
    assert_clean(app, "Artists & genres")
    (micro,) = [frame.value for frame in app.dataframe if "genre" in frame.value.columns]
    want = demo_warehouse.query(
        "select ag.genre, count(*) from spotify.listening_history p join spotify.tracks t using (track_id) "
        "join spotify.artist_genres ag on ag.artist_id = t.primary_artist_id "
        "join spotify.artist_parent_genres pg on pg.artist_id = ag.artist_id and pg.parent_genre = $parent "
        "and list_contains(string_split(pg.micro_genres, ', '), ag.genre) "
        "where p.content_type = 'track' group by ag.genre",
        {"parent": parent},
    )
    assert dict(zip(micro["genre"], micro["plays"], strict=True)) == dict(want)

    without = sum(row[1] for row in by_parent if row[0] is None)
    # Every demo play has a genre: nothing to say about plays without one (the next test removes some).
    assert without == 0 and not [item.value for item in app.caption if "have no genre" in item.value]


def test_artists_page_says_how_much_listening_has_no_genre(
    development_warehouse: Warehouse, point_at, tmp_path: Path
) -> None:
    """Plays and liked songs whose artist has no genre (no profile fetched yet: the development tier's budget) are
    not in the chart; the page says which share of the plays, the listening time and the liked songs that is."""
    copy = Warehouse(tmp_path / "warehouse.duckdb", "development")
    copy.path.write_bytes(development_warehouse.path.read_bytes())
    with duckdb.connect(str(copy.path)) as connection:
        # As before the artist's profile was fetched: the most played artist loses its genres.
        connection.execute(
            "delete from spotify.artist_parent_genres where artist_id = (select t.primary_artist_id "
            "from spotify.listening_history p join spotify.tracks t using (track_id) group by all "
            "order by count(*) desc limit 1)"
        )
    point_at(copy)
    app = open_page("Artists & genres")
    assert_clean(app, "Artists & genres")
    by_parent = copy.query(PLAYS_BY_PARENT)
    plays, without = sum(row[1] for row in by_parent), sum(row[1] for row in by_parent if row[0] is None)
    ms, ms_without = sum(row[2] for row in by_parent), sum(row[2] for row in by_parent if row[0] is None)
    assert 0 < without < plays
    (caption,) = [item.value for item in app.caption if "have no genre" in item.value]
    shares = f"{100 * without / plays:.0f}% of this period's plays ({100 * ms_without / ms:.0f}% of the listening time)"
    assert caption.startswith(shares)
    assert charts(app) >= 2, "the parents that have plays are still charted"

    app.segmented_control(key="genre_weight").set_value("Liked songs").run()
    assert_clean(app, "Artists & genres")
    liked, liked_without = copy.query(
        "select count(*), count(*) filter (where g.artist_id is null) from spotify.saved_tracks s "
        "left join spotify.tracks t using (track_id) "
        "left join spotify.artist_parent_genres g on g.artist_id = t.primary_artist_id and g.is_primary"
    )[0]
    captions = [item.value for item in app.caption if "have no genre" in item.value]
    if liked_without:
        (caption,) = captions
        assert caption.startswith(f"{100 * liked_without / liked:.0f}% of the liked songs")
    else:
        assert not captions


def test_artists_page_explains_missing_popularity(development_warehouse: Warehouse, point_at) -> None:
    point_at(development_warehouse)
    app = open_page("Artists & genres")
    assert metrics(app)["With popularity"] == "0"
    assert any("extended-quota apps" in item.value for item in app.info)


def test_audio_features_chart_where_features_exist(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Audio features")
    danceability = demo_warehouse.scalar(
        "select avg(f.danceability) from spotify.track_audio_features f where f.track_id in ("
        "select track_id from spotify.saved_tracks union select track_id from spotify.playlist_tracks "
        "union select track_id from spotify.listening_history where track_id is not null)"
    )
    assert metrics(app)["Danceability"] == f"{danceability:.2f}"
    assert charts(app) >= 9  # 8 distributions, mood map, playlist profiles

    app.selectbox(key="feature_scope").set_value("liked").run()
    assert_clean(app, "Audio features")
    liked = demo_warehouse.scalar(
        "select avg(f.danceability) from spotify.saved_tracks s join spotify.track_audio_features f using (track_id)"
    )
    assert metrics(app)["Danceability"] == f"{liked:.2f}"


def test_audio_features_explain_why_there_are_none(development_warehouse: Warehouse, point_at) -> None:
    assert development_warehouse.scalar("select count(*) from spotify.track_audio_features") == 0
    point_at(development_warehouse)
    app = open_page("Audio features")
    assert charts(app) == 0
    (explanation,) = [item.value for item in app.info]
    assert "27 November 2024" in explanation and "development" in explanation


@pytest.mark.parametrize("which", ["demo_warehouse", "development_warehouse"])
def test_data_health_reports_the_runs(which: str, request, point_at) -> None:
    warehouse: Warehouse = request.getfixturevalue(which)
    point_at(warehouse)
    app = open_page("Data health")
    shown = metrics(app)
    assert shown["App tier"] == warehouse.mode.capitalize()
    assert number(shown["Runs recorded"]) == warehouse.scalar("select count(*) from spotify_raw.extraction_runs")
    assert number(shown["Possible gaps"]) == 0
    runs_table = app.dataframe[0].value
    assert list(runs_table["plays"]) == [
        warehouse.scalar("select count_plays_fetched from spotify_raw.extraction_runs")
    ]
    notes = warehouse.scalar("select notes from spotify_raw.extraction_runs")
    if warehouse.mode == "development":
        assert "Audio features are not available" in notes
        assert any("Audio features are not available" in item.value for item in app.markdown)
    assert charts(app) == 1  # rows per table


def test_gaps_inside_an_imported_export_are_covered_not_counted(
    demo_warehouse: Warehouse, point_at, tmp_path: Path
) -> None:
    """A run reports a possible gap when it finds 50 new plays. A data export holds every play of its span, so a gap
    inside it lost nothing: the page says so, instead of asking for the export the user already imported."""
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(demo_warehouse.path.read_bytes())
    with duckdb.connect() as connection:
        connection.execute(f"attach '{path}' as w")
        first, last = connection.execute(
            "select min(played_at), max(played_at) from w.spotify.listening_history "
            "where is_in_extended_export or is_in_account_export"
        ).fetchone()
        hours = [dt.timedelta(hours=n) for n in (24, 48, 1, 2)]
        gaps = [{"gap_after": (first + hours[0]).isoformat(), "gap_before": (first + hours[1]).isoformat()},
                {"gap_after": (last + hours[2]).isoformat(), "gap_before": (last + hours[3]).isoformat()}]  # fmt: skip
        connection.execute(
            "update w.spotify.pipeline_runs set gaps_json = ? "
            "where run_started_at = (select max(run_started_at) from w.spotify.pipeline_runs)",
            [json.dumps(gaps)],
        )
    point_at(path)
    app = open_page("Data health")
    assert_clean(app, "Data health")
    assert number(metrics(app)["Possible gaps"]) == 1  # the one after the exports' last play
    (table,) = [frame.value for frame in app.dataframe if "covered by your data export" in frame.value.columns]
    assert list(table["covered by your data export"]) == [True, False]
    captions = " ".join(item.value for item in app.caption)
    assert "Run the pipeline more often" in captions

    with duckdb.connect() as connection:  # only the covered gap left
        connection.execute(f"attach '{path}' as w")
        connection.execute("update w.spotify.pipeline_runs set gaps_json = ? where gaps_json like '%gap_after%'",
                           [json.dumps(gaps[:1])])  # fmt: skip
    app = open_page("Data health")
    assert number(metrics(app)["Possible gaps"]) == 0
    assert "covers every one of them" in " ".join(item.value for item in app.caption)


def test_the_sidebar_says_when_the_data_was_refreshed(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Overview")
    captions = " ".join(item.value for item in app.sidebar.caption)
    assert "Refreshed" in captions and str(demo_warehouse.path) in captions
    finished = demo_warehouse.scalar("select max(run_finished_at) from spotify_raw.extraction_runs")
    assert finished <= dt.datetime.now(dt.UTC)


def test_an_unexpected_failure_is_a_short_message(demo_warehouse: Warehouse, point_at, monkeypatch) -> None:
    """A bug in a page shows a short error and logs the details; the browser never sees a traceback."""
    from dashboard import charts as chart_builders

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(chart_builders, "heatmap", broken)
    point_at(demo_warehouse)
    app = open_page("Listening")
    assert not app.exception
    (message,) = [item.value for item in app.error]
    assert "could not be drawn" in message and "a bug" not in message and "Traceback" not in message


@pytest.mark.parametrize("title", list(PAGES))
def test_an_account_with_nothing_loaded_yet_gets_explanations(
    title: str, two_account_warehouse: Warehouse, point_at
) -> None:
    """With several accounts a selector appears; one without plays, playlists or runs breaks no page."""
    point_at(two_account_warehouse)
    app = open_page(title)
    account = app.sidebar.selectbox(key="account")
    assert len(account.options) == 2
    account.set_value("second-user").run()
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]
    assert [item.value for item in app.title] == [title]
    assert any(item.value == "**Zz Second**" for item in app.sidebar.markdown)


# --- data quality warnings (issue #18) ---


@pytest.fixture(scope="module")
def warned_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A warehouse whose last dbt build warned: the real pipeline against the emulator's `unexpected_values`
    fault (popularity 101 and -1, a context type `mix`), then the real `dbt build`."""
    folder = tmp_path_factory.mktemp("dashboard-warned")
    server = EmulatorServer(profile="small", seed=5, faults=FaultSettings(unexpected_values=True)).start()
    try:
        harness = make_harness(server, folder)
        harness.run()
    finally:
        server.stop()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPOTIFY_DUCKDB", str(harness.database))
        try:
            assert transform.run_dbt(["build"]), "the build should have warned"
        finally:
            release_dbt_connection()
    return Warehouse(harness.database, "extended")


def test_data_health_shows_what_warned(warned_warehouse: Warehouse, point_at) -> None:
    point_at(warned_warehouse)
    app = open_page("Data health")
    assert_clean(app, "Data health")
    expected = warned_warehouse.query(
        "select test_name, failing_rows, example_values from spotify.data_quality_warnings order by test_name"
    )
    assert len(expected) == 2
    assert any(f"{len(expected)} tests warned in the last build" in item.value for item in app.warning)
    (shown,) = [frame.value for frame in app.dataframe if "test_name" in frame.value.columns]
    assert sorted(zip(shown["test_name"], shown["failing_rows"], shown["example_values"], strict=True)) == expected
    assert "mix" in " ".join(shown["example_values"])


def test_data_health_says_when_nothing_warned(demo_warehouse: Warehouse, point_at) -> None:
    assert demo_warehouse.scalar("select count(*) from spotify.data_quality_warnings") == 0
    point_at(demo_warehouse)
    app = open_page("Data health")
    assert_clean(app, "Data health")
    assert any("No warnings in the last build" in item.value for item in app.markdown)
    assert not [frame for frame in app.dataframe if "test_name" in frame.value.columns]


def test_data_health_without_the_warnings_table(demo_warehouse: Warehouse, tmp_path: Path, point_at) -> None:
    """A warehouse built before warnings were recorded: a note, not a failure."""
    older = tmp_path / "warehouse.duckdb"
    older.write_bytes(demo_warehouse.path.read_bytes())
    with duckdb.connect() as connection:
        connection.execute(f"attach '{older}' as w")
        connection.execute("drop table w.spotify.data_quality_warnings")
    point_at(older)
    app = open_page("Data health")
    assert_clean(app, "Data health")
    assert any("predates the record of warnings" in item.value for item in app.caption)
