"""The Together page (two accounts of one warehouse) and the account picker kept in the URL.

The statements' figures are checked against the same figures computed here in plain Python from the warehouse's
`play_lengths` rows (with each track's primary artist from `tracks`), by the rules the page states: a play is a
stream that counts (`counts_as_play`), minutes are every stream's `played_ms`, music only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dashboard import queries, warehouse
from tests.dashboard.conftest import Warehouse
from tests.dashboard.test_pages import assert_clean, charts, metrics, open_page

TZ = "Europe/Stockholm"
ALWAYS = dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Stream:
    person: str
    played_at: dt.datetime
    artist: str | None
    track_key: str
    track_name: str | None
    played_ms: int
    counts: bool


def people(household: Warehouse) -> tuple[str, str]:
    """The two accounts, in the order the picker lists them (by display name)."""
    ((a,), (b,)) = household.query("select user_id from spotify.users order by display_name, user_id")
    return a, b


def streams(household: Warehouse, a: str, b: str, start_at: dt.datetime, end_at: dt.datetime) -> list[Stream]:
    """Both people's music streams of [start_at, end_at), as rows, the rules applied here."""
    rows = household.query(
        "select p.user_id, p.played_at, p.track_id, p.track_name, p.artist_name, p.played_ms, p.counts_as_play, "
        "t.primary_artist_name from spotify.play_lengths p left join spotify.tracks t on t.track_id = p.track_id "
        "where p.content_type = 'track' and p.user_id in ($a, $b) and p.played_at >= $start and p.played_at < $end",
        {"a": a, "b": b, "start": start_at, "end": end_at},
    )
    return [
        Stream(
            person="a" if user_id == a else "b",
            played_at=played_at,
            artist=primary or artist_name,
            track_key=track_id or f"name:{(track_name or '').lower()}|{(artist_name or '').lower()}",
            track_name=track_name,
            played_ms=played_ms or 0,
            counts=bool(counts),
        )
        for user_id, played_at, track_id, track_name, artist_name, played_ms, counts, primary in rows
    ]


