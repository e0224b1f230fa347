"""The shareable Wrapped card (issue 14): a portrait PNG from a recap, for any recap, drawn offline.

"Drawn" is checked without decoding the image: a card whose text did not render (a font vl-convert cannot find
draws nothing) would not change when only a name changes, so the tests compare bytes between recaps.
"""

from __future__ import annotations

import copy
import socket
import struct
from pathlib import Path
from typing import Any

import pytest

from dashboard import wrapped_card

REPO = Path(__file__).resolve().parents[2]
DOCS_CARD = REPO / "docs" / "wrapped-card.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

FULL: dict[str, Any] = {
    "user_id": "aksel",
    "display_name": "Aksel Rossi",
    "period": {"from": "2025-01-01", "to": "2025-12-31", "label": "2025"},
    "time_zone": "Europe/Stockholm",
    "minutes_listened": 27831.4,
    "plays": 9123,
    "distinct_tracks": 2231,
    "distinct_artists": 612,
    "top_artists": [
        {"name": "Sigur Rós", "plays": 412, "minutes": 1630.2},
        {"name": "Khruangbin", "plays": 301, "minutes": 1204.0},
        {"name": "Fontaines D.C.", "plays": 280, "minutes": 990.5},
        {"name": "Nils Frahm", "plays": 250, "minutes": 810.0},
        {"name": "Little Simz", "plays": 201, "minutes": 700.25},
        {"name": "The sixth is not shown", "plays": 10, "minutes": 20.0},
    ],
    "top_tracks": [
        {"name": "Hoppípolla", "artist": "Sigur Rós", "plays": 88, "minutes": 400.0},
        {"name": "Maria También", "artist": "Khruangbin", "plays": 71, "minutes": 300.0},
        {"name": "Starburster", "artist": "Fontaines D.C.", "plays": 60, "minutes": 200.0},
        {"name": "Says", "artist": "Nils Frahm", "plays": 55, "minutes": 180.0},
        {"name": "Introvert", "artist": "Little Simz", "plays": 50, "minutes": 170.0},
    ],
    "top_genres": [{"name": "Post-rock", "minutes": 5000.0}, {"name": "Hip hop", "minutes": 3000.0}],
    "top_podcasts": [{"name": "A podcast", "minutes": 120.0}],
    "new_artists_share": 0.34,
    "busiest_day": {"date": "2025-03-14", "minutes": 312.4},
    "longest_session": {"start": "2025-07-02T21:05:00+02:00", "end": "2025-07-03T01:17:00+02:00", "minutes": 252.0},
    "longest_streak_days": 41,
    "minutes_by_month": [
        {"month": f"2025-{month:02d}", "minutes": minutes}
        for month, minutes in enumerate([2010, 1740, 2380, 2250, 1620, 2600, 3150, 2870, 2140, 2330, 1990, 2750.4], 1)
    ],
    "previous_period": {
        "period": {"from": "2024-01-01", "to": "2024-12-31", "label": "2024"},
        "minutes_listened": 24100.0,
        "plays": 8000,
        "distinct_tracks": 2000,
        "distinct_artists": 500,
    },
}

EMPTY: dict[str, Any] = {
    "user_id": "someone",
    "display_name": None,
    "period": {"from": "2025-03-01", "to": "2025-06-30", "label": "1 Mar 2025 – 30 Jun 2025"},
    "time_zone": "UTC",
    "minutes_listened": 0,
    "plays": 0,
    "distinct_tracks": 0,
    "distinct_artists": 0,
    "top_artists": [],
    "top_tracks": [],
    "top_genres": [],
    "top_podcasts": [],
    "new_artists_share": None,
    "busiest_day": None,
    "longest_session": None,
    "longest_streak_days": 0,
    "minutes_by_month": [],
    "previous_period": None,
}


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must start with (after its signature)."""
    assert png[:8] == PNG_SIGNATURE, "not a PNG"
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def texts(spec: Any) -> list[str]:
    """Every text the card's spec draws."""
    if isinstance(spec, dict):
        found = [spec["text"]] if spec.get("type") == "text" and isinstance(spec.get("text"), str) else []
        return found + [text for value in spec.values() for text in texts(value)]
    if isinstance(spec, list):
        return [text for value in spec for text in texts(value)]
    return []


@pytest.fixture(scope="module")
def full_card() -> bytes:
    return wrapped_card.render_card(FULL)


@pytest.fixture(scope="module")
def empty_card() -> bytes:
    return wrapped_card.render_card(EMPTY)


def test_full_card_is_a_portrait_png_of_fixed_size(full_card: bytes) -> None:
    assert png_size(full_card) == (1080, 1920)
    assert png_size(wrapped_card.render_card(FULL, scale=1)) == (540, 960)


def test_the_card_shows_the_recap(full_card: bytes) -> None:
    shown = texts(wrapped_card.card_spec(FULL))
    for expected in ("2025", "for Aksel Rossi", "27,831", "+15%", "vs 2024", "Sigur Rós", "1,630 min", "Hoppípolla"):
        assert expected in shown, expected
    for expected in ("Khruangbin", "Post-rock", "34%", "9,123", "2,231", "612", "41 days", "14 Mar 2025", "4 h 12 min"):
        assert expected in shown, expected
    assert "The sixth is not shown" not in shown  # top 5 only
    assert [rank for rank in shown if rank in {"1", "2", "3", "4", "5", "6"}] == ["1", "2", "3", "4", "5"] * 2


