"""Wrapped: a recap of any year or period, against the one before, and a card to share.

The figures are dashboard/recap.py's `build_recap`, the same that `python pipeline.py wrapped` prints, over the
statements of dashboard/queries/wrapped.py (cached like every statement). The rules (a play is a stream of 30 s or
more; minutes are all the time played) are dbt's, in `play_lengths`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, recap, ui
from dashboard.data import fetch
from dashboard.queries import Query
from dashboard.wrapped_card import card_filename, render_card

CUSTOM = "Another period"

context = ui.start(
    "Wrapped",
    "Your recap of any year or period, against the one before. A play is a stream of 30 seconds or more; "
    "minutes are all the time you played. Days and months are in your time zone.",
)
for needed in ("play_lengths", "listening_sessions"):
    if not context.has(needed):
        ui.empty(f"The final table `{needed}` is missing: run `dbt build` (or `python pipeline.py`) to create it.")
        st.stop()
if context.plays is None:
    ui.empty(
        "No plays in the warehouse yet. Run `python pipeline.py` regularly, or import your data export "
        "(`python pipeline.py import-export <the zip>`) for your whole history."
    )
    st.stop()

default = recap.default_period(context.plays.first_day, context.plays.last_day)
years = [str(year) for year in range(context.plays.last_day.year, context.plays.first_day.year - 1, -1)]
choice = st.segmented_control(
    "Period", [*years, CUSTOM], default=str(default.start.year), key="wrapped_period", required=True
)
if choice == CUSTOM:
    chosen = ui.date_range(context, key="wrapped_custom_period")
    period = recap.Period(*chosen)
else:
    period = recap.calendar_year(int(choice or default.start.year))


def _run(query: Query, options: Mapping[str, Any], params: Mapping[str, Any]) -> pd.DataFrame:
    return fetch(query, options=dict(options), **params)


result = recap.build_recap(_run, user_id=context.user_id, period=period, tz=context.tz, display_name=context.user_name)
previous = result["previous_period"]
st.subheader(f"{result['period']['label']}, against {previous['period']['label']}")
if not result["streams"]:
    ui.empty(f"No plays in {period.label}. Choose another period above.")
    st.stop()


def _delta(key: str) -> str | None:
    before = previous[key]
    return f"{(result[key] / before - 1):+.0%} on {previous['period']['label']}" if before else None


minutes, plays, tracks, artists = st.columns(4)
minutes.metric("Minutes listened", f"{result['minutes_listened']:,.0f}", _delta("minutes_listened"), border=True)
plays.metric(
    "Plays", ui.number(result["plays"]), _delta("plays"), border=True,
    help=f"Streams of 30 seconds or more; {ui.number(result['streams'])} streams in all, skips included.",
)  # fmt: skip
tracks.metric("Tracks", ui.number(result["distinct_tracks"]), _delta("distinct_tracks"), border=True)
artists.metric("Artists", ui.number(result["distinct_artists"]), _delta("distinct_artists"), border=True)

busiest, session, streak, new = st.columns(4)
if result["busiest_day"]:
    day = dt.date.fromisoformat(result["busiest_day"]["date"])
    busiest.metric(
        "Busiest day", f"{day.day} {day:%b}", border=True,
        help=f"{day:%A} {ui.long_date(day)}: {result['busiest_day']['minutes']:,.0f} minutes.",
    )  # fmt: skip
longest = result["longest_session"]
if longest:
    session.metric(
        "Longest session", f"{longest['minutes']:,.0f} min", border=True,
        help=f"{longest['start'][:16].replace('T', ' ')} to {longest['end'][:16].replace('T', ' ')}"
        + (f", mostly {longest['top_artist']}" if longest["top_artist"] else "")
        + f". A typical session lasts {result['typical_session_minutes']:,.0f} min.",
    )  # fmt: skip
streak.metric(
    "Longest streak", ui.plural(result["longest_streak_days"], "day"), border=True,
    help="Most days in a row with at least one play.",
)  # fmt: skip
share = result["new_artists_share"]
new.metric(
    "New artists", "–" if share is None else f"{share:.0%}", border=True,
    help="Of the artists you played, those you had never played before the period."
    + (" Not given: your history starts within this period." if share is None else ""),
)  # fmt: skip

PLAYS = st.column_config.NumberColumn("Plays", format="%d")
MINUTES = st.column_config.NumberColumn("Minutes", format="%.0f")


def ranked(rows: list[dict[str, Any]], **columns: Any) -> None:
    """One of the recap's top lists as a table (`columns`: how each column is titled)."""
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config=columns)


