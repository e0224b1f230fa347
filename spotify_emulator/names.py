"""Word lists and name makers that make the synthetic library read like music.

Tests and the dashboard are easier to trust when a playlist is called "Late Night Drive" and a track
"Neon Tides" rather than `track_17`; nothing here is random on its own: every maker takes the caller's
seeded `random.Random`, so the same seed gives the same names.
"""

from __future__ import annotations

import random

GENRES: tuple[str, ...] = (
    "indie rock",
    "indie pop",
    "dream pop",
    "shoegaze",
    "post-punk",
    "new wave",
    "synthpop",
    "darkwave",
    "alternative rock",
    "garage rock",
    "psychedelic rock",
    "classic rock",
    "hard rock",
    "stoner rock",
    "folk",
    "indie folk",
    "chamber pop",
    "singer-songwriter",
    "americana",
    "alt-country",
    "bluegrass",
    "soul",
    "neo soul",
    "r&b",
    "funk",
    "disco",
    "nu-disco",
    "house",
    "deep house",
    "techno",
    "minimal techno",
    "trance",
    "drum and bass",
    "jungle",
    "dubstep",
    "uk garage",
    "ambient",
    "downtempo",
    "trip hop",
    "lo-fi beats",
    "jazz",
    "cool jazz",
    "jazz fusion",
    "bossa nova",
    "latin jazz",
    "salsa",
    "reggaeton",
    "cumbia",
    "afrobeat",
    "afrobeats",
    "highlife",
    "reggae",
    "dub",
    "dancehall",
    "hip hop",
    "boom bap",
    "trap",
    "conscious hip hop",
    "grime",
    "k-pop",
    "j-pop",
    "city pop",
    "mandopop",
    "chanson",
    "french indie",
    "italo disco",
    "krautrock",
    "math rock",
    "emo",
    "pop punk",
    "punk",
    "hardcore punk",
    "metal",
    "doom metal",
    "black metal",
    "progressive rock",
    "art rock",
    "baroque pop",
    "classical",
    "modern classical",
    "minimalism",
    "opera",
    "soundtrack",
    "video game music",
    "electropop",
    "hyperpop",
    "bedroom pop",
    "slowcore",
    "sadcore",
    "blues",
    "delta blues",
    "gospel",
    "country",
    "outlaw country",
    "tropicalia",
    "mpb",
    "flamenco",
    "fado",
    "celtic",
    "nordic folk",
    "vaporwave",
    "synthwave",
)