def test_a_fall_is_shown_as_one() -> None:
    fallen = copy.deepcopy(FULL)
    fallen["previous_period"]["minutes_listened"] = 30000.0
    assert "-7%" in texts(wrapped_card.card_spec(fallen))


def test_empty_recap_renders_a_card_of_the_same_size(full_card: bytes, empty_card: bytes) -> None:
    assert png_size(empty_card) == (1080, 1920)
    assert empty_card != full_card
    shown = texts(wrapped_card.card_spec(EMPTY))
    assert "1 Mar 2025 – 30 Jun 2025" in shown and "0" in shown and "No artists in this period" in shown
    assert not any("%" in text for text in shown)  # no change against a missing previous period
    # Keys left out altogether, and numbers that are not numbers, are "nothing" too.
    bare = {"period": {"from": "2025-01-01", "to": "2025-12-31"}, "minutes_listened": float("nan"), "plays": None}
    assert png_size(wrapped_card.render_card(bare)) == (1080, 1920)


def test_text_is_drawn(full_card: bytes) -> None:
    """Only a name differs: if text did not render (no usable font), the two images would be the same."""
    renamed = copy.deepcopy(FULL)
    renamed["top_artists"][4]["name"] = "Someone else entirely"
    assert wrapped_card.render_card(renamed) != full_card


LONG = "Ω" + "x" * 198 + "Z"


@pytest.mark.parametrize(
    "name",
    [
        "Sigur Rós",
        "坂本龍一",
        "Ólafur Arnalds & 坂本龍一 — Живой звук",
        "مرحبا بالعالم",
        LONG,
        "tab\tand\nnew line",
        "",
    ],
)
def test_long_and_non_latin_names_render_without_growing_the_card(name: str) -> None:
    recap = copy.deepcopy(FULL)
    recap["display_name"] = name
    recap["period"]["label"] = name or "2025"
    for artist in recap["top_artists"]:
        artist["name"] = name
    for track in recap["top_tracks"]:
        track["name"] = track["artist"] = name
    recap["top_genres"][0]["name"] = name
    assert png_size(wrapped_card.render_card(recap)) == (1080, 1920)
    shown = texts(wrapped_card.card_spec(recap))
    assert max(len(text) for text in shown) <= wrapped_card.MAX_CHARS + len("for ")
    assert not any("\n" in text or "\t" in text for text in shown)
    if name == LONG:
        assert not any("Z" in text for text in shown) and any(text.endswith("…") for text in shown)


def test_rendering_makes_no_network_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """vl-convert is Rust, under Python's socket module: the spec is checked to hold no URL, and the converter is
    called with no base URL allowed (it then refuses any external data)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    import vl_convert

    calls: list[dict[str, Any]] = []
    convert = vl_convert.vegalite_to_png

    def recorded(spec: Any, **kwargs: Any) -> bytes:
        calls.append(kwargs)
        return convert(spec, **kwargs)

    monkeypatch.setattr(vl_convert, "vegalite_to_png", recorded)
    assert png_size(wrapped_card.render_card(FULL)) == (1080, 1920)
    assert calls and all(call.get("allowed_base_urls") == [] for call in calls)

    def urls(spec: Any) -> list[Any]:
        if isinstance(spec, dict):
            return [value for key, value in spec.items() if key == "url"] + [u for v in spec.values() for u in urls(v)]
        return [u for value in spec for u in urls(value)] if isinstance(spec, list) else []

    assert urls(wrapped_card.card_spec(FULL)) == []
    with pytest.raises(ValueError, match="not allowed"):
        convert({"data": {"url": "https://example.com/data.csv"}, "mark": "point"}, allowed_base_urls=[])


@pytest.mark.parametrize(
    ("period", "filename"),
    [
        ({"from": "2025-01-01", "to": "2025-12-31", "label": "2025"}, "wrapped-2025.png"),
        (
            {"from": "2025-03-01", "to": "2025-06-30", "label": "1 Mar 2025 – 30 Jun 2025"},
            "wrapped-2025-03-01-to-2025-06-30.png",
        ),
        ({"from": "2025-01-01", "to": "2025-06-30"}, "wrapped-2025-01-01-to-2025-06-30.png"),
        ({"from": "../../etc/passwd", "to": 'a b"c'}, "wrapped-etc-passwd-to-a-b-c.png"),
        ({}, "wrapped.png"),
    ],
)
def test_card_filename(period: dict[str, str], filename: str) -> None:
    assert wrapped_card.card_filename({"period": period}) == filename
    assert "/" not in filename and " " not in filename


def test_the_readmes_card_is_a_small_portrait_card() -> None:
    """docs/wrapped-card.png (the demo's 2025, `python pipeline.py wrapped --format png`): shown in the README, so
    kept small."""
    png = DOCS_CARD.read_bytes()
    width, height = png_size(png)
    assert height > width and len(png) < 300_000
