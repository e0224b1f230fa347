"""The whole listening history a Spotify data export describes, derived from the emulator's library.

The API only ever shows the newest 50 plays (`library.plays`); Spotify's privacy export shows everything. This
module extends the library's track plays into that full history so export files and their ground truth come from
one place:

- every play of `library.plays` gets `ms_played`, reasons, shuffle, platform (`in_api=True`);
- export-only plays are added: podcast episodes of the library's shows, audiobook chapters (invented books),
  music videos and video podcasts (`ms_played` 0 mostly), rows whose metadata is all null, genuine repeat plays of
  one short track within one minute, and a small session around the listener's local New Year (the moment when
  the year in a file name and the UTC year of a row disagree).

Timing model (`/work/notes/export_interfaces.md`, shared with the dbt model): `ended_at` is when the stream ended;
a play occupies `[ended_at - ms_played, ended_at]` and never overlaps another play, so `ms_played` is never longer
than the gap to the previous play's end nor the track's length. Export-only plays are placed in free time before
the newest 50 API plays, so the API and an export can only share track plays of `library.plays`.

Everything is drawn from `random.Random("<seed>:<profile>:export-history")`: the same library gives the same
history, byte for byte.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from spotify_emulator import names
from spotify_emulator.model import Library, spotify_id, to_ms
from spotify_emulator.profiles import resolve

API_RECENT_LIMIT = 50
"""`/me/player/recently-played` serves this many plays; export-only plays go before them."""

LOCAL_UTC_OFFSET = timedelta(hours=1)
"""The emulated listener lives at UTC+1; Spotify names export files by the local year of their rows, so plays in
the last hour of Dec 31 (UTC) sit in a file named after the next year."""

CONTENT_TYPES = ("track", "episode", "audiobook", "video", "unknown")
PLATFORMS = ("android", "ios", "osx", "windows", "web_player", "cast")
_MARGIN = timedelta(seconds=2)


@dataclass(frozen=True)
class Audiobook:
    """An invented audiobook: the library has none, but exports since 2023 carry audiobook plays."""

    uri: str
    title: str
    chapters: tuple[tuple[str, str, int], ...]
    """(chapter uri, chapter title, duration ms) in reading order."""


@dataclass(frozen=True)
class HistoryPlay:
    """One play of the full history. `ended_at` has millisecond precision (UTC); exports floor it."""

    play_id: str
    ended_at: datetime
    ms_played: int
    content_type: str
    in_api: bool
    """One of `library.plays` (a track play the API can serve, if it is among the newest 50)."""
    track_id: str | None = None
    episode_id: str | None = None
    audiobook_uri: str | None = None
    audiobook_title: str | None = None
    chapter_uri: str | None = None
    chapter_title: str | None = None
    track_name: str | None = None
    artist_name: str | None = None
    album_name: str | None = None
    show_name: str | None = None
    episode_name: str | None = None
    reason_start: str = "trackdone"
    reason_end: str = "trackdone"
    skipped: bool | None = False
    shuffle: bool = False
    platform: str = "android"
    conn_country: str = "SE"
    offline: bool = False
    incognito_mode: bool = False

    @property
    def started_at(self) -> datetime:
        return self.ended_at - timedelta(milliseconds=self.ms_played)

    @property
    def uri(self) -> str | None:
        """The play's Spotify URI as the extended export names it (track, episode or chapter)."""
        if self.track_id:
            return f"spotify:track:{self.track_id}"
        if self.episode_id:
            return f"spotify:episode:{self.episode_id}"
        return self.chapter_uri


@dataclass
class _Draft:
    """An export-only play before it has a place in time."""

    ms_played: int
    pause_ms: int
    fields: dict


def make_audiobooks(rng: random.Random, count: int) -> list[Audiobook]:
    """A few audiobooks with 6–12 chapters each, ids shaped like Spotify's."""
    books = []
    for _ in range(count):
        title = f"{names.album_name(rng)}: A Novel"
        chapters = tuple(
            (f"spotify:chapter:{spotify_id(rng)}", f"Chapter {n}", rng.randint(600_000, 2_700_000))
            for n in range(1, rng.randint(6, 12) + 1)
        )
        books.append(Audiobook(f"spotify:audiobook:{spotify_id(rng)}", title, chapters))
    return books


