"""Playlists: every playlist's size, length, owner, top artists and genres; one playlist's tracks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, queries, ui
from dashboard.data import fetch

context = ui.start("Playlists", "Your playlists, owned and followed: how big, how long, what is in them.")
playlists = fetch(queries.playlist_summaries, user_id=context.user_id)
removed = (
    fetch(queries.removed_playlists, user_id=context.user_id) if context.has("playlists_history") else pd.DataFrame()
)


def show_removed() -> None:
    """Playlists deleted or unfollowed since the warehouse first saw them: gone from Spotify, kept here."""
    if removed.empty:
        return
    ui.section("Removed playlists", "Deleted or unfollowed: dated by the run that first missed them.")
    st.dataframe(
        removed,
        hide_index=True,
        column_config={
            "playlist_name": "Playlist",
            "owner_id": "Owner",
            "track_count": st.column_config.NumberColumn("Entries", format="%d"),
            "removed_at": st.column_config.DatetimeColumn("Removed (UTC)", format="D MMM YYYY"),
        },
    )


if playlists.empty:
    ui.empty("No playlists in the warehouse: the pipeline reads them on its next run (`python pipeline.py`).")
    show_removed()
    st.stop()

own = playlists[playlists["is_own"].fillna(False).astype(bool)]
count, owned, entries, length = st.columns(4)
count.metric("Playlists", ui.number(len(playlists)), border=True)
owned.metric("Made by you", ui.number(len(own)), border=True)
entries.metric("Entries", ui.number(playlists["track_count"].sum()), border=True, help="As Spotify counts them.")
length.metric(
    "Hours of music",
    ui.hours(playlists["hours"].sum()),
    border=True,
    help="Entries the warehouse holds, added up; followed playlists may be missing (see below).",
)

ui.section("Sizes", "Entries per playlist; green ones are yours.")
ui.chart(charts.playlist_sizes(playlists), key="playlist_sizes")

st.dataframe(
    playlists.fillna({"top_artists": "—", "top_genres": "—"})[
        ["playlist_name", "owner", "track_count", "entries_loaded", "hours", "top_artists", "top_genres", "is_public"]
    ],
    hide_index=True,
    column_config={
        "playlist_name": st.column_config.TextColumn("Playlist", width="medium"),
        "owner": "Owner",
        "track_count": st.column_config.NumberColumn("Entries", format="%d", help="As Spotify counts them"),
        "entries_loaded": st.column_config.NumberColumn(
            "In warehouse",
            format="%d",
            help="Entries the pipeline read (up to its per-playlist limit; none for followed playlists in "
            "development mode)",
        ),
        "hours": st.column_config.NumberColumn("Hours", format="%.1f", help="Of the entries in the warehouse"),
        "top_artists": st.column_config.TextColumn("Top artists", width="large"),
        "top_genres": st.column_config.TextColumn("Top genres", width="medium"),
        "is_public": st.column_config.CheckboxColumn("Public"),
    },
)

show_removed()

st.divider()
names = dict(zip(playlists["playlist_id"], playlists["playlist_name"], strict=True))
chosen = st.selectbox("Open a playlist", list(names), format_func=names.get, key="playlist")
row = playlists[playlists["playlist_id"] == chosen].iloc[0]
st.subheader(row["playlist_name"])
st.caption(
    " · ".join(
        part
        for part in (
            f"by {row['owner']}",
            "public" if row["is_public"] else "private",
            "collaborative" if row["is_collaborative"] else None,
            ui.plural(row["track_count"], "entry", "entries"),
            f"{ui.number(row['entries_loaded'])} in the warehouse"
            if row["entries_loaded"] != row["track_count"]
            else None,
            f"{ui.hours(row['hours'])} hours" if row["hours"] >= 1 else ui.hours(row["hours"]),
        )
        if part
    )
)
if isinstance(row["description"], str) and row["description"].strip():
    st.markdown(f"> {row['description'].strip()}")

if not row["is_items_accessible"]:
    ui.empty(
        "Spotify does not let development-mode apps read the tracks of playlists you follow but neither own nor "
        "collaborate on (since November 2024). The playlist itself is listed; its tracks are not in the warehouse."
    )
    st.stop()

genre_column, tracks_column = st.columns([1, 2], gap="large")
with genre_column:
    ui.section("Genres")
    genres = fetch(queries.playlist_genres, user_id=context.user_id, playlist_id=chosen, limit=12)
    if genres.empty:
        ui.empty(
            "No genres known for this playlist's artists yet (development-mode apps fetch artist profiles a "
            "budget per run)."
        )
    else:
        ui.chart(
            charts.ranked_bars(genres, label="genre", value="tracks", value_title="Tracks", color=charts.ORANGE),
            key="playlist_genres",
        )
with tracks_column:
    ui.section("Tracks")
    tracks = fetch(queries.playlist_entries, user_id=context.user_id, playlist_id=chosen)
    if tracks.empty:
        ui.empty("The warehouse holds no entries of this playlist (it may be empty on Spotify too).")
    else:
        st.dataframe(
            tracks,
            hide_index=True,
            height=min(35 * len(tracks) + 40, 600),
            column_config={
                "position": st.column_config.NumberColumn("#", format="%d", width="small"),
                "title": "Title",
                "artist_name": "Artist",
                "album_name": "Album",
                "minutes": st.column_config.NumberColumn("Min", format="%.1f", width="small"),
                "item_type": st.column_config.TextColumn("Type", width="small"),
                "added_at": st.column_config.DatetimeColumn("Added (UTC)", format="D MMM YYYY"),
                "added_by": "Added by",
            },
        )

if context.has("playlist_tracks_history"):
    changes = fetch(queries.playlist_changes_by_month, user_id=context.user_id, playlist_id=chosen, tz=context.tz)
    if not changes.empty:
        ui.section(
            "Added and removed",
            "Entries added (up, by Spotify's date) and removed (down, by the run that first missed them) per month.",
        )
        ui.chart(charts.gains_and_losses(changes, added="Added", removed="Removed"), key="playlist_changes")
