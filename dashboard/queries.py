"""Every SQL statement the dashboard runs, and the only place where DuckDB's SQL and BigQuery's differ.

Why one module: the pages stay free of SQL, the queries can be read (and reviewed for cost) side by side, and the
tests render every statement in both dialects without a warehouse.

Rules the statements follow:
- User input is never formatted into SQL: values travel as bound parameters, written `@name` (BigQuery's syntax;
  `Dialect.render` turns them into DuckDB's `$name`). Only trusted constants are formatted in: dataset and table
  names, the dialect's own snippets, and row limits (integers the pages choose, checked).
- Time zones: plays are stored in UTC; days, hours and weekdays are those of the viewer's time zone (`@tz`), so a
  late-night session counts on the evening it happened. Period filters are UTC instants (`@start_at`, `@end_at`)
  computed from the viewer's local dates, which keeps them exact *and* lets BigQuery prune partitions.
- BigQuery partitions `recently_played` and `listening_history` by day of `played_at` and the top lists by day of
  `extracted_at`: every statement reading them filters that column with parameters, except those listed in
  `FULL_SCAN_BY_DESIGN` (they read one or two narrow columns to find the data's own range, which is what the
  filters are then built from). `tests/dashboard/test_queries.py` checks both.
- Only SQL both engines accept (standard joins, `string_agg(... order by ...)`, window functions, `nulls last`);
  what differs is a `Dialect` method.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Datasets (DuckDB schemas / BigQuery datasets) as DESIGN.md names them.
FINAL = "spotify"
STAGING = "spotify_staging"
RAW = "spotify_raw"
DATASETS = (FINAL, STAGING, RAW)

# The final tables the dashboard reads (dbt_project/models/marts/_marts__models.yml).
FINAL_TABLES = (
    "users",
    "playlists",
    "tracks",
    "track_audio_features",
    "artists",
    "playlist_tracks",
    "recently_played",
    "top_tracks",
    "top_artists",
    "track_artists",
    "artist_genres",
    "saved_tracks",
    "listening_history",
    "saved_tracks_history",
    "playlists_history",
    "playlist_tracks_history",
)
# BigQuery's partitioned tables and the column each is partitioned on.
PARTITIONED = {
    "recently_played": "played_at",
    "listening_history": "played_at",
    "top_tracks": "extracted_at",
    "top_artists": "extracted_at",
}
# Every play, from the API and the data exports (the Listening page's table; `recently_played` holds the API's only).
HISTORY = "listening_history"
# The features charted, all on a 0-1 scale (tempo and loudness are charted on their own).
UNIT_FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness")

_PARAMETER = re.compile(r"(?<![@\w])@([A-Za-z_]\w*)")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def parameter_names(sql: str) -> list[str]:
    """The `@name` parameters a statement uses, in order of first use."""
    return list(dict.fromkeys(_PARAMETER.findall(sql)))


class Dialect:
    """How one warehouse spells what the two spell differently. Subclasses: DuckDB, BigQuery."""

    name = "abstract"

    def table(self, dataset: str, table: str) -> str:
        """A fully qualified table name; only trusted constants ever reach it."""
        raise NotImplementedError

    def render(self, sql: str) -> str:
        """The statement as this warehouse takes it (parameter syntax)."""
        return sql

    def local_day(self, timestamp: str) -> str:
        """The calendar day of a UTC timestamp in time zone `@tz`."""
        raise NotImplementedError

    def local_hour(self, timestamp: str) -> str:
        """The hour (0-23) of a UTC timestamp in time zone `@tz`."""
        raise NotImplementedError

    def iso_weekday(self, timestamp: str) -> str:
        """1 = Monday ... 7 = Sunday, in time zone `@tz`."""
        raise NotImplementedError

    def week_start(self, day: str) -> str:
        """The Monday of a date's ISO week."""
        raise NotImplementedError

    def minus_days(self, day: str, days: str) -> str:
        """A date minus an integer number of days."""
        raise NotImplementedError

    def month_start(self, day: str) -> str:
        """The first day of a date's month."""
        raise NotImplementedError

    def hours_between(self, earlier: str, later: str) -> str:
        """Hours (fractional) from one timestamp to another."""
        raise NotImplementedError

    def catalog(self) -> str:
        """Tables and views of the three datasets: (dataset, table_name, table_type)."""
        raise NotImplementedError


