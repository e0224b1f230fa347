"""The dashboard reads marts only, and dbt's exposure `dashboard` lists exactly the marts it reads.

The table names come from the statements themselves (every registered query rendered in both dialects), the
exposure's from its YAML: adding a query on a new mart without declaring it, or declaring a mart no query reads,
fails here, so the two cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from dashboard import queries

REPO = Path(__file__).resolve().parents[2]
EXPOSURES = REPO / "dbt_project" / "models" / "marts" / "_dashboard__exposures.yml"
MARTS = REPO / "dbt_project" / "models" / "marts"
# Read by Data health, but no model: dbt's on-run-end hook writes it (macros/data_quality_warnings.sql).
NOT_MODELS = {"data_quality_warnings"}
DUCKDB_TABLE = re.compile(r"\bwarehouse\.(\w+)\.(\w+)\b")
BIGQUERY_TABLE = re.compile(r"`test-project\.(\w+)\.(\w+)`")


def tables_read(pattern: re.Pattern[str], dialect: queries.Dialect) -> set[tuple[str, str]]:
    """(dataset, table) of every table any statement names, as rendered for `dialect`."""
    return {found for query in queries.QUERIES.values() for found in pattern.findall(query.render(dialect))}


def exposed_marts() -> list[str]:
    """The refs of the exposure `dashboard`, in the order the YAML lists them."""
    (exposure,) = [e for e in yaml.safe_load(EXPOSURES.read_text())["exposures"] if e["name"] == "dashboard"]
    assert exposure["type"] == "dashboard" and exposure["owner"]
    refs = [re.fullmatch(r"ref\('(\w+)'\)", ref) for ref in exposure["depends_on"]]
    assert all(refs), f"every dependency is a ref(...): {exposure['depends_on']}"
    return [ref.group(1) for ref in refs if ref]


def test_the_dashboard_reads_the_marts_schema_only() -> None:
    duckdb_tables = tables_read(DUCKDB_TABLE, queries.DuckDBDialect())
    bigquery_tables = tables_read(BIGQUERY_TABLE, queries.BigQueryDialect("test-project"))
    assert duckdb_tables == bigquery_tables
    assert {dataset for dataset, _ in duckdb_tables} == {"spotify"}
    for dialect in (queries.DuckDBDialect(), queries.BigQueryDialect("test-project")):
        catalog = queries.catalog.render(dialect)
        assert "spotify_staging" not in catalog and "spotify_raw" not in catalog


def test_the_exposure_lists_exactly_the_marts_the_queries_read() -> None:
    read = {table for _, table in tables_read(DUCKDB_TABLE, queries.DuckDBDialect())} - NOT_MODELS
    exposed = exposed_marts()
    assert len(exposed) == len(set(exposed)), "each mart once"
    assert set(exposed) == read
    assert set(queries.FINAL_TABLES) == read, "FINAL_TABLES (the row counts) names the same marts"


def test_every_exposed_mart_is_a_model_with_a_contract() -> None:
    """Each ref names a model of the marts folder that its `_*__models.yml` documents (so it has a contract)."""
    documented = {
        model["name"] for path in MARTS.glob("_*__models.yml") for model in yaml.safe_load(path.read_text())["models"]
    }
    for mart in exposed_marts():
        assert (MARTS / f"{mart}.sql").is_file(), mart
        assert mart in documented, mart
