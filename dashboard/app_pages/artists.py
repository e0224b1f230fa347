"""Artists & genres: the genres you play and like, your artists by plays, and their popularity where known."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import charts, queries, ui
from dashboard.data import fetch

context = ui.start(
    "Artists & genres",
    "Genres come from Spotify's artist profiles, grouped into parent genres people recognise (the micro-genres are "
    "one click away); a play or a liked song counts for the track's primary artist.",
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


def genre_gap_caption(cover: pd.Series, by_plays: bool) -> None:
    """Say how much of the plays or liked songs has no genre (and why) instead of leaving it out silently."""
    if by_plays:
        whole, with_genre = ui.count(cover["plays"]), ui.count(cover["plays_with_genre"])
        minutes, minutes_with = float(cover["minutes"] or 0), float(cover["minutes_with_genre"] or 0)
        what = (
            f"{ui.percent(whole - with_genre, whole)} of this period's plays "
            f"({ui.percent(minutes - minutes_with, minutes)} of the listening time)"
        )
    else:
        whole, with_genre = ui.count(cover["tracks"]), ui.count(cover["tracks_with_genre"])
        what = f"{ui.percent(whole - with_genre, whole)} of the liked songs"
    if whole and with_genre < whole:
        st.caption(
            f"{what} have no genre and are not in the chart: their artist has no full profile yet (development-mode "
            "apps fetch a budget of profiles per run), Spotify gives the artist no genre, or the play comes from a "
            "data export and its track is unknown to the warehouse.",
            help=f"{ui.number(whole - with_genre)} of {ui.number(whole)} without a genre.",
        )


genre_column, artist_column = st.columns(2, gap="large")
with genre_column:
    ui.section("Genres")
    by_plays = bool(weight == "Plays" and params)
    if weight == "Plays" and params:
        genres = fetch(queries.parent_genres_by_plays, **params, limit=25)
        micro = fetch(queries.micro_genres_by_plays, **params)
        cover = fetch(queries.genre_coverage, **params).iloc[0]
        value, title, extra = "minutes", "Minutes", ("plays", "Plays")
    else:
        genres = fetch(queries.parent_genres_in_liked_songs, user_id=context.user_id, limit=25)
        micro = fetch(queries.micro_genres_in_liked_songs, user_id=context.user_id)
        cover = fetch(queries.liked_genre_coverage, user_id=context.user_id).iloc[0]
        value, title, extra = "tracks", "Liked songs", None
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
        st.caption(
            "Spotify's micro-genres grouped into parent genres (the rules: dbt_project/seeds/_seeds.yml); each "
            "play or song counts once, for the main parent genre of its track's primary artist."
        )
        ui.chart(
            charts.ranked_bars(
                genres,
                label="parent_genre",
                value=value,
                value_title=title,
                color=charts.ORANGE,
                tooltip=[
                    alt.Tooltip("parent_genre:N", title="Genre"),
                    alt.Tooltip(f"{value}:Q", title=title, format=",.0f"),
                    *([alt.Tooltip(f"{extra[0]}:Q", title=extra[1])] if extra else []),
                    alt.Tooltip("artists:Q", title="Artists"),
                ],
            ),
            key="genre_bars",
        )
    genre_gap_caption(cover, by_plays)
    if not micro.empty:
        with st.expander("Micro-genres of a parent genre"):
            listed = [*genres["parent_genre"], *sorted(set(micro["parent_genre"]) - set(genres["parent_genre"]))]
            chosen = st.selectbox("Parent genre", listed, key="parent_genre")
            columns = ["genre", value, *([extra[0]] if extra else []), "artists"]
            st.dataframe(
                micro.loc[micro["parent_genre"] == chosen, columns],
                hide_index=True,
                column_config={
                    "genre": "Micro-genre",
                    value: st.column_config.NumberColumn(title, format="%.0f"),
                    "plays": st.column_config.NumberColumn("Plays", format="%d"),
                    "artists": st.column_config.NumberColumn("Artists", format="%d"),
                },
                key="micro_genres",
            )
            st.caption(
                "A play or song counts here for every micro-genre of its track's primary artist, so these add up "
                "to more than the parent genre's bar."
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
