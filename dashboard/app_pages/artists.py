"""Artists & genres: the genres you play and like, your artists by plays, and their popularity where known."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import charts, queries, ui
from dashboard.data import fetch

context = ui.start(
    "Artists & genres",
    "Genres come from Spotify's artist profiles; a play or a liked song counts for the track's primary artist.",
)
coverage = fetch(queries.artist_coverage).iloc[0]
artists_known = ui.count(coverage["artists"])
with_genres = ui.count(coverage["with_genres"])
with_popularity = ui.count(coverage["with_popularity"])

period_column, weight_column = st.columns([3, 1], vertical_alignment="bottom")
params = None
if context.plays is not None:
    with period_column:
        first, last = ui.date_range(context)
    params = ui.period_params(context, first, last)
with weight_column:
    weight = st.segmented_control(
        "Count genres by",
        ["Plays", "Liked songs"],
        default="Plays" if params else "Liked songs",
        key="genre_weight",
        required=True,
    )

known, profiles, genre_known, popular = st.columns(4)
known.metric("Artists in the warehouse", ui.number(artists_known), border=True)
profiles.metric(
    "Full profiles",
    ui.number(coverage["full_profiles"]),
    border=True,
    help="Artists whose profile (genres, picture) was fetched; the others are known from their tracks only.",
)
genre_known.metric("With genres", ui.number(with_genres), border=True)
popular.metric(
    "With popularity", ui.number(with_popularity), border=True, help="Spotify sends popularity to extended-tier apps."
)
if artists_known and ui.count(coverage["full_profiles"]) < artists_known:
    st.caption(
        f"{ui.number(artists_known - ui.count(coverage['full_profiles']))} artists have no full profile yet: "
        "development-mode apps fetch a budget of artist profiles per run, so genres fill in over the next runs."
    )

genre_column, artist_column = st.columns(2, gap="large")
with genre_column:
    ui.section("Genres")
    if weight == "Plays" and params:
        genres = fetch(queries.genres_by_plays, **params, limit=15)
        value, title = "plays", "Plays"
    else:
        genres = fetch(queries.genres_in_liked_songs, user_id=context.user_id, limit=15)
        value, title = "tracks", "Liked songs"
    if genres.empty:
        ui.empty(
            (
                "No plays in this period to count genres from."
                if weight == "Plays"
                else "No liked songs (with a known genre) to count genres from."
            )
            if with_genres
            else "The warehouse knows no artist genres yet: they come with full artist profiles, fetched by the "
            "pipeline's next runs."
        )
    else:
        ui.chart(
            charts.ranked_bars(
                genres,
                label="genre",
                value=value,
                value_title=title,
                color=charts.ORANGE,
                tooltip=[
                    alt.Tooltip("genre:N", title="Genre"),
                    alt.Tooltip(f"{value}:Q", title=title),
                    alt.Tooltip("artists:Q", title="Artists"),
                ],
            ),
            key="genre_bars",
        )

with artist_column:
    ui.section("Artists by plays")
    if params is None:
        ui.empty("No plays yet: the pipeline adds them run by run.")
        st.stop()
    top = fetch(queries.top_played_artists, **params, limit=15)
    if top.empty:
        ui.empty("No plays in this period: widen the period above.")
    else:
        ui.chart(
            charts.artist_play_bars(top),
            key="artist_bars",
        )

ui.section("Popularity", "Your plays against Spotify's popularity (0-100): the artists you love that few others do.")
everyone = fetch(queries.top_played_artists, **params, limit=200)
rated = everyone.dropna(subset=["popularity"])
if rated.empty:
    ui.empty(
        "Spotify sends artist popularity and followers only to extended-quota apps; this warehouse's app is in "
        "development mode (or no played artist has a full profile yet), so there is nothing to chart."
    )
else:
    chart_column, table_column = st.columns(2, gap="large")
    with chart_column:
        ui.chart(charts.popularity_scatter(rated.fillna({"followers": 0})), key="popularity")
    with table_column:
        st.dataframe(
            rated[["artist_name", "plays", "popularity", "followers"]],
            hide_index=True,
            height=380,
            column_config={
                "artist_name": "Artist",
                "plays": st.column_config.NumberColumn("Plays", format="%d"),
                "popularity": st.column_config.ProgressColumn("Popularity", min_value=0, max_value=100, format="%d"),
                "followers": st.column_config.NumberColumn("Followers", format="localized"),
            },
        )