class DuckDBDialect(Dialect):
    """DuckDB: schemas in one file, attached as catalog `warehouse`; `$name` parameters; ICU's `timezone()`.

    Names are fully qualified with the catalog the file is attached as, so a file of any name (a `spotify.duckdb`
    would make a bare `spotify.users` ambiguous: catalog `spotify` or schema `spotify`) reads the same.
    """

    name = "duckdb"
    catalog_name = "warehouse"

    def table(self, dataset: str, table: str) -> str:
        return f"{self.catalog_name}.{_checked(dataset)}.{_checked(table)}"

    def render(self, sql: str) -> str:
        return _PARAMETER.sub(r"$\1", sql)

    def local_day(self, timestamp: str) -> str:
        return f"cast(timezone(@tz, {timestamp}) as date)"

    def local_hour(self, timestamp: str) -> str:
        return f"hour(timezone(@tz, {timestamp}))"

    def iso_weekday(self, timestamp: str) -> str:
        return f"isodow(timezone(@tz, {timestamp}))"

    def week_start(self, day: str) -> str:
        return f"cast(date_trunc('week', {day}) as date)"

    def minus_days(self, day: str, days: str) -> str:
        return f"({day} - cast({days} as integer))"

    def month_start(self, day: str) -> str:
        return f"cast(date_trunc('month', {day}) as date)"

    def hours_between(self, earlier: str, later: str) -> str:
        return f"(date_diff('second', {earlier}, {later}) / 3600.0)"

    def catalog(self) -> str:
        names = ", ".join(f"'{dataset}'" for dataset in DATASETS)
        return (
            "select table_schema as dataset, table_name, table_type from information_schema.tables "
            f"where table_catalog = '{self.catalog_name}' and table_schema in ({names}) order by 1, 2"
        )


@dataclass(frozen=True)
class BigQueryDialect(Dialect):
    """BigQuery: `project.dataset.table`; `@name` parameters; time zones as function arguments."""

    project: str
    name: str = field(default="bigquery", init=False)

    def table(self, dataset: str, table: str) -> str:
        return f"`{_checked_project(self.project)}.{_checked(dataset)}.{_checked(table)}`"

    def local_day(self, timestamp: str) -> str:
        return f"date({timestamp}, @tz)"

    def local_hour(self, timestamp: str) -> str:
        return f"extract(hour from {timestamp} at time zone @tz)"

    def iso_weekday(self, timestamp: str) -> str:
        # BigQuery's DAYOFWEEK is 1 = Sunday ... 7 = Saturday.
        return f"(mod(extract(dayofweek from {timestamp} at time zone @tz) + 5, 7) + 1)"

    def week_start(self, day: str) -> str:
        # = date_trunc(day, isoweek), spelled with DAYOFWEEK so that the BigQuery emulator the tests use agrees.
        return f"date_sub({day}, interval mod(extract(dayofweek from {day}) + 5, 7) day)"

    def minus_days(self, day: str, days: str) -> str:
        return f"date_sub({day}, interval {days} day)"

    def month_start(self, day: str) -> str:
        return f"date_trunc({day}, month)"

    def hours_between(self, earlier: str, later: str) -> str:
        return f"(timestamp_diff({later}, {earlier}, second) / 3600.0)"

    def catalog(self) -> str:
        # Each dataset's own view. A missing dataset is an error (NotFound: "no warehouse yet"); the three exist
        # together, since dbt builds `spotify` and `spotify_staging` from dlt's `spotify_raw`.
        project = _checked_project(self.project)
        columns = "table_schema as dataset, table_name, table_type"
        parts = [f"select {columns} from `{project}.{dataset}`.INFORMATION_SCHEMA.TABLES" for dataset in DATASETS]
        return "\nunion all\n".join(parts) + "\norder by 1, 2"


