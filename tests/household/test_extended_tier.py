"""Several accounts in one warehouse, extended tier: together equals alone (tests/household/together.py)."""

from __future__ import annotations

import pytest

from tests.household.together import (
    Loads,
    check_the_catalog_is_fetched_once,
    check_together_equals_alone,
    load_household,
)


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Loads:
    return load_household(tmp_path_factory.mktemp("household-extended"), "extended")


@pytest.mark.parametrize("people", [2, 3])
def test_people_loaded_together_equal_each_loaded_alone(loads: Loads, people: int) -> None:
    check_together_equals_alone(loads, people)


@pytest.mark.parametrize("people", [2, 3])
def test_the_shared_catalog_is_fetched_once(loads: Loads, people: int) -> None:
    check_the_catalog_is_fetched_once(loads, people)
