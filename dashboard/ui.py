"""What every page shares: its frame (title, the "no data yet" state, the sidebar), period pickers, formats.

Why here: the pages differ only in widgets, queries and charts; the checks every page needs before drawing
(is there a warehouse, any data, which account, which time zone) are written once, so no page forgets one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, warehouse
from dashboard.queries import FINAL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a page knows before it draws: the warehouse's state, the account, the viewer's time zone, plays."""

    status: data.Status
    user_id: str
    user_name: str
    tz: str
    plays: data.PlayRange | None

    def has(self, table: str) -> bool:
        return self.status.has(FINAL, table)


def start(title: str, intro: str) -> Context:
    """Title the page, check the warehouse, pick the account: stops with an explanation when there is no data."""
    st.set_page_config(page_title=f"{title} · Spotify warehouse")
    st.title(title)
    st.caption(intro)
    current = data.status()
    if not current.has_data:
        no_data_yet(current)
        st.stop()
    user_id, user_name = choose_account(current.users)
    tz = data.viewer_timezone()
    plays = data.play_range(user_id, tz) if current.has(FINAL, "listening_history") else None
    context = Context(current, user_id, user_name, tz, plays)
    sidebar(context)
    return context


def no_data_yet(current: data.Status) -> None:
    """The empty warehouse: what it is, and the one command that fills it."""
    st.info(
        "**No data yet.** The warehouse has no Spotify data to show "
        f"({current.description}{'' if current.has(FINAL, 'users') else ', no `spotify` tables'}).",
        icon=":material/hourglass_empty:",
    )
    left, right = st.columns(2, border=True)
    with left:
        st.markdown("**Try it with an emulated account** (no Spotify account, no network, a minute):")
        st.code(warehouse.DEMO_COMMAND, language="bash")
    with right:
        st.markdown("**Load your own account** (after putting your app's credentials in `.dlt/secrets.toml`):")
        st.code("python pipeline.py", language="bash")
    st.caption(
        "Both write to the DuckDB file `$SPOTIFY_DUCKDB` (default `data/warehouse.duckdb`), which this dashboard "
        "reads; reload this page when the run has finished."
    )


ACCOUNT = "account"
"""The account picker's widget key and its query parameter: `?account=<user_id>` opens that person's dashboard."""
CHOSEN_ACCOUNT = "chosen_account"
"""The session's choice, kept apart from the widget: a page switch drops a widget's state (and the URL's
parameters) before the next page runs, and that page's picker starts from this."""


def choose_account(users: pd.DataFrame) -> tuple[str, str]:
    """The account to show: the only one, or the one the URL names (`?account=`), else the one chosen earlier in
    the session, else the first. With several, a selector in the sidebar, and the choice written back to the URL,
    so that a bookmark or a reload opens the same person. An id the warehouse does not hold (an old bookmark, a
    typo) falls back to the first account with a short notice."""
    ids = users["user_id"].tolist()
    names = dict(zip(users["user_id"], users["display_name"], strict=True))
    requested = st.query_params.get(ACCOUNT)
    if requested is not None and requested not in ids:
        st.info(f"No account `{requested}` in this warehouse: showing {names[ids[0]]}.", icon=":material/person_off:")
        requested = ids[0]
        if len(ids) == 1:
            del st.query_params[ACCOUNT]
    if len(ids) == 1:
        return ids[0], names[ids[0]]
    remembered = st.session_state.get(CHOSEN_ACCOUNT)
    # The URL wins (a bookmark, a reload, an address typed in), then the session's choice, then the first account.
    st.session_state[ACCOUNT] = requested or (remembered if remembered in ids else ids[0])
    chosen = st.sidebar.selectbox(
        "Account", ids, format_func=lambda user_id: names[user_id], key=ACCOUNT, on_change=_remember_account
    )
    st.session_state[CHOSEN_ACCOUNT] = chosen
    st.query_params[ACCOUNT] = chosen
    return chosen, names[chosen]


def _remember_account() -> None:
    """A choice in the selector goes to the session and the URL before the page runs again, so the URL (which
    wins) names the new account."""
    st.session_state[CHOSEN_ACCOUNT] = st.session_state[ACCOUNT]
    st.query_params[ACCOUNT] = st.session_state[ACCOUNT]


def sidebar(context: Context) -> None:
    """Who, where and how fresh: under the navigation on every page."""
    refreshed = data.last_refreshed(context.status, context.user_id)
    with st.sidebar:
        st.markdown(f"**{context.user_name}**")
        lines = [f"Refreshed {ago(refreshed)}" if refreshed else "No pipeline run recorded"]
        if context.plays:
            lines.append(f"Plays {long_date(context.plays.first_day)} – {long_date(context.plays.last_day)}")
        lines.append(f"Times in {context.tz}")
        st.caption("  \n".join(lines))
        st.caption(context.status.description)


# --- periods ---

PRESETS: dict[str, int | None] = {"7 days": 7, "30 days": 30, "90 days": 90, "12 months": 365, "All time": None}


def preset_period(context: Context, *, key: str = "overview_period") -> tuple[dt.date, dt.date, str]:
    """A period ending on the last day with plays (the data's own end, not today): (first, last, label)."""
    assert context.plays is not None
    choice = st.segmented_control(
        "Period", list(PRESETS), default="All time", key=key, persist_state="session", required=True
    )
    days = PRESETS.get(choice or "All time")
    last = context.plays.last_day
    first = context.plays.first_day if days is None else max(context.plays.first_day, last - dt.timedelta(days - 1))
    label = "all time" if days is None else f"the last {choice} of your history"
    return first, last, label


