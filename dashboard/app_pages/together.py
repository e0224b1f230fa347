"""Together: two accounts of the same warehouse side by side, for a household that loads several.

Only the accounts of the warehouse the viewer opened are compared (the statements of dashboard/queries/together.py
read its marts and nothing else). The play rules are Wrapped's (`play_lengths`: a play is a stream of 30 s or more,
minutes are all the time played), so a person's figures here agree with their Wrapped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.data import fetch

TOP = 15

context = ui.start(
    "Together",
    "What two people of this warehouse share: artists and tracks, how their taste overlaps month by month, and who "
    "found an artist first. A play is a stream of 30 seconds or more, as in Wrapped. Days and months are in your "
    "time zone.",
)
users = context.status.users
names: dict[str, str] = dict(zip(users["user_id"], users["display_name"], strict=True))
if len(names) < 2:
    st.info(
        "**Together needs a second person.** This warehouse holds one account. Each person of the household logs "
        "in once under a name of their own, then one run loads everyone:",
        icon=":material/group_add:",
    )
    st.code("python pipeline.py auth --account NAME\npython pipeline.py run", language="bash")
    st.caption("To try it first, a warehouse with two emulated accounts (no Spotify account, no network):")
    st.code("python pipeline.py demo --accounts 2", language="bash")
    st.stop()
if not context.has("play_lengths"):
    ui.empty("The final table `play_lengths` is missing: run `dbt build` (or `python pipeline.py`) to create it.")
    st.stop()

# --- who: the account of the sidebar and one other ---

me = context.user_id
others = [user_id for user_id in names if user_id != me]
if len(others) == 1:
    other = others[0]
else:
    other = st.selectbox(
        "Compare with",
        others,
        format_func=lambda user_id: names[user_id],
        key=f"together_with_{me}",  # one per account: the other options change with the sidebar's choice
        help="The first person is the account chosen in the sidebar.",
    )
a, b = names[me], names[other]
if a == b:  # two accounts with one display name: tell them apart by id
    a, b = f"{a} ({me})", f"{b} ({other})"

mine, theirs = context.plays, data.play_range(other, context.tz)
if mine is None or theirs is None:
    nobody = [name for name, plays in ((a, mine), (b, theirs)) if plays is None]
    ui.empty(
        f"No plays yet for {' and '.join(nobody)}: there is nothing to compare. Each pipeline run adds the plays "
        "since the previous one; a data export (`python pipeline.py import-export <the zip>`) adds the whole history."
    )
    st.stop()

# --- when: a period over both histories, ending on the last play of either ---

both = data.PlayRange(min(mine.first_day, theirs.first_day), max(mine.last_day, theirs.last_day), 0)
first, last, _ = ui.preset_period(dataclasses.replace(context, plays=both), key="together_period")
start_at, end_at = data.utc_bounds(first, last, context.tz)
params: dict[str, Any] = {
    "user_id": me,
    "other_user_id": other,
    "tz": context.tz,
    "start_at": start_at,
    "end_at": end_at,
}
st.caption(f"**{a}** and **{b}** · {ui.long_date(first)} – {ui.long_date(last)}")

overlap = fetch(queries.together_overlap, **params).iloc[0]
if not ui.count(overlap["any_artists"]):
    ui.empty(f"Neither {a} nor {b} played music in this period: choose a longer one above.")
    st.stop()


def share(value: Any) -> str:
    """42% (— when there is nothing to share: no plays that count)."""
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


shared_column, overlap_column, minutes_column = st.columns(3)
shared_column.metric(
    "Artists in common",
    f"{ui.number(overlap['shared_artists'])} of {ui.number(overlap['any_artists'])}",
    border=True,
    help=f"Artists both played in the period, of all those either played ({a}: "
    f"{ui.number(overlap['artists_a'])}, {b}: {ui.number(overlap['artists_b'])}).",
)
overlap_column.metric(
    "Taste overlap",
    share(overlap["jaccard"]),
    border=True,
    help="The artists both played over the artists either played (Jaccard index): 0% nothing in common, "
    "100% the very same artists.",
)
minutes_column.metric(
    "Minutes on shared artists",
    share(overlap["shared_minutes_share"]),
    border=True,
    help=f"Of the music minutes of both ({overlap['minutes_a']:,.0f} min for {a}, {overlap['minutes_b']:,.0f} "
    f"for {b}), the share spent on the artists both played.",
)

# --- shared artists and tracks ---


def side_by_side(frame: pd.DataFrame, **names_of: str) -> None:
    """A shared list: each person's plays and minutes, under their names."""
    st.dataframe(
        frame.drop(columns=["shared_plays"]),
        hide_index=True,
        column_config={
            **names_of,
            "plays_a": st.column_config.NumberColumn(f"{a}: plays", format="%d"),
            "plays_b": st.column_config.NumberColumn(f"{b}: plays", format="%d"),
            "minutes_a": st.column_config.NumberColumn(f"{a}: min", format="%.0f"),
            "minutes_b": st.column_config.NumberColumn(f"{b}: min", format="%.0f"),
        },
    )


