"""One extraction run: the requests it makes and how it adapts to the app's tier.

Resources ask the run for data; the run knows which requests are still needed (pages at maximum size, full id
batches, nothing already stored) and records in the report what it skipped and why. It keeps no library data
between resources: embedded objects go out with the fact that carried them, and what is missing is asked of the
warehouse (known.py).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, MutableMapping
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from dlt.extract.items import DataItemWithMeta

from spotify_source import answers, helpers, settings
from spotify_source.http_client import SpotifyApi

FEATURES_REFUSED_RETRY_DAYS = 30
"""After `/audio-features` answered 403 outside the development tier, ask again only this much later."""


def _batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


class RunContext:
    def __init__(
        self, api: SpotifyApi, max_playlists: int | None, max_tracks_per_playlist: int | None, top_limit: int
    ) -> None:
        self.api = api
        self.top_limit = top_limit
        self.max_playlists = max_playlists
        self.max_tracks_per_playlist = max_tracks_per_playlist
        self.extracted_at = helpers.now_utc()
        self.report = helpers.RunReport(started_at=self.extracted_at)
        self._me: dict[str, Any] | None = None
        self._playlists: list[dict[str, Any]] | None = None
        self._emitted: set[tuple[str, str]] = set()
        # `/me` and the playlist list are asked once, whether by a resource or ahead by `start` in the api's threads.
        self._me_lock, self._playlists_lock, self._early_lock = threading.Lock(), threading.Lock(), threading.Lock()
        self._early: dict[tuple[str, ...], Future[Any]] | None = None
        """Requests `start` sent ahead, by what they answer; each taken once by the method that needs it."""

    # --- requests no other request waits for, sent at once ---

    def start(self, resources: Collection[str]) -> None:
        """Send now the requests of `resources` that depend on nothing but `/me`: the playlist list, the six top
        lists, the first page of liked songs. They go out beside one another (at most `max_concurrency` in flight) while
        the resources run one after another, so a resource finds its answers waiting rather than asking in turn.
        The first fact resource calls it; later calls do nothing. Only requests every run makes are sent ahead:
        the request counts stay the minimum (benchmarks/request_counts.py)."""
        with self._early_lock:
            if self._early is not None:
                return
            self._early = {}
        early = self._early
        # `/me` first, alone: a login or a network that fails, fails on one request, before any other goes out.
        self.me()
        if {"playlists", "playlist_items"} & set(resources):
            early[("playlists",)] = self.api.submit(self.playlists)  # first: the longest chain (list, then entries)
        for kind in ("tracks", "artists"):
            if f"top_{kind}" in resources:
                for time_range in settings.TIME_RANGES:
                    early[("top", kind, time_range)] = self.api.submit(self._top_list, kind, time_range)
        if "saved_tracks" in resources:
            early[("liked", "0")] = self.api.submit(self._liked_page, 0)

    def _take(self, *key: str) -> Future[Any] | None:
        with self._early_lock:
            return self._early.pop(key, None) if self._early else None

    # --- who and which tier ---

    def me(self) -> dict[str, Any]:
        """`/me`, once. Its fields tell the tier: development-mode apps get no `product`/`country` since 2026."""
        with self._me_lock:
            if self._me is None:
                me = self.api.get_json("/me", shape=answers.ME)
                extended = "product" in me or "country" in me
                self.report.tier = "extended" if extended else "development"
                self.report.user_id = me["id"]
                self._me = me
            return self._me

    @property
    def user_id(self) -> str:
        return str(self.me()["id"])

    @property
    def development(self) -> bool:
        self.me()
        return self.report.tier == "development"

    # --- playlists ---

    def playlists(self) -> list[dict[str, Any]]:
        """The user's list of playlists (Spotify's `null` entries skipped), all of it unless `max_playlists` is set.

        The list is complete (the report says so, and dbt may then take a playlist missing from it as removed)
        only when no limit cut it."""
        with self._playlists_lock:
            if self._playlists is None:
                cap = self.max_playlists
                found: list[dict[str, Any]] = []
                cut = False
                if cap is None or cap > 0:
                    pages = self.api.paginate("/me/playlists", {"limit": settings.PAGE_LIMIT}, answers.PLAYLISTS)
                    for page in pages:
                        found.extend(p for p in page if p)
                        if cap is not None and len(found) >= cap:
                            cut = True
                            break
                self._playlists = found if cap is None else found[:cap]
                self.report.playlists_complete = not cut and cap != 0
                self.report.count("playlists_seen", len(self._playlists))
            return self._playlists

    def playlist_entries(
        self, playlists: list[dict[str, Any]]
    ) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]] | None]]:
        """(playlist, its first `max_tracks_per_playlist` entries) for each playlist, in order; entries None when
        the tier forbids them or Spotify refuses them (403).

        The pages of all these playlists are sent in one concurrent batch (at most `max_concurrency` in flight):
        a first run reads dozens of playlists, mostly one or two pages each, and fetching them playlist by
        playlist would wait for every round trip in turn. Each playlist is handed on as soon as its pages are in,
        so its rows are made while the next pages are on their way.
        """
        pages: list[tuple[dict[str, Any], int, int]] = []
        page_counts: list[int | None] = []  # per playlist, in order: its pages, or None when it may not be read
        for playlist in playlists:
            owner = (playlist.get("owner") or {}).get("id")
            if self.development and owner != self.user_id and not playlist.get("collaborative"):
                page_counts.append(None)
                continue
            total = (playlist.get("items") or playlist.get("tracks") or {}).get("total", 0) or 0
            wanted = total if self.max_tracks_per_playlist is None else min(total, self.max_tracks_per_playlist)
            offsets = range(0, wanted, settings.PAGE_LIMIT)
            page_counts.append(len(offsets))
            pages.extend((playlist, offset, min(settings.PAGE_LIMIT, wanted - offset)) for offset in offsets)

        def page(request: tuple[dict[str, Any], int, int]) -> Any:
            playlist, offset, limit = request
            params = {"offset": offset, "limit": limit, "additional_types": "track,episode"}
            return self.api.get(f"/playlists/{playlist['id']}/items", params, allow=(403,))

        responses = self.api.imap(page, pages)
        for playlist, page_count in zip(playlists, page_counts, strict=True):
            if page_count is None:
                self.report.count("playlists_not_readable")
                self.report.note(
                    "Development-mode apps may read the items only of playlists the user owns or collaborates on; "
                    "the items of followed playlists were skipped."
                )
                yield playlist, None
                continue
            answered = [next(responses) for _ in range(page_count)]
            if any(r.status_code == 403 for r in answered):
                self.report.count("playlists_not_readable")
                self.report.note(f"Spotify refused the items of playlist {playlist['id']} (403); they were skipped.")
                yield playlist, None
                continue
            entries: list[dict[str, Any]] = []
            for response in answered:
                entries.extend(self.api.json(response, answers.ENTRIES)["items"])
            yield playlist, entries[: self.max_tracks_per_playlist]  # a slice to None keeps them all

    # --- plays and top lists ---

    def recently_played(self, cursor: datetime | None) -> Iterator[dict[str, Any]]:
        """Plays after the cursor, oldest page first. All 50 reachable plays newer than the cursor = a possible gap."""
        params: dict[str, Any] = {"limit": settings.RECENTLY_PLAYED_WINDOW}
        if cursor is not None:
            params["after"] = helpers.to_unix_ms(cursor)
        page = self.api.get_json("/me/player/recently-played", params, answers.PLAYS)
        items: list[dict[str, Any]] = list(page.get("items") or [])
        while page.get("next"):
            page = self.api.get_json(page["next"], shape=answers.PLAYS)
            items.extend(page.get("items") or [])
        self.report.count("plays_fetched", len(items))
        if cursor is not None and len(items) >= settings.RECENTLY_PLAYED_WINDOW:
            oldest = min(helpers.parse_time(i["played_at"]) for i in items)  # type: ignore[type-var]
            self.report.gaps.append({"gap_after": cursor, "gap_before": oldest})
            self.report.note(
                "All 50 plays Spotify keeps were newer than the last run: plays in between may be lost. "
                "Run more often, or import your Spotify data export for the full history."
            )
        yield from items

    def top(self, kind: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(time range, rank from 1, object) for the three time ranges, fetched concurrently (or sent by `start`)."""
        lists = [
            self._take("top", kind, time_range) or self.api.submit(self._top_list, kind, time_range)
            for time_range in settings.TIME_RANGES
        ]
        for time_range, items in zip(settings.TIME_RANGES, lists, strict=True):
            for rank, item in enumerate(items.result(), start=1):
                yield time_range, rank, item

    def _top_list(self, kind: str, time_range: str) -> list[dict[str, Any]]:
        limit = self.top_limit
        items: list[dict[str, Any]] = []
        for offset in range(0, limit, settings.PAGE_LIMIT):
            params = {"time_range": time_range, "limit": min(settings.PAGE_LIMIT, limit - offset), "offset": offset}
            page = self.api.get_json(f"/me/top/{kind}", params, answers.TOP)
            items.extend(page["items"])
            if not page.get("next"):
                break
        return items[:limit]

    def top_row(self, time_range: str, rank: int, id_column: str, item_id: str) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "time_range": time_range,
            "snapshot_date": self.extracted_at.date(),
            "rank": rank,
            id_column: item_id,
            "extracted_at": self.extracted_at,
        }

    # --- embedded objects ---

    def embedded(self, obj: dict[str, Any] | None) -> Iterator[DataItemWithMeta]:
        """The track or episode a fact carries, as a row for its own table (dlt routes it), once per run.

        The same track arrives in many entries, plays and lists: one row per run is enough for a merge on `id`
        and spares dlt the duplicates. Local files and unavailable items have no row of their own."""
        found = self._embedded_row(obj)
        if found:
            yield helpers.to_table(found[1], found[0])

    def embedded_page(self, objects: list[dict[str, Any] | None]) -> Iterator[DataItemWithMeta]:
        """As `embedded`, for a page of facts at once: one list per table. dlt's extract costs per item it is
        handed, and a list is one item: a first run of a big library makes tens of thousands of rows."""
        rows: dict[str, list[dict[str, Any]]] = {"tracks": [], "episodes": []}
        for table, row in filter(None, map(self._embedded_row, objects)):
            rows[table].append(row)
        for table, table_rows in rows.items():
            if table_rows:
                yield helpers.to_table(table_rows, table)

    def _embedded_row(self, obj: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
        """(table, row) of a track or episode not yet sent this run; None for anything else."""
        if helpers.is_spotify_track(obj):
            assert obj is not None
            if self._first_sight("tracks", obj["id"]):
                return "tracks", helpers.track_row(obj, self.extracted_at)
        elif obj and obj.get("type") == "episode" and obj.get("id") and self._first_sight("episodes", obj["id"]):
            return "episodes", helpers.episode_row(obj, self.extracted_at)
        return None

    def full_artist(self, artist: dict[str, Any]) -> DataItemWithMeta:
        """A full artist object (top artists carry them) as a row of `artists`."""
        return helpers.to_table(helpers.artist_row(artist, self.extracted_at), "artists")

    def _first_sight(self, table: str, item_id: str) -> bool:
        key = (table, item_id)
        if key in self._emitted:
            return False
        self._emitted.add(key)
        return True

    def missing_artists(self, missing: list[str], budget: int) -> Iterator[dict[str, Any]]:
        """Full objects of the artists the warehouse lacks: `/artists?ids=` by 50, or single `/artists/{id}` calls
        within a per-run budget where batches answer 403 (the rest wait in the warehouse for the next run)."""
        if not missing:
            return
        if not self.development:
            batches = _batches(missing, settings.IDS_PER_BATCH["artists"])
            responses = self.api.map(
                lambda ids: self.api.get("/artists", {"ids": ",".join(ids)}, allow=(403,)), batches
            )
            if all(r.status_code != 403 for r in responses):
                self.report.batch_endpoints_available = True
                for response in responses:
                    for artist in self.api.json(response, answers.ARTISTS)["artists"]:
                        if artist:
                            self.report.count("artists_fetched")
                            yield artist
                return
            self.report.note("`/artists?ids=` answered 403; fell back to single `/artists/{id}` calls.")
        self.report.batch_endpoints_available = False
        chosen = missing[:budget]
        if len(missing) > budget:
            self.report.note(
                f"{len(missing) - budget} artists left for later runs (`artist_request_budget` = {budget} per run)."
            )
        for artist in self.api.map(lambda a: self.api.get_json(f"/artists/{a}", shape=answers.ARTIST), chosen):
            self.report.count("artists_fetched")
            yield artist

    def start_audio_features(
        self, missing: list[str], state: MutableMapping[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any] | None]] | None:
        """`missing_audio_features(missing)` with its first request sent now; None when they may not be asked
        (`may_ask_audio_features`)."""
        if not self.may_ask_audio_features(state):
            return None
        probe = None
        if missing and not self.development:
            probe = self.api.submit(self._audio_features, missing[: settings.IDS_PER_BATCH["audio-features"]])
        return self.missing_audio_features(missing, probe)

    def _audio_features(self, batch: list[str]) -> Any:
        return self.api.get("/audio-features", {"ids": ",".join(batch)}, allow=(403,))

    def missing_audio_features(
        self, missing: list[str], probe: Future[Any] | None = None
    ) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(track id, its features or None) for the tracks the warehouse has no answer for, asked in batches of
        100; None is Spotify's `null`, a track it has no features for. Nothing when the tier refuses them.
        `probe`: the first batch's request, already sent."""
        if not missing:
            return
        if self.development:
            self.report.audio_features_available = False
            self.report.note("Audio features are not available to development-mode apps; none were requested.")
            return
        batches = _batches(missing, settings.IDS_PER_BATCH["audio-features"])
        fetch = self._audio_features

        # The first batch probes the tier; the rest go out concurrently once it answered 200.
        first = probe.result() if probe else fetch(batches[0])
        if first.status_code == 403:
            self.report.audio_features_available = False
            self.report.note("`/audio-features` answered 403: this app may not read audio features.")
            return
        self.report.audio_features_available = True
        for batch, response in zip(batches, [first, *self.api.map(fetch, batches[1:])], strict=True):
            if response.status_code == 403:
                self.report.note("`/audio-features` answered 403 part-way; the rest is left for later runs.")
                continue
            answered = {f["id"]: f for f in self.api.json(response, answers.AUDIO_FEATURES)["audio_features"] if f}
            self.report.count("audio_features_fetched", len(answered))
            for track_id in batch:
                yield track_id, answered.get(track_id)

    def audio_features_row(self, track_id: str, features: dict[str, Any] | None) -> DataItemWithMeta:
        """A row of `audio_features`, or, for Spotify's `null`, of `tracks_without_audio_features` (not asked again)."""
        if features is None:
            row = {"id": track_id, "extracted_at": self.extracted_at}
            return helpers.to_table(row, settings.TRACKS_WITHOUT_AUDIO_FEATURES)
        return helpers.to_table(helpers.audio_features_row(features, self.extracted_at), "audio_features")

    def may_ask_audio_features(self, state: MutableMapping[str, Any]) -> bool:
        """False for a while after `/audio-features` answered 403: the one flag the source keeps about it."""
        refused_at = state.get("audio_features_refused_at")
        if refused_at and self.extracted_at - datetime.fromisoformat(refused_at) < timedelta(
            FEATURES_REFUSED_RETRY_DAYS
        ):
            self.report.audio_features_available = False
            self.report.note(f"`/audio-features` answered 403 on {refused_at[:10]}: not asked again for "
                             f"{FEATURES_REFUSED_RETRY_DAYS} days.")  # fmt: skip
            return False
        state.pop("audio_features_refused_at", None)
        return True

    def remember_audio_features_refusal(self, state: MutableMapping[str, Any]) -> None:
        if self.report.audio_features_available is False and not self.development:
            state["audio_features_refused_at"] = self.extracted_at.isoformat()

    # --- liked songs ---

    def liked_songs(
        self, state: MutableMapping[str, Any], full_check_every: timedelta
    ) -> Iterator[list[dict[str, Any]]]:
        """Liked songs the warehouse lacks, newest first, a page (list) at a time; all of them when the list has to
        be read whole.

        `/me/tracks` pages newest first and has no change marker, only `total`. A run reads the first page and
        goes on only while every like on it is new: usually one request. The whole list is read (and the report
        says `saved_tracks_complete`, so dbt ends the likes it no longer holds) on the first run, when `total`
        differs from the count known plus the new likes (an un-like happened), and every `full_check_every` (a
        like and an un-like between two runs leave `total` unchanged). `state` keeps three scalars: the count,
        the newest like and the last full read.
        """
        limit = settings.PAGE_LIMIT
        pages: dict[int, list[dict[str, Any]]] = {}
        fetch = self._liked_page
        sent_ahead = self._take("liked", "0")
        first = sent_ahead.result() if sent_ahead else fetch(0)
        pages[0] = list(first.get("items") or [])
        total = int(first.get("total") or 0)
        known, newest = state.get("liked_total"), state.get("newest_added_at")
        checked = datetime.fromisoformat(state["full_check_at"]) if state.get("full_check_at") else None
        due = known is None or checked is None or self.extracted_at - checked >= full_check_every
        if not due:
            newest_at = datetime.fromisoformat(newest) if newest else None

            def is_new(item: dict[str, Any]) -> bool:
                added_at = helpers.parse_time(item.get("added_at"))
                return newest_at is None or added_at is None or added_at > newest_at

            fresh: list[dict[str, Any]] = []
            offset, page, more = 0, first, True
            while more:
                new_here = [item for item in pages[offset] if is_new(item)]
                fresh.extend(new_here)
                more = len(new_here) == len(pages[offset]) and bool(page.get("next"))
                if more:
                    offset += limit
                    page = fetch(offset)
                    pages[offset] = list(page.get("items") or [])
            if known + len(fresh) == total:
                self.report.saved_tracks_complete = False
                self.report.count("saved_tracks_seen", len(fresh))
                self._remember_likes(state, total, fresh, full=False)
                yield fresh
                return
            self.report.note(
                f"Spotify counts {total} liked songs, the warehouse {known} plus {len(fresh)} new: some were "
                "un-liked, so the whole list was read."
            )
        # The pages read so far, then the rest as each arrives (all sent at once): rows are made while pages travel.
        rest = self.api.imap(fetch, [o for o in range(limit, total, limit) if o not in pages])
        everything = [item for offset in sorted(pages) for item in pages[offset]]
        yield list(everything)
        for page in rest:
            items = list(page.get("items") or [])
            everything.extend(items)
            yield items
        self.report.saved_tracks_complete = True
        self.report.count("saved_tracks_seen", len(everything))
        self._remember_likes(state, total, everything, full=True)

    def _liked_page(self, offset: int) -> dict[str, Any]:
        return self.api.get_json("/me/tracks", {"limit": settings.PAGE_LIMIT, "offset": offset}, shape=answers.SAVED)

    def _remember_likes(
        self, state: MutableMapping[str, Any], total: int, items: list[dict[str, Any]], full: bool
    ) -> None:
        added = [moment for item in items if (moment := helpers.parse_time(item.get("added_at")))]
        if not full and state.get("newest_added_at"):
            added.append(datetime.fromisoformat(state["newest_added_at"]))
        state["liked_total"] = total
        state["newest_added_at"] = max(added).isoformat() if added else None
        if full:
            state["full_check_at"] = self.extracted_at.isoformat()

    def summary_row(self) -> dict[str, Any]:
        self.report.counts["api_requests"] = self.api.requests_sent
        row = self.report.row()
        # The login's age travels with the run, so the warehouse (and its dashboard) can warn before it runs out.
        login = self.api.tokens.login
        row["logged_in_at"] = login.logged_in_at if login else None
        row["refresh_token_expires_at"] = login.refresh_token_expires_at if login else None
        return row

    def close(self) -> None:
        self.api.close()
