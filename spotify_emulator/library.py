"""The synthetic music library the emulator serves, generated from a seed and a profile.

The library is the emulator's ground truth: the API answers from it, `/_emulator/ground-truth` dumps it, and
tests compare what lands in the warehouse with it. Every part is drawn from its own `random.Random` seeded with
`"<seed>:<part>"`, so the same seed and profile give the same library byte for byte, and changing how one part is
drawn does not reshuffle the others.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from spotify_emulator import names
from spotify_emulator.model import (
    DEFAULT_HISTORY_END,
    TIME_RANGE_DAYS,
    Album,
    Artist,
    AudioFeatures,
    Episode,
    Library,
    Play,
    SavedTrack,
    Show,
    Track,
    User,
    spotify_id,
)
from spotify_emulator.playlist_builder import attach_contexts, make_playlists
from spotify_emulator.profiles import Profile, resolve


@dataclass(frozen=True)
class Catalog:
    """Spotify's catalogue, which every account of a household shares: the same ids for the same songs."""

    artists: dict[str, Artist]
    albums: dict[str, Album]
    tracks: dict[str, Track]
    audio_features: dict[str, AudioFeatures]
    shows: dict[str, Show]
    episodes: dict[str, Episode]


def generate(
    seed: int = 0,
    profile: str = "reference",
    history_end: datetime = DEFAULT_HISTORY_END,
    catalog_seed: int | None = None,
) -> Library:
    """Build the library for `seed` and `profile`; pure, so the same arguments give the same library.

    `catalog_seed` (default: `seed`) draws the catalogue, so another account's library can be drawn over the same
    artists and tracks; left at None the library is byte for byte what one seed always gave."""
    catalog = make_catalog(seed if catalog_seed is None else catalog_seed, profile, history_end)
    return generate_over(catalog, seed, profile, history_end)


def generate_household(
    seed: int, profile: str, history_end: datetime = DEFAULT_HISTORY_END, accounts: int = 1
) -> list[Library]:
    """Account `i`'s library is `generate(seed + i, profile, history_end, catalog_seed=seed)`; the catalogue is
    drawn once and its objects shared, so a household of large libraries costs one catalogue, not N."""
    catalog = make_catalog(seed, profile, history_end)
    libraries = [generate_over(catalog, seed + index, profile, history_end) for index in range(accounts)]
    for other in libraries[1:]:
        follow_the_same_playlist(libraries[0], other)
    return libraries


def follow_the_same_playlist(first: Library, other: Library) -> None:
    """A household follows some playlists together (an editorial list, a friend's mix): `other` also follows the
    first account's first followed playlist, at the end of its list. The same object, as on Spotify: an edit shows
    in both accounts, an unfollow (`playlists/remove`) in one only."""
    followed = next((p for p in first.playlists if p.owner_id != first.user.id), None)
    if followed is None or followed in other.playlists:
        return
    other.playlists.append(followed)
    named = {followed.owner_id, *followed.collaborator_ids, *(e.added_by for e in followed.entries if e.added_by)}
    for user_id in named & set(first.users):
        other.users.setdefault(user_id, first.users[user_id])


def _rng(seed: int, profile: str, part: str) -> random.Random:
    return random.Random(f"{seed}:{profile}:{part}")


def make_catalog(seed: int, profile: str, history_end: datetime = DEFAULT_HISTORY_END) -> Catalog:
    """The catalogue part of `seed`'s library: artists, albums, tracks, audio features, shows and episodes."""
    spec = resolve(profile)
    artists = _make_artists(_rng(seed, profile, "artists"), spec)
    albums, tracks = _make_catalog(_rng(seed, profile, "catalog"), spec, list(artists))
    features = _make_audio_features(_rng(seed, profile, "features"), tracks)
    shows, episodes = _make_podcasts(_rng(seed, profile, "podcasts"), spec, history_end)
    return Catalog(artists, albums, tracks, features, shows, episodes)


