"""The Data health page's statements: the pipeline's runs and login (mart `pipeline_runs`), the last dbt build's
warnings, rows per mart, and the time the data exports cover (mart `listening_history`)."""

from __future__ import annotations

from collections.abc import Iterable

from dashboard.queries.dialect import FINAL, Dialect, checked
from dashboard.queries.listening import PLAYS
from dashboard.queries.registry import FINAL_TABLES, HISTORY, limit_rows, query


@query
def row_counts(d: Dialect, tables: Iterable[str] = FINAL_TABLES) -> str:
    """Rows per final table (only the tables that exist are asked for)."""
    parts = [
        f"select '{checked(table)}' as table_name, count(*) as row_count from {d.table(FINAL, table)}"
        for table in tables
        if table in FINAL_TABLES
    ]
    if not parts:
        return "select cast(null as string) as table_name, 0 as row_count from (select 1) as none where 1 = 0"
    return "\nunion all\n".join(parts) + "\norder by table_name"


@query
def pipeline_runs(d: Dialect, limit: int = 10) -> str:
    """The pipeline's latest runs, newest first: what the tier allowed, what each fetched, notes and gaps (JSON)."""
    return f"""
    select run_started_at, run_finished_at, tier, is_batch_endpoints_available, is_audio_features_available,
           api_requests, plays_fetched, playlists_read, artists_fetched, audio_features_fetched, notes_json, gaps_json
    from {d.table(FINAL, "pipeline_runs")}
    where user_id = @user_id
    order by run_started_at desc
    {limit_rows(limit)}
    """


@query
def spotify_login(d: Dialect) -> str:
    """The latest run, for the age of the login behind it (null when the run recorded none)."""
    return f"""
    select logged_in_at, refresh_token_expires_at
    from {d.table(FINAL, "pipeline_runs")}
    where user_id = @user_id
    order by run_started_at desc
    limit 1
    """


@query
def data_quality_warnings(d: Dialect, limit: int = 50) -> str:
    """The tests that warned in the last dbt build (values Spotify sent outside its documented vocabularies and
    ranges): written by dbt's on-run-end hook, replaced by every build, empty when nothing warned."""
    return f"""
    select built_at, test_name, model_name, column_name, failing_rows, expected, example_values
    from {d.table(FINAL, "data_quality_warnings")}
    order by failing_rows desc, test_name
    {limit_rows(limit)}
    """


@query
def export_coverage(d: Dialect) -> str:
    """The first and last play of each kind of data export (null where none was imported): an export holds every
    play of its account between the two, so a gap a run reported inside that span lost nothing."""
    return f"""
    select min(case when p.is_in_extended_export then p.played_at end) as extended_first_played_at,
           max(case when p.is_in_extended_export then p.played_at end) as extended_last_played_at,
           min(case when p.is_in_account_export then p.played_at end) as account_first_played_at,
           max(case when p.is_in_account_export then p.played_at end) as account_last_played_at
    from {d.table(FINAL, HISTORY)} as p
    where {PLAYS} and (p.is_in_extended_export or p.is_in_account_export)
    """
