"""Audio features: how your music sounds (distributions, mood map, per-playlist profile), where Spotify allows it."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.data import fetch
from dashboard.queries import UNIT_FEATURES

context = ui.start(
    "Audio features",
    "Spotify's measures of how a track sounds: danceability, energy, valence (happiness), acousticness and more.",
)
coverage = fetch(queries.feature_coverage).iloc[0]
if not ui.count(coverage["tracks_with_features"]):
    latest = data.runs(context.status, context.user_id, limit=1)
    tier = latest[0].tier if latest else None
    st.info(
        "**No audio features in this warehouse — and that is expected.**\n\n"
        "On 27 November 2024 Spotify stopped serving audio features (and audio analysis, recommendations, "
        "related artists) to apps in *development mode*, which is what every personal app created since then "
        "is. Apps with extended quota, granted by Spotify to organisations, still receive them.\n\n"
        + (
            f"The last pipeline run used a **{tier}**-tier app"
            + (", so the pipeline did not ask for them." if tier == "development" else ".")
            if tier
            else "No pipeline run is recorded here."
        )
        + " Everything else on this dashboard works without them.",
        icon=":material/block:",
    )
    st.caption(
        f"{ui.number(coverage['tracks'])} tracks in the warehouse, none with features. If your app gains "
        "extended quota, the next run fetches features for every track that lacks them."
    )
    st.stop()

st.caption(
    f"{ui.number(coverage['tracks_with_features'])} of {ui.number(coverage['tracks'])} tracks in the warehouse "
    "have audio features."
)
playlists = fetch(queries.playlist_summaries, user_id=context.user_id)
readable = playlists[playlists["entries_loaded"] > 0]
scopes = ["library", "liked", *readable["playlist_id"].tolist()]
labels = {"library": "Your whole library", "liked": "Liked songs"} | dict(
    zip(readable["playlist_id"], readable["playlist_name"], strict=True)
)
scope = st.selectbox("Tracks", scopes, format_func=labels.get, key="feature_scope")

if scope == "library":
    first, last = (context.plays.first_day, context.plays.last_day) if context.plays else (dt.date.today(),) * 2
    params = ui.period_params(context, first, last)
    features = fetch(queries.features_of_library, **params)
elif scope == "liked":
    features = fetch(queries.features_of_liked_songs, user_id=context.user_id)
else:
    features = fetch(queries.features_of_playlist, user_id=context.user_id, playlist_id=scope)

if features.empty:
    ui.empty(f"No track of “{labels[scope]}” has audio features in the warehouse (or there is no track yet).")
    st.stop()

averages = st.columns(5)
for column, feature in zip(averages, ("danceability", "energy", "valence", "acousticness", "tempo"), strict=True):
    value = features[feature].mean()
    column.metric(
        feature.capitalize(),
        f"{value:.0f} BPM" if feature == "tempo" else f"{value:.2f}",
        border=True,
        help=f"Average over {ui.number(len(features))} tracks" + ("" if feature == "tempo" else " (0 to 1)."),
    )

ui.section("Distributions", f"{labels[scope]}: how many tracks fall in each range, per feature (0 to 1).")
grid = [*st.columns(4), *st.columns(4)]
for column, feature in zip(grid, UNIT_FEATURES, strict=False):
    with column:
        ui.chart(charts.feature_histogram(features, feature), key=f"histogram_{feature}")
with grid[len(UNIT_FEATURES)]:
    ui.chart(charts.tempo_histogram(features), key="histogram_tempo")

mood_column, quadrant_column = st.columns([3, 1], gap="large")
with mood_column:
    ui.section("Mood map", "Each dot is a track: happier to the right, more intense to the top.")
    ui.chart(charts.mood_map(features), key="mood_map")
with quadrant_column:
    ui.section("Moods")
    happy = features["valence"] >= 0.5
    intense = features["energy"] >= 0.5
    for label, mask in (
        ("Happy, energetic", happy & intense),
        ("Tense, intense", ~happy & intense),
        ("Peaceful, content", happy & ~intense),
        ("Sad, calm", ~happy & ~intense),
    ):
        st.metric(label, f"{mask.mean():.0%}", border=True, help=f"{ui.plural(mask.sum(), 'track')}")

ui.section("Playlist profiles", "The average of each feature per playlist: each playlist's sound in one row.")
profiles = fetch(queries.playlist_feature_profiles, user_id=context.user_id)
if profiles.empty:
    ui.empty("No playlist track has audio features yet.")
else:
    ui.chart(charts.feature_profile(profiles, list(UNIT_FEATURES)), key="feature_profiles")