def side_by_side(rows: list[Stream], key: str) -> dict[Any, dict[str, float]]:
    """Per artist or track: each person's plays (streams that count) and minutes (all streams)."""
    totals: dict[Any, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        group = getattr(row, key)
        if group is None:
            continue
        totals[group][f"plays_{row.person}"] += row.counts
        totals[group][f"minutes_{row.person}"] += row.played_ms / 60000
    return totals


def run(household: Warehouse, query: queries.Query, params: dict[str, Any], **options: Any) -> Any:
    return warehouse.DuckDBWarehouse(household.path).run(query.render(queries.DuckDBDialect(), **options), params)


def params_for(a: str, b: str, start_at: dt.datetime = ALWAYS[0], end_at: dt.datetime = ALWAYS[1]) -> dict[str, Any]:
    return {"user_id": a, "other_user_id": b, "tz": TZ, "start_at": start_at, "end_at": end_at}


# --- the statements against plain Python ---


@pytest.mark.parametrize("key", ["artist", "track_key"])
def test_shared_artists_and_tracks_with_both_counts(household_warehouse: Warehouse, key: str) -> None:
    a, b = people(household_warehouse)
    expected = {
        group: figures
        for group, figures in side_by_side(streams(household_warehouse, a, b, *ALWAYS), key).items()
        if figures["plays_a"] > 0 and figures["plays_b"] > 0
    }
    assert expected, "the household's two accounts share something"
    query = queries.together_artists if key == "artist" else queries.together_tracks
    shown = run(household_warehouse, query, params_for(a, b), limit=1000)
    assert len(shown) == len(expected)
    if key == "artist":
        for _, row in shown.iterrows():
            want = expected[row["name"]]
            assert (row["plays_a"], row["plays_b"]) == (want["plays_a"], want["plays_b"]), row["name"]
            assert row["minutes_a"] == pytest.approx(want["minutes_a"]) and row["minutes_b"] == pytest.approx(
                want["minutes_b"]
            )
    else:
        got = sorted(
            (int(r["plays_a"]), int(r["plays_b"]), round(r["minutes_a"], 6), round(r["minutes_b"], 6))
            for _, r in shown.iterrows()
        )
        want_rows = sorted(
            (int(f["plays_a"]), int(f["plays_b"]), round(f["minutes_a"], 6), round(f["minutes_b"], 6))
            for f in expected.values()
        )
        assert got == want_rows
    smaller = [min(row["plays_a"], row["plays_b"]) for _, row in shown.iterrows()]
    assert list(shown["shared_plays"]) == smaller == sorted(smaller, reverse=True), "ranked by the smaller count"


def jaccard(rows: list[Stream]) -> float | None:
    """Artists both played (streams that count) over artists either played."""
    played = {
        person: {row.artist for row in rows if row.person == person and row.counts and row.artist} for person in "ab"
    }
    either = played["a"] | played["b"]
    return len(played["a"] & played["b"]) / len(either) if either else None


def test_taste_overlap_per_month_and_for_the_period(household_warehouse: Warehouse) -> None:
    a, b = people(household_warehouse)
    rows = streams(household_warehouse, a, b, *ALWAYS)
    zone = ZoneInfo(TZ)
    by_month: dict[dt.date, list[Stream]] = defaultdict(list)
    for row in rows:
        local = row.played_at.astimezone(zone)
        by_month[dt.date(local.year, local.month, 1)].append(row)
    expected = {month: jaccard(month_rows) for month, month_rows in by_month.items()}
    expected = {month: value for month, value in expected.items() if value is not None}
    shown = run(household_warehouse, queries.together_overlap_by_month, params_for(a, b))
    assert [month.date() if hasattr(month, "date") else month for month in shown["month"]] == sorted(expected)
    assert list(shown["jaccard"]) == pytest.approx([expected[month] for month in sorted(expected)])
    assert all(0 <= value <= 1 for value in expected.values()) and max(expected.values()) > 0

    period = run(household_warehouse, queries.together_overlap, params_for(a, b)).iloc[0]
    assert period["jaccard"] == pytest.approx(jaccard(rows))
    assert 0 < period["jaccard"] < 1, "the second account leaves some artists out"
    shared = side_by_side(rows, "artist")
    both = {artist for artist, f in shared.items() if f["plays_a"] > 0 and f["plays_b"] > 0}
    minutes = sum(f["minutes_a"] + f["minutes_b"] for f in shared.values())
    on_shared = sum(f["minutes_a"] + f["minutes_b"] for artist, f in shared.items() if artist in both)
    assert period["shared_minutes_share"] == pytest.approx(on_shared / minutes)


def test_a_period_counts_only_its_plays(household_warehouse: Warehouse) -> None:
    a, b = people(household_warehouse)
    last = household_warehouse.scalar("select max(played_at) from spotify.play_lengths")
    start_at, end_at = last - dt.timedelta(days=30), last + dt.timedelta(seconds=1)
    rows = streams(household_warehouse, a, b, start_at, end_at)
    period = run(household_warehouse, queries.together_overlap, params_for(a, b, start_at, end_at)).iloc[0]
    assert period["jaccard"] == pytest.approx(jaccard(rows))
    either = {row.artist for row in rows if row.counts and row.artist}
    assert int(period["any_artists"]) == len(either) > 0


def test_who_discovered_each_artist_first(household_warehouse: Warehouse) -> None:
    a, b = people(household_warehouse)
    firsts: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    for row in streams(household_warehouse, a, b, *ALWAYS):
        if row.counts and row.artist:
            seen = firsts[row.artist].get(row.person)
            firsts[row.artist][row.person] = min(seen, row.played_at) if seen else row.played_at
    winners = {
        artist: ("a" if when["a"] < when["b"] else "b" if when["b"] < when["a"] else "both")
        for artist, when in firsts.items()
        if len(when) == 2
    }
    assert {"a", "b"} <= set(winners.values()), "each found some artist first"
    counts = run(household_warehouse, queries.together_discovery_counts, params_for(a, b)).iloc[0]
    assert int(counts["shared_artists"]) == len(winners)
    assert int(counts["found_first_a"]) == sum(winner == "a" for winner in winners.values())
    assert int(counts["found_first_b"]) == sum(winner == "b" for winner in winners.values())

    shown = run(household_warehouse, queries.together_discoveries, params_for(a, b), limit=1000)
    assert dict(zip(shown["name"], shown["first_by"], strict=True)) == winners
    for _, row in shown.iterrows():
        when = firsts[row["name"]]
        assert row["days_ahead"] == pytest.approx(abs((when["a"] - when["b"]).total_seconds()) / 86400)
    assert list(shown["discovered_at"]) == sorted(shown["discovered_at"], reverse=True), "newest first"


# --- the page ---


def test_one_account_explains_how_to_add_a_second(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page("Together")
    assert_clean(app, "Together")
    assert any("needs a second person" in item.value for item in app.info)
    code = " ".join(block.value for block in app.code)
    assert "python pipeline.py auth --account NAME" in code and "python pipeline.py run" in code
    assert "python pipeline.py demo --accounts 2" in code
    assert charts(app) == 0


def test_two_accounts_draw_every_section(household_warehouse: Warehouse, point_at) -> None:
    point_at(household_warehouse)
    app = open_page("Together", timezone=TZ)
    assert_clean(app, "Together")
    assert [item.value for item in app.subheader] == [
        "Shared top artists and tracks",
        "Taste overlap over time",
        "Who discovered an artist first",
    ]
    assert charts(app) == 1
    assert app.segmented_control(key="together_period").value == "All time"
    a, b = people(household_warehouse)
    rows = streams(household_warehouse, a, b, *ALWAYS)
    assert metrics(app)["Taste overlap"] == f"{jaccard(rows):.0%}"
    names = dict(household_warehouse.query("select user_id, display_name from spotify.users"))
    assert any(f"**{names[a]}** found" in item.value for item in app.markdown)
    assert len(app.dataframe) == 3  # shared artists, shared tracks, discoveries

    app.segmented_control(key="together_period").set_value("30 days").run()
    assert_clean(app, "Together")


def test_the_second_person_has_no_plays(two_account_warehouse: Warehouse, point_at) -> None:
    point_at(two_account_warehouse)
    app = open_page("Together")
    assert_clean(app, "Together")
    assert any("No plays yet for Zz Second" in item.value for item in app.info)


def test_three_accounts_offer_a_second_selector(household_warehouse: Warehouse, point_at, tmp_path) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(household_warehouse.path.read_bytes())
    with duckdb.connect() as connection:
        connection.execute(f"attach '{path}' as w")
        connection.execute("insert into w.spotify.users (user_id, display_name) values ('third', 'Zz Third')")
    point_at(path)
    app = open_page("Together")
    assert_clean(app, "Together")
    a, b = people(household_warehouse)
    choice = app.selectbox(key=f"together_with_{a}")
    assert len(choice.options) == 2
    assert choice.value == b
    choice.set_value("third").run()
    assert_clean(app, "Together")
    assert any("No plays yet for Zz Third" in item.value for item in app.info)


# --- the account picker ---


def test_the_picker_opens_the_account_the_url_names(household_warehouse: Warehouse, point_at) -> None:
    point_at(household_warehouse)
    a, b = people(household_warehouse)
    names = dict(household_warehouse.query("select user_id, display_name from spotify.users"))
    app = open_page_with_account("Overview", b)
    assert_clean(app, "Overview")
    assert app.sidebar.selectbox(key="account").value == b
    assert any(item.value == f"**{names[b]}**" for item in app.sidebar.markdown)
    assert app.query_params["account"] == b

    app.switch_page("app_pages/listening.py").run()  # another page keeps the account
    assert_clean(app, "Listening")
    assert app.sidebar.selectbox(key="account").value == b

    app.sidebar.selectbox(key="account").set_value(a).run()  # a choice goes to the URL
    assert app.sidebar.selectbox(key="account").value == a
    assert app.query_params["account"] == a


def test_an_unknown_account_in_the_url_falls_back_to_the_first(household_warehouse: Warehouse, point_at) -> None:
    point_at(household_warehouse)
    a, _ = people(household_warehouse)
    app = open_page_with_account("Overview", "nobody-here")
    assert_clean(app, "Overview")
    assert any("No account `nobody-here`" in item.value for item in app.info)
    assert app.sidebar.selectbox(key="account").value == a
    assert app.query_params["account"] == a


def test_an_unknown_account_with_one_account_is_a_notice_too(demo_warehouse: Warehouse, point_at) -> None:
    point_at(demo_warehouse)
    app = open_page_with_account("Overview", "nobody-here")
    assert_clean(app, "Overview")
    assert any("No account `nobody-here`" in item.value for item in app.info)
    assert "account" not in app.query_params


def open_page_with_account(title: str, account: str) -> Any:
    """The app opened at `/?account=...` (a bookmark), then the page."""
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP
    from tests.dashboard.test_pages import PAGES

    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params["account"] = account
    app.run()
    if title != "Overview":
        app.switch_page(PAGES[title]).run()
    return app
