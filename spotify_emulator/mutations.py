"""How the library moves on between runs, as a real account does: new plays, an edited playlist, new likes,
and removals: un-liked songs, a deleted or unfollowed playlist (entries leave a playlist through `edit_playlist`).

Each mutation draws from a generator seeded with (library seed, kind, how many of that kind came before), so a
test that adds 10 plays and edits a playlist sees the same new data every time it runs.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from spotify_emulator.model import Library, Play, Playlist, PlaylistEntry, SavedTrack


def _rng(library: Library, kind: str) -> random.Random:
    library.mutations[kind] += 1
    return random.Random(f"{library.seed}:{library.profile}:mutation:{kind}:{library.mutations[kind]}")


def _latest_moment(library: Library) -> datetime:
    candidates = [p.played_at for p in library.plays[-1:]]
    candidates += [s.added_at for s in library.saved_tracks[:1]]
    return max(candidates, default=library.history_end)


def add_plays(library: Library, count: int, context_playlist: str | None = None) -> list[Play]:
    """Append `count` plays after the latest one, a track length apart, like a listening session."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = _rng(library, "plays")
    track_ids = list(library.tracks)
    moment = _latest_moment(library) + timedelta(minutes=rng.randint(5, 240))
    added: list[Play] = []
    for _ in range(count):
        track_id = rng.choice(track_ids)
        millis = rng.random() > 0.2
        moment = moment.replace(microsecond=(rng.randint(0, 999) * 1000) if millis else 0)
        context = ("playlist", f"spotify:playlist:{context_playlist}") if context_playlist else (None, None)
        play = Play(track_id, moment, millis, *context)
        added.append(play)
        moment += timedelta(milliseconds=library.tracks[track_id].duration_ms + rng.randint(500, 5000))
    library.plays.extend(added)
    return added


def edit_playlist(library: Library, playlist_id: str | None = None, add: int = 3, remove: int = 2) -> Playlist:
    """Remove `remove` entries and append `add` tracks to a playlist the user owns; its snapshot id changes."""
    rng = _rng(library, "playlist-edit")
    if playlist_id is None:
        own = [p for p in library.playlists if p.owner_id == library.user.id and len(p.entries) > remove]
        if not own:
            raise ValueError("the library has no playlist of the user's own to edit")
        playlist = own[0]
    else:
        found = library.playlist(playlist_id)
        if found is None:
            raise ValueError(f"no playlist {playlist_id!r} in the library")
        playlist = found
    for _ in range(min(remove, len(playlist.entries))):
        playlist.entries.pop(rng.randrange(len(playlist.entries)))
    moment = (_latest_moment(library) + timedelta(minutes=1)).replace(microsecond=0)
    for track_id in rng.sample(list(library.tracks), add):
        playlist.entries.append(PlaylistEntry("track", track_id, None, moment, library.user.id))
        moment += timedelta(seconds=rng.randint(5, 60))
    playlist.version += 1
    return playlist


def add_saved_tracks(library: Library, count: int) -> list[SavedTrack]:
    """Like `count` more tracks, newest first as `/me/tracks` serves them."""
    rng = _rng(library, "saved")
    saved_ids = {s.track_id for s in library.saved_tracks}
    candidates = [t for t in library.tracks if t not in saved_ids]
    moment = (_latest_moment(library) + timedelta(minutes=1)).replace(microsecond=0)
    added = []
    for track_id in rng.sample(candidates, min(count, len(candidates))):
        added.append(SavedTrack(track_id, moment))
        moment += timedelta(seconds=rng.randint(30, 600))
    library.saved_tracks[:0] = list(reversed(added))
    return added


def remove_saved_tracks(
    library: Library, count: int | None = None, track_ids: list[str] | None = None
) -> list[SavedTrack]:
    """Un-like songs: the ones in `track_ids`, or `count` liked songs drawn by the mutation's generator.

    Returns the removed likes in the order `/me/tracks` served them (newest first); `total` drops by as many.
    A track id that is not liked is an error, so a test that means to un-like something does.
    """
    rng = _rng(library, "saved-remove")
    if (count is None) == (track_ids is None):
        raise ValueError("give either count or track_ids")
    if track_ids is not None:
        liked = {s.track_id for s in library.saved_tracks}
        unknown = [t for t in track_ids if t not in liked]
        if unknown:
            raise ValueError(f"not liked: {', '.join(unknown)}")
        doomed = set(track_ids)
    else:
        if count is None or count < 0:
            raise ValueError("count must not be negative")
        positions = rng.sample(range(len(library.saved_tracks)), min(count, len(library.saved_tracks)))
        doomed = {library.saved_tracks[i].track_id for i in positions}
    removed = [s for s in library.saved_tracks if s.track_id in doomed]
    library.saved_tracks[:] = [s for s in library.saved_tracks if s.track_id not in doomed]
    return removed


def remove_playlist(library: Library, playlist_id: str | None = None) -> tuple[Playlist, bool]:
    """Take a playlist out of the user's list: delete it if the user owns it, else unfollow it.

    Either way it leaves `/me/playlists` (items and `total`). A deleted playlist is gone (404 by id); an
    unfollowed one is someone else's and stays readable by id. Without `playlist_id` one of the listed playlists
    is drawn by the mutation's generator. Returns the playlist and whether the user owned it.
    """
    rng = _rng(library, "playlist-remove")
    if playlist_id is None:
        if not library.playlists:
            raise ValueError("the library has no playlist to remove")
        playlist = rng.choice(library.playlists)
    else:
        found = next((p for p in library.playlists if p.id == playlist_id), None)
        if found is None:
            raise ValueError(f"no playlist {playlist_id!r} in the user's list")
        playlist = found
    library.playlists.remove(playlist)
    library.removed_playlists.append(playlist)
    return playlist, playlist.owner_id == library.user.id
