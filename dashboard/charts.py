"""Altair charts with one look: Spotify green for listening, one colour per meaning, readable on a laptop.

Why a module: every page draws with the same few builders, so colours mean the same everywhere (green = your
listening, blue = new, pink = falling) and axes, tooltips and sizes stay consistent. Builders take tidy DataFrames
from the queries and return charts; they never query.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

GREEN = "#1DB954"
GREEN_LIGHT = "#7FE3A5"
BLUE = "#509BF5"
ORANGE = "#F59B23"
PINK = "#E8115B"
LAVENDER = "#B49BC8"
YELLOW = "#FFC864"
GREY = "#8A8A8A"
# Categorical order for series with no meaning of their own (playlists, contexts, artists in a bump chart).
CATEGORICAL = [GREEN, BLUE, ORANGE, PINK, LAVENDER, YELLOW, "#19E6C8", "#FF7A59", "#A0C3D2", "#E1D5A2"]
# Sequential: from the dark background to green, for heatmaps.
SEQUENTIAL = ["#1A2A20", "#1B6B3A", GREEN, GREEN_LIGHT]
MOVEMENT_COLOURS = {"up": GREEN, "new": BLUE, "same": GREY, "down": PINK, "out": GREY}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _base(data: pd.DataFrame) -> alt.Chart:
    return alt.Chart(data)


def activity(frame: pd.DataFrame, *, date_field: str, unit: str, title: str) -> alt.Chart:
    """Plays per day or week as bars; the tooltip adds listening minutes."""
    time_unit = "yearmonthdate"
    label = "Day" if unit == "day" else "Week of"
    return (
        _base(frame)
        .mark_bar(color=GREEN, cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=alt.X(f"{date_field}:T", timeUnit=time_unit, title=None, axis=alt.Axis(format="%d %b", labelAngle=0)),
            y=alt.Y("plays:Q", title="Plays"),
            tooltip=[
                alt.Tooltip(f"{date_field}:T", timeUnit=time_unit, title=label, format="%a %d %b %Y"),
                alt.Tooltip("plays:Q", title="Plays", format=","),
                alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
            ],
        )
        .properties(height=260, title=title)
    )


def heatmap(frame: pd.DataFrame) -> alt.Chart:
    """Plays by hour of day × weekday, every one of the 7 × 24 cells drawn (empty hours are information too)."""
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour_of_day"]).to_frame(index=False)
    counts = frame[["weekday", "hour_of_day", "plays"]].astype({"weekday": int, "hour_of_day": int, "plays": int})
    cells = grid.merge(counts, how="left", on=["weekday", "hour_of_day"]).fillna({"plays": 0})
    cells["day"] = cells["weekday"].map(lambda number: WEEKDAYS[number - 1])
    cells["hour"] = cells["hour_of_day"].map(lambda hour: f"{hour:02d}h")
    return (
        _base(cells)
        .mark_rect(cornerRadius=3, stroke="#121212", strokeWidth=2)
        .encode(
            x=alt.X("hour:O", title="Hour of day", sort=None, axis=alt.Axis(labelAngle=0, labelExpr=_every_third())),
            y=alt.Y("day:O", title=None, sort=WEEKDAYS),
            color=alt.Color(
                "plays:Q", title="Plays", scale=alt.Scale(range=SEQUENTIAL), legend=alt.Legend(orient="right")
            ),
            tooltip=[alt.Tooltip("day:O", title="Day"), alt.Tooltip("hour:O", title="Hour"), "plays:Q"],
        )
        .properties(height=250)
    )


def _every_third() -> str:
    return "indexof(['00h','03h','06h','09h','12h','15h','18h','21h'], datum.value) >= 0 ? datum.value : ''"


def ranked_bars(
    frame: pd.DataFrame,
    *,
    label: str,
    value: str,
    value_title: str,
    color: str = GREEN,
    tooltip: list[alt.Tooltip] | None = None,
    label_title: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars, largest on top, the value printed at the end of each bar."""
    height = 34 * len(frame) + 50
    base = _base(frame).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=label_title, axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{value}:Q", title=value_title),
        tooltip=tooltip or [alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=",")],
    )
    bars = base.mark_bar(color=color, cornerRadiusTopRight=3, cornerRadiusBottomRight=3)
    text = base.mark_text(align="left", dx=4, color="#DDDDDD").encode(text=alt.Text(f"{value}:Q", format=",.0f"))
    return (bars + text).properties(height=height)