_ADJECTIVES = (
    "Velvet",
    "Golden",
    "Electric",
    "Silent",
    "Crimson",
    "Hollow",
    "Paper",
    "Neon",
    "Midnight",
    "Wild",
    "Broken",
    "Lonely",
    "Silver",
    "Northern",
    "Burning",
    "Glass",
    "Quiet",
    "Distant",
    "Secret",
    "Faded",
    "Restless",
    "Tender",
    "Blue",
    "Lucky",
    "Sleepy",
    "Savage",
    "Gentle",
    "Strange",
    "Endless",
    "Bright",
    "Frozen",
    "Sunken",
    "Wandering",
    "Hidden",
    "Little",
    "Cosmic",
    "Static",
    "Sweet",
    "Bitter",
    "Dusty",
)
_NOUNS = (
    "Hours",
    "Tides",
    "Wolves",
    "Echoes",
    "Gardens",
    "Satellites",
    "Mirrors",
    "Rivers",
    "Ghosts",
    "Horses",
    "Lanterns",
    "Hearts",
    "Machines",
    "Sparrows",
    "Oceans",
    "Cities",
    "Shadows",
    "Flowers",
    "Engines",
    "Comets",
    "Windows",
    "Bones",
    "Kings",
    "Sisters",
    "Brothers",
    "Dreams",
    "Highways",
    "Islands",
    "Fires",
    "Letters",
    "Pilots",
    "Saints",
    "Strangers",
    "Clouds",
    "Towers",
    "Moths",
    "Harbours",
    "Valleys",
    "Signals",
)
_FIRST_NAMES = (
    "Mara",
    "Jonas",
    "Elif",
    "Theo",
    "Ines",
    "Kofi",
    "Yuki",
    "Lena",
    "Mateo",
    "Noor",
    "Aksel",
    "Priya",
    "Owen",
    "Sade",
    "Felix",
    "Ivy",
    "Rafael",
    "Hana",
    "Emil",
    "Zora",
    "Luca",
    "Amara",
    "Nils",
    "Celeste",
    "Dario",
    "Freya",
    "Tomas",
    "Anouk",
    "Kai",
    "Maren",
    "Ezra",
    "Lior",
    "Ada",
    "Jules",
    "Soren",
    "Talia",
)
_LAST_NAMES = (
    "Lindqvist",
    "Okafor",
    "Moreau",
    "Castillo",
    "Nakamura",
    "Brennan",
    "Volkova",
    "Haddad",
    "Fischer",
    "Adeyemi",
    "Rossi",
    "Kowalski",
    "Duarte",
    "Sato",
    "Lindgren",
    "Osei",
    "Whitfield",
    "Amari",
    "Novak",
    "Larsen",
    "Mendes",
    "Park",
    "Quinn",
    "Reyes",
    "Sorensen",
    "Tanaka",
    "Vidal",
    "Weiss",
    "Yilmaz",
    "Zeller",
)
_ENSEMBLES = ("Trio", "Quartet", "Band", "Orchestra", "Ensemble", "Collective", "Sound System")
_TRACK_WORDS = (
    "Love",
    "Night",
    "Summer",
    "Rain",
    "Fire",
    "Heart",
    "Light",
    "Home",
    "Time",
    "Dance",
    "Dream",
    "Road",
    "River",
    "Moon",
    "Sun",
    "Gold",
    "Stars",
    "Ocean",
    "City",
    "Shadow",
    "Youth",
    "Paradise",
    "Memory",
    "Silence",
    "Gravity",
    "Weather",
    "Honey",
    "Thunder",
    "Winter",
    "Morning",
    "Echo",
    "Ghost",
    "Wire",
)
_TRACK_PATTERNS = (
    "{adj} {noun}",
    "{word}",
    "{word} Again",
    "The {word} Song",
    "{adj} {word}",
    "Don't Let Me {verb}",
    "{word} in the {noun}",
    "Never {verb}",
    "Last {word}",
    "{word} ({adj} Mix)",
    "Across the {noun}",
    "{word} & {word2}",
    "All the {noun}",
    "Where the {noun} Go",
    "{adj} Blue",
    "{word} Machine",
    "{word}, Pt. 2",
    "Call Me {adj}",
    "{adj} Like {word}",
    "Back to the {word}",
)
_VERBS = ("Go", "Fall", "Wait", "Stay", "Run", "Forget", "Sleep", "Look Back", "Let Go", "Say It", "Leave")
_PLAYLIST_NAMES = (
    "Late Night Drive",
    "Sunday Morning Coffee",
    "Deep Focus",
    "Running Mix",
    "Rainy Day Indie",
    "Kitchen Dancing",
    "Road Trip 2024",
    "Throwbacks",
    "Songs for the Train",
    "Chill Evenings",
    "Gym Bangers",
    "Dinner Party",
    "Summer '23",
    "Winter Blues",
    "Jazz for Reading",
    "Old Favourites",
    "New Finds",
    "Sad Bangers",
    "Workday Flow",
    "Saturday Night",
    "Acoustic Afternoons",
    "Wedding Playlist",
    "Shower Songs",
    "Lo-fi Study",
    "Everything I Love",
    "Best of the Decade",
    "Mellow Gold",
    "Friday Feeling",
    "Party Starters",
    "Sleep Sounds",
    "Garden Hours",
    "Vinyl Crate",
    "Cooking Jams",
    "Morning Run",
    "Heartbreak Hotel",
    "Discover Later",
    "Deep Cuts",
    "Car Karaoke",
    "Slow Burn",
    "Festival Warmup",
    "Quiet Corners",
    "Weekend Chores",
    "Office Radio",
    "Golden Hour",
    "Night Shift",
)
_SHOW_NAMES = (
    "The Daily Groove",
    "Liner Notes",
    "Crate Diggers",
    "Sound Stories",
    "The Mixdown",
    "B-Sides Weekly",
    "Studio Tales",
    "Signal & Noise",
    "Deep Listening",
    "Backstage Pass",
)
_EPISODE_TOPICS = (
    "The Making of a Classic",
    "Why Vinyl Came Back",
    "Inside the Studio",
    "The Sound of the City",
    "A History of the Drum Machine",
    "Songs That Changed Everything",
    "Interview with a Producer",
    "The Art of the Remix",
    "On Tour",
    "Unsung Heroes",
    "The Year in Music",
    "Listener Questions",
)
PUBLISHERS: tuple[str, ...] = ("Northwind Audio", "Paper Moon Media", "Harbour Radio", "Indie Waves Network")
COUNTRIES: tuple[str, ...] = ("SE", "DE", "GB", "US", "FR", "NL", "ES", "BR", "JP", "NG")


