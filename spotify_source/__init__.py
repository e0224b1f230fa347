"""The Spotify dlt source: a person's profile, playlists, plays, top lists, liked songs, tracks, artists, features.

A run is two loads (`load_stages`): the facts, each resource landing the tracks, episodes and full artists it
carries in their own tables (dlt routes them, so the fact resources are independent and may run in any order),
then `enrichment`, which asks the warehouse which artists lack a full row and which tracks lack audio features,
asks Spotify for those only, and ends with the run's report. README.md has the table of resources and what each
app tier provides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.common.typing import TDataItem
from dlt.sources import DltResource, DltSource

from spotify_source import helpers, known, settings
from spotify_source.auth import TokenManager
from spotify_source.http_client import HttpSettings, SpotifyApi
from spotify_source.run_context import RunContext

FACT_RESOURCES = (
    "users", "playlists", "playlist_items", "recently_played", "top_tracks", "top_artists", "saved_tracks",
)  # fmt: skip
ENRICHMENT_RESOURCES = ("enrichment",)


def load_stages(source: DltSource) -> list[DltSource]:
    """The source as the loads of one run, in order: the facts, then the enrichment.

    The enrichment reads the warehouse to learn what the facts left unknown, so it must run after they are loaded
    (extract, normalise, load each stage in turn: `for stage in load_stages(source): pipeline.run(stage)`).
    Both stages share the run: one token, one request count, one `extraction_runs` row."""
    return [source.with_resources(*FACT_RESOURCES), source.with_resources(*ENRICHMENT_RESOURCES)]


@dlt.source(name="spotify", section="spotify", max_table_nesting=1)
def spotify_source(
    client_id: str | None = None,
    refresh_token: dlt.TSecretStrValue | None = None,
    client_secret: dlt.TSecretStrValue | None = None,
    api_base_url: str = settings.DEFAULT_API_BASE_URL,
    accounts_base_url: str = settings.DEFAULT_ACCOUNTS_BASE_URL,
    max_playlists: int | None = None,
    max_tracks_per_playlist: int | None = None,
    top_limit: int = settings.TOP_LIST_MAX,
    saved_tracks_full_check_days: float = settings.SAVED_TRACKS_FULL_CHECK_DAYS,
    max_retry_after_seconds: int = 120,
    max_attempts: int = 3,
    max_concurrency: int = 4,
    request_timeout_seconds: float = 30.0,
    retry_backoff_seconds: float = 0.5,
    artist_request_budget: int = 100,
    token_cache_path: str | None = None,
    cached_login_only: bool = False,
) -> Sequence[DltResource]:
    """Everything of one Spotify account. Credentials come from `[sources.spotify]` secrets (or env vars).

    Args:
        max_playlists: read at most this many playlists of the user's list (owned and followed), in its order;
            unset, all of them. A list cut by it is not complete, so no playlist counts as removed.
        max_tracks_per_playlist: read at most this many entries of each playlist, from the top; unset, all.
        top_limit: length of each top list (tracks and artists, for each of the three time ranges); 50, Spotify's
            most, unless set lower.
        saved_tracks_full_check_days: read the whole list of liked songs at least this often, to notice a like
            and an un-like between two runs (the count alone cannot).
        max_retry_after_seconds: wait out a 429 up to this long; beyond it the run stops (exit code 4).
        retry_backoff_seconds: the scale of the wait before repeating a request that failed transiently (5xx, a
            dropped connection): random up to this × 2^attempt, at most 20 s (full jitter).
        artist_request_budget: development tier only: at most this many single `/artists/{id}` calls per run.
        token_cache_path: owner-only file where access tokens and rotated refresh tokens are kept.
        cached_login_only: use the login in `token_cache_path` only, never a configured `refresh_token`: in a
            household warehouse that token is the default account's, and must not load another account.
    """
    settings.check_settings(locals())
    tokens = TokenManager(
        accounts_base_url,
        client_id,
        None if cached_login_only else refresh_token,
        client_secret=client_secret,
        cache_path=Path(token_cache_path) if token_cache_path else None,
        timeout=request_timeout_seconds,
    )
    api = SpotifyApi(
        api_base_url,
        tokens,
        HttpSettings(
            timeout_seconds=request_timeout_seconds,
            max_attempts=max_attempts,
            backoff_seconds=retry_backoff_seconds,
            max_retry_after_seconds=max_retry_after_seconds,
            max_concurrency=max_concurrency,
        ),
    )
    run = RunContext(
        api, max_playlists=max_playlists, max_tracks_per_playlist=max_tracks_per_playlist, top_limit=top_limit
    )

    def start_run() -> None:
        """Each fact resource begins here: the first one to run sends ahead what the selected resources will ask."""
        run.start(dlt.current.source().resources.selected)

    @dlt.resource(name="users", primary_key="id", write_disposition="merge", columns=settings.USER_COLUMNS)
    def users() -> Iterator[TDataItem]:
        start_run()
        yield helpers.user_row(run.me(), run.extracted_at)

    # Keyed by account too: people of a household follow the same playlists, each in their own list and order.
    @dlt.resource(
        name="playlists", primary_key=("user_id", "id"), write_disposition="merge", columns=settings.PLAYLIST_COLUMNS
    )
    def playlists() -> Iterator[TDataItem]:
        start_run()
        for position, playlist in enumerate(run.playlists()):
            yield helpers.playlist_row(playlist, run.user_id, position, run.extracted_at)

    @dlt.resource(
        name="playlist_items",
        primary_key=("user_id", "playlist_id", "position"),
        merge_key=("user_id", "playlist_id"),
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        columns=settings.ENTRY_COLUMNS,
    )
    def playlist_items() -> Iterator[TDataItem]:
        """Entries of playlists whose snapshot changed since the last successful load, replaced whole."""
        start_run()
        state = dlt.current.resource_state().setdefault("snapshots", {})
        listed = run.playlists()
        if run.report.playlists_complete:
            # Playlists gone from the list leave the state too: it stays as long as the list, not the history.
            for playlist_id in set(state) - {p["id"] for p in listed}:
                del state[playlist_id]
        changed = []
        for playlist in listed:
            if state.get(playlist["id"]) == playlist["snapshot_id"]:
                run.report.count("playlists_unchanged")
            else:
                changed.append(playlist)
        for playlist, entries in run.playlist_entries(changed):
            playlist_id, snapshot = playlist["id"], playlist["snapshot_id"]
            if entries is None:
                continue
            # One list per playlist (dlt's extract costs per item it is handed): tracks and episodes, then entries.
            yield from run.embedded_page([entry.get("item", entry.get("track")) for entry in entries])
            if entries:
                user_id, extracted_at = run.user_id, run.extracted_at
                yield [helpers.entry_row(entry, playlist_id, snapshot, position, user_id, extracted_at)
                       for position, entry in enumerate(entries)]  # fmt: skip
            state[playlist_id] = snapshot
            run.report.count("playlists_read")

    @dlt.resource(
        name="recently_played",
        primary_key=("user_id", "played_at"),
        write_disposition="merge",
        columns=settings.PLAY_COLUMNS,
    )
    def recently_played(
        # The tracks the plays carry go out beside them, to `tracks`: rows without a cursor, passed through.
        played_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            "played_at", initial_value=None, on_cursor_value_missing="include"
        ),
    ) -> Iterator[TDataItem]:
        """New plays since the last load (`after=` the cursor); notes a gap when all 50 reachable plays are new."""
        start_run()
        cursor = played_at.last_value
        for item in run.recently_played(cursor):
            yield from run.embedded(item["track"])
            yield helpers.play_row(item, run.user_id, run.extracted_at)

    @dlt.resource(
        name="top_tracks", primary_key=("user_id", "time_range", "snapshot_date", "rank"), write_disposition="merge"
    )
    def top_tracks() -> Iterator[TDataItem]:
        start_run()
        for time_range, rank, track in run.top("tracks"):
            yield from run.embedded(track)
            yield run.top_row(time_range, rank, "track_id", track["id"])

    @dlt.resource(
        name="top_artists", primary_key=("user_id", "time_range", "snapshot_date", "rank"), write_disposition="merge"
    )
    def top_artists() -> Iterator[TDataItem]:
        start_run()
        for time_range, rank, artist in run.top("artists"):
            yield run.full_artist(artist)
            yield run.top_row(time_range, rank, "artist_id", artist["id"])

    @dlt.resource(
        name="saved_tracks",
        primary_key=("user_id", "track_id", "added_at"),
        write_disposition="merge",
        columns=settings.SAVED_TRACK_COLUMNS,
    )
    def saved_tracks() -> Iterator[TDataItem]:
        """Liked songs: the new ones, or the whole list when a count or the periodic check says to read it.

        `extracted_at` is when a like was last seen: after a complete read, a like not seen since is un-liked
        (dbt's `saved_tracks` and `saved_tracks_history`). A song liked again has a new `added_at`, so a new row.
        """
        start_run()
        state = dlt.current.resource_state()
        for page in run.liked_songs(state, timedelta(days=saved_tracks_full_check_days)):
            likes = [item for item in page if helpers.is_spotify_track(item.get("track"))]
            yield from run.embedded_page([item["track"] for item in likes])
            if likes:
                yield [
                    {
                        "user_id": run.user_id,
                        "track_id": item["track"]["id"],
                        "added_at": helpers.parse_time(item["added_at"]),
                        "extracted_at": run.extracted_at,
                    }
                    for item in likes
                ]

    @dlt.resource(
        name="enrichment", table_name="extraction_runs", write_disposition="append", columns=settings.RUN_COLUMNS
    )
    def enrichment() -> Iterator[Any]:
        """What the loaded facts leave unknown, asked of Spotify; then the run's report (the table `extraction_runs`).

        Full artists for the artists tracks name without an `artists` row (development tier: at most
        `artist_request_budget` per run; the rest stay missing and are asked next run), and audio features for the
        tracks with none, in full batches. A crash before this stage loses nothing: the next run sees the same gaps.
        """
        if set(FACT_RESOURCES) & set(dlt.current.source().resources.selected):
            raise RuntimeError("enrichment reads what the facts' load left unknown: load `load_stages(source)` in turn")
        pipeline = dlt.current.pipeline()
        state = dlt.current.resource_state()
        # Asked of the warehouse first, so the first audio-features batch (the tier's probe) goes out beside the
        # artists' requests instead of after them.
        features = run.start_audio_features(known.tracks_lacking_audio_features(pipeline), state)
        for artist in run.missing_artists(known.artists_lacking_a_full_row(pipeline), artist_request_budget):
            yield run.full_artist(artist)
        if features is not None:
            for track_id, answer in features:
                yield run.audio_features_row(track_id, answer)
            run.remember_audio_features_refusal(state)
        yield run.summary_row()
        run.close()

    # Which tables each resource lands beside its own: the objects its answers embed, and what enrichment asks.
    for resource in (playlist_items, recently_played, top_tracks, saved_tracks):
        helpers.lands_beside(resource, "tracks", "episodes")
    helpers.lands_beside(top_artists, "artists")
    helpers.lands_beside(enrichment, "artists", "audio_features", settings.TRACKS_WITHOUT_AUDIO_FEATURES)
    return users, playlists, playlist_items, recently_played, top_tracks, top_artists, saved_tracks, enrichment


__all__ = ["ENRICHMENT_RESOURCES", "FACT_RESOURCES", "load_stages", "spotify_source"]