def date_range(context: Context, *, key: str = "period") -> tuple[dt.date, dt.date]:
    """A date-range filter over the listening history, defaulting to all of it; shared by the pages that use it."""
    assert context.plays is not None
    first, last = context.plays.first_day, context.plays.last_day
    chosen = st.date_input(
        "Period",
        value=(first, last),
        min_value=first,
        max_value=last,
        key=key,
        persist_state="session",
        help="Days in your time zone. The range starts with the first play the warehouse holds.",
        format="YYYY-MM-DD",
    )
    if isinstance(chosen, tuple | list):
        picked = [day for day in chosen if day is not None]
    else:
        picked = [chosen] if chosen else []
    if not picked:
        return first, last
    start_day = max(first, min(picked))
    end_day = min(last, max(picked))
    return (start_day, end_day) if start_day <= end_day else (first, last)


def period_params(context: Context, first: dt.date, last: dt.date) -> dict[str, Any]:
    """The bound parameters of a listening query: account, time zone, UTC instants of the local days."""
    start_at, end_at = data.utc_bounds(first, last, context.tz)
    return {"user_id": context.user_id, "tz": context.tz, "start_at": start_at, "end_at": end_at}


# --- drawing ---


def chart(figure: alt.TopLevelMixin, *, key: str | None = None) -> None:
    """An Altair chart in the dashboard's theme, as wide as its column."""
    st.altair_chart(figure, width="stretch", key=key)


def empty(message: str) -> None:
    """An empty state that says why it is empty (and what would fill it)."""
    st.info(message, icon=":material/info:")


def section(title: str, caption: str | None = None) -> None:
    st.subheader(title)
    if caption:
        st.caption(caption)


def guarded(render: Callable[[], None]) -> None:
    """Run a page; an unexpected failure shows a short message, never a traceback (the log keeps the details)."""
    try:
        render()
    except Exception:  # st.stop and st.rerun are BaseException: they pass through
        log.exception("dashboard page failed")
        st.error(
            "**This page could not be drawn.** The details are in the terminal that runs `streamlit run`. "
            "If the warehouse was just rebuilt, reload the page.",
            icon=":material/error:",
        )


# --- formats ---


def count(value: Any) -> int:
    """A count from a query as an int: a sum over no rows is NULL (NaN in pandas), which means none."""
    if value is None or pd.isna(value):
        return 0
    return int(value)


def number(value: Any) -> str:
    """1,234 (0 for missing values)."""
    if value is None or pd.isna(value):
        return "0"
    return f"{int(value):,}"


def hours(value: Any) -> str:
    """12.3 hours, or minutes below an hour."""
    if value is None or pd.isna(value):
        return "0"
    if value < 1:
        return f"{value * 60:.0f} min"
    return f"{value:,.1f}"


def percent(part: Any, whole: Any) -> str:
    """ "12%" of a known whole; "—" when nothing is known (no play says whether it was skipped)."""
    if whole is None or pd.isna(whole) or not int(whole):
        return "—"
    return f"{100 * float(part or 0) / float(whole):.0f}%"


def measured_help(totals: Any) -> str:
    """How much of the listening time is measured (the export's ms_played) and how much estimated."""
    total, measured = float(totals["hours"] or 0), float(totals["measured_hours"] or 0)
    if not total:
        return "No listening time in this period."
    if measured >= total:
        return "Measured: the data export says how long each play lasted (ms_played)."
    return (
        f"{100 * measured / total:.0f}% measured from the data export's ms_played; the rest is estimated as the "
        "track's full length, for plays only the API saw (it does not say how long you listened)."
    )


def origins_caption(totals: Any) -> None:
    """Which origins the period's plays come from: the API's recently played, the extended streaming history,
    the account-data export (a play found in several counts once, in each of them here)."""
    parts = [
        f"{number(totals[column])} {label}"
        for column, label in (
            ("in_extended_export", "in the extended streaming history"),
            ("in_account_export", "in the account-data export"),
            ("in_api", "seen by the API"),
        )
        if totals[column]
    ]
    if parts:
        st.caption(
            f"{number(totals['plays'])} plays in this period: " + ", ".join(parts) + " (a play found in several "
            "origins counts once)."
        )


def plural(count: Any, word: str, words: str | None = None) -> str:
    """ "1 track", "2 tracks" ("1 entry", "3 entries" with the plural given)."""
    count = int(count or 0)
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def long_date(day: dt.date | None) -> str:
    return day.strftime("%-d %b %Y") if day else "—"


def when(moment: dt.datetime | None, tz: str | None = None) -> str:
    """31 Oct 2026, 23:43 (in the viewer's time zone when given)."""
    if moment is None:
        return "—"
    if tz:
        moment = pd.Timestamp(moment).tz_convert(tz).to_pydatetime()
    return moment.strftime("%-d %b %Y, %H:%M")


def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "12 min ago", "3 h ago", "2 days ago", "just now": short enough for a metric card."""
    if moment is None:
        return "never"
    now = now or dt.datetime.now(dt.UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''} ago"
    return "just now"


def movement_label(movement: str, places: Any) -> str:
    """▲ 3, ▼ 2, NEW, =, OUT: a rank's move since the previous snapshot."""
    if movement == "up":
        return f"▲ {int(places)}"
    if movement == "down":
        return f"▼ {abs(int(places))}"
    return {"new": "NEW", "same": "=", "out": "OUT"}.get(movement, "")
