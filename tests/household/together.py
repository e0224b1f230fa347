"""Loaded together equals loaded alone: the check both tiers' modules run (test_extended_tier, test_development_tier).

A household of three emulated people. Each person alone (`run --account NAME` into a warehouse of their own) and
two and three of them together (`run`: every logged-in account, one warehouse) must give each person the same rows
in every final table, and the shared catalog tables (tracks, artists, features) the union of theirs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.household.harness import NAMES, Household, differences, fetched, final_rows, start_household

PEOPLE = 3


@dataclass
class Loads:
    """The warehouses of one tier: each person alone, and the first two and all three together."""

    users: dict[str, str]
    alone: dict[str, Path]
    together: dict[int, Path]


def load_household(folder: Path, mode: str) -> Loads:
    """Run the loads of one tier against one emulator (the same clock and libraries for every load)."""
    everyone = start_household(PEOPLE, folder / "logins", mode=mode)
    try:
        alone = {}
        for name in NAMES[:PEOPLE]:
            assert everyone.run(folder / f"alone-{name}", "run", "--account", name) == 0
            alone[name] = folder / f"alone-{name}" / "warehouse.duckdb"
        together = {PEOPLE: _together(everyone, folder / f"together-{PEOPLE}")}
        # Two people: a folder where only the first two are logged in (`run` loads whoever is logged in).
        two = Household(everyone.server, folder / "logins-2")
        for index in range(2):
            two.log_in(index)
        together[2] = _together(two, folder / "together-2")
    finally:
        everyone.server.stop()
    return Loads(everyone.users, alone, together)


def _together(household: Household, folder: Path) -> Path:
    assert household.run(folder, "run") == 0
    return folder / "warehouse.duckdb"


def check_together_equals_alone(loads: Loads, people: int) -> None:
    """Each person's rows, final table by final table, and the catalog as the union of the people's catalogs."""
    together = loads.together[people]
    names = NAMES[:people]
    for name in names:
        user_id = loads.users[name]
        alone = final_rows(loads.alone[name], user_id)
        assert sum(map(len, alone.values())) > 0, f"{name} alone loaded nothing"
        problems = differences(alone, final_rows(together, user_id))
        assert not problems, (
            f"{name} ({user_id}) together with {people - 1} other(s) differs from alone:\n" + "\n".join(problems)
        )
    union: dict[str, Counter[Any]] = {}
    for name in names:
        for table, rows in final_rows(loads.alone[name], None).items():
            union[table] = union.get(table, Counter()) | rows
    problems = differences(union, final_rows(together, None))
    assert not problems, "the shared catalog is not the union of the people's:\n" + "\n".join(problems)


def check_the_catalog_is_fetched_once(loads: Loads, people: int) -> None:
    """Together, an artist or a track's features one person's run fetched is not asked again for the next person:
    the household asks Spotify for less than its people alone do, and never for more."""
    alone = [fetched(loads.alone[name]) for name in NAMES[:people]]
    together = fetched(loads.together[people])
    for what, position in (("requests", 0), ("artists", 1), ("audio features", 2)):
        alone_total = sum(each[position] for each in alone)
        assert together[position] <= alone_total, f"{what}: together {together[position]}, alone {alone_total}"
    assert together[0] < sum(each[0] for each in alone), "the shared catalog was asked for once per person"