def full_history(library: Library) -> list[HistoryPlay]:
    """Every play the library's owner made, oldest first: the API's track plays plus export-only plays.

    Stable when plays are appended (`/_emulator/plays`): a track play's details come from a generator seeded by
    its own time, its `ms_played` only depends on the play before it, and export-only plays sit in fixed 3-hour
    slots decided by the slot's own seed, or in the weeks before the first play. So the history of the library
    after new plays holds every play of the history before, unchanged: an older export is part of a newer one.
    """
    country = library.user.country
    track_plays = _track_plays(library, country)
    if not track_plays:
        return []
    first = track_plays[0]["ended_at"] - timedelta(milliseconds=track_plays[0]["ms_played"])
    newest = track_plays[-API_RECENT_LIMIT:]
    cut = min(p["ended_at"] - timedelta(milliseconds=p["ms_played"]) for p in newest)
    books = make_audiobooks(_rng(library, "books"), 3)
    placed: list[dict] = []
    # Before the library's first play: one session of every kind, and the listener's last New Year's Eve.
    anchor_rng = _rng(library, "anchors")
    anchors = [
        [_episode_draft(anchor_rng, library, country, anchor_rng.choice(list(library.episodes.values())))],
        _book_session(anchor_rng, books, country),
        [_video_draft(anchor_rng, library, country, video) for video in ("track", "episode", "track")],
        [_unknown_draft(anchor_rng, country)],
        _repeat_drafts(anchor_rng, library, country, _short_tracks(library)),
    ]
    for days_before, session in zip((40, 34, 28, 22, 16), anchors, strict=True):
        _lay_out(session, (first - timedelta(days=days_before)).replace(hour=9, minute=0, second=0), placed)
    new_year = _local_new_year_before(first)
    _lay_out(_new_year_session(anchor_rng, library, country), new_year + timedelta(minutes=20), placed)
    busy = [(p["ended_at"] - timedelta(milliseconds=p["ms_played"]), p["ended_at"]) for p in track_plays + placed]
    probability = _slot_probability(library)
    for slot_start in _free_slots(busy, floor=first - timedelta(days=45), cut=cut):
        slot_rng = _rng(library, f"slot:{int(slot_start.timestamp())}")
        if slot_rng.random() >= probability:
            continue
        session = _slot_session(slot_rng, library, country, books)
        while len(session) > 1 and _length(session) > SLOT - 2 * _MARGIN:
            session.pop()
        slack = SLOT - 2 * _MARGIN - _length(session)
        if slack > timedelta(0):
            _lay_out(session, slot_start + _MARGIN + slack * slot_rng.random(), placed)
    merged = sorted(track_plays + placed, key=lambda p: p["ended_at"])
    # Named by its end (unique: plays never overlap), so the id, and what rows derive from it, survives new plays.
    return [HistoryPlay(play_id=f"p{to_ms(fields['ended_at'])}", **fields) for fields in merged]


SLOT = timedelta(hours=3)
"""Export-only plays go into free slots of this length, aligned to the epoch, each decided by its own seed."""


def _rng(library: Library, part: str) -> random.Random:
    return random.Random(f"{library.seed}:{library.profile}:export:{part}")


