"""The Wrapped recap: `python pipeline.py wrapped` against figures computed here from the emulator's ground truth,
the command against the Wrapped page on the same warehouse, and the rules at their edges (30 s, a year boundary in
a zone that is not UTC, several accounts, bad input).

The truth side re-implements the documented rules in plain Python over the plays the emulator served (its library
and the exports it wrote), not over the warehouse: what the pipeline, dbt and the queries make of them must agree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

import pipeline
from dashboard import recap
from spotify_emulator.export import expected_listening_history
from spotify_emulator.library import generate
from tests.dashboard.conftest import Warehouse
from tests.dashboard.test_pages import assert_clean, metrics, open_page

COUNTED_MS = 30_000
SESSION_GAP = dt.timedelta(minutes=30)
ZONE = "America/Los_Angeles"


def wrapped(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = pipeline.main(["wrapped", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def wrapped_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, Any]:
    code, out, err = wrapped(capsys, *arguments, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# --- the truth, from what the emulator served ---


def truth_plays() -> list[dict[str, Any]]:
    """The demo's plays (profile small, seed 0, both exports imported) with their length by the documented rule:
    the export's ms_played, else the track's length capped by the time since the previous play ended."""
    library = generate(0, "small")
    durations = {track.id: track.duration_ms for track in library.tracks.values()}
    plays = sorted(
        expected_listening_history(
            library, extended=(None, None), account=(None, None), extended_field_version="mixed"
        ),
        key=lambda play: play["played_at"],
    )
    previous_end = None
    for play in plays:
        if play["ms_played"] is not None:
            length = play["ms_played"]
        else:
            length = durations[play["true_track_id"]]
            if previous_end is not None:
                length = min(length, int((play["played_at"] - previous_end).total_seconds() * 1000))
        play["length_ms"] = length
        play["counts"] = length >= COUNTED_MS
        previous_end = play["played_at"]
    return plays


def truth_recap(plays: list[dict[str, Any]], first: dt.date, last: dt.date, zone: str) -> dict[str, Any]:
    tz = ZoneInfo(zone)
    chosen = [play for play in plays if first <= play["played_at"].astimezone(tz).date() <= last]
    music = [play for play in chosen if play["content_type"] == "track"]
    counted_music = [play for play in music if play["counts"]]
    minutes_by_artist: Counter[str] = Counter()
    for play in music:
        minutes_by_artist[play["artist_name"]] += play["length_ms"] / 60000
    plays_by_track = Counter((play["track_name"], play["artist_name"]) for play in counted_music)
    by_day: defaultdict[dt.date, float] = defaultdict(float)
    by_month: defaultdict[str, float] = defaultdict(float)
    for play in chosen:
        local = play["played_at"].astimezone(tz)
        by_day[local.date()] += play["length_ms"] / 60000
        by_month[local.strftime("%Y-%m")] += play["length_ms"] / 60000
    days_with_plays = sorted({play["played_at"].astimezone(tz).date() for play in chosen if play["counts"]})
    return {
        "minutes_listened": sum(play["length_ms"] for play in chosen) / 60000,
        "plays": sum(play["counts"] for play in chosen),
        "streams": len(chosen),
        "distinct_artists": len({play["artist_name"] for play in counted_music}),
        "top_artist": next(iter(minutes_by_artist.most_common(1)), None),
        "top_track_plays": next((count for _, count in plays_by_track.most_common(1)), 0),
        "busiest_day": max(by_day.items(), key=lambda item: (item[1], -item[0].toordinal()), default=None),
        "minutes_by_month": dict(by_month),
        "longest_streak_days": recap.longest_streak(days_with_plays),
        "longest_session_minutes": max(session_minutes(plays, first, last, tz), default=None),
    }


def session_minutes(plays: list[dict[str, Any]], first: dt.date, last: dt.date, tz: ZoneInfo) -> list[float]:
    """Sessions over the whole history (a play less than 30 min after the previous one ended joins it), those
    starting within the local days [first, last]."""
    sessions: list[tuple[dt.datetime, float]] = []
    previous_end = None
    for play in plays:
        start = play["played_at"] - dt.timedelta(milliseconds=play["length_ms"])
        if previous_end is None or start - previous_end >= SESSION_GAP:
            sessions.append((start, 0.0))
        begun, minutes = sessions[-1]
        sessions[-1] = (begun, minutes + play["length_ms"] / 60000)
        previous_end = play["played_at"]
    return [minutes for begun, minutes in sessions if first <= begun.astimezone(tz).date() <= last]


# --- against the ground truth ---


def test_the_recap_matches_the_emulators_ground_truth(
    demo_warehouse: Warehouse, point_at, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(demo_warehouse)
    plays = truth_plays()
    # The demo's history runs from the last day of 2025 (UTC) into 2026: its year is 2026, and in Los Angeles
    # the first plays fall in 2025, the year before.
    year = 2026
    got = wrapped_json(capsys, "--year", str(year), "--tz", ZONE)
    assert got["period"] == {"from": f"{year}-01-01", "to": f"{year}-12-31", "label": str(year)}
    want = truth_recap(plays, dt.date(year, 1, 1), dt.date(year, 12, 31), ZONE)

    assert want["streams"] > 100, "the demo's year should hold plays"
    assert got["streams"] == want["streams"]
    assert got["plays"] == want["plays"] < want["streams"], "some streams are under 30 s"
    assert got["minutes_listened"] == pytest.approx(want["minutes_listened"], abs=0.01)
    assert got["distinct_artists"] == want["distinct_artists"]
    assert (got["top_artists"][0]["name"], got["top_artists"][0]["minutes"]) == (
        want["top_artist"][0],
        pytest.approx(want["top_artist"][1], abs=0.01),
    )
    assert got["top_tracks"][0]["plays"] == want["top_track_plays"]
    day, minutes = want["busiest_day"]
    assert got["busiest_day"] == {"date": day.isoformat(), "minutes": pytest.approx(minutes, abs=0.01)}
    assert {m["month"]: m["minutes"] for m in got["minutes_by_month"] if m["minutes"]} == {
        month: pytest.approx(value, abs=0.01) for month, value in want["minutes_by_month"].items()
    }
    assert len(got["minutes_by_month"]) == 12
    assert got["longest_streak_days"] == want["longest_streak_days"]
    assert got["longest_session"]["minutes"] == pytest.approx(want["longest_session_minutes"], abs=0.01)

    previous = truth_recap(plays, dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31), ZONE)
    assert previous["streams"] > 0, "in Los Angeles the history starts in the year before"
    assert got["previous_period"]["streams"] == previous["streams"]
    assert got["previous_period"]["plays"] == previous["plays"]
    assert got["previous_period"]["minutes_listened"] == pytest.approx(previous["minutes_listened"], abs=0.01)


def test_the_command_and_the_page_show_the_same_figures(
    demo_warehouse: Warehouse, point_at, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(demo_warehouse)
    default = wrapped_json(capsys, "--tz", ZONE)
    app = open_page("Wrapped", timezone=ZONE)
    assert_clean(app, "Wrapped")
    assert metrics(app)["Plays"] == f"{default['plays']:,}"
    # The year the demo's history fills (the default, the last complete year, holds its first day only).
    got = wrapped_json(capsys, "--tz", ZONE, "--year", "2026")
    app.button_group(key="wrapped_period").set_value("2026").run()
    assert_clean(app, "Wrapped")
    shown = metrics(app)
    assert shown["Minutes listened"] == f"{got['minutes_listened']:,.0f}"
    assert shown["Plays"] == f"{got['plays']:,}"
    assert shown["Tracks"] == f"{got['distinct_tracks']:,}"
    assert shown["Artists"] == f"{got['distinct_artists']:,}"
    assert shown["Longest streak"] == f"{got['longest_streak_days']} days" and got["longest_streak_days"] > 1
    tables = [table.value for table in app.dataframe]
    artists, tracks = tables[0], tables[1]
    assert artists.to_dict("records") == got["top_artists"]
    assert tracks.to_dict("records") == got["top_tracks"]
    assert [button.proto.label for button in app.get("download_button")] == [
        "Download the card (PNG)",
        "Download the figures (JSON)",
    ]


# --- the rules at their edges ---


@pytest.fixture
def boundary_warehouse(demo_warehouse: Warehouse, tmp_path: Path) -> Path:
    """The demo's final tables with four plays of one account around New Year (UTC): 23:30 and 23:59:45 on 31
    December 2025, 00:10 and 23:30 on 1 January 2026; the second lasted 15 s."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        (catalog,) = connection.execute("select current_database()").fetchone()
        connection.execute(f"attach '{demo_warehouse.path}' as demo (read_only)")
        connection.execute(f"create schema {catalog}.spotify")
        for (table,) in connection.execute(
            "select table_name from information_schema.tables where table_catalog = 'demo' and table_schema = 'spotify'"
        ).fetchall():
            keep = (
                "where false" if table in ("listening_history", "play_lengths", "listening_sessions", "users") else ""
            )
            connection.execute(f"create table {catalog}.spotify.{table} as select * from demo.spotify.{table} {keep}")
        connection.execute("detach demo")
        connection.execute(f"insert into {catalog}.spotify.users (user_id, display_name) values ('u', 'New Year')")
        plays = [
            ("a", "2025-12-31 23:30:00+00", 200_000),
            ("b", "2025-12-31 23:59:45+00", 15_000),
            ("c", "2026-01-01 00:10:00+00", 180_000),
            ("d", "2026-01-01 23:30:00+00", 240_000),
        ]
        for play_id, played_at, ms in plays:
            connection.execute(
                f"""insert into {catalog}.spotify.listening_history
                    (play_id, user_id, played_at, played_date, origin, is_in_api, is_in_extended_export,
                     is_in_account_export, content_type, ms_played, track_name, artist_name, source_load_id)
                values (?, 'u', ?::timestamptz, cast(?::timestamptz as date), 'extended_export', false, true, false,
                        'track', ?, 'Song ' || ?, 'Band', 1)""",
                [play_id, played_at, played_at, ms, play_id],
            )
            connection.execute(
                f"""insert into {catalog}.spotify.play_lengths
                    (play_id, user_id, played_at, started_at, played_date, played_ms, length_rule, counts_as_play,
                     source_load_id)
                values (?, 'u', ?::timestamptz, ?::timestamptz - to_milliseconds(?), cast(?::timestamptz as date),
                        ?, 'measured', ? >= 30000, 1)""",
                [play_id, played_at, played_at, ms, played_at, ms, ms],
            )
    return path


