"""How big each library profile is.

`reference` is sized like a heavy real user so that every limit of the pipeline bites (more than 20 playlists,
playlists over 100 entries, one over 1,000, more than 50 plays between runs); `small` is a few of everything
for fast tests; `large` is ten times `reference`, and `library-10k` a library of 10,000 liked songs, for
benchmarks. The awkward accounts real users have are variations of `small` with some counts at zero (`AWKWARD`):
`empty`, `no-playlists`, `no-likes`, `no-plays`, `followed-only`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    """Counts that drive the generator; everything else (names, dates, shapes) follows from the seed."""

    name: str
    artists: int
    tracks: int
    shows: int
    episodes_per_show: int
    owned_playlists: int
    collaborative_owned: int
    collaborating_playlists: int
    followed_playlists: int
    playlist_sizes: tuple[int, ...]
    """Sizes given to playlists in order; the rest get a size between 8 and 80."""
    plays: int
    history_days: int
    saved_tracks: int
    top_list_size: int
    null_playlist_slots: int
    other_users: int


PROFILES: dict[str, Profile] = {
    "small": Profile(
        name="small",
        artists=30,
        tracks=80,
        shows=2,
        episodes_per_show=4,
        owned_playlists=3,
        collaborative_owned=1,
        collaborating_playlists=1,
        followed_playlists=2,
        playlist_sizes=(60, 12, 25, 30, 8, 15, 10),
        plays=160,
        history_days=60,
        saved_tracks=30,
        top_list_size=20,
        null_playlist_slots=1,
        other_users=3,
    ),
    "reference": Profile(
        name="reference",
        artists=600,
        tracks=2000,
        shows=6,
        episodes_per_show=8,
        owned_playlists=12,
        collaborative_owned=2,
        collaborating_playlists=3,
        followed_playlists=11,
        playlist_sizes=(1250, 340, 180, 150, 120, 105),
        plays=8000,
        history_days=400,
        saved_tracks=450,
        top_list_size=50,
        null_playlist_slots=1,
        other_users=12,
    ),
    "large": Profile(
        name="large",
        artists=6000,
        tracks=20000,
        shows=20,
        episodes_per_show=20,
        owned_playlists=120,
        collaborative_owned=20,
        collaborating_playlists=30,
        followed_playlists=110,
        playlist_sizes=(5000, 2500, 1250, 1250, 800, 600, 400, 340, 300, 250, 200, 180, 150, 120, 105),
        plays=80000,
        history_days=730,
        saved_tracks=4500,
        top_list_size=50,
        null_playlist_slots=5,
        other_users=60,
    ),
    # A big library by likes, the way many people keep their music: 10,000 liked songs and 100 playlists (of
    # which 20 followed). The benchmarks' first run in the development tier (benchmarks/big_library.py).
    "library-10k": Profile(
        name="library-10k",
        artists=3000,
        tracks=14000,
        shows=6,
        episodes_per_show=8,
        owned_playlists=60,
        collaborative_owned=10,
        collaborating_playlists=10,
        followed_playlists=20,
        playlist_sizes=(2000, 1000, 500, 300, 250, 200, 150, 120, 105),
        plays=8000,
        history_days=400,
        saved_tracks=10000,
        top_list_size=50,
        null_playlist_slots=1,
        other_users=30,
    ),
}


def _small_without(name: str, **zeroed: int) -> Profile:
    """`small` with some of its counts changed (to zero, mostly): the same catalogue size, another library."""
    return replace(PROFILES["small"], name=name, **zeroed)


_NO_PLAYLISTS = {
    "owned_playlists": 0,
    "collaborative_owned": 0,
    "collaborating_playlists": 0,
    "followed_playlists": 0,
    "null_playlist_slots": 0,
}

AWKWARD: dict[str, Profile] = {
    # Nothing at all: no playlists (not even a `null` slot), no likes, no plays, so empty top lists; `/me` works.
    # Spotify's catalogue is still there (80 tracks), so mutations can give the account its first play or like.
    "empty": _small_without("empty", plays=0, saved_tracks=0, **_NO_PLAYLISTS),
    "no-playlists": _small_without("no-playlists", **_NO_PLAYLISTS),
    "no-likes": _small_without("no-likes", saved_tracks=0),
    # A new account: nothing played yet, so recently played and the three top lists are empty.
    "no-plays": _small_without("no-plays", plays=0),
    # Only other people's playlists, followed: a development-tier app may read the items of none of them.
    "followed-only": _small_without(
        "followed-only", owned_playlists=0, collaborative_owned=0, collaborating_playlists=0, followed_playlists=7
    ),
}
"""Accounts real users have that a heavy listener's does not: empty parts. Generated like the others."""

PROFILES.update(AWKWARD)


SCALED_SEPARATOR = "-x"
"""`reference-x5` names the reference profile scaled five times (see `scaled`)."""


def scaled(name: str, factor: int) -> Profile:
    """`name` with every count of the library multiplied by `factor`: the benchmarks' growth series (1×, 5×, 10×).

    There are `factor` times as many playlists of the same sizes (the big ones repeated), the listening history
    keeps its density (days grow with plays), and the top lists keep their length, as they do on Spotify. Its
    name, `<name>-x<factor>`, seeds the generator, so a scaled library is as deterministic as the named ones, which
    stay unchanged.
    """
    if factor < 1:
        raise ValueError("a profile can only be scaled by a whole factor of 1 or more")
    base = PROFILES[name]
    return Profile(
        name=f"{name}{SCALED_SEPARATOR}{factor}",
        artists=base.artists * factor,
        tracks=base.tracks * factor,
        shows=base.shows * factor,
        episodes_per_show=base.episodes_per_show,
        owned_playlists=base.owned_playlists * factor,
        collaborative_owned=base.collaborative_owned * factor,
        collaborating_playlists=base.collaborating_playlists * factor,
        followed_playlists=base.followed_playlists * factor,
        playlist_sizes=base.playlist_sizes * factor,
        plays=base.plays * factor,
        history_days=base.history_days * factor,
        saved_tracks=base.saved_tracks * factor,
        top_list_size=base.top_list_size,
        null_playlist_slots=base.null_playlist_slots,
        other_users=base.other_users * factor,
    )


def resolve(name: str) -> Profile:
    """The profile called `name`: one of PROFILES, or `<profile>-x<factor>` for a scaled one."""
    if name in PROFILES:
        return PROFILES[name]
    base, separator, factor = name.rpartition(SCALED_SEPARATOR)
    if separator and base in PROFILES and factor.isdigit():
        return scaled(base, int(factor))
    raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)} or e.g. reference-x5")
