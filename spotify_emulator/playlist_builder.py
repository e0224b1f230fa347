"""The library's playlists: the user's own, collaborative and followed ones, their entries and awkward specials,
and the playlist contexts of plays. Part of `library.generate`, drawn from the generators it passes in.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from spotify_emulator import names
from spotify_emulator.model import (
    Episode,
    LocalFile,
    Play,
    Playlist,
    PlaylistEntry,
    Track,
    User,
    spotify_id,
)
from spotify_emulator.profiles import Profile


def make_playlists(
    rng: random.Random,
    spec: Profile,
    me: User,
    users: dict[str, User],
    tracks: dict[str, Track],
    episodes: dict[str, Episode],
    plays: list[Play],
    history_end: datetime,
) -> list[Playlist]:
    others = [uid for uid in users if uid not in (me.id,)]
    people = [uid for uid in others if uid != "spotify"]
    track_ids = list(tracks)
    played = list(dict.fromkeys(p.track_id for p in plays))
    used_names: set[str] = set()
    kinds = (
        ["owned"] * spec.owned_playlists
        + ["collab-owned"] * spec.collaborative_owned
        + ["collaborating"] * spec.collaborating_playlists
        + ["followed"] * spec.followed_playlists
    )
    rng.shuffle(kinds)
    playlists: list[Playlist] = []
    sizes = list(spec.playlist_sizes)
    for index, kind in enumerate(kinds):
        if kind in ("owned", "collab-owned"):
            owner = me.id
        elif kind == "collaborating":
            owner = rng.choice(people)
        else:
            owner = "spotify" if rng.random() < 0.4 else rng.choice(people)
        collaborators: tuple[str, ...] = ()
        if kind == "collab-owned":
            collaborators = tuple(rng.sample(people, 2))
        elif kind == "collaborating":
            collaborators = (me.id, rng.choice([p for p in people if p != owner]))
        size = sizes[index] if index < len(sizes) else rng.randint(8, 80)
        created = history_end - timedelta(days=rng.randint(30, 3000))
        old_playlist = index % 9 == 4  # added_at / added_by are null on old playlists
        adders = (owner, *collaborators)
        entries: list[PlaylistEntry] = []
        source = played if rng.random() < 0.6 and len(played) > size else track_ids
        chosen = rng.sample(source, min(size, len(source)))
        while len(chosen) < size:
            chosen.append(rng.choice(track_ids))
        for track_id in chosen:
            added_at = None if old_playlist else created + (history_end - created) * rng.random()
            added_by = None if old_playlist else rng.choice(adders)
            if added_at is not None:
                added_at = added_at.replace(microsecond=0)
            entries.append(PlaylistEntry("track", track_id, None, added_at, added_by))
        if not old_playlist:
            entries.sort(key=lambda e: e.added_at or created)
        playlists.append(
            Playlist(
                id=spotify_id(rng),
                name=names.playlist_name(rng, used_names),
                description=rng.choice(
                    ("", "", "Songs I keep coming back to.", "Updated every now and then.", "For <i>you</i>.")
                ),
                owner_id=owner,
                public=rng.random() < 0.55 and kind != "collab-owned",
                collaborative=kind in ("collab-owned", "collaborating"),
                collaborator_ids=collaborators,
                image_count=rng.choice((0, 1, 1, 3, 3)),
                followers=rng.randint(0, 50) if owner != "spotify" else rng.randint(10_000, 3_000_000),
                entries=entries,
            )
        )
    _sprinkle_specials(rng, playlists, me, tracks, episodes)
    return playlists


def _sprinkle_specials(
    rng: random.Random,
    playlists: list[Playlist],
    me: User,
    tracks: dict[str, Track],
    episodes: dict[str, Episode],
) -> None:
    """Put the awkward cases Spotify produces into the user's own playlists, where every tier can read them:
    the same track twice, local files, podcast episodes and an unavailable (`null`) item."""
    # Among the first 20 listed and within the first 90 entries, so a run with default limits meets them all.
    own = [p for p in playlists[:20] if p.owner_id == me.id and p.entries]
    if not own:  # `followed-only`, `no-playlists`, `empty`: no playlist of the user's own to put them in
        return
    own.sort(key=lambda p: len(p.entries))

    def insert(playlist: Playlist, entry: PlaylistEntry) -> None:
        position = rng.randrange(0, min(len(playlist.entries), 90) + 1)
        playlist.entries.insert(position, entry)

    def stamp(playlist: Playlist) -> tuple[datetime | None, str | None]:
        dated = [e for e in playlist.entries if e.added_at is not None]
        if not dated:
            return None, None
        sample = rng.choice(dated)
        return sample.added_at, sample.added_by

    # Duplicates: in the two smallest own playlists and the largest one.
    for playlist in (*own[:2], own[-1]):
        original = rng.choice([e for e in playlist.entries if e.kind == "track"])
        added_at, added_by = stamp(playlist)
        insert(playlist, PlaylistEntry("track", original.ref_id, None, added_at, added_by))
    # Local files in two playlists.
    for playlist in own[1:3]:
        for _ in range(2):
            local = LocalFile(
                artist=names.artist_name(rng),
                album="Home Recordings",
                title=names.track_name(rng),
                seconds=rng.randint(120, 400),
            )
            added_at, added_by = stamp(playlist)
            insert(playlist, PlaylistEntry("local", None, local, added_at, added_by))
    # Podcast episodes in two playlists.
    episode_ids = list(episodes)
    for playlist in own[2:4]:
        for episode_id in rng.sample(episode_ids, min(2, len(episode_ids))):
            added_at, added_by = stamp(playlist)
            insert(playlist, PlaylistEntry("episode", episode_id, None, added_at, added_by))
    # A track that is no longer available: Spotify sends `item: null`.
    for playlist in own[:1] + own[3:4]:
        added_at, added_by = stamp(playlist)
        insert(playlist, PlaylistEntry("unavailable", None, None, added_at, added_by))


def attach_contexts(
    rng: random.Random,
    plays: list[Play],
    playlists: list[Playlist],
    tracks: dict[str, Track],
    me: User,
) -> None:
    """Give plays the context they were started from; about a fifth have none (`context: null`)."""
    containing: dict[str, list[str]] = {}
    for playlist in playlists:
        for entry in playlist.entries:
            if entry.kind == "track" and entry.ref_id:
                containing.setdefault(entry.ref_id, []).append(playlist.id)
    for index, play in enumerate(plays):
        roll = rng.random()
        track = tracks[play.track_id]
        if roll < 0.2:
            continue
        if roll < 0.65 and play.track_id in containing:
            context = ("playlist", f"spotify:playlist:{rng.choice(containing[play.track_id])}")
        elif roll < 0.85:
            context = ("album", f"spotify:album:{track.album_id}")
        elif roll < 0.93:
            context = ("artist", f"spotify:artist:{track.artist_ids[0]}")
        else:
            context = ("collection", f"spotify:user:{me.id}:collection")
        plays[index] = Play(play.track_id, play.played_at, play.has_millis, *context)