def generate_over(catalog: Catalog, seed: int, profile: str, history_end: datetime = DEFAULT_HISTORY_END) -> Library:
    """One account's library of `seed` over `catalog`: its user, playlist owners, plays, playlists, likes and top
    lists come from `seed`; the catalogue objects are shared, not copied (nothing mutates them)."""
    spec = resolve(profile)

    def rng(part: str) -> random.Random:
        return _rng(seed, profile, part)

    tracks, episodes = catalog.tracks, catalog.episodes
    user, users = _make_users(rng("users"), spec, seed)
    plays = _make_plays(rng("plays"), spec, tracks, history_end)
    playlists = make_playlists(rng("playlists"), spec, user, users, tracks, episodes, plays, history_end)
    attach_contexts(rng("contexts"), plays, playlists, tracks, user)
    saved = _make_saved(rng("saved"), spec, plays, list(tracks), history_end)
    top_tracks, top_artists = _make_top_lists(spec, plays, tracks, history_end)
    slot_rng = rng("null-slots")
    null_slots: tuple[int, ...] = ()
    if len(playlists) > 1:  # every named profile but the awkward ones; nowhere to put a slot in a shorter list
        null_slots = tuple(sorted(slot_rng.randrange(1, len(playlists)) for _ in range(spec.null_playlist_slots)))
    return Library(
        seed=seed,
        profile=profile,
        user=user,
        users=users,
        artists=catalog.artists,
        albums=catalog.albums,
        tracks=tracks,
        audio_features=catalog.audio_features,
        shows=catalog.shows,
        episodes=episodes,
        playlists=playlists,
        null_playlist_slots=null_slots,
        plays=plays,
        saved_tracks=saved,
        top_tracks=top_tracks,
        top_artists=top_artists,
        history_end=history_end,
    )


def _user_id(rng: random.Random) -> str:
    """New accounts get ids like `31l77fd2ax3hbzkqtl6mwx4iaw7e`; older ones a chosen name."""
    return "31" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(26))


def has_nameless_user(seed: int) -> bool:
    """Whether this seed's user has `display_name: null`, as some real accounts do (every fourth seed)."""
    return seed % 4 == 3


def _make_users(rng: random.Random, spec: Profile, seed: int) -> tuple[User, dict[str, User]]:
    def make(display: str | None, login: str) -> User:
        return User(
            id=_user_id(rng),
            display_name=display,
            email=f"{login.lower()}@example.com",
            country=rng.choice(names.COUNTRIES),
            product=rng.choice(("premium", "premium", "free")),
            followers=rng.randint(0, 400),
            account_id=spotify_id(rng),
            has_image=rng.random() < 0.6,
        )

    first, last = names.person_name(rng)
    me = make(None if has_nameless_user(seed) else f"{first} {last}", f"{first}.{last}")
    users: dict[str, User] = {me.id: me}
    spotify = User("spotify", "Spotify", "editors@example.com", "SE", "premium", 4_000_000, spotify_id(rng), True)
    users[spotify.id] = spotify
    for index in range(spec.other_users):
        first, last = names.person_name(rng)
        # One owner without a display name: Spotify sends `display_name: null` for some accounts.
        other = make(None if index == 1 else first, f"{first}{index}")
        users[other.id] = other
    return me, users


def _make_artists(rng: random.Random, spec: Profile) -> dict[str, Artist]:
    artists: dict[str, Artist] = {}
    seen_names: set[str] = set()
    while len(artists) < spec.artists:
        name = names.artist_name(rng)
        if name in seen_names:
            # Real catalogues reuse names too; Spotify tells them apart by id. Keep ours distinct for readability.
            name = f"{name} ({len(seen_names) % 9 + 2})"
            if name in seen_names:
                continue
        seen_names.add(name)
        genre_count = rng.choices((0, 1, 2, 3, 4), weights=(8, 25, 35, 22, 10))[0]
        popularity = min(100, int(rng.betavariate(2, 3) * 100))
        artist = Artist(
            id=spotify_id(rng),
            name=name,
            genres=tuple(sorted(rng.sample(names.GENRES, genre_count))),
            popularity=popularity,
            followers=int(10 ** rng.uniform(1.5, 7.2)),
            has_image=rng.random() < 0.95,
        )
        artists[artist.id] = artist
    return artists


def _release_date(rng: random.Random) -> tuple[str, str]:
    year = rng.randint(1962, 2026)
    precision = rng.choices(("day", "month", "year"), weights=(88, 6, 6))[0]
    if precision == "year":
        return f"{year}", precision
    month = rng.randint(1, 12)
    if precision == "month":
        return f"{year}-{month:02d}", precision
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}", precision