@pytest.mark.parametrize(
    ("zone", "plays_2025", "plays_2026"),
    [
        ("UTC", 1, 2),  # 31 Dec: a (b is 15 s: a stream, not a play); 1 Jan: c, d
        ("Europe/Berlin", 0, 3),  # UTC+1: a, b and c are all on 1 January; d too
        ("America/New_York", 2, 1),  # UTC-5: a and c on 31 December; d on 1 January
    ],
)
def test_a_year_boundary_in_the_chosen_time_zone(
    boundary_warehouse: Path, point_at, capsys: pytest.CaptureFixture[str], zone: str, plays_2025: int, plays_2026: int
) -> None:
    point_at(boundary_warehouse)
    assert wrapped_json(capsys, "--year", "2025", "--tz", zone)["plays"] == plays_2025
    recap_2026 = wrapped_json(capsys, "--year", "2026", "--tz", zone)
    assert recap_2026["plays"] == plays_2026
    assert recap_2026["previous_period"]["plays"] == plays_2025


def test_the_text_and_the_card(demo_warehouse: Warehouse, point_at, capsys, tmp_path: Path) -> None:
    point_at(demo_warehouse)
    code, out, err = wrapped(capsys, "--tz", "UTC")
    assert code == 0, err
    assert out.startswith("Your Wrapped ") and "minutes listened" in out and "Top artists (by minutes)" in out
    card = tmp_path / "card.png"
    code, out, err = wrapped(capsys, "--tz", "UTC", "--format", "png", "--out", str(card))
    assert code == 0, err
    assert card.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--from", "2026-05-01", "--to", "2026-04-01"], "before it starts"),
        (["--user-id", "nobody"], "no account 'nobody'"),
    ],
)
def test_bad_input_is_a_clear_error(
    demo_warehouse: Warehouse, point_at, capsys, arguments: list[str], message: str
) -> None:
    point_at(demo_warehouse)
    code, _, err = wrapped(capsys, *arguments)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_a_date_that_is_no_date_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        pipeline.main(["wrapped", "--from", "2026-13-01"])
    assert exited.value.code == 2
    assert "not a date (YYYY-MM-DD): '2026-13-01'" in capsys.readouterr().err


def test_several_accounts_need_a_user_id(two_account_warehouse: Warehouse, point_at, capsys) -> None:
    point_at(two_account_warehouse)
    code, _, err = wrapped(capsys)
    assert code == 2 and "--user-id" in err and "second-user" in err
    code, _, err = wrapped(capsys, "--user-id", "second-user")
    assert code == 2 and "no plays" in err


def test_the_default_period_is_the_last_complete_year() -> None:
    assert recap.default_period(dt.date(2019, 5, 1), dt.date(2026, 10, 31)) == recap.calendar_year(2025)
    assert recap.default_period(dt.date(2019, 5, 1), dt.date(2025, 12, 31)) == recap.calendar_year(2025)
    # A history that starts this year has no complete year: the year so far.
    assert recap.default_period(dt.date(2026, 3, 1), dt.date(2026, 10, 31)) == recap.Period(
        dt.date(2026, 1, 1), dt.date(2026, 10, 31)
    )
    assert recap.calendar_year(2025).previous() == recap.calendar_year(2024)
    assert recap.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10)).previous() == recap.Period(
        dt.date(2026, 2, 19), dt.date(2026, 2, 28)
    )
