"""`/_emulator/ground-truth`: the whole library as plain JSON, so tests compare the warehouse with what was served.

Values are the library's own (every field of the extended tier), independent of the tier being played; what a
tier hides is described, not removed: `items_readable_in_development` per playlist, `has_audio_features` per track.
`playlists` and `playlist_listing` hold what `/me/playlists` lists now; `removed_playlists` the playlists taken out
of it since the start (`owned`: deleted; else unfollowed), oldest removal first.
"""

from __future__ import annotations

from typing import Any

from spotify_emulator.model import Library, iso


def ground_truth(library: Library, mode: str) -> dict[str, Any]:
    user = library.user
    return {
        "seed": library.seed,
        "profile": library.profile,
        "mode": mode,
        "user": {
            "id": user.id,
            "display_name": user.display_name,
            "email": user.email,
            "country": user.country,
            "product": user.product,
            "followers": user.followers,
            "account_id": user.account_id,
        },
        "users": [{"id": u.id, "display_name": u.display_name} for u in library.users.values()],
        "playlist_listing": [p.id if p else None for p in library.playlist_listing()],
        "playlists": [
            {
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "owner_id": p.owner_id,
                "public": p.public,
                "collaborative": p.collaborative,
                "collaborator_ids": list(p.collaborator_ids),
                "snapshot_id": p.snapshot_id,
                "followers": p.followers,
                "image_count": p.image_count,
                "items_readable_in_development": p.editable_by(user.id),
                "entries": [
                    {
                        "position": position,
                        "kind": e.kind,
                        "track_id": e.ref_id if e.kind == "track" else None,
                        "episode_id": e.ref_id if e.kind == "episode" else None,
                        "local_uri": e.local.uri if e.local else None,
                        "added_at": iso(e.added_at) if e.added_at else None,
                        "added_by": e.added_by,
                    }
                    for position, e in enumerate(p.entries)
                ],
            }
            for p in library.playlists
        ],
        "removed_playlists": [
            {"id": p.id, "name": p.name, "owner_id": p.owner_id, "owned": p.owner_id == user.id}
            for p in library.removed_playlists
        ],
        "artists": [
            {
                "id": a.id,
                "name": a.name,
                "genres": list(a.genres),
                "popularity": a.popularity,
                "followers": a.followers,
            }
            for a in library.artists.values()
        ],
        "albums": [
            {
                "id": a.id,
                "name": a.name,
                "album_type": a.album_type,
                "release_date": a.release_date,
                "release_date_precision": a.release_date_precision,
                "artist_ids": list(a.artist_ids),
                "total_tracks": a.total_tracks,
            }
            for a in library.albums.values()
        ],
        "tracks": [
            {
                "id": t.id,
                "name": t.name,
                "album_id": t.album_id,
                "artist_ids": list(t.artist_ids),
                "duration_ms": t.duration_ms,
                "explicit": t.explicit,
                "disc_number": t.disc_number,
                "track_number": t.track_number,
                "popularity": t.popularity,
                "isrc": t.isrc,
                "has_audio_features": t.id in library.audio_features,
            }
            for t in library.tracks.values()
        ],
        "audio_features": [{k: v for k, v in vars(f).items()} for f in library.audio_features.values()],
        "shows": [{"id": s.id, "name": s.name, "publisher": s.publisher} for s in library.shows.values()],
        "episodes": [
            {"id": e.id, "name": e.name, "show_id": e.show_id, "duration_ms": e.duration_ms}
            for e in library.episodes.values()
        ],
        "plays": [
            {
                "track_id": p.track_id,
                "played_at": p.played_at_iso,
                "played_at_ms": p.played_at_ms,
                "context_type": p.context_type,
                "context_uri": p.context_uri,
            }
            for p in library.plays
        ],
        "saved_tracks": [{"track_id": s.track_id, "added_at": iso(s.added_at)} for s in library.saved_tracks],
        "top_tracks": {k: list(v) for k, v in library.top_tracks.items()},
        "top_artists": {k: list(v) for k, v in library.top_artists.items()},
    }