ui.section(
    "Shared top artists and tracks",
    "Played by both in the period, ranked by the smaller of the two play counts: an artist ranks high only when "
    "both played it a lot. Minutes are all the time played, skips included.",
)
artists_tab, tracks_tab = st.tabs(["Artists", "Tracks"])  # full width: four figures per row
with artists_tab:
    shared_artists = fetch(queries.together_artists, **params, limit=TOP)
    if shared_artists.empty:
        ui.empty("No artist both played in this period.")
    else:
        side_by_side(shared_artists, name="Artist")
with tracks_tab:
    shared_tracks = fetch(queries.together_tracks, **params, limit=TOP)
    if shared_tracks.empty:
        ui.empty("No track both played in this period.")
    else:
        side_by_side(shared_tracks, name="Track", artist="Artist")

# --- overlap over time ---

ui.section(
    "Taste overlap over time",
    f"Per month ({context.tz}): the artists both played over those either played, and the share of both people's "
    f"music minutes spent on artists both played that month. Over the whole period: {share(overlap['jaccard'])} "
    "of the artists in common.",
)
months = fetch(queries.together_overlap_by_month, **params)
lines = months.melt(
    id_vars=["month"],
    value_vars=["jaccard", "shared_minutes_share"],
    var_name="measure",
    value_name="value",
).dropna(subset=["value"])
lines["measure"] = lines["measure"].map({"jaccard": "Artists in common", "shared_minutes_share": "Minutes on them"})
if lines.empty:
    ui.empty("No month of this period has plays that count.")
else:
    ui.chart(charts.overlap_by_month(lines), key="together_overlap")

# --- discoveries: all of both histories ---

history_start_at, history_end_at = data.utc_bounds(both.first_day, both.last_day, context.tz)
history = params | {"start_at": history_start_at, "end_at": history_end_at}
counts = fetch(queries.together_discovery_counts, **history).iloc[0]
ui.section(
    "Who discovered an artist first",
    "Of the artists both have played, ever (not only in the period): whose first play came first, and how long "
    "before the other's.",
)
if not ui.count(counts["shared_artists"]):
    ui.empty(f"{a} and {b} have no artist in common yet.")
    st.stop()
at_once = ui.count(counts["found_together"])
together_note = f", {ui.plural(at_once, 'artist')} at the same moment" if at_once else ""
st.markdown(
    f"**{a}** found {ui.plural(counts['found_first_a'], 'artist')} first, **{b}** "
    f"{ui.number(counts['found_first_b'])}{together_note} (of {ui.plural(counts['shared_artists'], 'shared artist')})."
)


def ahead(days: Any) -> str:
    """How long before the other, in the unit a person would say: 5 hours, 12 days, 4 months, 3 years."""
    days = float(days or 0)
    if days <= 0:
        return "at the same moment"
    for size, unit, at_least in ((365, "year", 730), (30, "month", 60), (1, "day", 1), (1 / 24, "hour", 1 / 24)):
        if days >= at_least:
            return ui.plural(int(days // size), unit)
    return ui.plural(max(1, round(days * 24 * 60)), "minute")


latest = fetch(queries.together_discoveries, **history, limit=TOP)
table = pd.DataFrame(
    {
        "artist": latest["name"],
        "first": latest["first_by"].map({"a": a, "b": b, "both": "both"}),
        "ahead": latest["days_ahead"].map(ahead),
        "first_a": [ui.when(data.to_local(value, context.tz)) for value in latest["first_played_a"]],
        "first_b": [ui.when(data.to_local(value, context.tz)) for value in latest["first_played_b"]],
    }
)
st.caption(f"The latest discoveries, newest first. Times in {context.tz}.")
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "artist": "Artist",
        "first": "Found first",
        "ahead": "Ahead by",
        "first_a": f"{a}: first play",
        "first_b": f"{b}: first play",
    },
)