artists_column, tracks_column = st.columns(2, gap="large")
with artists_column:
    ui.section("Top artists", "By minutes of music.")
    ranked(result["top_artists"], name="Artist", plays=PLAYS, minutes=MINUTES)
with tracks_column:
    ui.section("Top tracks", "By plays.")
    ranked(result["top_tracks"], name="Track", artist="Artist", plays=PLAYS, minutes=MINUTES)

genres_column, podcasts_column = st.columns(2, gap="large")
with genres_column:
    ui.section("Top genres", "Parent genres, by minutes of music (see Artists & genres for the micro-genres).")
    coverage = result["genre_coverage"]
    music = coverage["minutes_with_genre"] + coverage["minutes_without_genre"]
    if result["top_genres"]:
        ranked(result["top_genres"], name="Genre", minutes=MINUTES)
    if coverage["minutes_without_genre"]:
        st.caption(
            f"{ui.percent(coverage['minutes_without_genre'], music)} of the music ("
            f"{coverage['minutes_without_genre']:,.0f} min) has no genre: its artist has none on Spotify or no "
            "profile in the warehouse yet (the development tier fetches a budget of profiles per run), or the data "
            "export names a track the warehouse does not know."
        )
with podcasts_column:
    ui.section("Top podcasts", "By minutes.")
    if result["top_podcasts"]:
        ranked(result["top_podcasts"], name="Show", minutes=MINUTES)
    else:
        ui.empty("No podcasts in this period.")

ui.section("Minutes by month", f"{result['period']['label']} beside {previous['period']['label']}.")
months = pd.DataFrame(result["minutes_by_month"])
months["series"], months["month_index"] = result["period"]["label"], range(len(months))
before = pd.DataFrame(previous["minutes_by_month"]).head(len(months))
before["series"], before["month_index"] = previous["period"]["label"], range(len(before))
both = pd.concat([months, before], ignore_index=True)
both["label"] = both["month_index"].map(lambda index: pd.Timestamp(f"{months['month'][index]}-01").strftime("%b"))
ui.chart(
    charts.months_against_previous(both, current=result["period"]["label"], previous=previous["period"]["label"]),
    key="wrapped_months",
)


@st.cache_data(show_spinner=False, max_entries=32)
def _card(recap_json: str) -> bytes:
    return render_card(json.loads(recap_json))


ui.section("Share it", "A portrait card of this recap, drawn on this machine (nothing leaves it).")
recap_json = json.dumps(result, sort_keys=True)
download_column, card_column = st.columns([2, 1], gap="large")
with download_column:
    # Drawn when asked (about a second): the download draws it on click, the preview on the toggle.
    st.download_button(
        "Download the card (PNG)", lambda: _card(recap_json), file_name=card_filename(result), mime="image/png",
        icon=":material/download:", on_click="ignore", key="wrapped_card_download",
    )  # fmt: skip
    st.download_button(
        "Download the figures (JSON)", json.dumps(result, indent=2, ensure_ascii=False),
        file_name=card_filename(result).removesuffix(".png") + ".json", mime="application/json",
        icon=":material/data_object:", on_click="ignore", key="wrapped_json_download",
    )  # fmt: skip
    st.caption(
        "The same figures as `python pipeline.py wrapped"
        + (f" --year {period.start.year}" if period.is_calendar_year else f" --from {period.start} --to {period.end}")
        + f" --tz {context.tz} --format json`."
    )
    preview = st.toggle("Show the card here", key="wrapped_card_preview")
if preview:
    with card_column:
        st.image(_card(recap_json), width=300)
