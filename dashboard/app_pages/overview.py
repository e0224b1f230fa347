"""Overview: headline numbers of a period, its top artist and track, and how fresh the data is."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.data import fetch

context = ui.start("Overview", "Your Spotify listening and library at a glance.")

if context.plays is None:
    ui.empty(
        "No plays in the warehouse yet. Spotify shows the last 50 plays to each pipeline run: run "
        "`python pipeline.py` now and then, and the history grows from here."
    )
    first = last = dt.date.today()
    label = "all time"
else:
    first, last, label = ui.preset_period(context)
params = ui.period_params(context, first, last)

totals = fetch(queries.listening_totals, **params).iloc[0]
daily = fetch(queries.plays_by_day, **params)
library = fetch(queries.library_counts, user_id=context.user_id).iloc[0]
top_tracks = fetch(queries.top_played_tracks, **params, limit=5)
top_artists = fetch(queries.top_played_artists, **params, limit=5)

# Deltas against the period of the same length just before, when the history reaches back that far.
previous = None
if context.plays and label != "all time":
    length = (last - first).days + 1
    before_first, before_last = first - dt.timedelta(days=length), first - dt.timedelta(days=1)
    if before_last >= context.plays.first_day:
        before = ui.period_params(context, max(before_first, context.plays.first_day), before_last)
        previous = fetch(queries.listening_totals, **before).iloc[0]


def delta(column: str) -> str | None:
    if previous is None:
        return None
    change = float(totals[column] or 0) - float(previous[column] or 0)
    return f"{change:+,.0f}" if column != "hours" else f"{change:+,.1f} h"


st.caption(f"{ui.long_date(first)} – {ui.long_date(last)} · {label}")
plays, hours, tracks, artists, playlists = st.columns(5)
plays.metric(
    "Plays",
    ui.number(totals["plays"]),
    delta=delta("plays"),
    border=True,
    height="stretch",
    chart_data=daily["plays"].tolist() if len(daily) >= 7 else None,
    chart_type="area",
    help="Plays the warehouse has seen in the period.",
)
hours.metric(
    "Hours listened",
    ui.hours(totals["hours"]),
    delta=delta("hours"),
    border=True,
    height="stretch",
    help="The lengths of the tracks played, added up (Spotify does not tell how long each play lasted).",
)
tracks.metric("Distinct tracks", ui.number(totals["tracks"]), delta=delta("tracks"), border=True, height="stretch")
artists.metric(
    "Distinct artists",
    ui.number(totals["artists"]),
    delta=delta("artists"),
    border=True,
    height="stretch",
    help="Counted by each track's primary artist.",
)
playlists.metric(
    "Playlists",
    ui.number(library["playlists"]),
    border=True,
    height="stretch",
    help=f"In your library, owned and followed. Liked songs: {ui.number(library['saved_tracks'])}.",
)

artist_card, track_card, fresh_card = st.columns(3)
with artist_card.container(border=True, height="stretch"):
    st.caption(":material/star: TOP ARTIST")
    if top_artists.empty:
        st.markdown("### —")
        st.caption("No plays in this period.")
    else:
        best = top_artists.iloc[0]
        st.markdown(f"### {best['artist_name']}")
        st.caption(f"{ui.plural(best['plays'], 'play')} · {ui.plural(best['tracks'], 'different track')}")
with track_card.container(border=True, height="stretch"):
    st.caption(":material/music_note: TOP TRACK")
    if top_tracks.empty:
        st.markdown("### —")
        st.caption("No plays in this period.")
    else:
        best = top_tracks.iloc[0]
        st.markdown(f"### {best['track_name']}")
        st.caption(f"{best['artist_name']} · {ui.plural(best['plays'], 'play')}")
with fresh_card.container(border=True, height="stretch"):
    st.caption(":material/sync: LAST REFRESHED")
    refreshed = data.last_refreshed(context.status, context.user_id)
    st.markdown(f"### {ui.ago(refreshed)}")
    st.caption(
        f"Pipeline run finished {ui.when(refreshed, context.tz)}"
        if refreshed
        else "No pipeline run is recorded in this warehouse."
    )

if context.has("saved_tracks_history"):
    likes = fetch(queries.likes_by_month, user_id=context.user_id, tz=context.tz)
    if not likes.empty:
        ui.section(
            "Liked songs over time",
            "Songs liked (up) and un-liked (down) per month. An un-like is dated by the run that first missed it.",
        )
        ui.chart(charts.gains_and_losses(likes, added="Liked", removed="Un-liked"), key="overview_likes")

if context.plays is None:
    st.stop()  # the rest is about plays

st.space("small")
activity_column, tracks_column = st.columns([3, 2], gap="large")
with activity_column:
    ui.section("Plays per day")
    if daily.empty:
        ui.empty("No plays in this period: choose a longer one above.")
    else:
        ui.chart(charts.activity(daily, date_field="played_day", unit="day", title=""), key="overview_activity")
with tracks_column:
    ui.section("Most played tracks")
    if top_tracks.empty:
        ui.empty("Nothing played in this period yet.")
    else:
        ui.chart(
            charts.track_play_bars(top_tracks),
            key="overview_top_tracks",
        )

recent_column, artists_column = st.columns([3, 2], gap="large")
with recent_column:
    ui.section("Recently played")
    recent = fetch(queries.recent_plays, **params, limit=10)
    if recent.empty:
        ui.empty("Nothing played in this period yet.")
    else:
        recent["played_at"] = recent["played_at"].map(lambda value: data.to_local(value, context.tz))
        recent["context_type"] = recent["context_type"].fillna("—")
        st.dataframe(
            recent,
            hide_index=True,
            column_config={
                "played_at": st.column_config.DatetimeColumn(f"Played ({context.tz})", format="ddd D MMM, HH:mm"),
                "track_name": "Track",
                "artist_name": "Artist",
                "context_type": "From",
            },
        )
with artists_column:
    ui.section("Most played artists")
    if top_artists.empty:
        ui.empty("Nothing played in this period yet.")
    else:
        ui.chart(
            charts.artist_play_bars(top_artists),
            key="overview_top_artists",
        )
