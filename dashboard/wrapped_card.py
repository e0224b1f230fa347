"""The shareable "Wrapped" card: a recap (the `pipeline.py wrapped --format json` object) drawn as a portrait PNG.

Why Altair + vl-convert: the dashboard already speaks Altair, and vl-convert renders a Vega-Lite spec to PNG in-process
(Rust + bundled Vega, no browser), so the card renders offline, in the CLI and on the page alike. Nothing here may
reach the network: the data is inline, `allowed_base_urls=[]` makes vl-convert refuse any URL, and the font is a
generic family (`sans-serif`) that vl-convert resolves to an installed font. A named font that is not installed
draws nothing at all, so no brand font is named. Scripts the machine has no font for (CJK without Noto CJK, say)
draw as empty boxes: the card still renders.

Layout: sections stacked with `vconcat`, each a fixed 540 px wide layer of text marks placed in pixels (plus the
month bars), so the card is always 540 × 960 logical px (1080 × 1920 at the default scale 2), whatever the names.
Long names are cut twice: to a number of characters here, and to a pixel width by Vega's `limit` with an ellipsis.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
import zlib
from typing import Any

import altair as alt

WIDTH, HEIGHT = 540, 960
MARGIN = 32
RIGHT = WIDTH - MARGIN
FONT = "sans-serif"
BACKGROUND = "#121212"
HEADER_TOP = "#1E5C3A"  # a dark green fading into the background: Spotify-like, not Spotify's brand
GREEN = "#1DB954"
PINK = "#E8115B"
WHITE = "#FFFFFF"
GREY = "#A7A7A7"
DIM = "#6A6A6A"
MAX_CHARS = 60
"""Names are cut to this many characters before Vega measures them: a 200-character name costs no layout time."""

# Heights of the stacked sections; the footer takes the rest of the 960 px.
SECTION_HEIGHTS = {"header": 130, "minutes": 118, "artists": 172, "tracks": 216, "genre": 58, "months": 112}
FOOTER_HEIGHT = HEIGHT - sum(SECTION_HEIGHTS.values())

Recap = dict[str, Any]


def render_card(recap: Recap, *, scale: float = 2.0) -> bytes:
    """The card as PNG bytes, WIDTH × HEIGHT logical px times `scale`. Offline: see the module's docstring."""
    import vl_convert  # imported here: the dashboard's pages load without it until a card is asked for

    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    return _recompressed(vl_convert.vegalite_to_png(card_spec(recap), scale=scale, allowed_base_urls=[]))


def card_filename(recap: Recap) -> str:
    """`wrapped-2025.png` for a calendar year, `wrapped-2025-03-01-to-2025-06-30.png` for any other period; only
    letters, digits and dashes, so the name is safe in a download header and on any file system."""
    period = recap.get("period") or {}
    first, last = str(period.get("from") or ""), str(period.get("to") or "")
    if re.fullmatch(r"\d{4}-01-01", first) and last == f"{first[:4]}-12-31":
        stem = first[:4]
    elif first or last:
        stem = f"{first}-to-{last}" if first and last else first or last
    else:
        stem = ""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")
    return f"wrapped-{stem}.png" if stem else "wrapped.png"


def card_spec(recap: Recap) -> dict[str, Any]:
    """The card's Vega-Lite spec (a dict), separate from rendering so tests can read it."""
    sections = [
        _header(recap),
        _minutes(recap),
        _top_artists(recap.get("top_artists") or []),
        _top_tracks(recap.get("top_tracks") or []),
        _genre(recap),
        _months(recap.get("minutes_by_month") or []),
        _footer(recap),
    ]
    chart = (
        alt.vconcat(*sections, spacing=0)
        .properties(background=BACKGROUND, padding=0)
        .configure_view(stroke=None)
        .configure_concat(spacing=0)
    )
    return chart.to_dict()


# --- sections ---


def _header(recap: Recap) -> alt.LayerChart:
    period = recap.get("period") or {}
    label = _clean(period.get("label")) or " – ".join(_clean(period.get(key)) for key in ("from", "to"))
    name = _clean(recap.get("display_name")) or _clean(recap.get("user_id"))
    height = SECTION_HEIGHTS["header"]
    gradient = {
        "gradient": "linear",
        "x1": 0,
        "y1": 0,
        "x2": 0,
        "y2": 1,
        "stops": [{"offset": 0, "color": HEADER_TOP}, {"offset": 1, "color": BACKGROUND}],
    }
    marks = [
        _one_row().mark_rect(x=0, y=0, x2=WIDTH, y2=height, fill=gradient),
        _text(MARGIN, 46, "YOUR WRAPPED", size=13, color=GREEN, weight="bold"),
        _text(MARGIN, 90, label or "—", size=40 if len(label) <= 12 else 28, weight="bold"),
    ]
    if name:
        marks.append(_text(MARGIN, 118, f"for {name}", size=16, color=GREY))
    return _section(marks, height)


