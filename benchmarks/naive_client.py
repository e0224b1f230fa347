"""The baseline the request benchmark compares with: a client built the way the project's old design worked.

Every run it reads every playlist of the list and every page of each, then asks for the full artist objects and the
audio features of every track it saw, whether it knew them or not; plays, top lists and liked songs in full. It
keeps nothing between runs, so its second run costs what its first did. It is sequential and plain `requests`,
like the old script; only its request count is compared, never its speed. It talks to the same emulator as the
pipeline, with the same page sizes (50) and id batches (50 artists, 100 features), so the difference measured is
the design's, not the page size's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

PAGE = 50


class NaiveClient:
    def __init__(self, api_url: str, access_token: str) -> None:
        self.api_url = api_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"
        self.requests = 0

    def _get(self, path: str, **params: Any) -> requests.Response:
        self.requests += 1
        response = self.session.get(f"{self.api_url}{path}", params=params or None, timeout=30)
        if response.status_code not in (200, 403):
            response.raise_for_status()
        return response

    def _pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page by offset until Spotify says there is no next one; stops at a 403 (tier refuses)."""
        offset = 0
        while True:
            response = self._get(path, limit=PAGE, offset=offset, **params)
            if response.status_code == 403:
                return
            page = response.json()
            yield from (item for item in page["items"] if item)
            offset += PAGE
            if not page.get("next"):
                return

    def run(self) -> int:
        """One full run; returns the number of API requests it made."""
        before = self.requests
        self._get("/me")
        track_ids: set[str] = set()
        artist_ids: set[str] = set()

        def see(track: dict[str, Any] | None) -> None:
            if track and track.get("id") and track.get("type", "track") == "track":
                track_ids.add(track["id"])
                artist_ids.update(a["id"] for a in track.get("artists", []) if a.get("id"))

        for playlist in list(self._pages("/me/playlists")):
            for entry in self._pages(f"/playlists/{playlist['id']}/items", additional_types="track,episode"):
                see(entry.get("item"))
        for play in self._get("/me/player/recently-played", limit=PAGE).json()["items"]:
            see(play["track"])
        for time_range in ("short_term", "medium_term", "long_term"):
            for track in self._get("/me/top/tracks", time_range=time_range, limit=PAGE).json()["items"]:
                see(track)
            self._get("/me/top/artists", time_range=time_range, limit=PAGE)
        for saved in self._pages("/me/tracks"):
            see(saved["track"])
        self._artists(sorted(artist_ids))
        self._audio_features(sorted(track_ids))
        return self.requests - before

    def _artists(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 50):
            if self._get("/artists", ids=",".join(ids[start : start + 50])).status_code == 403:
                for artist_id in ids:  # development tier: no batch endpoint, one call per artist
                    self._get(f"/artists/{artist_id}")
                return

    def _audio_features(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 100):
            if self._get("/audio-features", ids=",".join(ids[start : start + 100])).status_code == 403:
                return  # development tier: refused, asked again next run
