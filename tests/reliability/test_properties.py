"""Property-based tests (Hypothesis) of what parses outside data: times, release dates, URIs, export rows.

Examples are bounded (`max_examples`, no deadline: the first DuckDB call is slow) to keep within CI's budget. Each
property is checked against an oracle written here from Spotify's formats, never against the code's own output.
"""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spotify_source import helpers
from spotify_source.export.files import ExportFile
from spotify_source.export.rows import AccountKeys, file_table
from tests.export.rows import PRIVATE, extended_row

pytestmark = pytest.mark.reliability
ROOT = Path(__file__).resolve().parents[2]
BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
base62 = st.text(string.ascii_letters + string.digits, min_size=22, max_size=22)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


# --- timestamps (the source's parsing) ---


def spotify_time(moment: datetime, with_ms: bool) -> str:
    """As Spotify writes `played_at`/`added_at`: UTC, `Z`, milliseconds only on some endpoints."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if with_ms else f"{text}Z"


@settings(max_examples=300, deadline=None)  # cheap: many examples, as 1 time in ~200 was read 1 ms early
@given(moment=moments, with_ms=st.booleans())
@example(moment=datetime(2039, 8, 19, 2, 11, 48, 69000, tzinfo=UTC), with_ms=True)  # int(timestamp()*1000) was 1 ms off
def test_times_with_and_without_milliseconds_parse_to_the_same_utc_instant(moment: datetime, with_ms: bool) -> None:
    parsed = helpers.parse_time(spotify_time(moment, with_ms))
    expected = moment if with_ms else moment.replace(microsecond=0)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)
    # The `after=` cursor in whole milliseconds, exactly (no float rounding a millisecond early).
    epoch_ms = (expected - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert helpers.to_unix_ms(parsed) == epoch_ms


# --- release dates (the dbt macro, run in DuckDB) ---


class _DuckDBAdapter:
    """What dbt-duckdb's `adapter.dispatch` does for these macros: the `default__` implementation."""

    macros: Any = None

    def dispatch(self, name: str, package: str) -> Any:
        return getattr(self.macros, f"default__{name}")


def release_date_sql() -> str:
    """The `release_date` macro of dbt_project/macros/dates.sql, rendered by Jinja as dbt renders it on DuckDB."""
    adapter = _DuckDBAdapter()
    dbt_globals = {"adapter": adapter, "return": lambda value: value}  # dbt's `return` hands a value back
    source = (ROOT / "dbt_project/macros/dates.sql").read_text()
    adapter.macros = jinja2.Environment().from_string(source, globals=dbt_globals).module
    return str(adapter.macros.release_date("d", "p"))


@pytest.fixture(scope="module")
def release_dates() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


precisions = st.sampled_from(["year", "month", "day"])
days = st.dates(min_value=datetime(1000, 1, 1).date(), max_value=datetime(2100, 12, 31).date())


@BOUNDED
@given(rows=st.lists(st.tuples(days, precisions), min_size=1, max_size=30))
def test_release_dates_of_every_precision_become_their_first_day(
    release_dates: duckdb.DuckDBPyConnection, rows: list[tuple[Any, str]]
) -> None:
    shown = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
    values = [(day.strftime(shown[p]).zfill(len(day.strftime(shown[p]))), p) for day, p in rows]
    got = release_dates.execute(
        f"select {release_date_sql()} from (select unnest(?) as d, unnest(?) as p)",
        [[v for v, _ in values], [p for _, p in values]],
    ).fetchall()
    expected = [
        day.replace(month=1, day=1) if p == "year" else day.replace(day=1) if p == "month" else day for day, p in rows
    ]
    assert [g for (g,) in got] == expected


# --- URIs ---


def staging_uri_expressions() -> dict[str, str]:
    """The URI → id expressions of stg_spotify__export_streams.sql, with its type variable filled in for DuckDB."""
    sql = (ROOT / "dbt_project/models/staging/spotify/stg_spotify__export_streams.sql").read_text()
    found = {}
    for column in ("track_id", "episode_id"):
        match = re.search(r"(case\s+when\s+\w+_uri like (?:(?!case).)*?end)\s+as " + column, sql, re.S)
        assert match, f"the staging model no longer derives {column} from a URI: update this test"
        found[column] = match.group(1).replace("{{ string }}", "varchar")
    return found