def _minutes(recap: Recap) -> alt.LayerChart:
    minutes = _number(recap.get("minutes_listened"))
    marks = [
        _text(MARGIN, 62, f"{minutes:,.0f}", size=56, color=GREEN, weight="bold", limit=320),
        _text(MARGIN, 92, "minutes listened", size=17),
    ]
    change = _change(minutes, recap.get("previous_period"))
    if change:
        text, colour, against = change
        marks += [
            _text(RIGHT, 50, text, size=24, color=colour, weight="bold", align="right", limit=140),
            _text(RIGHT, 72, against, size=12, color=GREY, align="right", limit=140),
        ]
    return _section(marks, SECTION_HEIGHTS["minutes"])


def _top_artists(artists: list[dict[str, Any]]) -> alt.LayerChart:
    marks = [_heading("TOP ARTISTS")]
    for rank, artist in enumerate(artists[:5], start=1):
        y = 52 + (rank - 1) * 28
        marks += [
            _text(MARGIN, y, str(rank), size=16, color=GREEN, weight="bold"),
            _text(MARGIN + 26, y, _clean(artist.get("name")) or "Unknown artist", size=17, limit=RIGHT - MARGIN - 130),
            _text(RIGHT, y, f"{_number(artist.get('minutes')):,.0f} min", size=13, color=GREY, align="right"),
        ]
    if not artists:
        marks.append(_text(MARGIN, 52, "No artists in this period", size=15, color=DIM))
    return _section(marks, SECTION_HEIGHTS["artists"])


def _top_tracks(tracks: list[dict[str, Any]]) -> alt.LayerChart:
    marks = [_heading("TOP TRACKS")]
    for rank, track in enumerate(tracks[:5], start=1):
        y = 50 + (rank - 1) * 36
        plays = int(_number(track.get("plays")))
        marks += [
            _text(MARGIN, y, str(rank), size=16, color=GREEN, weight="bold"),
            _text(MARGIN + 26, y, _clean(track.get("name")) or "Unknown track", size=16, weight="bold", limit=340),
            _text(MARGIN + 26, y + 15, _clean(track.get("artist")), size=13, color=GREY, limit=340),
            _text(RIGHT, y, f"{plays:,} play{'' if plays == 1 else 's'}", size=13, color=GREY, align="right"),
        ]
    if not tracks:
        marks.append(_text(MARGIN, 50, "No tracks in this period", size=15, color=DIM))
    return _section(marks, SECTION_HEIGHTS["tracks"])


def _genre(recap: Recap) -> alt.LayerChart:
    genres = recap.get("top_genres") or []
    share = recap.get("new_artists_share")
    middle = WIDTH // 2 + 40
    marks = [
        _heading("TOP GENRE", y=20),
        _text(MARGIN, 44, _clean(genres[0].get("name")) if genres else "—", size=20, weight="bold", limit=260),
        _heading("NEW ARTISTS", x=middle, y=20),
        _text(middle, 44, "—" if _missing(share) else f"{float(share):.0%}", size=20, weight="bold"),
    ]
    return _section(marks, SECTION_HEIGHTS["genre"])


def _months(months: list[dict[str, Any]]) -> alt.LayerChart:
    height = SECTION_HEIGHTS["months"]
    marks: list[alt.Chart] = [_heading("MINUTES BY MONTH", y=20)]
    if not months:
        marks.append(_text(MARGIN, 62, "No listening in this period", size=15, color=DIM))
        return _section(marks, height)
    rows = [
        {"month": str(item.get("month")), "minutes": _number(item.get("minutes")), "label": label}
        for item, label in zip(months, _month_labels([str(item.get("month")) for item in months]), strict=True)
    ]
    top = max(row["minutes"] for row in rows) or 1.0
    x = alt.X("month:O", sort=None, axis=None, scale=alt.Scale(range=[MARGIN, RIGHT], paddingInner=0.25))
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color=GREEN, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(x=x, y=alt.Y("minutes:Q", axis=None, scale=alt.Scale(domain=[0, top], range=[height - 24, 32])))
    )
    labels = (
        alt.Chart(alt.Data(values=rows))
        .mark_text(font=FONT, fontSize=10, color=GREY, baseline="alphabetic")
        .encode(x=x, y=alt.value(height - 8), text="label:N")
    )
    return _section([*marks, bars, labels], height)


