"""The generated library: deterministic, and shaped so that every limit and oddity of Spotify shows up."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from spotify_emulator.ground_truth import ground_truth
from spotify_emulator.library import generate
from spotify_emulator.mutations import add_plays, add_saved_tracks, edit_playlist


def _truth(seed: int, profile: str) -> str:
    return json.dumps(ground_truth(generate(seed, profile), "extended"), sort_keys=True)


@pytest.mark.parametrize("profile", ["small", "reference"])
def test_same_seed_and_profile_give_identical_ground_truth(profile: str) -> None:
    assert _truth(7, profile) == _truth(7, profile)


def test_other_seed_gives_another_library() -> None:
    assert _truth(1, "small") != _truth(2, "small")


@pytest.fixture(scope="module")
def reference() -> dict:
    return ground_truth(generate(0, "reference"), "extended")


def test_reference_is_sized_like_a_heavy_user(reference: dict) -> None:
    playlists = reference["playlists"]
    sizes = [len(p["entries"]) for p in playlists]
    assert len(playlists) >= 25
    assert sum(size > 100 for size in sizes) >= 3
    assert max(sizes) > 1000
    assert 1800 <= len(reference["tracks"]) <= 2200
    assert 500 <= len(reference["artists"]) <= 700
    assert len(reference["plays"]) >= 2000
    days = {p["played_at"][:10] for p in reference["plays"]}
    assert len({d[:7] for d in days}) >= 6, "plays should spread over months"
    assert len(reference["saved_tracks"]) >= 300


def test_reference_has_every_kind_of_playlist(reference: dict) -> None:
    me = reference["user"]["id"]
    playlists = reference["playlists"]
    owned = [p for p in playlists if p["owner_id"] == me]
    followed = [p for p in playlists if p["owner_id"] != me and me not in p["collaborator_ids"]]
    collaborative = [p for p in playlists if p["collaborative"]]
    assert owned and followed and collaborative
    assert any(p["owner_id"] != me and me in p["collaborator_ids"] for p in playlists)
    assert None in reference["playlist_listing"], "Spotify sends null entries in the playlists list"


def test_reference_has_the_awkward_entries(reference: dict) -> None:
    entries = [e for p in reference["playlists"] for e in p["entries"]]
    kinds = Counter(e["kind"] for e in entries)
    assert kinds["local"] >= 2 and kinds["episode"] >= 2 and kinds["unavailable"] >= 1
    assert any(
        len([e["track_id"] for e in p["entries"] if e["track_id"]])
        > len({e["track_id"] for e in p["entries"] if e["track_id"]})
        for p in reference["playlists"]
    ), "some playlist holds the same track twice"
    assert any(e["added_at"] is None and e["added_by"] is None for e in entries), "old playlists lack added_at"
    locals_ = [e["local_uri"] for e in entries if e["kind"] == "local"]
    assert all(uri.startswith("spotify:local:") for uri in locals_)


def test_reference_has_all_release_precisions_and_play_shapes(reference: dict) -> None:
    precisions = Counter(a["release_date_precision"] for a in reference["albums"])
    assert set(precisions) == {"year", "month", "day"}
    shapes = Counter("." in p["played_at"] for p in reference["plays"])
    assert shapes[True] and shapes[False], "played_at comes with and without milliseconds"
    assert any(p["context_type"] is None for p in reference["plays"])
    assert any(p["context_type"] == "playlist" for p in reference["plays"])
    assert any(not a["genres"] for a in reference["artists"]) and any(a["genres"] for a in reference["artists"])
    assert any(not t["has_audio_features"] for t in reference["tracks"])


def test_top_lists_differ_between_time_ranges(reference: dict) -> None:
    tracks, artists = reference["top_tracks"], reference["top_artists"]
    assert tracks["short_term"] != tracks["medium_term"] != tracks["long_term"]
    assert artists["short_term"] != artists["long_term"]
    assert all(len(set(ids)) == len(ids) for ids in tracks.values())


def test_names_read_like_music(reference: dict) -> None:
    names = [t["name"] for t in reference["tracks"][:200]]
    assert not any(name.lower().startswith("track_") or name.isdigit() for name in names)
    assert len(set(names)) > 100


def test_mutations_move_the_library_on_deterministically() -> None:
    first, second = generate(3, "small"), generate(3, "small")
    for library in (first, second):
        before_last = library.plays[-1].played_at
        plays = add_plays(library, 10)
        assert len(plays) == 10 and plays[0].played_at > before_last
        assert [p.played_at for p in plays] == sorted(p.played_at for p in plays)
    assert [p.track_id for p in first.plays] == [p.track_id for p in second.plays]

    playlist = first.playlists[0] if first.playlists[0].owner_id == first.user.id else None
    playlist = playlist or next(p for p in first.playlists if p.owner_id == first.user.id)
    snapshot = playlist.snapshot_id
    edited = edit_playlist(first, playlist.id, add=3, remove=2)
    assert edited.snapshot_id != snapshot
    saved = add_saved_tracks(first, 4)
    assert [s.track_id for s in first.saved_tracks[:4]] == [s.track_id for s in reversed(saved)]
