"""The entities of the emulator's library (artists, tracks, playlists, plays, ...) and the `Library` that holds them.

Plain data: `library.generate` builds a `Library` from a seed, the API serialises it, `mutations` change it.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_HISTORY_END = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
TIME_RANGE_DAYS = {"short_term": 28, "medium_term": 182, "long_term": 365}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def spotify_id(rng: random.Random) -> str:
    """A 22-character base62 id, the shape of every Spotify id."""
    return "".join(rng.choice(_BASE62) for _ in range(22))


def to_ms(moment: datetime) -> int:
    """Unix milliseconds, the unit of recently-played cursors."""
    return int(moment.timestamp() * 1000)


def iso(moment: datetime, millis: bool = False) -> str:
    """ISO-8601 UTC with a `Z`, with or without milliseconds as Spotify mixes both."""
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Artist:
    id: str
    name: str
    genres: tuple[str, ...]
    popularity: int
    followers: int
    has_image: bool


@dataclass(frozen=True)
class Album:
    id: str
    name: str
    album_type: str
    release_date: str
    release_date_precision: str
    artist_ids: tuple[str, ...]
    total_tracks: int
    label: str
    upc: str


@dataclass(frozen=True)
class Track:
    id: str
    name: str
    album_id: str
    artist_ids: tuple[str, ...]
    duration_ms: int
    explicit: bool
    disc_number: int
    track_number: int
    popularity: int
    isrc: str
    has_preview: bool


@dataclass(frozen=True)
class AudioFeatures:
    track_id: str
    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    time_signature: int
    duration_ms: int


@dataclass(frozen=True)
class Show:
    id: str
    name: str
    publisher: str
    description: str
    total_episodes: int


@dataclass(frozen=True)
class Episode:
    id: str
    name: str
    show_id: str
    description: str
    duration_ms: int
    explicit: bool
    release_date: str
    language: str


@dataclass(frozen=True)
class LocalFile:
    """A file from the user's own disk added to a playlist: no Spotify ids at all."""

    artist: str
    album: str
    title: str
    seconds: int

    @property
    def uri(self) -> str:
        def enc(text: str) -> str:
            return text.replace(" ", "+")

        return f"spotify:local:{enc(self.artist)}:{enc(self.album)}:{enc(self.title)}:{self.seconds}"


@dataclass(frozen=True)
class User:
    id: str
    display_name: str | None
    email: str
    country: str
    product: str
    followers: int
    account_id: str
    has_image: bool


@dataclass(frozen=True)
class PlaylistEntry:
    """One row of a playlist. `kind` is track, episode, local or unavailable (Spotify sends `item: null`)."""

    kind: str
    ref_id: str | None
    local: LocalFile | None
    added_at: datetime | None
    added_by: str | None


@dataclass
class Playlist:
    id: str
    name: str
    description: str
    owner_id: str
    public: bool
    collaborative: bool
    collaborator_ids: tuple[str, ...]
    image_count: int
    followers: int
    entries: list[PlaylistEntry]
    version: int = 0
    _snapshot: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    @property
    def snapshot_id(self) -> str:
        """Changes whenever the contents change, like Spotify's: a hash of the id, the version and the entries.

        Cached per version: every change to `entries` goes through `mutations`, which bumps the version.
        """
        if self._snapshot is None or self._snapshot[0] != self.version:
            self._snapshot = (self.version, self._compute_snapshot())
        return self._snapshot[1]

    def _compute_snapshot(self) -> str:
        digest = hashlib.sha256(f"{self.id}:{self.version}:{len(self.entries)}".encode())
        for entry in self.entries:
            digest.update(f"{entry.kind}:{entry.ref_id}:{entry.local}:{entry.added_at}".encode())
        return base64.b64encode(self.version.to_bytes(4, "big") + digest.digest()[:16]).decode()

    def editable_by(self, user_id: str) -> bool:
        """Owner or collaborator: the playlists a development-mode app may read the items of."""
        return self.owner_id == user_id or user_id in self.collaborator_ids


@dataclass(frozen=True)
class Play:
    track_id: str
    played_at: datetime
    has_millis: bool
    context_type: str | None
    context_uri: str | None

    @property
    def played_at_ms(self) -> int:
        return to_ms(self.played_at)

    @property
    def played_at_iso(self) -> str:
        return iso(self.played_at, self.has_millis)


@dataclass(frozen=True)
class SavedTrack:
    track_id: str
    added_at: datetime


@dataclass
class Library:
    """Everything one emulated account holds. Lists keep the order the API serves them in."""

    seed: int
    profile: str
    user: User
    users: dict[str, User]
    artists: dict[str, Artist]
    albums: dict[str, Album]
    tracks: dict[str, Track]
    audio_features: dict[str, AudioFeatures]
    shows: dict[str, Show]
    episodes: dict[str, Episode]
    playlists: list[Playlist]
    null_playlist_slots: tuple[int, ...]
    plays: list[Play]
    saved_tracks: list[SavedTrack]
    top_tracks: dict[str, list[str]]
    top_artists: dict[str, list[str]]
    mutations: Counter[str] = field(default_factory=Counter)
    history_end: datetime = DEFAULT_HISTORY_END
    """When the generated history ends: where an account without plays or likes starts when it gets some."""
    removed_playlists: list[Playlist] = field(default_factory=list)
    """Playlists taken out of the user's list (`mutations.remove_playlist`), oldest removal first: the user's own
    are deleted (404), other people's only unfollowed (still readable by id, no longer listed)."""

    def playlist(self, playlist_id: str) -> Playlist | None:
        """A playlist readable by id: one of the user's list, or someone else's the user unfollowed."""
        found = next((p for p in self.playlists if p.id == playlist_id), None)
        if found is None and self.removed_playlists:
            found = next(
                (p for p in self.removed_playlists if p.id == playlist_id and p.owner_id != self.user.id), None
            )
        return found

    def playlist_listing(self) -> list[Playlist | None]:
        """`/me/playlists` as served: the playlists with `null` slots where Spotify sends a `null` item.

        An account without playlists (none generated, or all removed) lists nothing, not even a `null` slot."""
        if not self.playlists:
            return []
        listing: list[Playlist | None] = list(self.playlists)
        for slot in self.null_playlist_slots:
            listing.insert(min(slot, len(listing)), None)
        return listing
