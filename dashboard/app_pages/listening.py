"""Listening: plays over time, when you listen (hour × weekday), streaks, the period's most played.

Reads `listening_history`: the API's plays and, once imported, Spotify's data export (the whole history), so the
page says which origins its numbers come from and where listening time is measured rather than estimated.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, queries, ui
from dashboard.data import fetch

context = ui.start("Listening", "When and what you played. Days and hours are in your time zone.")
if context.plays is None:
    ui.empty(
        "No plays in the warehouse yet. Each pipeline run adds the plays since the previous one "
        "(Spotify shows the last 50): run `python pipeline.py` regularly and this page fills up. For your whole "
        "history, request your data from Spotify and run `python pipeline.py import-export <the zip>`."
    )
    st.stop()

filters, granularity_column = st.columns([3, 1], vertical_alignment="bottom")
with filters:
    first, last = ui.date_range(context)
with granularity_column:
    granularity = st.segmented_control("Per", ["Day", "Week"], default="Day", key="granularity", required=True)
params = ui.period_params(context, first, last)

totals = fetch(queries.listening_totals, **params).iloc[0]
streaks = fetch(queries.listening_streaks, **params)
days_in_period = (last - first).days + 1

ui.origins_caption(totals)
# Two rows of three: six in a row cut values off at 1,400 px ("91 da…"). How much, then how regularly.
plays, hours, skipped = st.columns(3)
plays.metric(
    "Plays",
    ui.number(totals["plays"]),
    border=True,
    help="Every stream, skips included. Wrapped counts only streams of 30 seconds or more, as Spotify does.",
)
hours.metric("Hours listened", ui.hours(totals["hours"]), border=True, help=ui.measured_help(totals))
skipped.metric(
    "Skipped",
    ui.percent(totals["skipped"], totals["plays_with_skip_info"]),
    border=True,
    help=f"Of the {ui.number(totals['plays_with_skip_info'])} plays whose export row says whether you skipped "
    "(the extended streaming history; the API and old files do not say).",
)
active, longest, latest = st.columns(3)
active.metric(
    "Days with music",
    f"{ui.number(totals['active_days'])} of {days_in_period}",
    border=True,
    help="Days of the period with at least one play.",
)
if streaks.empty:
    longest.metric("Longest streak", "0 days", border=True)
    latest.metric("Latest streak", "0 days", border=True)
else:
    best = streaks.iloc[0]
    longest.metric(
        "Longest streak",
        f"{int(best['days'])} day{'s' if int(best['days']) != 1 else ''}",
        border=True,
        help=f"{ui.long_date(best['first_day'])} – {ui.long_date(best['last_day'])}: a play every day.",
    )
    recent = streaks.sort_values("last_day").iloc[-1]
    latest.metric(
        "Latest streak",
        f"{int(recent['days'])} day{'s' if int(recent['days']) != 1 else ''}",
        border=True,
        help=f"Ended {ui.long_date(recent['last_day'])}, the period's last day with music.",
    )

by_week = granularity == "Week"
activity = fetch(queries.plays_by_week if by_week else queries.plays_by_day, **params)
ui.section("Plays per " + ("week" if by_week else "day"))
if activity.empty:
    ui.empty("No plays in this period: widen the period above.")
else:
    ui.chart(
        charts.activity(
            activity,
            date_field="week_start" if by_week else "played_day",
            unit="week" if by_week else "day",
            title="",
        ),
        key="listening_activity",
    )

when_column, context_column = st.columns([3, 1], gap="large")
with when_column:
    ui.section("When you listen", f"Plays by hour of day and weekday ({context.tz}).")
    grid = fetch(queries.plays_by_hour_and_weekday, **params)
    if grid.empty:
        ui.empty("No plays in this period.")
    else:
        ui.chart(charts.heatmap(grid), key="listening_heatmap")
with context_column:
    ui.section("What you played")
    contents = fetch(queries.plays_by_content, **params)
    if contents.empty:
        ui.empty("No plays in this period.")
    else:
        ui.chart(charts.donut(contents, category="content_type", value="plays", title="Content"), key="contents")

tracks_column, artists_column = st.columns(2, gap="large")
with tracks_column:
    ui.section("Most played tracks")
    top_tracks = fetch(queries.top_played_tracks, **params, limit=10)
    if top_tracks.empty:
        ui.empty("No plays in this period.")
    else:
        ui.chart(
            charts.track_play_bars(top_tracks),
            key="top_tracks_chart",
        )
with artists_column:
    ui.section("Most played artists")
    top_artists = fetch(queries.top_played_artists, **params, limit=10)
    if top_artists.empty:
        ui.empty("No plays in this period.")
    else:
        ui.chart(
            charts.artist_play_bars(top_artists),
            key="top_artists_chart",
        )

with st.expander("All plays of the period, most played first"):
    st.dataframe(
        fetch(queries.top_played_tracks, **params, limit=500),
        hide_index=True,
        column_config={
            "track_name": "Track",
            "artist_name": "Artist",
            "album_name": "Album",
            "plays": st.column_config.NumberColumn("Plays", format="%d"),
            "minutes": st.column_config.NumberColumn("Minutes", format="%.0f"),
            "last_played_at": st.column_config.DatetimeColumn("Last played (UTC)", format="D MMM YYYY, HH:mm"),
        },
    )

ui.section(
    "Sessions",
    "Plays less than 30 minutes apart (from one's end to the next one's start) make one session "
    f"(`listening_sessions`). Times in {context.tz}.",
)
sessions = fetch(queries.recap_sessions, **params) if context.has("listening_sessions") else None
if sessions is None or sessions.empty:
    ui.empty("No listening sessions in this period." if sessions is not None else "Run `dbt build` for sessions.")
else:
    starts = pd.to_datetime(sessions["started_at"], utc=True).dt.tz_convert(context.tz)
    longest_session = sessions.iloc[0]
    top_artist = longest_session["top_artist_name"]
    count_column, typical_column, longest_column = st.columns(3)
    count_column.metric("Sessions", ui.number(len(sessions)), border=True)
    typical_column.metric(
        "Typical session",
        f"{sessions['minutes'].median():,.0f} min",
        border=True,
        help="The median session: half are shorter, half longer.",
    )
    longest_column.metric(
        "Longest session",
        f"{longest_session['minutes']:,.0f} min",
        border=True,
        help=f"Started {ui.when(starts.iloc[0])}; {ui.plural(longest_session['plays'], 'play')}"
        + (f", mostly {top_artist}." if isinstance(top_artist, str) else "."),
    )
    by_hour = starts.dt.hour.value_counts().rename_axis("hour").rename("sessions").reset_index()
    ui.chart(charts.sessions_by_start_hour(by_hour), key="sessions_by_hour")