def track_play_bars(frame: pd.DataFrame) -> alt.LayerChart:
    """Tracks ranked by plays: one chart, the same on every page that shows it (Overview, Listening)."""
    tooltip = [alt.Tooltip("track_name:N", title="Track"), alt.Tooltip("artist_name:N", title="Artist")]
    if "album_name" in frame.columns:
        tooltip.append(alt.Tooltip("album_name:N", title="Album"))
    tooltip.append(alt.Tooltip("plays:Q", title="Plays"))
    return ranked_bars(frame, label="track_name", value="plays", value_title="Plays", tooltip=tooltip)


def artist_play_bars(frame: pd.DataFrame) -> alt.LayerChart:
    """Artists ranked by plays: one chart, the same on every page that shows it (Overview, Listening, Artists)."""
    tooltip = [alt.Tooltip("artist_name:N", title="Artist"), alt.Tooltip("plays:Q", title="Plays")]
    if "tracks" in frame.columns:
        tooltip.append(alt.Tooltip("tracks:Q", title="Different tracks"))
    tooltip.append(alt.Tooltip("genres:N", title="Genres"))
    return ranked_bars(frame, label="artist_name", value="plays", value_title="Plays", color=BLUE, tooltip=tooltip)


def bump(frame: pd.DataFrame) -> alt.LayerChart:
    """Rank over snapshots (rank 1 on top): who climbs and who falls."""
    top = int(frame["rank"].max()) if not frame.empty else 10
    base = _base(frame).encode(
        x=alt.X("snapshot_date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0)),
        y=alt.Y("rank:Q", title="Rank", scale=alt.Scale(reverse=True, domain=[1, max(top, 2)], nice=False)),
        color=alt.Color("name:N", title=None, scale=alt.Scale(range=CATEGORICAL), legend=alt.Legend(labelLimit=220)),
        tooltip=[alt.Tooltip("name:N", title="Name"), alt.Tooltip("snapshot_date:T", title="Day"), "rank:Q"],
    )
    return (base.mark_line(strokeWidth=2.5) + base.mark_circle(size=70, opacity=1)).properties(height=320)


def donut(frame: pd.DataFrame, *, category: str, value: str, title: str) -> alt.Chart:
    """Shares of a whole (where plays started from)."""
    return (
        _base(frame)
        .mark_arc(innerRadius=60, outerRadius=100, stroke="#121212", strokeWidth=2)
        .encode(
            theta=alt.Theta(f"{value}:Q"),
            color=alt.Color(
                f"{category}:N",
                title=None,
                scale=alt.Scale(range=CATEGORICAL),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=120),
            ),
            tooltip=[alt.Tooltip(f"{category}:N", title=title), alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(height=300)
    )


def popularity_scatter(frame: pd.DataFrame) -> alt.Chart:
    """Your plays against Spotify's popularity: the niche artists you love sit bottom right."""
    return (
        _base(frame)
        .mark_circle(color=GREEN, opacity=0.8, stroke="#121212")
        .encode(
            x=alt.X("plays:Q", title="Your plays", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("popularity:Q", title="Spotify popularity (0-100)", scale=alt.Scale(domain=[0, 100])),
            size=alt.Size("followers:Q", title="Followers", scale=alt.Scale(range=[40, 600])),
            tooltip=[
                alt.Tooltip("artist_name:N", title="Artist"),
                alt.Tooltip("plays:Q", title="Plays"),
                alt.Tooltip("popularity:Q", title="Popularity"),
                alt.Tooltip("followers:Q", title="Followers", format=","),
            ],
        )
        .properties(height=320)
    )


def feature_histogram(frame: pd.DataFrame, feature: str) -> alt.Chart:
    """How many tracks fall in each twentieth of a 0-1 feature (one small chart; the page lays them in a grid)."""
    return (
        _base(frame[[feature]].dropna())
        .mark_bar(color=GREEN, opacity=0.9, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X(f"{feature}:Q", bin=alt.Bin(extent=[0, 1], step=0.05), title=None, axis=alt.Axis(format=".1f")),
            y=alt.Y("count():Q", title=None),
            tooltip=[alt.Tooltip(f"{feature}:Q", bin=alt.Bin(extent=[0, 1], step=0.05), title=feature), "count():Q"],
        )
        .properties(height=150, title=alt.TitleParams(feature.capitalize(), anchor="start", fontSize=13))
    )


def mood_map(frame: pd.DataFrame) -> alt.LayerChart:
    """Valence (musical positiveness) against energy: four moods, one dot per track."""
    quadrants = pd.DataFrame(
        {
            "valence": [0.03, 0.97, 0.03, 0.97],
            "energy": [0.97, 0.97, 0.03, 0.03],
            "label": ["Tense, intense", "Happy, energetic", "Sad, calm", "Peaceful, content"],
            "align": ["left", "right", "left", "right"],
        }
    )
    points = (
        _base(frame)
        .mark_circle(color=GREEN, opacity=0.55, size=45)
        .encode(
            x=alt.X("valence:Q", title="Valence (sad → happy)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("energy:Q", title="Energy (calm → intense)", scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("track_name:N", title="Track"),
                alt.Tooltip("artist_name:N", title="Artist"),
                alt.Tooltip("valence:Q", format=".2f"),
                alt.Tooltip("energy:Q", format=".2f"),
            ],
        )
    )
    rules = _base(pd.DataFrame({"v": [0.5]}))
    cross = rules.mark_rule(color="#444444", strokeDash=[4, 4]).encode(x="v:Q") + rules.mark_rule(
        color="#444444", strokeDash=[4, 4]
    ).encode(y="v:Q")
    left = (
        _base(quadrants[quadrants["align"] == "left"])
        .mark_text(align="left", color=GREY, fontSize=12)
        .encode(x="valence:Q", y="energy:Q", text="label:N")
    )
    right = (
        _base(quadrants[quadrants["align"] == "right"])
        .mark_text(align="right", color=GREY, fontSize=12)
        .encode(x="valence:Q", y="energy:Q", text="label:N")
    )
    return (cross + points + left + right).properties(height=380)


def feature_profile(frame: pd.DataFrame, features: list[str]) -> alt.LayerChart:
    """Average feature per playlist as a heatmap: each playlist's sound in one row."""
    long = frame.melt(id_vars=["playlist_name", "tracks"], value_vars=features, var_name="feature", value_name="mean")
    base = _base(long).encode(
        x=alt.X("feature:N", title=None, sort=features, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("playlist_name:N", title=None, axis=alt.Axis(labelLimit=220)),
    )
    cells = base.mark_rect(cornerRadius=3, stroke="#121212", strokeWidth=2).encode(
        color=alt.Color("mean:Q", title="Average", scale=alt.Scale(domain=[0, 1], range=SEQUENTIAL)),
        tooltip=[
            alt.Tooltip("playlist_name:N", title="Playlist"),
            alt.Tooltip("feature:N", title="Feature"),
            alt.Tooltip("mean:Q", title="Average", format=".2f"),
            alt.Tooltip("tracks:Q", title="Tracks with features"),
        ],
    )
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text("mean:Q", format=".2f"),
        color=alt.condition("datum.mean > 0.55", alt.value("#0B0B0B"), alt.value("#E6E6E6")),
    )
    return (cells + labels).properties(height=max(160, 30 * frame["playlist_name"].nunique() + 40))


def tempo_histogram(frame: pd.DataFrame) -> alt.Chart:
    """Tempo in beats per minute (its own scale, so its own colour)."""
    return (
        _base(frame[["tempo"]].dropna())
        .mark_bar(color=BLUE, opacity=0.9, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X("tempo:Q", bin=alt.Bin(step=10), title=None),
            y=alt.Y("count():Q", title=None),
            tooltip=[alt.Tooltip("tempo:Q", bin=alt.Bin(step=10), title="BPM"), "count():Q"],
        )
        .properties(height=150, title=alt.TitleParams("Tempo (BPM)", anchor="start", fontSize=13))
    )


def table_sizes(frame: pd.DataFrame) -> alt.LayerChart:
    """Rows per final table."""
    return ranked_bars(frame, label="table_name", value="row_count", value_title="Rows", color=BLUE)


def across_ranges(frame: pd.DataFrame, order: list[str]) -> alt.LayerChart:
    """Ranks of the same names in the three time ranges: a line rising to the right is a lasting favourite,
    one that starts only on the left is a new love."""
    top = int(frame["rank"].max()) if not frame.empty else 10
    base = _base(frame).encode(
        x=alt.X("range_label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, orient="top", labelOverlap=False)),
        y=alt.Y("rank:Q", title="Rank", scale=alt.Scale(reverse=True, domain=[1, max(top, 2)], nice=False)),
        color=alt.Color(
            "name:N",
            title=None,
            scale=alt.Scale(range=CATEGORICAL),
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=200),
        ),
        detail="name:N",
        tooltip=[alt.Tooltip("name:N", title="Name"), alt.Tooltip("range_label:N", title="Time range"), "rank:Q"],
    )
    return (base.mark_line(strokeWidth=2.5) + base.mark_circle(size=80, opacity=1)).properties(height=420)


def playlist_sizes(frame: pd.DataFrame) -> alt.Chart:
    """Entries per playlist, yours in green, followed ones in lavender."""
    made_by = frame.assign(made_by=frame["is_own"].map({True: "You", False: "Others"}).fillna("Others"))
    return (
        _base(made_by)
        .mark_bar(cornerRadiusTopRight=3, cornerRadiusBottomRight=3)
        .encode(
            y=alt.Y("playlist_name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X("track_count:Q", title="Entries"),
            color=alt.Color(
                "made_by:N", title="Made by", scale=alt.Scale(domain=["You", "Others"], range=[GREEN, LAVENDER])
            ),
            tooltip=[
                alt.Tooltip("playlist_name:N", title="Playlist"),
                alt.Tooltip("owner:N", title="Owner"),
                alt.Tooltip("track_count:Q", title="Entries"),
                alt.Tooltip("hours:Q", title="Hours", format=".1f"),
                alt.Tooltip("top_genres:N", title="Top genres"),
            ],
        )
        .properties(height=max(160, 24 * len(made_by) + 40))
    )


def gains_and_losses(frame: pd.DataFrame, *, added: str, removed: str) -> alt.Chart:
    """Per month, what came in (up, green) and what went (down, pink): a library's changes at a glance."""
    long = pd.concat(
        [
            frame.assign(change=added, count=frame["added"]),
            frame.assign(change=removed, count=-frame["removed"]),
        ]
    )
    return (
        _base(long)
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("count:Q", title="Songs", axis=alt.Axis(tickMinStep=1, format="d")),  # whole songs
            color=alt.Color("change:N", title=None, scale=alt.Scale(domain=[added, removed], range=[GREEN, PINK])),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("change:N", title="Change"),
                alt.Tooltip("added:Q", title=added),
                alt.Tooltip("removed:Q", title=removed),
            ],
        )
        .properties(height=220)
    )


def months_against_previous(frame: pd.DataFrame, *, current: str, previous: str) -> alt.Chart:
    """Minutes per month of the period (green) beside the same month of the period before (grey): `month_index`
    orders the months, `label` names them, `series` is `current` or `previous`."""
    return (
        _base(frame)
        .mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X("label:N", sort=alt.SortField("month_index"), title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", sort=[previous, current]),
            y=alt.Y("minutes:Q", title="Minutes"),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=[current, previous], range=[GREEN, GREY]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("series:N", title="Period"),
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
            ],
        )
        .properties(height=260)
    )


def sessions_by_start_hour(frame: pd.DataFrame) -> alt.Chart:
    """How many sessions start at each local hour (`hour`, `sessions`), every hour drawn."""
    hours = pd.DataFrame({"hour": range(24)}).merge(frame, how="left", on="hour").fillna({"sessions": 0})
    hours["label"] = hours["hour"].map(lambda hour: f"{int(hour):02d}h")
    return (
        _base(hours)
        .mark_bar(color=GREEN, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelExpr=_every_third(), labelAngle=0)),
            y=alt.Y("sessions:Q", title="Sessions started"),
            tooltip=[alt.Tooltip("label:N", title="Hour"), alt.Tooltip("sessions:Q", title="Sessions", format=",")],
        )
        .properties(height=220)
    )


def overlap_by_month(frame: pd.DataFrame) -> alt.LayerChart:
    """Two shares per month as lines on a 0-100% scale (`month`, `measure`, `value`): how much two people's
    listening overlaps, month after month."""
    base = _base(frame).encode(
        x=alt.X("month:T", timeUnit="yearmonth", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", scale=alt.Scale(range=[GREEN, BLUE]), legend=alt.Legend(title=None, orient="top")),
        tooltip=[
            alt.Tooltip("month:T", timeUnit="yearmonth", title="Month", format="%B %Y"),
            alt.Tooltip("measure:N", title="Measure"),
            alt.Tooltip("value:Q", title="Share", format=".0%"),
        ],
    )
    return (base.mark_line(strokeWidth=2.5) + base.mark_circle(size=60, opacity=1)).properties(height=260)
