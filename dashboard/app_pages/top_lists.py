"""Top lists: Spotify's top tracks and artists per time range, and how ranks moved between daily snapshots."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.data import fetch

RANGES = {
    "short_term": "Last 4 weeks",
    "medium_term": "Last 6 months",
    "long_term": "Last year",
}
SHORT = {"short_term": "4 weeks", "medium_term": "6 months", "long_term": "1 year"}
HISTORY_DAYS = 90

context = ui.start(
    "Top lists",
    "What Spotify ranks as your top tracks and artists. Each pipeline run keeps a snapshot, so ranks have a history.",
)
if not (context.has("top_tracks") and context.has("top_artists")):
    ui.empty("The warehouse has no top lists yet: run the pipeline (`python pipeline.py`) to take the first snapshot.")
    st.stop()

snapshots = fetch(queries.top_snapshots, user_id=context.user_id)
if snapshots.empty:
    ui.empty("No top-list snapshot yet: the next pipeline run takes one (Spotify computes them from your plays).")
    st.stop()

time_range = st.segmented_control(
    "Time range",
    list(RANGES),
    format_func=RANGES.get,
    default="short_term",
    key="time_range",
    persist_state="session",
    required=True,
)
tracks_tab, artists_tab = st.tabs(["Top tracks", "Top artists"])

for kind, tab in (("tracks", tracks_tab), ("artists", artists_tab)):
    with tab:
        days = (
            snapshots[(snapshots["kind"] == kind) & (snapshots["time_range"] == time_range)]["snapshot_date"]
            .map(lambda value: pd.Timestamp(value).date())
            .tolist()
        )
        if not days:
            ui.empty(f"No snapshot of your top {kind} for “{RANGES[time_range]}” yet.")
            continue
        pick, note = st.columns([1, 3], vertical_alignment="bottom")
        with pick:
            snapshot_day: dt.date = st.selectbox(
                "Snapshot", days, format_func=ui.long_date, key=f"snapshot_{kind}", help="The day the list was read."
            )
        earlier = [day for day in days if day < snapshot_day]
        previous_day = earlier[0] if earlier else None
        with note:
            st.caption(
                f"Compared with the snapshot of {ui.long_date(previous_day)}."
                if previous_day
                else "This is the first snapshot: movements show from the next daily run on."
            )
        from_at, to_at = data.day_bounds_utc(previous_day or snapshot_day, snapshot_day)
        moves = fetch(
            queries.top_tracks_movement if kind == "tracks" else queries.top_artists_movement,
            user_id=context.user_id,
            time_range=time_range,
            snapshot_date=snapshot_day,
            previous_date=previous_day or snapshot_day,
            from_at=from_at,
            to_at=to_at,
        )
        if previous_day is None:
            moves["movement"] = "new"
        moves["move"] = [ui.movement_label(m, p) for m, p in zip(moves["movement"], moves["places"], strict=True)]
        current = moves[moves["movement"] != "out"]
        dropped = moves[moves["movement"] == "out"]

        if previous_day:
            climbers, fallers, newcomers, gone = st.columns(4)
            climbers.metric("Climbers", int((current["movement"] == "up").sum()), border=True)
            fallers.metric("Fallers", int((current["movement"] == "down").sum()), border=True)
            newcomers.metric("New entries", int((current["movement"] == "new").sum()), border=True)
            gone.metric("Dropped out", len(dropped), border=True)

        name_column = "track_name" if kind == "tracks" else "artist_name"
        columns = ["rank", "move", name_column] if previous_day else ["rank", name_column]
        config = {
            "rank": st.column_config.NumberColumn("#", format="%d", width="small"),
            "move": st.column_config.TextColumn("Move", width="small", help="Since the previous snapshot"),
            "track_name": "Track",
            "artist_name": "Artist",
            "album_name": "Album",
            "genres": "Genres",
            "popularity": st.column_config.ProgressColumn(
                "Popularity", min_value=0, max_value=100, format="%d", help="Spotify's 0-100 (extended tier only)"
            ),
        }
        columns += ["artist_name"] if kind == "tracks" else ["genres"]
        if current["popularity"].notna().any():
            columns.append("popularity")
        chart_column, table_column = st.columns([2, 3], gap="large")
        with table_column:
            ui.section(f"Your top {kind}", f"{RANGES[time_range]}, as of {ui.long_date(snapshot_day)}.")
            st.dataframe(
                current[columns], hide_index=True, column_config=config, height=min(35 * len(current) + 40, 740)
            )
            if not dropped.empty:
                st.caption(
                    f"Dropped out since {ui.long_date(previous_day)}: "
                    + ", ".join(
                        f"{name} (was #{int(rank)})"
                        for name, rank in zip(dropped[name_column], dropped["previous_rank"], strict=True)
                    )
                )
        snapshot_from, snapshot_to = data.day_bounds_utc(snapshot_day, snapshot_day)
        with chart_column:
            ui.section("Across time ranges", "Your current top 10 in the three time ranges of the same snapshot.")
            ranges = fetch(
                queries.top_tracks_across_ranges if kind == "tracks" else queries.top_artists_across_ranges,
                user_id=context.user_id,
                time_range=time_range,
                snapshot_date=snapshot_day,
                top_n=10,
                snapshot_from_at=snapshot_from,
                to_at=snapshot_to,
            )
            ranges["range_label"] = ranges["time_range"].map(SHORT)
            ui.chart(charts.across_ranges(ranges, list(SHORT.values())), key=f"top_{kind}_ranges")

            ui.section("Rank history", f"The current top 10 over the last {HISTORY_DAYS} days of snapshots.")
            history_from, history_to = data.day_bounds_utc(snapshot_day - dt.timedelta(days=HISTORY_DAYS), snapshot_day)
            history = fetch(
                queries.top_tracks_history if kind == "tracks" else queries.top_artists_history,
                user_id=context.user_id,
                time_range=time_range,
                snapshot_date=snapshot_day,
                top_n=10,
                from_at=history_from,
                to_at=history_to,
                snapshot_from_at=snapshot_from,
            )
            if history["snapshot_date"].nunique() < 2:
                ui.empty(
                    "One snapshot so far. The pipeline keeps one per day it runs: after a run on another day, "
                    "this chart shows who climbs and who falls."
                )
            else:
                ui.chart(charts.bump(history), key=f"top_{kind}_bump")