def _slot_probability(library: Library) -> float:
    """About one export-only session per 20 plays of the profile (at least 20), over its days plus 45."""
    spec = resolve(library.profile)
    sessions = max(20, spec.plays // 20)
    return min(0.5, sessions / ((spec.history_days + 45) * 24 / SLOT.total_seconds() * 3600))


def _free_slots(busy: list[tuple[datetime, datetime]], floor: datetime, cut: datetime) -> list[datetime]:
    """Starts of the slots in [floor, cut) that no busy interval touches."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    slot_index = int((floor - epoch) / SLOT) + 1
    busy = sorted(busy)
    starts = [start for start, _ in busy]
    free = []
    while epoch + (slot_index + 1) * SLOT <= cut:
        start, end = epoch + slot_index * SLOT, epoch + (slot_index + 1) * SLOT
        index = bisect.bisect_left(starts, end)
        # The interval starting last before the slot's end must end before the slot starts (intervals are disjoint).
        if index == 0 or busy[index - 1][1] < start:
            free.append(start)
        slot_index += 1
    return free


def _slot_session(rng: random.Random, library: Library, country: str, books: list[Audiobook]) -> list[_Draft]:
    kind = rng.choices(("episode", "audiobook", "video", "unknown", "repeat"), weights=(40, 15, 20, 15, 10))[0]
    if kind == "episode":
        episodes = list(library.episodes.values())
        return [_episode_draft(rng, library, country, rng.choice(episodes)) for _ in range(rng.randint(1, 2))]
    if kind == "audiobook":
        return _book_session(rng, books, country)
    if kind == "video":
        return [_video_draft(rng, library, country, rng.choice(("track", "episode"))) for _ in range(rng.randint(1, 3))]
    if kind == "unknown":
        return [_unknown_draft(rng, country) for _ in range(rng.randint(1, 2))]
    return _repeat_drafts(rng, library, country, _short_tracks(library))


def _book_session(rng: random.Random, books: list[Audiobook], country: str) -> list[_Draft]:
    book = rng.choice(books)
    start = rng.randrange(len(book.chapters))
    return [_chapter_draft(rng, book, chapter, country) for chapter in book.chapters[start : start + rng.randint(1, 3)]]


def _short_tracks(library: Library) -> list:
    return sorted(library.tracks.values(), key=lambda t: (t.duration_ms, t.id))[: max(3, len(library.tracks) // 20)]


def _track_plays(library: Library, country: str) -> list[dict]:
    """`ms_played` and the stream's details for every play the API knows, within the gap to the previous play."""
    result: list[dict] = []
    previous_end: datetime | None = None
    for play in library.plays:
        rng = _rng(library, f"play:{play.played_at_ms}")
        track = library.tracks[play.track_id]
        gap_ms = int((play.played_at - previous_end) / timedelta(milliseconds=1)) if previous_end else 10**9
        previous_end = play.played_at
        pause = min(rng.randint(150, 2_500), gap_ms // 2)
        cap = max(0, min(track.duration_ms, gap_ms - pause))
        roll = rng.random()
        if roll < 0.14 and cap > 1_000:
            ms_played = rng.randint(1_000, min(30_000, cap))
            reason_end, skipped = rng.choice(("fwdbtn", "fwdbtn", "backbtn")), True
        elif cap == track.duration_ms:
            ms_played, reason_end, skipped = cap, "trackdone", False
        else:
            ms_played = cap
            reason_end, skipped = ("endplay", False) if roll < 0.9 else ("fwdbtn", True)
        result.append(
            {
                "ended_at": play.played_at,
                "ms_played": ms_played,
                "content_type": "track",
                "in_api": True,
                "track_id": track.id,
                "track_name": track.name,
                "artist_name": library.artists[track.artist_ids[0]].name,
                "album_name": library.albums[track.album_id].name,
                "reason_start": rng.choice(("trackdone", "trackdone", "trackdone", "clickrow", "fwdbtn", "playbtn")),
                "reason_end": reason_end,
                "skipped": skipped,
                **_stream_details(rng, country),
            }
        )
    return result


def _stream_details(rng: random.Random, country: str) -> dict:
    return {
        "shuffle": rng.random() < 0.35,
        "platform": rng.choices(PLATFORMS, weights=(40, 20, 15, 10, 10, 5))[0],
        "conn_country": country if rng.random() < 0.95 else rng.choice(names.COUNTRIES),
        "offline": rng.random() < 0.06,
        "incognito_mode": rng.random() < 0.01,
    }


def _episode_draft(rng: random.Random, library: Library, country: str, episode) -> _Draft:
    finished = rng.random() < 0.4
    ms_played = episode.duration_ms if finished else rng.randint(60_000, episode.duration_ms)
    return _Draft(
        ms_played,
        rng.randint(1_000, 20_000),
        {
            "content_type": "episode",
            "episode_id": episode.id,
            "episode_name": episode.name,
            "show_name": library.shows[episode.show_id].name,
            "reason_start": rng.choice(("clickrow", "playbtn", "appload")),
            "reason_end": "trackdone" if finished else rng.choice(("endplay", "logout", "unexpected-exit")),
            "skipped": False,
            **_stream_details(rng, country),
        },
    )


def _chapter_draft(rng: random.Random, book: Audiobook, chapter: tuple[str, str, int], country: str) -> _Draft:
    uri, title, duration = chapter
    finished = rng.random() < 0.6
    return _Draft(
        duration if finished else rng.randint(120_000, duration),
        rng.randint(500, 5_000),
        {
            "content_type": "audiobook",
            "audiobook_uri": book.uri,
            "audiobook_title": book.title,
            "chapter_uri": uri,
            "chapter_title": title,
            "reason_start": rng.choice(("trackdone", "playbtn", "clickrow")),
            "reason_end": "trackdone" if finished else "endplay",
            "skipped": False,
            **_stream_details(rng, country),
        },
    )


def _video_draft(rng: random.Random, library: Library, country: str, kind: str) -> _Draft:
    """A music video (`kind` track: the track's URI) or video podcast (the episode's); most report `ms_played` 0."""
    ms_played = 0 if rng.random() < 0.75 else rng.randint(5_000, 180_000)
    if kind == "track":
        track = rng.choice(list(library.tracks.values()))
        identity = {
            "track_id": track.id,
            "track_name": track.name,
            "artist_name": library.artists[track.artist_ids[0]].name,
            "album_name": library.albums[track.album_id].name,
        }
    else:
        episode = rng.choice(list(library.episodes.values()))
        identity = {
            "episode_id": episode.id,
            "episode_name": episode.name,
            "show_name": library.shows[episode.show_id].name,
        }
    return _Draft(
        ms_played,
        rng.randint(2_000, 30_000),
        {
            "content_type": "video",
            **identity,
            "reason_start": "clickrow",
            "reason_end": "endplay",
            "skipped": None,
            **_stream_details(rng, country),
        },
    )


def _unknown_draft(rng: random.Random, country: str) -> _Draft:
    """A stream Spotify logged without any metadata (removed content, ads, local files): only time and length."""
    return _Draft(
        rng.randint(20_000, 240_000),
        rng.randint(1_000, 10_000),
        {
            "content_type": "unknown",
            "reason_start": rng.choice(("trackdone", "clickrow")),
            "reason_end": rng.choice(("trackdone", "endplay")),
            "skipped": None,
            **_stream_details(rng, country),
        },
    )


def _repeat_drafts(rng: random.Random, library: Library, country: str, shortest: list) -> list[_Draft]:
    """The same short track started again and again within one minute, the same length each time.

    The account export then has identical rows (same minute, names and msPlayed): genuine plays that must stay
    separate. `_place_*` keeps the whole cluster inside one clock minute.
    """
    track = rng.choice(shortest)
    ms_played = min(track.duration_ms, rng.choice((8_000, 10_000, 12_000)))
    details = _stream_details(rng, country)
    fields = {
        "content_type": "track",
        "track_id": track.id,
        "track_name": track.name,
        "artist_name": library.artists[track.artist_ids[0]].name,
        "album_name": library.albums[track.album_id].name,
        "reason_start": "backbtn",
        "reason_end": "backbtn",
        "skipped": True,
        **details,
    }
    return [_Draft(ms_played, 2_500, dict(fields)) for _ in range(rng.randint(2, 3))]


def _new_year_session(rng: random.Random, library: Library, country: str) -> list[_Draft]:
    episode = rng.choice(list(library.episodes.values()))
    draft = _episode_draft(rng, library, country, episode)
    draft.ms_played = min(draft.ms_played, 20 * 60_000)
    return [draft, _unknown_draft(rng, country)]


def _local_new_year_before(moment: datetime) -> datetime:
    """The listener's last local New Year at least two days before `moment`, as a UTC instant (Dec 31, 23:00)."""
    local = moment + LOCAL_UTC_OFFSET - timedelta(days=2)
    return datetime(local.year, 1, 1, tzinfo=UTC) - LOCAL_UTC_OFFSET


def _length(session: list[_Draft]) -> timedelta:
    return timedelta(milliseconds=sum(d.ms_played + d.pause_ms for d in session) + 60_000)


def _lay_out(session: list[_Draft], begin: datetime, placed: list[dict]) -> datetime:
    """Give each draft its `ended_at` one after another from `begin`; repeats stay within their minute."""
    moment = begin
    if session[0].fields.get("reason_end") == "backbtn":
        moment = moment.replace(second=1, microsecond=0) + timedelta(minutes=1)
    for draft in session:
        moment += timedelta(milliseconds=draft.ms_played)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        placed.append({"ended_at": moment, "ms_played": draft.ms_played, "in_api": False, **draft.fields})
        moment += timedelta(milliseconds=draft.pause_ms)
    return moment
