"""What the warehouse already holds, asked by the enrichment after the run's facts are loaded.

The warehouse is the memory of what is known: a track's artists without a full artist row are owed one (whether
they were met in this run or an earlier run's budget ran out), a track without features or a `null` answer still
needs asking. Nothing of it is kept as id lists in dlt's state, which would grow with the library, and a crash
between the facts and the enrichment heals on the next run: the warehouse still shows what is missing.
"""

from __future__ import annotations

from dlt import Pipeline

from spotify_source.settings import TRACKS_WITHOUT_AUDIO_FEATURES

TRACK_ARTISTS = "tracks__artists"


def _tables(pipeline: Pipeline, candidates: tuple[str, ...]) -> set[str]:
    """The candidates that exist in the warehouse (dlt creates a table only when rows arrive: on a first run some do
    not). The warehouse is asked, not the pipeline's schema: in a household each account's pipeline has a schema of
    its own, which lacks a table another account's pipeline created, and its catalog would be asked for again."""
    with pipeline.destination_client() as client:  # dlt's own reflection, as its load uses on each destination
        return {table for table, columns in client.get_storage_tables(candidates) if columns}


def _ids(pipeline: Pipeline, sql: str, tables: tuple[str, ...]) -> list[str]:
    with pipeline.sql_client() as client:
        names = {table: client.make_qualified_table_name(table) for table in tables}
        return sorted(str(row[0]) for row in client.execute_sql(sql.format(**names)))


def artists_lacking_a_full_row(pipeline: Pipeline) -> list[str]:
    """Artists the warehouse's tracks name, with no row in `artists` (genres, images) yet."""
    tables = _tables(pipeline, (TRACK_ARTISTS, "artists"))
    if TRACK_ARTISTS not in tables:
        return []
    sql = "select distinct artist_id from {tracks__artists} where artist_id is not null"
    if "artists" in tables:
        sql += " and artist_id not in (select id from {artists})"
    return _ids(pipeline, sql, (TRACK_ARTISTS, "artists"))


def tracks_lacking_audio_features(pipeline: Pipeline) -> list[str]:
    """Tracks with neither features nor Spotify's `null` answer for them."""
    tables = _tables(pipeline, ("tracks", "audio_features", TRACKS_WITHOUT_AUDIO_FEATURES))
    if "tracks" not in tables:
        return []
    sql = "select id from {tracks} where true"
    for table in ("audio_features", TRACKS_WITHOUT_AUDIO_FEATURES):
        if table in tables:
            sql += f" and id not in (select id from {{{table}}})"
    return _ids(pipeline, sql, ("tracks", "audio_features", TRACKS_WITHOUT_AUDIO_FEATURES))
