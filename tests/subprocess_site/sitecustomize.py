"""Started by every `python pipeline.py` a test runs (the test harnesses put this folder on PYTHONPATH): the same
partial parse the test processes keep (tests/dbt_partial_parse.py), so a subprocess that builds reuses its worker's
parse instead of parsing the whole project again (about 4.5 s of each run that builds).

dbt-duckdb is patched when something imports it, not here: importing it costs a second, and most commands never do.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

CREDENTIALS = "dbt.adapters.duckdb.credentials"


class _PatchDuckDBCredentialsOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != CREDENTIALS:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            from tests.dbt_partial_parse import keep_partial_parse_across_warehouse_files

            keep_partial_parse_across_warehouse_files()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, _PatchDuckDBCredentialsOnImport())