def _checked(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a trusted identifier: {identifier!r}")
    return identifier


def _checked_project(project: str) -> str:
    if not re.match(r"^[a-z][a-z0-9.:-]{3,61}[a-z0-9]$", project):
        raise ValueError(f"not a valid Google Cloud project id: {project!r}")
    return project


@dataclass(frozen=True)
class Query:
    """A named statement: `build(dialect, **options)` writes it; options are trusted constants, never user input."""

    name: str
    build: Callable[..., str]
    doc: str

    def render(self, dialect: Dialect, **options: object) -> str:
        """The SQL as the given warehouse runs it."""
        return dialect.render(_tidy(self.build(dialect, **options)))


QUERIES: dict[str, Query] = {}
# Statements that read a partitioned table without a filter on its partition column, and why that is fine.
FULL_SCAN_BY_DESIGN = {
    "play_bounds": "finds the data's own first and last play (one timestamp column); every period starts here",
    "top_snapshots": "lists the days a top list was read (two narrow columns) to offer them as choices",
    "row_counts": "count(*) only: BigQuery answers it from table metadata, without reading data",
}


def register(name: str, build: Callable[..., str]) -> Query:
    """Register a statement built by a factory under an explicit name."""
    registered = Query(name, build, (build.__doc__ or "").strip())
    QUERIES[name] = registered
    return registered


def query(build: Callable[..., str]) -> Query:
    """Register a statement under its function's name."""
    return register(build.__name__, build)


def _limit(rows: int) -> str:
    """`limit N` from a trusted integer (a page's constant: a row count is no user input, and a literal reads
    the same in both dialects)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValueError(f"not a row limit: {rows!r}")
    return f"limit {rows}"


def _tidy(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.strip().splitlines() if line.strip())


# --- warehouse state ---


@query
def catalog(d: Dialect) -> str:
    """Which datasets and tables exist: decides between the dashboard and its "no data yet" page."""
    return d.catalog()


@query
def row_counts(d: Dialect, tables: Iterable[str] = FINAL_TABLES) -> str:
    """Rows per final table (only the tables that exist are asked for)."""
    parts = [
        f"select '{_checked(table)}' as table_name, count(*) as row_count from {d.table(FINAL, table)}"
        for table in tables
        if table in FINAL_TABLES
    ]
    if not parts:
        return "select cast(null as string) as table_name, 0 as row_count from (select 1) as none where 1 = 0"
    return "\nunion all\n".join(parts) + "\norder by table_name"


@query
def users(d: Dialect) -> str:
    """The accounts in the warehouse (a warehouse may hold several)."""
    return f"""
    select user_id, coalesce(display_name, user_id) as display_name, country, product, followers
    from {d.table(FINAL, "users")}
    order by display_name, user_id
    """


@query
def play_bounds(d: Dialect) -> str:
    """First and last play of the user, and how many: the range every date filter defaults to."""
    return f"""
    select min(played_at) as first_played_at, max(played_at) as last_played_at, count(*) as plays
    from {d.table(FINAL, HISTORY)}
    where user_id = @user_id
    """


@query
def last_runs(d: Dialect, limit: int = 10) -> str:
    """The pipeline's latest runs with what the tier allowed, newest first."""
    return f"""
    select run_started_at, run_finished_at, tier, is_batch_endpoints_available, is_audio_features_available,
           notes_json, gaps_json
    from {d.table(STAGING, "stg_spotify__extraction_runs")}
    where user_id = @user_id
    order by run_started_at desc
    {_limit(limit)}
    """


@query
def raw_run_counts(d: Dialect, limit: int = 10) -> str:
    """The runs' counters (count_* columns; dlt adds a column when a run first reports it, hence `*`)."""
    return f"""
    select *
    from {d.table(RAW, "extraction_runs")}
    where user_id = @user_id
    order by run_started_at desc
    {_limit(limit)}
    """


@query
def spotify_login(d: Dialect) -> str:
    """The latest run, for the age of the login behind it (`*`: warehouses built before dbt staged the login's
    columns lack them, and the page says "unknown" rather than failing)."""
    return f"""
    select *
    from {d.table(STAGING, "stg_spotify__extraction_runs")}
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
    {_limit(limit)}
    """


@query
def library_counts(d: Dialect) -> str:
    """Playlists and liked songs of the user: the library side of the headline numbers."""
    return f"""
    select
        (select count(*) from {d.table(FINAL, "playlists")} where user_id = @user_id) as playlists,
        (select count(*) from {d.table(FINAL, "saved_tracks")} where user_id = @user_id) as saved_tracks
    """


# --- listening (listening_history: API plays and data exports; always filtered on played_at) ---

_PLAYS = "p.user_id = @user_id and p.played_at >= @start_at and p.played_at < @end_at"
# A play's length: what the export measured (ms_played), else the track's length (plays only the API saw).
_PLAYED_MS = "coalesce(p.ms_played, t.duration_ms)"
# One key per track: its Spotify id, or for account-data plays of unknown tracks, its names.
_TRACK_KEY = "coalesce(p.track_id, concat('name:', lower(p.track_name), '|', lower(p.artist_name)))"


@query
def listening_totals(d: Dialect) -> str:
    """Headline numbers of a period: plays, listening time (measured where the export says), distinct tracks,
    artists and days, the skip rate where known, and how many plays each origin holds."""
    return f"""
    select
        count(*) as plays,
        coalesce(sum({_PLAYED_MS}), 0) / 3600000.0 as hours,
        coalesce(sum(p.ms_played), 0) / 3600000.0 as measured_hours,
        count(distinct case when p.content_type = 'track' then {_TRACK_KEY} end) as tracks,
        count(distinct case when p.content_type = 'track' then coalesce(t.primary_artist_name, p.artist_name) end)
            as artists,
        count(distinct {d.local_day("p.played_at")}) as active_days,
        count(p.is_skipped) as plays_with_skip_info,
        coalesce(sum(case when p.is_skipped then 1 else 0 end), 0) as skipped,
        coalesce(sum(case when p.is_in_api then 1 else 0 end), 0) as in_api,
        coalesce(sum(case when p.is_in_extended_export then 1 else 0 end), 0) as in_extended_export,
        coalesce(sum(case when p.is_in_account_export then 1 else 0 end), 0) as in_account_export
    from {d.table(FINAL, HISTORY)} as p
    left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    where {_PLAYS}
    """


def _local_plays(d: Dialect) -> str:
    """The period's plays with their local day and length: what the per-day and per-week series group."""
    return f"""
        select {d.local_day("p.played_at")} as played_day, {_PLAYED_MS} as played_ms
        from {d.table(FINAL, HISTORY)} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {_PLAYS}"""


@query
def plays_by_day(d: Dialect) -> str:
    """Plays and listening minutes per local day."""
    return f"""
    select played_day, count(*) as plays, coalesce(sum(played_ms), 0) / 60000.0 as minutes
    from ({_local_plays(d)}
    ) as plays
    group by played_day
    order by played_day
    """


@query
def plays_by_week(d: Dialect) -> str:
    """Plays and listening minutes per ISO week (starting Monday), local time."""
    return f"""
    select week_start, count(*) as plays, coalesce(sum(played_ms), 0) / 60000.0 as minutes
    from (
        select {d.week_start("played_day")} as week_start, played_ms
        from ({_local_plays(d)}
        ) as days
    ) as weeks
    group by week_start
    order by week_start
    """


@query
def plays_by_hour_and_weekday(d: Dialect) -> str:
    """The heatmap: plays per (ISO weekday, local hour)."""
    return f"""
    select weekday, hour_of_day, count(*) as plays
    from (
        select {d.iso_weekday("p.played_at")} as weekday, {d.local_hour("p.played_at")} as hour_of_day
        from {d.table(FINAL, HISTORY)} as p
        where {_PLAYS}
    ) as plays
    group by weekday, hour_of_day
    order by weekday, hour_of_day
    """


@query
def listening_streaks(d: Dialect) -> str:
    """Runs of consecutive local days with at least one play (gaps and islands), longest first."""
    return f"""
    with days as (
        select distinct {d.local_day("p.played_at")} as played_day
        from {d.table(FINAL, HISTORY)} as p
        where {_PLAYS}
    ),
    numbered as (
        select played_day, row_number() over (order by played_day) as day_number
        from days
    ),
    islands as (
        select played_day, {d.minus_days("played_day", "day_number")} as island
        from numbered
    )
    select min(played_day) as first_day, max(played_day) as last_day, count(*) as days
    from islands
    group by island
    order by days desc, last_day desc
    """


@query
def top_played_tracks(d: Dialect, limit: int = 10) -> str:
    """The period's most played tracks (music only), including tracks only the data export knows."""
    return f"""
    with plays as (
        select {_TRACK_KEY} as track_key,
               coalesce(t.track_name, p.track_name) as track_name,
               coalesce(t.primary_artist_name, p.artist_name) as artist_name,
               coalesce(t.album_name, p.album_name) as album_name,
               {_PLAYED_MS} as played_ms,
               p.played_at
        from {d.table(FINAL, HISTORY)} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {_PLAYS} and p.content_type = 'track' and coalesce(p.track_id, p.track_name) is not null
    )
    select max(track_name) as track_name, max(artist_name) as artist_name, max(album_name) as album_name,
           count(*) as plays, coalesce(sum(played_ms), 0) / 60000.0 as minutes, max(played_at) as last_played_at
    from plays
    group by track_key
    order by plays desc, last_played_at desc, track_name
    {_limit(limit)}
    """


@query
def top_played_artists(d: Dialect, limit: int = 10) -> str:
    """The period's most played artists (a play counts for the track's primary artist; an export's play of a track
    the warehouse does not know counts for the artist it names), with what is known of them."""
    return f"""
    with plays as (
        select coalesce(t.primary_artist_id, concat('name:', lower(p.artist_name))) as artist_key,
               coalesce(t.primary_artist_name, p.artist_name) as artist_name,
               {_TRACK_KEY} as track_key,
               {_PLAYED_MS} as played_ms
        from {d.table(FINAL, HISTORY)} as p
        left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
        where {_PLAYS} and p.content_type = 'track' and coalesce(t.primary_artist_id, p.artist_name) is not null
    ),
    by_artist as (
        select artist_key, max(artist_name) as artist_name, count(*) as plays, count(distinct track_key) as tracks,
               coalesce(sum(played_ms), 0) / 60000.0 as minutes
        from plays
        group by artist_key
    ),
    genres as (
        select artist_id, string_agg(genre, ', ' order by genre) as genres
        from {d.table(FINAL, "artist_genres")}
        group by artist_id
    )
    select coalesce(a.artist_name, by_artist.artist_name) as artist_name, by_artist.plays, by_artist.tracks,
           by_artist.minutes, a.popularity, a.followers, genres.genres
    from by_artist
    left join {d.table(FINAL, "artists")} as a on a.artist_id = by_artist.artist_key
    left join genres on genres.artist_id = by_artist.artist_key
    order by by_artist.plays desc, by_artist.minutes desc, artist_name
    {_limit(limit)}
    """


@query
def recent_plays(d: Dialect, limit: int = 10) -> str:
    """The period's latest plays, newest first (tracks, episodes, audiobooks alike)."""
    return f"""
    select p.played_at,
           coalesce(t.track_name, p.track_name, p.episode_name, p.audiobook_chapter_title, p.audiobook_title)
               as track_name,
           coalesce(t.primary_artist_name, p.artist_name, p.show_name, p.audiobook_title) as artist_name,
           p.context_type
    from {d.table(FINAL, HISTORY)} as p
    left join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    where {_PLAYS}
    order by p.played_at desc
    {_limit(limit)}
    """


@query
def plays_by_content(d: Dialect) -> str:
    """What was played: music, podcast episodes, audiobooks, videos (and export rows with no metadata)."""
    return f"""
    select p.content_type, count(*) as plays
    from {d.table(FINAL, HISTORY)} as p
    where {_PLAYS}
    group by p.content_type
    order by plays desc
    """


@query
def longest_silences(d: Dialect, limit: int = 10) -> str:
    """The longest stretches between two consecutive plays of the period (hours)."""
    return f"""
    with ordered as (
        select p.played_at, lag(p.played_at) over (order by p.played_at) as previous_played_at
        from {d.table(FINAL, HISTORY)} as p
        where {_PLAYS}
    )
    select previous_played_at as silent_from, played_at as silent_until,
           {d.hours_between("previous_played_at", "played_at")} as hours
    from ordered
    where previous_played_at is not null
    order by hours desc
    {_limit(limit)}
    """


# --- genres and artists ---


@query
def genres_by_plays(d: Dialect, limit: int = 10) -> str:
    """Genre distribution of the period's plays (through each track's primary artist)."""
    return f"""
    select g.genre, count(*) as plays, count(distinct g.artist_id) as artists
    from {d.table(FINAL, HISTORY)} as p
    join {d.table(FINAL, "tracks")} as t on t.track_id = p.track_id
    join {d.table(FINAL, "artist_genres")} as g on g.artist_id = t.primary_artist_id
    where {_PLAYS}
    group by g.genre
    order by plays desc, g.genre
    {_limit(limit)}
    """


@query
def genres_in_liked_songs(d: Dialect, limit: int = 10) -> str:
    """Genre distribution of the liked songs (through each track's primary artist)."""
    return f"""
    select g.genre, count(*) as tracks, count(distinct g.artist_id) as artists
    from {d.table(FINAL, "saved_tracks")} as s
    join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    join {d.table(FINAL, "artist_genres")} as g on g.artist_id = t.primary_artist_id
    where s.user_id = @user_id
    group by g.genre
    order by tracks desc, g.genre
    {_limit(limit)}
    """


@query
def artist_coverage(d: Dialect) -> str:
    """What the warehouse knows about artists: full profiles (genres), popularity, genres at all."""
    return f"""
    select count(*) as artists,
           sum(case when is_full_profile then 1 else 0 end) as full_profiles,
           sum(case when popularity is not null then 1 else 0 end) as with_popularity,
           sum(case when genre_count > 0 then 1 else 0 end) as with_genres
    from {d.table(FINAL, "artists")}
    """


# --- top lists (top_tracks, top_artists; always filtered on extracted_at) ---


@query
def top_snapshots(d: Dialect) -> str:
    """The days each top list was read, per kind and time range, newest first."""
    return f"""
    select 'tracks' as kind, time_range, snapshot_date, count(*) as entries
    from {d.table(FINAL, "top_tracks")}
    where user_id = @user_id
    group by time_range, snapshot_date
    union all
    select 'artists' as kind, time_range, snapshot_date, count(*) as entries
    from {d.table(FINAL, "top_artists")}
    where user_id = @user_id
    group by time_range, snapshot_date
    order by kind, time_range, snapshot_date desc
    """


# What differs between the two top lists: their table, key, and where the names come from.
_TOP_LISTS = {
    "tracks": ("top_tracks", "track_id", "tracks", "track_name"),
    "artists": ("top_artists", "artist_id", "artists", "artist_name"),
}


def _snapshot(d: Dialect, kind: str, day: str) -> str:
    table, key, _, _ = _TOP_LISTS[kind]
    return (
        f"select rank, {key} from {d.table(FINAL, table)} where user_id = @user_id and time_range = @time_range "
        f"and snapshot_date = {day} and extracted_at >= @from_at and extracted_at < @to_at"
    )


_MOVEMENT = """
        case when j.rank is null then 'out'
             when j.previous_rank is null then 'new'
             when j.previous_rank > j.rank then 'up'
             when j.previous_rank < j.rank then 'down'
             else 'same' end as movement,
        j.previous_rank - j.rank as places"""


def _movement(kind: str) -> Callable[[Dialect], str]:
    _, key, _, _ = _TOP_LISTS[kind]

    def build(d: Dialect) -> str:
        joined = f"""
    with current_list as ({_snapshot(d, kind, "@snapshot_date")}),
    previous_list as ({_snapshot(d, kind, "@previous_date")}),
    j as (
        select coalesce(c.{key}, p.{key}) as {key}, c.rank as rank, p.rank as previous_rank
        from current_list as c
        full outer join previous_list as p on p.{key} = c.{key}
    )"""
        if kind == "tracks":
            return f"""{joined}
    select j.rank, j.previous_rank, {_MOVEMENT},
        t.track_name, t.primary_artist_name as artist_name, t.album_name, t.popularity
    from j
    left join {d.table(FINAL, "tracks")} as t on t.track_id = j.track_id
    order by j.rank asc nulls last, j.previous_rank asc
    """
        return f"""{joined},
    genres as (
        select artist_id, string_agg(genre, ', ' order by genre) as genres
        from {d.table(FINAL, "artist_genres")}
        group by artist_id
    )
    select j.rank, j.previous_rank, {_MOVEMENT},
        a.artist_name, a.popularity, a.followers, genres.genres
    from j
    left join {d.table(FINAL, "artists")} as a on a.artist_id = j.artist_id
    left join genres on genres.artist_id = j.artist_id
    order by j.rank asc nulls last, j.previous_rank asc
    """

    build.__doc__ = f"A top-{kind} snapshot beside the previous one: rank, previous rank, up/down/new/out."
    return build


def _in_chosen_top(d: Dialect, kind: str) -> str:
    table, key, _, _ = _TOP_LISTS[kind]
    return f"""h.{key} in (
          select {key} from {d.table(FINAL, table)}
          where user_id = @user_id and time_range = @time_range and snapshot_date = @snapshot_date
            and rank <= @top_n and extracted_at >= @snapshot_from_at and extracted_at < @to_at
      )"""


def _history(kind: str) -> Callable[[Dialect], str]:
    table, key, names, name = _TOP_LISTS[kind]

    def build(d: Dialect) -> str:
        return f"""
    select h.snapshot_date, h.rank, n.{name} as name
    from {d.table(FINAL, table)} as h
    join {d.table(FINAL, names)} as n on n.{key} = h.{key}
    where h.user_id = @user_id and h.time_range = @time_range
      and h.extracted_at >= @from_at and h.extracted_at < @to_at
      and {_in_chosen_top(d, kind)}
    order by h.snapshot_date, h.rank
    """

    build.__doc__ = f"Rank per snapshot of the {kind} in the chosen snapshot's top `@top_n`, within the window."
    return build


def _across_ranges(kind: str) -> Callable[[Dialect], str]:
    table, key, names, name = _TOP_LISTS[kind]

    def build(d: Dialect) -> str:
        return f"""
    select h.time_range, h.rank, n.{name} as name
    from {d.table(FINAL, table)} as h
    join {d.table(FINAL, names)} as n on n.{key} = h.{key}
    where h.user_id = @user_id and h.snapshot_date = @snapshot_date
      and h.extracted_at >= @snapshot_from_at and h.extracted_at < @to_at
      and {_in_chosen_top(d, kind)}
    order by h.time_range, h.rank
    """

    build.__doc__ = f"The chosen top {kind}' ranks in all three time ranges of the same snapshot: rising or lasting."
    return build


top_tracks_movement = register("top_tracks_movement", _movement("tracks"))
top_artists_movement = register("top_artists_movement", _movement("artists"))
top_tracks_history = register("top_tracks_history", _history("tracks"))
top_artists_history = register("top_artists_history", _history("artists"))
top_tracks_across_ranges = register("top_tracks_across_ranges", _across_ranges("tracks"))
top_artists_across_ranges = register("top_artists_across_ranges", _across_ranges("artists"))


# --- playlists ---


@query
def playlist_summaries(d: Dialect) -> str:
    """Every playlist with its size, duration, owner, top three artists and genres."""
    return f"""
    with entries as (
        select pt.playlist_id, pt.track_id, pt.item_duration_ms, t.primary_artist_id, t.primary_artist_name
        from {d.table(FINAL, "playlist_tracks")} as pt
        left join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
        where pt.user_id = @user_id
    ),
    sizes as (
        select playlist_id, count(*) as entries_loaded, coalesce(sum(item_duration_ms), 0) / 3600000.0 as hours,
               count(distinct primary_artist_id) as artists
        from entries
        group by playlist_id
    ),
    artist_counts as (
        select playlist_id, primary_artist_name as artist_name, count(*) as n,
               row_number() over (partition by playlist_id order by count(*) desc, primary_artist_name) as position
        from entries
        where primary_artist_name is not null
        group by playlist_id, primary_artist_name
    ),
    genre_counts as (
        select e.playlist_id, g.genre, count(*) as n,
               row_number() over (partition by e.playlist_id order by count(*) desc, g.genre) as position
        from entries as e
        join {d.table(FINAL, "artist_genres")} as g on g.artist_id = e.primary_artist_id
        group by e.playlist_id, g.genre
    ),
    top_artists as (
        select playlist_id, string_agg(artist_name, ', ' order by position) as top_artists
        from artist_counts where position <= 3 group by playlist_id
    ),
    top_genres as (
        select playlist_id, string_agg(genre, ', ' order by position) as top_genres
        from genre_counts where position <= 3 group by playlist_id
    )
    select pl.playlist_id, pl.playlist_name, coalesce(pl.owner_name, pl.owner_id) as owner,
           pl.owner_id = pl.user_id as is_own, pl.track_count, coalesce(sizes.entries_loaded, 0) as entries_loaded,
           coalesce(sizes.hours, 0) as hours, coalesce(sizes.artists, 0) as artists, top_artists.top_artists,
           top_genres.top_genres, pl.is_public, pl.is_collaborative, pl.is_items_accessible, pl.description
    from {d.table(FINAL, "playlists")} as pl
    left join sizes on sizes.playlist_id = pl.playlist_id
    left join top_artists on top_artists.playlist_id = pl.playlist_id
    left join top_genres on top_genres.playlist_id = pl.playlist_id
    where pl.user_id = @user_id
    order by pl.track_count desc, pl.playlist_name
    """


@query
def playlist_entries(d: Dialect) -> str:
    """One playlist's entries in order, local files and episodes included."""
    return f"""
    select pt.position + 1 as position,
           coalesce(t.track_name, pt.local_name,
                    case when pt.item_type = 'episode' then 'Podcast episode' else 'Unavailable' end) as title,
           coalesce(t.primary_artist_name, pt.local_artist_name) as artist_name,
           t.album_name, pt.item_duration_ms / 60000.0 as minutes, pt.item_type, pt.added_at, pt.added_by
    from {d.table(FINAL, "playlist_tracks")} as pt
    left join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
    where pt.user_id = @user_id and pt.playlist_id = @playlist_id
    order by pt.position
    """


@query
def playlist_genres(d: Dialect, limit: int = 10) -> str:
    """Genres of one playlist's tracks (through each track's primary artist)."""
    return f"""
    select g.genre, count(*) as tracks
    from {d.table(FINAL, "playlist_tracks")} as pt
    join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
    join {d.table(FINAL, "artist_genres")} as g on g.artist_id = t.primary_artist_id
    where pt.user_id = @user_id and pt.playlist_id = @playlist_id
    group by g.genre
    order by tracks desc, g.genre
    {_limit(limit)}
    """


def _gains_and_losses(d: Dialect, table: str, where: str) -> str:
    """Per month (in `@tz`): rows of a history table whose period began (added) and ended (removed)."""
    return f"""
    with periods as (
        select valid_from, valid_to from {d.table(FINAL, table)} where {where}
    ),
    changes as (
        select {d.month_start(d.local_day("valid_from"))} as month, 'added' as change from periods
        union all
        select {d.month_start(d.local_day("valid_to"))} as month, 'removed' as change from periods
        where valid_to is not null
    )
    select month,
           count(case when change = 'added' then 1 end) as added,
           count(case when change = 'removed' then 1 end) as removed
    from changes
    group by month
    order by month
    """


@query
def likes_by_month(d: Dialect) -> str:
    """Songs liked and un-liked per month (saved_tracks_history: un-likes dated when a run first missed them)."""
    return _gains_and_losses(d, "saved_tracks_history", "user_id = @user_id")


@query
def playlist_changes_by_month(d: Dialect) -> str:
    """One playlist's entries added and removed per month (playlist_tracks_history)."""
    return _gains_and_losses(d, "playlist_tracks_history", "user_id = @user_id and playlist_id = @playlist_id")


@query
def removed_playlists(d: Dialect) -> str:
    """Playlists that left the account's list (deleted or unfollowed): their last version and when it ended."""
    return f"""
    with last_versions as (
        select playlist_id, playlist_name, owner_id, track_count, valid_to,
               row_number() over (partition by playlist_id order by valid_from desc) as recency
        from {d.table(FINAL, "playlists_history")}
        where user_id = @user_id
    )
    select playlist_name, owner_id, track_count, valid_to as removed_at
    from last_versions
    where recency = 1 and valid_to is not null
    order by valid_to desc
    """


# --- audio features ---


@query
def feature_coverage(d: Dialect) -> str:
    """How many tracks have audio features at all (none for development-tier apps)."""
    return f"""
    select (select count(*) from {d.table(FINAL, "tracks")}) as tracks,
           (select count(*) from {d.table(FINAL, "track_audio_features")}) as tracks_with_features
    """


_FEATURE_COLUMNS = ", ".join(f"f.{name}" for name in (*UNIT_FEATURES, "tempo", "loudness"))


@query
def features_of_liked_songs(d: Dialect) -> str:
    """Audio features of the liked songs, one row per track."""
    return f"""
    select t.track_name, t.primary_artist_name as artist_name, {_FEATURE_COLUMNS}
    from {d.table(FINAL, "saved_tracks")} as s
    join {d.table(FINAL, "tracks")} as t on t.track_id = s.track_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = s.track_id
    where s.user_id = @user_id
    """


@query
def features_of_playlist(d: Dialect) -> str:
    """Audio features of one playlist's tracks, one row per entry."""
    return f"""
    select t.track_name, t.primary_artist_name as artist_name, {_FEATURE_COLUMNS}
    from {d.table(FINAL, "playlist_tracks")} as pt
    join {d.table(FINAL, "tracks")} as t on t.track_id = pt.track_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = pt.track_id
    where pt.user_id = @user_id and pt.playlist_id = @playlist_id
    """


@query
def features_of_library(d: Dialect) -> str:
    """Audio features of every track of the user's library (liked, in playlists, played, top), one row each."""
    return f"""
    with library as (
        select track_id from {d.table(FINAL, "saved_tracks")} where user_id = @user_id
        union distinct
        select track_id from {d.table(FINAL, "playlist_tracks")} where user_id = @user_id and track_id is not null
        union distinct
        select track_id from {d.table(FINAL, HISTORY)}
        where user_id = @user_id and played_at >= @start_at and played_at < @end_at and track_id is not null
    )
    select t.track_name, t.primary_artist_name as artist_name, {_FEATURE_COLUMNS}
    from library
    join {d.table(FINAL, "tracks")} as t on t.track_id = library.track_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = library.track_id
    """


@query
def playlist_feature_profiles(d: Dialect) -> str:
    """Average audio features per playlist: each playlist's sound at a glance."""
    averages = ", ".join(f"avg(f.{name}) as {name}" for name in UNIT_FEATURES)
    return f"""
    select pl.playlist_name, count(*) as tracks, {averages}, avg(f.tempo) as tempo
    from {d.table(FINAL, "playlist_tracks")} as pt
    join {d.table(FINAL, "playlists")} as pl on pl.playlist_id = pt.playlist_id
    join {d.table(FINAL, "track_audio_features")} as f on f.track_id = pt.track_id
    where pt.user_id = @user_id
    group by pl.playlist_id, pl.playlist_name
    order by pl.playlist_name
    """
