"""The parent-genre rules of dbt_project/seeds/_seeds.yml, written again in Python from their description.

The mart `artist_parent_genres` applies them in SQL; the tests compare it with this reading of the same seeds, so
a mistake in either (precedence, whole words, the explicit table, the fallback, ties) shows as a difference. It
shares no code with the model: only the seed files, which are the rules' data.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
OTHER = "Other"


def genre_key(name: str) -> str:
    """Lower case, hyphens and underscores as spaces, spaces trimmed and collapsed."""
    return re.sub(r" +", " ", name.lower().replace("-", " ").replace("_", " ")).strip()


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Rules:
    """The three seeds: parents in tie-break order, explicit names, keywords best first."""

    parent_order: dict[str, int]
    explicit: dict[str, str]
    keywords: list[tuple[int, str, str, str]]  # (priority, keyword, match_as, parent)

    def parent_of(self, micro_genre: str) -> str:
        """The explicit table, else the first keyword by (priority, longer first, name), else Other."""
        key = genre_key(micro_genre)
        if key in self.explicit:
            return self.explicit[key]
        for _, keyword, match_as, parent in self.keywords:
            found = f" {keyword} " in f" {key} " if match_as == "word" else keyword in key
            if found:
                return parent
        return OTHER

    def artist_rows(self, artist_id: str, micro_genres: Iterable[str]) -> list[tuple[Any, ...]]:
        """The mart's rows for one artist: (artist_id, parent_genre, micro_genres, micro_genre_count, is_primary)."""
        grouped: dict[str, list[str]] = {}
        for genre in set(micro_genres):
            grouped.setdefault(self.parent_of(genre), []).append(genre)
        if not grouped:
            return []
        order = sorted(grouped, key=lambda p: (-len(grouped[p]), self.parent_order.get(p, 1000), p))
        return [(artist_id, p, ", ".join(sorted(grouped[p])), len(grouped[p]), p == order[0]) for p in grouped]


@cache
def rules() -> Rules:
    parents = {row["parent_genre"]: int(row["parent_order"]) for row in read_seed("parent_genres")}
    explicit = {genre_key(row["micro_genre"]): row["parent_genre"] for row in read_seed("parent_genre_explicit")}
    keywords = sorted(
        ((int(r["priority"]), genre_key(r["keyword"]), r["match_as"], r["parent_genre"])
         for r in read_seed("parent_genre_keywords")),
        key=lambda k: (k[0], -len(k[1]), k[1]),
    )  # fmt: skip
    return Rules(parents, explicit, keywords)