def local_uri(artist: str, album: str, title: str, seconds: int) -> str:
    """A local file's URI as Spotify writes it: URL-encoded parts, `+` for spaces."""
    from urllib.parse import quote_plus

    return f"spotify:local:{quote_plus(artist)}:{quote_plus(album)}:{quote_plus(title)}:{seconds}"


uris = st.one_of(
    base62.map(lambda i: ("track", i, f"spotify:track:{i}")),
    base62.map(lambda i: ("episode", i, f"spotify:episode:{i}")),
    st.tuples(names, names, names, st.integers(0, 36_000)).map(lambda p: ("local", None, local_uri(*p))),
    st.none().map(lambda _: ("none", None, None)),
)


@BOUNDED
@given(batch=st.lists(uris, min_size=1, max_size=20))
def test_export_uris_yield_ids_only_for_their_own_kind(
    release_dates: duckdb.DuckDBPyConnection, batch: list[tuple[str, str | None, str | None]]
) -> None:
    expressions = staging_uri_expressions()
    rows = release_dates.execute(
        f"select {expressions['track_id']}, {expressions['episode_id']} "
        "from (select unnest(?) as track_uri, unnest(?) as episode_uri, generate_subscripts(?, 1) as i) order by i",
        [
            [uri if kind in ("track", "local") else None for kind, _, uri in batch],
            [uri if kind == "episode" else None for kind, _, uri in batch],
            [kind for kind, _, _ in batch],
        ],
    ).fetchall()
    for (kind, spotify_id, _), (track_id, episode_id) in zip(batch, rows, strict=True):
        assert track_id == (spotify_id if kind == "track" else None)
        assert episode_id == (spotify_id if kind == "episode" else None)


@BOUNDED
@given(artist=names, album=names, title=names, seconds=st.integers(0, 36_000), position=st.integers(0, 10_000))
def test_a_local_file_entry_keeps_its_uri_and_names_and_has_no_track_id(
    artist: str, album: str, title: str, seconds: int, position: int
) -> None:
    uri = local_uri(artist, album, title, seconds)
    entry = {"added_at": None, "is_local": True, "item": {
        "id": None, "uri": uri, "name": title, "type": "track", "is_local": True, "duration_ms": seconds * 1000,
        "album": {"id": None, "name": album}, "artists": [{"id": None, "name": artist}]}}  # fmt: skip
    row = helpers.entry_row(entry, "p1", "s1", position, "u1", datetime(2026, 1, 1, tzinfo=UTC))
    assert (row["item_type"], row["track_id"], row["is_local"], row["local_uri"]) == ("local", None, True, uri)
    assert (row["local_name"], row["local_artist_name"], row["local_album_name"]) == (title, artist, album)
    assert not helpers.is_spotify_track(entry["item"])


# --- export rows ---

versions = st.sampled_from(["legacy", "2024", "2025"])
plays = st.fixed_dictionaries(
    {
        "ts": moments.map(lambda m: m.replace(microsecond=0)),
        "ms": st.integers(0, 10**9),
        "uri": st.one_of(base62.map(lambda i: f"spotify:track:{i}"), st.none()),
        "track": names,
        "platform": names,
        "country": st.sampled_from(["SE", "DE", "ZZ", "US"]),
        "shuffle": st.booleans(),
        "skipped": st.one_of(st.none(), st.booleans()),
        "offline": st.booleans(),
        "offline_s": st.one_of(st.none(), st.just(0), st.integers(946_684_800, 4_000_000_000)),
        "incognito": st.booleans(),
        "reason_start": st.sampled_from(["trackdone", "clickrow", "fwdbtn", "unknown"]),
    }
)