def _make_catalog(
    rng: random.Random, spec: Profile, artist_ids: list[str]
) -> tuple[dict[str, Album], dict[str, Track]]:
    """Albums, singles and compilations until the profile's track count is reached; every artist gets one."""
    albums: dict[str, Album] = {}
    tracks: dict[str, Track] = {}
    labels = ("Northern Lights Records", "Paper Moon", "Blue Harbour", "Static Bloom", "Self-released")
    artist_cycle = list(artist_ids)
    rng.shuffle(artist_cycle)
    index = 0
    while len(tracks) < spec.tracks:
        main_artist = artist_cycle[index % len(artist_cycle)] if index < len(artist_cycle) else rng.choice(artist_ids)
        index += 1
        album_type = rng.choices(("album", "single", "compilation"), weights=(55, 35, 10))[0]
        size = {"album": rng.randint(7, 14), "single": rng.randint(1, 3), "compilation": rng.randint(10, 18)}[
            album_type
        ]
        size = min(size, spec.tracks - len(tracks))
        release_date, precision = _release_date(rng)
        album_artists = (main_artist,) if album_type != "compilation" else ()
        album = Album(
            id=spotify_id(rng),
            name=names.album_name(rng),
            album_type=album_type,
            release_date=release_date,
            release_date_precision=precision,
            artist_ids=album_artists,
            total_tracks=size,
            label=rng.choice(labels),
            upc=f"{rng.randint(10**11, 10**12 - 1)}",
        )
        for number in range(1, size + 1):
            if album_type == "compilation":
                performers: tuple[str, ...] = (rng.choice(artist_ids),)
            else:
                performers = (main_artist,)
            if rng.random() < 0.12:
                featured = rng.choice(artist_ids)
                if featured not in performers:
                    performers = (*performers, featured)
            track = Track(
                id=spotify_id(rng),
                name=names.track_name(rng),
                album_id=album.id,
                artist_ids=performers,
                duration_ms=int(rng.gauss(215_000, 50_000)) if rng.random() > 0.02 else rng.randint(30_000, 900_000),
                explicit=rng.random() < 0.15,
                disc_number=1 if number <= 20 else 2,
                track_number=number,
                popularity=min(100, max(0, int(rng.gauss(45, 20)))),
                isrc=f"{rng.choice(('US', 'GB', 'SE', 'DE', 'FR'))}{rng.choice(('UM7', 'AB1', 'QZ9', 'XK2'))}"
                f"{release_date[2:4]}{rng.randint(0, 99999):05d}",
                has_preview=rng.random() < 0.1,
            )
            tracks[track.id] = track
        albums[album.id] = album
    # Clamp durations that the Gaussian pushed out of a plausible range.
    for track_id, track in list(tracks.items()):
        if track.duration_ms < 30_000:
            tracks[track_id] = Track(**{**track.__dict__, "duration_ms": 30_000 + track.duration_ms % 60_000})
    return albums, tracks


def _make_audio_features(rng: random.Random, tracks: dict[str, Track]) -> dict[str, AudioFeatures]:
    """Features for almost every track; about 1 in 100 has none, and Spotify answers `null` for it."""
    features: dict[str, AudioFeatures] = {}
    for track in tracks.values():
        if rng.random() < 0.01:
            continue
        features[track.id] = AudioFeatures(
            track_id=track.id,
            danceability=round(rng.betavariate(4, 3), 3),
            energy=round(rng.betavariate(4, 3), 3),
            key=rng.randint(-1, 11) if rng.random() < 0.05 else rng.randint(0, 11),
            loudness=round(rng.uniform(-22.0, -2.0), 3),
            mode=rng.randint(0, 1),
            speechiness=round(rng.betavariate(1, 12), 4),
            acousticness=round(rng.betavariate(1.2, 3), 4),
            instrumentalness=round(rng.betavariate(0.4, 3), 5),
            liveness=round(rng.betavariate(1.5, 8), 4),
            valence=round(rng.betavariate(3, 3), 3),
            tempo=round(rng.uniform(62, 186), 3),
            time_signature=rng.choices((3, 4, 5, 6, 7), weights=(8, 86, 3, 2, 1))[0],
            duration_ms=track.duration_ms,
        )
    return features


def _make_podcasts(
    rng: random.Random, spec: Profile, history_end: datetime
) -> tuple[dict[str, Show], dict[str, Episode]]:
    shows: dict[str, Show] = {}
    episodes: dict[str, Episode] = {}
    for index in range(spec.shows):
        show = Show(
            id=spotify_id(rng),
            name=names.show_name(rng, index),
            publisher=rng.choice(names.PUBLISHERS),
            description="Conversations about the records that shaped us.",
            total_episodes=spec.episodes_per_show,
        )
        shows[show.id] = show
        for number in range(1, spec.episodes_per_show + 1):
            released = history_end - timedelta(days=7 * (spec.episodes_per_show - number) + rng.randint(0, 6))
            episode = Episode(
                id=spotify_id(rng),
                name=names.episode_name(rng, number),
                show_id=show.id,
                description=f"Episode {number} of {show.name}.",
                duration_ms=rng.randint(900_000, 5_400_000),
                explicit=rng.random() < 0.1,
                release_date=released.strftime("%Y-%m-%d"),
                language=rng.choice(("en", "en-US", "sv", "de")),
            )
            episodes[episode.id] = episode
    return shows, episodes