def _footer(recap: Recap) -> alt.LayerChart:
    busiest = recap.get("busiest_day") or {}
    session = recap.get("longest_session") or {}
    streak = int(_number(recap.get("longest_streak_days")))
    facts = [
        ("PLAYS", f"{int(_number(recap.get('plays'))):,}", ""),
        ("DISTINCT TRACKS", f"{int(_number(recap.get('distinct_tracks'))):,}", ""),
        ("DISTINCT ARTISTS", f"{int(_number(recap.get('distinct_artists'))):,}", ""),
        ("LONGEST STREAK", f"{streak:,} day{'' if streak == 1 else 's'}", ""),
        (
            "BUSIEST DAY",
            _date(busiest.get("date")) or "—",
            f"{_number(busiest.get('minutes')):,.0f} min" if busiest.get("date") else "",
        ),
        (
            "LONGEST SESSION",
            _duration(session.get("minutes")) if session else "—",
            _moment(session.get("start")),
        ),
    ]
    column = (WIDTH - 2 * MARGIN) // 3
    marks: list[alt.Chart] = []
    for index, (label, value, detail) in enumerate(facts):
        x, y = MARGIN + (index % 3) * column, 24 + (index // 3) * 56
        marks += [
            _heading(label, x=x, y=y, limit=column - 8),
            _text(x, y + 22, value, size=18, weight="bold", limit=column - 8),
        ]
        if detail:
            marks.append(_text(x, y + 38, detail, size=11, color=GREY, limit=column - 8))
    zone = _clean(recap.get("time_zone"))
    marks.append(
        _text(
            MARGIN, FOOTER_HEIGHT - 16, f"spotify-warehouse{f' · times in {zone}' if zone else ''}", size=10, color=DIM
        )
    )
    return _section(marks, FOOTER_HEIGHT)


# --- building blocks ---


def _recompressed(png: bytes) -> bytes:
    """The same PNG with its pixel data deflated at level 9: vl-convert favours speed (about 440 KB for a full card
    at scale 2, a third of that after this), and a card is made to be shared. Pixels and filters are unchanged."""
    chunks, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        chunks.append((png[position + 4 : position + 8], png[position + 8 : position + 8 + length]))
        position += 12 + length
    pixels = zlib.compress(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")), 9)
    out = [png[:8]]
    for kind, body in chunks:
        if kind == b"IDAT":
            if pixels is None:
                continue  # the pixels went into the first IDAT chunk
            body, pixels = pixels, None
        out.append(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body)))
    return b"".join(out)


def _one_row() -> alt.Chart:
    """A chart over one empty row: marks placed by pixel values need a datum to draw once."""
    return alt.Chart(alt.Data(values=[{}]))


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 14,
    color: str = WHITE,
    weight: str = "normal",
    align: str = "left",
    limit: float | None = None,
) -> alt.Chart:
    """One line of text at (x, y) (the baseline), cut with an ellipsis at `limit` px so it never overflows."""
    return _one_row().mark_text(
        x=x,
        y=y,
        text=text,
        font=FONT,
        fontSize=size,
        fontWeight=weight,
        color=color,
        align=align,
        baseline="alphabetic",
        limit=limit if limit is not None else WIDTH - 2 * MARGIN,
        ellipsis="…",
        clip=True,  # a glyph taller than planned is cut at its section, not growing the card
    )


def _heading(text: str, *, x: float = MARGIN, y: float = 24, limit: float | None = None) -> alt.Chart:
    return _text(x, y, text, size=11, color=GREY, weight="bold", limit=limit)


def _section(marks: list[alt.Chart], height: int) -> alt.LayerChart:
    return alt.layer(*marks).properties(width=WIDTH, height=height)


# --- values ---


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> float:
    """A figure from the recap as a float; missing (None, NaN, not a number) is 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) or math.isinf(number) else number


def _clean(value: Any) -> str:
    """One line of at most MAX_CHARS characters: names can hold newlines, tabs and any length."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def _change(minutes: float, previous: Any) -> tuple[str, str, str] | None:
    """("+12%", colour, "vs 2024") against the previous period, or None when there is none to compare with."""
    if not isinstance(previous, dict) or _missing(previous.get("minutes_listened")):
        return None
    before = _number(previous.get("minutes_listened"))
    period = previous.get("period") if isinstance(previous.get("period"), dict) else {}
    against = f"vs {_clean(period.get('label'))}" if period.get("label") else "vs previous period"
    if not before:
        return None  # no listening to compare with: a percentage of nothing means nothing
    percent = 100 * (minutes - before) / before
    return f"{percent:+,.0f}%", GREEN if percent >= 0 else PINK, against


def _duration(minutes: Any) -> str:
    """45 min, 3 h 12 min."""
    total = round(_number(minutes))
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _date(value: Any) -> str:
    """14 Mar 2025 from an ISO date; the text as given when it is not one."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return _clean(value)
    return f"{day.day} {day:%b %Y}"


def _moment(value: Any) -> str:
    """14 Mar 2025, 21:05 from an ISO timestamp (in the recap's own time zone, as written)."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return _clean(value)
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def _month_labels(months: list[str]) -> list[str]:
    """Jan … Dec under up to 12 bars; over more, only the year at each January (and the first bar)."""
    labels = []
    for index, month in enumerate(months):
        try:
            first = dt.date.fromisoformat(f"{month[:7]}-01")
        except ValueError:
            labels.append("")
            continue
        if len(months) <= 12:
            labels.append(f"{first:%b}")
        else:
            labels.append(f"{first:%Y}" if first.month == 1 or index == 0 else "")
    return labels
