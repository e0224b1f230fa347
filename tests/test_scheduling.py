"""tests/conftest.py's xdist scheduling names real scopes: a module renamed or moved is caught here."""

from __future__ import annotations

from pathlib import Path

from tests import conftest

ROOT = Path(__file__).resolve().parent.parent


def test_the_longest_scopes_and_shared_modules_exist() -> None:
    groups = set(conftest._SHARED_MODULES.values())
    for scope in conftest._LONGEST_SCOPES:
        assert scope in groups or (ROOT / scope).exists(), scope
    for module in conftest._SHARED_MODULES:
        assert (ROOT / module).is_file(), module
    for folder in conftest._SHARED_FOLDERS:
        assert (ROOT / "tests" / folder).is_dir(), folder