def _make_plays(rng: random.Random, spec: Profile, tracks: dict[str, Track], history_end: datetime) -> list[Play]:
    """Listening sessions over `history_days`; taste drifts, so the short, medium and long top lists differ.

    Plays follow each other by the track's length plus a gap, a few per session, sessions spread over days;
    about a fifth of `played_at` values come without milliseconds, as Spotify sends some.
    """
    track_ids = list(tracks)
    favourites = _taste_eras(rng, track_ids, eras=4)
    start = history_end - timedelta(days=spec.history_days)
    # Session start times: random moments, more in evenings, sorted.
    sessions = max(1, spec.plays // 9)
    starts = sorted(start + timedelta(days=rng.uniform(0, spec.history_days - 0.5)) for _ in range(sessions))
    plays: list[Play] = []
    for session_start in starts:
        era = min(3, int((session_start - start) / (history_end - start) * 4))
        moment = session_start.replace(hour=rng.choices(range(24), weights=_HOUR_WEIGHTS)[0])
        for _ in range(rng.randint(4, 14)):
            if len(plays) >= spec.plays:
                break
            track_id = _pick(rng, favourites[era], track_ids)
            length = tracks[track_id].duration_ms
            moment = moment + timedelta(milliseconds=rng.randint(length // 3, length) + rng.randint(300, 9000))
            if moment >= history_end:
                break
            millis = rng.random() > 0.2
            if not millis:
                moment = moment.replace(microsecond=0)
            else:
                moment = moment.replace(microsecond=(moment.microsecond // 1000) * 1000)
            plays.append(Play(track_id, moment, millis, None, None))
    plays.sort(key=lambda p: p.played_at)
    # Two plays can never share a millisecond in one account.
    unique: list[Play] = []
    for play in plays:
        if unique and play.played_at <= unique[-1].played_at:
            continue
        unique.append(play)
    return unique


_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 5, 8, 6, 5, 5, 6, 5, 5, 5, 6, 8, 9, 10, 10, 9, 6, 3)


def _taste_eras(rng: random.Random, track_ids: list[str], eras: int) -> list[list[str]]:
    """Favourites per era: a rotating core of tracks, so recent taste differs from the long-run one."""
    pool = list(track_ids)
    rng.shuffle(pool)
    size = max(10, len(pool) // 8)
    core = pool[: size // 2]
    result = []
    for era in range(eras):
        fresh = pool[size // 2 + era * size // 2 : size // 2 + (era + 1) * size // 2]
        result.append(core[era * len(core) // eras :] + fresh)
    return result


def _pick(rng: random.Random, favourites: list[str], everything: list[str]) -> str:
    """Mostly favourites with a Zipf-like lean to the first ones, sometimes anything."""
    if rng.random() < 0.75 and favourites:
        index = min(len(favourites) - 1, int(rng.paretovariate(1.1)) - 1)
        return favourites[index] if rng.random() < 0.5 else rng.choice(favourites)
    return rng.choice(everything)


def _make_saved(
    rng: random.Random, spec: Profile, plays: list[Play], track_ids: list[str], history_end: datetime
) -> list[SavedTrack]:
    """Liked songs, newest first, leaning on what was played."""
    counts = Counter(p.track_id for p in plays)
    liked = [track for track, _ in counts.most_common(spec.saved_tracks * 2)]
    rng.shuffle(liked)
    liked = liked[: spec.saved_tracks]
    for track_id in rng.sample(track_ids, len(track_ids)):
        if len(liked) >= spec.saved_tracks:
            break
        if track_id not in liked:
            liked.append(track_id)
    moments = sorted(
        (history_end - timedelta(seconds=rng.randint(60, 4 * 365 * 86400))).replace(microsecond=0) for _ in liked
    )
    saved = [SavedTrack(track_id, added_at) for track_id, added_at in zip(liked, moments, strict=True)]
    saved.reverse()
    return saved


def _make_top_lists(
    spec: Profile, plays: list[Play], tracks: dict[str, Track], history_end: datetime
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Top tracks and artists per time range, counted from the plays of that range (ties broken by id)."""
    top_tracks: dict[str, list[str]] = {}
    top_artists: dict[str, list[str]] = {}
    for time_range, days in TIME_RANGE_DAYS.items():
        since = history_end - timedelta(days=days)
        window = [p for p in plays if p.played_at >= since]
        track_counts = Counter(p.track_id for p in window)
        artist_counts: Counter[str] = Counter()
        for play in window:
            artist_counts[tracks[play.track_id].artist_ids[0]] += 1
        top_tracks[time_range] = [t for t, _ in sorted(track_counts.items(), key=lambda kv: (-kv[1], kv[0]))][
            : spec.top_list_size
        ]
        top_artists[time_range] = [a for a, _ in sorted(artist_counts.items(), key=lambda kv: (-kv[1], kv[0]))][
            : spec.top_list_size
        ]
    return top_tracks, top_artists
