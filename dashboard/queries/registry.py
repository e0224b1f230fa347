"""The registry of the dashboard's statements: each is a named `Query` that writes its SQL for a `Dialect`.

Why a registry: the statements can be listed, rendered in both dialects and checked without a warehouse
(tests/dashboard/test_queries.py), and results are cached by a statement's name (dashboard/data.py).

- Time zones: plays are stored in UTC; days, hours and weekdays are those of the viewer's time zone (`@tz`), so a
  late-night session counts on the evening it happened. Period filters are UTC instants (`@start_at`, `@end_at`)
  computed from the viewer's local dates, which keeps them exact *and* lets BigQuery prune partitions.
- BigQuery partitions `recently_played` and `listening_history` by day of `played_at` and the top lists by day of
  `extracted_at`: every statement reading them filters that column with parameters, except those listed in
  `FULL_SCAN_BY_DESIGN` (they read one or two narrow columns to find the data's own range, which is what the
  filters are then built from).
- Only trusted constants are formatted in: dataset and table names, the dialect's own snippets, and row limits
  (integers the pages choose, checked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.queries.dialect import Dialect

# The marts the dashboard reads (dbt_project/models/marts/; the dbt exposure `dashboard` lists the same ones).
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
    "artist_parent_genres",
    "saved_tracks",
    "listening_history",
    "play_lengths",
    "listening_sessions",
    "saved_tracks_history",
    "playlists_history",
    "playlist_tracks_history",
    "pipeline_runs",
)
# BigQuery's partitioned tables and the column each is partitioned on.
PARTITIONED = {
    "recently_played": "played_at",
    "listening_history": "played_at",
    "play_lengths": "played_at",
    "listening_sessions": "started_at",
    "top_tracks": "extracted_at",
    "top_artists": "extracted_at",
}
# Every play, from the API and the data exports (the Listening page's table; `recently_played` holds the API's only).
HISTORY = "listening_history"
# The features charted, all on a 0-1 scale (tempo and loudness are charted on their own).
UNIT_FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness")


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


def limit_rows(rows: int) -> str:
    """`limit N` from a trusted integer (a page's constant: a row count is no user input, and a literal reads
    the same in both dialects)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValueError(f"not a row limit: {rows!r}")
    return f"limit {rows}"


def _tidy(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.strip().splitlines() if line.strip())