def render(play: dict[str, Any], version: str) -> dict[str, Any]:
    """The play as a file of `version` writes it: offline time in ms for legacy files, in seconds after."""
    offline = play["offline_s"]
    if offline and version == "legacy":
        offline = offline * 1000
    return extended_row(
        version, play["ts"].strftime("%Y-%m-%dT%H:%M:%SZ"), ms=play["ms"], uri=play["uri"],
        platform=play["platform"], conn_country=play["country"], shuffle=play["shuffle"], skipped=play["skipped"],
        offline=play["offline"], offline_timestamp=offline, incognito_mode=play["incognito"],
        reason_start=play["reason_start"], master_metadata_track_name=play["track"] if play["uri"] else None,
    )  # fmt: skip


def parse(version: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    name = "endsong_0.json" if version == "legacy" else "Streaming_History_Audio_2020.json"
    file = ExportFile(name, "extended", "endsong" if version == "legacy" else "audio", 0)
    return file_table(file, json.dumps(rows).encode(), "import-1", "user-1", AccountKeys()).to_pylist()


@BOUNDED
@given(play=plays, version=versions)
def test_any_well_formed_extended_row_round_trips(play: dict[str, Any], version: str) -> None:
    (row,) = parse(version, [render(play, version)])
    assert row["ended_at"] == play["ts"] and row["ms_played"] == play["ms"]
    assert (row["track_uri"], row["platform"], row["conn_country"]) == (play["uri"], play["platform"], play["country"])
    assert (row["shuffle"], row["skipped"], row["offline"], row["incognito_mode"]) == (
        play["shuffle"], play["skipped"], play["offline"], play["incognito"],
    )  # fmt: skip
    assert row["content_type"] == ("track" if play["uri"] else "unknown")
    expected_offline = datetime.fromtimestamp(play["offline_s"], UTC) if play["offline_s"] else None
    assert row["offline_at"] == expected_offline  # ms (legacy) and s (newer) read alike; 0 and null are unknown
    assert (row["user_id"], row["import_id"]) == ("user-1", "import-1")
    assert not set(PRIVATE) & {value for value in row.values() if isinstance(value, str)}


@BOUNDED
@given(play=plays, first=versions, second=versions)
def test_play_key_is_the_same_in_every_field_version(play: dict[str, Any], first: str, second: str) -> None:
    (a,) = parse(first, [render(play, first)])
    (b,) = parse(second, [render(play, second)])
    assert a["play_key"] == b["play_key"]


@BOUNDED
@given(play=plays, other=plays, version=versions)
def test_different_plays_get_different_keys(play: dict[str, Any], other: dict[str, Any], version: str) -> None:
    a, b = parse(version, [render(play, version), render(other, version)])
    # The track's name is written only beside its URI, and the URI says which track it was (a re-export that
    # renames a track keeps its plays' keys): the name is not part of what makes two plays different.
    same_play = {k: v for k, v in play.items() if k != "track"} == {k: v for k, v in other.items() if k != "track"}
    assert (a["play_key"] == b["play_key"]) == same_play


account_rows = st.fixed_dictionaries(
    {"endTime": moments.map(lambda m: m.strftime("%Y-%m-%d %H:%M")), "artistName": names, "trackName": names,
     "msPlayed": st.integers(0, 10**9)}
)


@BOUNDED
@given(rows=st.lists(account_rows, min_size=1, max_size=20))
def test_account_rows_round_trip_and_repeats_stay_apart(rows: list[dict[str, Any]]) -> None:
    file = ExportFile("StreamingHistory_music_0.json", "account", "music", 0)
    parsed = file_table(file, json.dumps(rows).encode(), "i", None, AccountKeys()).to_pylist()
    assert len({row["play_key"] for row in parsed}) == len(rows)  # identical rows are numbered, never merged
    for source, row in zip(rows, parsed, strict=True):
        assert row["ended_at"] == datetime.strptime(source["endTime"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        placeholders = {"Unknown Artist", "Unknown Track"}
        assert row["artist_name"] == (None if source["artistName"] in placeholders else source["artistName"])
        assert row["ms_played"] == source["msPlayed"]
    again = file_table(file, json.dumps(rows).encode(), "i", None, AccountKeys()).to_pylist()
    assert [row["play_key"] for row in again] == [row["play_key"] for row in parsed]  # re-import: same keys