def artist_name(rng: random.Random) -> str:
    """A band ("The Velvet Hours"), a person ("Mara Lindqvist") or a one-word act ("Halcyon Tides")."""
    kind = rng.random()
    if kind < 0.3:
        return f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    if kind < 0.65:
        return f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    if kind < 0.75:
        return f"{rng.choice(_FIRST_NAMES)} & the {rng.choice(_NOUNS)}"
    if kind < 0.82:
        return f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)} {rng.choice(_ENSEMBLES)}"
    if kind < 0.88:
        return f"DJ {rng.choice(_FIRST_NAMES)} {rng.choice(_ADJECTIVES)}"
    return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"


def track_name(rng: random.Random) -> str:
    """A song title built from a pattern, so titles vary in shape as real ones do."""
    pattern = rng.choice(_TRACK_PATTERNS)
    return pattern.format(
        adj=rng.choice(_ADJECTIVES),
        noun=rng.choice(_NOUNS),
        word=rng.choice(_TRACK_WORDS),
        word2=rng.choice(_TRACK_WORDS),
        verb=rng.choice(_VERBS),
    )


def album_name(rng: random.Random) -> str:
    """Album titles lean on the same vocabulary as tracks, sometimes with a self-titled or live twist."""
    roll = rng.random()
    if roll < 0.1:
        return f"Live at the {rng.choice(_NOUNS[:20])}"
    if roll < 0.2:
        return f"{track_name(rng)} (Deluxe Edition)"
    return track_name(rng)


def playlist_name(rng: random.Random, used: set[str]) -> str:
    """A playlist name not used yet in this library (a numbered variant once the list runs out)."""
    candidates = [name for name in _PLAYLIST_NAMES if name not in used]
    name = rng.choice(candidates) if candidates else f"{rng.choice(_PLAYLIST_NAMES)} {len(used)}"
    used.add(name)
    return name


def person_name(rng: random.Random) -> tuple[str, str]:
    """(first name, last name) of a person, for users who own or collaborate on playlists."""
    return rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)


def show_name(rng: random.Random, index: int) -> str:
    """Podcast show names, unique by index so two shows never share a name."""
    base = _SHOW_NAMES[index % len(_SHOW_NAMES)]
    return base if index < len(_SHOW_NAMES) else f"{base} {index // len(_SHOW_NAMES) + 1}"


def episode_name(rng: random.Random, number: int) -> str:
    """Episode titles carry a number, as most podcast feeds do."""
    return f"Ep. {number}: {rng.choice(_EPISODE_TOPICS)}"
