"""What tests/dbt_partial_parse.py relies on: the project's Jinja never reads the warehouse file's path."""

from __future__ import annotations

import re

from spotify_pipeline.transform import DBT_PROJECT


def test_nothing_in_the_dbt_project_reads_the_warehouse_path() -> None:
    files = [p for p in DBT_PROJECT.rglob("*") if p.suffix in {".sql", ".yml", ".yaml"}]
    files = [p for p in files if not {"target", "logs", "dbt_packages"} & set(p.relative_to(DBT_PROJECT).parts)]
    assert any(p.name == "dbt_project.yml" for p in files)
    readers = [p.name for p in files if re.search(r"target\s*(\.\s*path|\[\s*['\"]path['\"]\s*\])", p.read_text())]
    assert readers == [], f"these read target.path: the tests' partial parse would go stale ({readers})"
