"""Data health: the pipeline's last runs, what the app's tier allowed, gaps in the listening history, row counts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.data import fetch
from spotify_pipeline import costs as costs_text

context = ui.start(
    "Data health", "How complete and how fresh the warehouse is, and what Spotify let the pipeline read."
)
runs = data.runs(context.status, context.user_id)
latest = runs[0] if runs else None
gaps = [gap | {"run": run.started_at} for run in runs for gap in run.gaps]


# An export holds every play of its account from its first play to its last: a gap inside that span lost nothing.
spans = []
if context.plays and gaps:
    spans = data.export_spans(ui.period_params(context, context.plays.first_day, context.plays.last_day))
for gap in gaps:
    gap["covered"] = data.is_covered(gap, spans)
open_gaps = [gap for gap in gaps if not gap["covered"]]

login = data.spotify_login(context.status, context.user_id)
now = pd.Timestamp.now(tz="UTC").to_pydatetime()
login_state, login_days = login.state(now), login.days_left(now)

# Three cards a row: at five, values such as "Development" or "182 days left" were cut off at 1,400 px.
# The account's state first (refresh, tier, login), then the runs' record.
refreshed, tier, login_column = st.columns(3)
refreshed.metric(
    "Last refresh",
    ui.ago(latest.finished_at or latest.started_at) if latest else "never",
    border=True,
    help=f"Finished {ui.when(latest.finished_at, context.tz)}" if latest else "No run is recorded.",
)
tier.metric(
    "App tier",
    (latest.tier or "unknown").capitalize() if latest else "—",
    border=True,
    help="Development: every personal app since Nov 2024. Extended: quota granted by Spotify.",
)
login_column.metric(
    "Spotify login",
    {"unknown": "Unknown", "expired": "Expired"}.get(login_state, f"{login_days or 0:.0f} days left"),
    border=True,
    help=(
        f"Logged in {ui.when(login.logged_in_at, context.tz)}; Spotify ends the login "
        f"{ui.when(login.expires_at, context.tz)} (6 months after it). Renew: `python pipeline.py auth`."
        if login.expires_at
        else "The latest run recorded no login time: its refresh token did not come from `python pipeline.py auth`."
    ),
)
recorded, gap_count, _ = st.columns(3)
recorded.metric("Runs recorded", ui.number(len(runs)), border=True, help="The latest 30 are shown below.")
gap_count.metric(
    "Possible gaps",
    ui.number(len(open_gaps)),
    border=True,
    help="Runs that found all 50 plays Spotify keeps newer than the previous run: plays in between may be lost. "
    "Gaps your imported data export covers are not counted.",
)
if login_state == "expired":
    st.error(
        f"**The Spotify login expired** {ui.when(login.expires_at, context.tz)}: runs fail until you log in again "
        "with `python pipeline.py auth`. Everything loaded so far is kept.",
        icon=":material/key_off:",
    )
elif login_state == "expiring":
    st.warning(
        f"**The Spotify login expires in {login_days:.0f} days** ({ui.when(login.expires_at, context.tz)}). Log in "
        "again with `python pipeline.py auth` before then; the new login lasts 6 months from that day.",
        icon=":material/key:",
    )

allowed_column, notes_column = st.columns(2, gap="large")
with allowed_column:
    ui.section("What the app's tier allowed", "As the latest run found out.")
    if latest is None:
        ui.empty("No pipeline run is recorded for this account (or the warehouse predates run summaries).")
    else:
        extended = latest.tier == "extended"
        for allowed, capability, note in (
            (latest.batch_endpoints, "Several artists per request", "else one request per artist, a budget per run"),
            (latest.audio_features, "Audio features", "removed for development-mode apps in November 2024"),
            (extended, "Popularity and followers", "sent to extended-quota apps only"),
            (extended, "Tracks of playlists you follow", "development mode: only playlists you own or edit"),
        ):
            icon = (
                ":gray[:material/help:]"
                if allowed is None
                else (":green[:material/check_circle:]" if allowed else ":red[:material/block:]")
            )
            st.markdown(f"{icon} **{capability}**")
            st.caption(note)
with notes_column:
    ui.section("Notes of the latest run")
    if latest is None or not latest.notes:
        st.caption("The latest run had nothing to report: everything it asked for, it got.")
    for note in latest.notes if latest else []:
        st.markdown(f"- {note}")

ui.section(
    "Data quality warnings",
    "Values Spotify sent that the warehouse's tests did not expect (outside its documented vocabularies and "
    "ranges): the rows are kept and the build went on, but you may want to look at them.",
)
warnings = data.data_quality_warnings(context.status)
if warnings is None:
    st.caption("This warehouse's last `dbt build` predates the record of warnings; the next run adds it.")
elif warnings.empty:
    st.markdown(":green[:material/check_circle:] No warnings in the last build: every value was one the tests know.")
else:
    st.warning(
        f"**{len(warnings)} {'test' if len(warnings) == 1 else 'tests'} warned in the last build** "
        f"({ui.when(data.to_local(warnings['built_at'].iloc[0], context.tz))}).",
        icon=":material/rule:",
    )
    st.dataframe(
        warnings.drop(columns=["built_at"]),
        hide_index=True,
        column_config={
            "test_name": st.column_config.TextColumn("Test"),
            "model_name": st.column_config.TextColumn("Table"),
            "column_name": st.column_config.TextColumn("Column"),
            "failing_rows": st.column_config.NumberColumn("Rows", help="Rows holding an unexpected value"),
            "expected": st.column_config.TextColumn("Expected"),
            "example_values": st.column_config.TextColumn("Examples", help="Up to five of the values found"),
        },
    )

ui.section("Runs", "Newest first; counts are what each run fetched.")
if not runs:
    ui.empty("No runs recorded.")
else:
    table = pd.DataFrame(
        [
            {
                "started": data.to_local(run.started_at, context.tz),
                "seconds": (run.finished_at - run.started_at).total_seconds()
                if run.finished_at and run.started_at
                else None,
                "tier": run.tier,
                "requests": run.counts.get("api_requests"),
                "plays": run.counts.get("plays_fetched"),
                "playlists read": run.counts.get("playlists_read"),
                "artists": run.counts.get("artists_fetched"),
                "audio features": run.counts.get("audio_features_fetched"),
                "notes": len(run.notes),
                "gaps": len(run.gaps),
            }
            for run in runs
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "started": st.column_config.DatetimeColumn(f"Started ({context.tz})", format="D MMM YYYY, HH:mm"),
            "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
            "tier": "Tier",
            "requests": st.column_config.NumberColumn("Requests", help="Requests to the Spotify Web API"),
            "plays": st.column_config.NumberColumn("Plays", help="New plays fetched"),
            "playlists read": st.column_config.NumberColumn("Playlists read", help="Playlists whose items changed"),
            "artists": st.column_config.NumberColumn("Artists", help="Artist profiles fetched"),
            "audio features": st.column_config.NumberColumn("Audio features", help="Tracks given features"),
            "notes": st.column_config.NumberColumn("Notes"),
            "gaps": st.column_config.NumberColumn("Gaps"),
        },
    )

gap_column, count_column = st.columns(2, gap="large")
with gap_column:
    ui.section(
        "Gaps in the listening history",
        "Spotify keeps only your last 50 plays: a run that finds 50 new ones may have missed some before them.",
    )
    if gaps:
        st.dataframe(
            pd.DataFrame(
                {
                    "no plays known between": [data.to_local(pd.Timestamp(g["gap_after"]), context.tz) for g in gaps],
                    "and": [data.to_local(pd.Timestamp(g["gap_before"]), context.tz) for g in gaps],
                    "covered by your data export": [g["covered"] for g in gaps],
                }
            ),
            hide_index=True,
        )
        if open_gaps:
            st.caption(
                "Run the pipeline more often (e.g. hourly), or import your Spotify data export for the full history."
            )
        else:
            st.caption("Your imported data export covers every one of them: no play is missing.")
    else:
        st.markdown(":green[:material/check_circle:] No run reported a possible gap.")
    if context.plays:
        silences = fetch(
            queries.longest_silences,
            **ui.period_params(context, context.plays.first_day, context.plays.last_day),
            limit=5,
        )
        if not silences.empty:
            silences["silent_from"] = silences["silent_from"].map(lambda value: data.to_local(value, context.tz))
            silences["silent_until"] = silences["silent_until"].map(lambda value: data.to_local(value, context.tz))
            st.markdown("**Longest silences between two plays**")
            st.dataframe(
                silences,
                hide_index=True,
                column_config={
                    "silent_from": st.column_config.DatetimeColumn("From", format="D MMM YYYY, HH:mm"),
                    "silent_until": st.column_config.DatetimeColumn("Until", format="D MMM YYYY, HH:mm"),
                    "hours": st.column_config.NumberColumn("Hours", format="%.1f"),
                },
            )
with count_column:
    ui.section("Rows per table", f"The final tables (schema `{queries.FINAL}`).")
    counts = data.row_counts(context.status)
    missing = sorted(set(queries.FINAL_TABLES) - set(counts["table_name"]))
    ui.chart(charts.table_sizes(counts), key="row_counts")
    if missing:
        st.caption(f"Not in this warehouse yet: {', '.join(missing)} (the next `dbt build` creates them).")
    st.caption(f"Warehouse: {context.status.description}")

ui.section(
    "Storage and cost",
    "BigQuery: storage and this month's query bytes against the free tier (10 GiB, 1 TiB a month); "
    "DuckDB: the file on this computer. The same figures as `python pipeline.py costs`.",
)
cost = data.cost_report()
if isinstance(cost, str):
    st.caption(cost)
elif hasattr(cost, "shares"):
    shares = cost.shares
    stored, billed, projected = st.columns(3)
    for column, title, size, share in (
        (stored, "Storage", cost.storage_bytes, shares["storage"]),
        (billed, "Queries this month", cost.bytes_billed, shares["queries"]),
        (projected, "Projected by month end", cost.projected_bytes_billed, shares["queries projected"]),
    ):
        column.metric(
            title, costs_text.human_bytes(size), f"{share:.1f}% of the free tier", delta_color="off", border=True
        )
    for message in cost.warnings:
        st.warning(message, icon=":material/savings:")
    st.caption(f"From {cost.storage_source} and {cost.jobs_source}; the free tier is shared by the billing account.")
else:
    st.metric("DuckDB file", costs_text.human_bytes(cost.file_bytes), border=True, help=str(cost.path))
