"""dbt runs against the BigQuery emulator and DuckDB for tests/bigquery: the in-process runner, the emulator's shim,
and the one library both warehouses are filled from (the fixtures in conftest.py build them once per session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from spotify_emulator import EmulatorServer

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
SEED = 3
PROFILE = "small"
RAW = "spotify_raw"
MARTS = "spotify"

# Replaces dbt-bigquery's column list (names, types, NOT NULL) in the CREATE TABLE of contracted models with
# nothing, in a copy of the project used only against the emulator. dbt still checks each contract (column names
# and types of the model's query, asked from the warehouse) before the DDL; only the NOT NULL constraints go.
EMULATOR_SHIM = """\
{#- Test-only (tests/bigquery): bqemulator cannot run CREATE TABLE with a column list and AS SELECT. -#}
{% macro bigquery__get_table_columns_and_constraints() %}{% endmacro %}

{#- Test-only: bqemulator cannot parse the script dbt-bigquery sends for a dynamic insert_overwrite
    (`array_agg(distinct ... IGNORE NULLS)` into a DECLAREd array, then MERGE ... WHEN NOT MATCHED BY SOURCE). The same
    effect, replacing the partitions the new rows fall in, as plain statements: the model's own SQL is unchanged. -#}
{% macro bq_dynamic_insert_overwrite_sql(
    tmp_relation, target_relation, sql, unique_key, partition_by, dest_columns, tmp_relation_exists, copy_partitions
) %}
  {%- if not tmp_relation_exists -%}
    {%- call statement('create_tmp_relation_for_emulator', language='sql') -%}
      {{ bq_create_table_as(partition_by, True, tmp_relation, sql, 'sql') }}
    {%- endcall -%}
  {%- endif -%}
  {%- set partition = partition_by.render_wrapped() -%}
  {%- set found = run_query('select distinct ' ~ partition ~ ' from ' ~ tmp_relation).columns[0].values() -%}
  {%- set columns = dest_columns | map(attribute='quoted') | join(', ') -%}
  -- emulator shim: replace the partitions of the new rows
  {% if found %}
  delete from {{ target_relation }} where {{ partition }} in (
    {%- for day in found %}timestamp '{{ day }}'{{ ', ' if not loop.last }}{% endfor -%}
  );
  {% endif %}
  insert into {{ target_relation }} ({{ columns }}) select {{ columns }} from {{ tmp_relation }};
  drop table if exists {{ tmp_relation }}
{% endmacro %}
"""


@dataclass
class DbtRun:
    """One in-process dbt invocation: its result and the manifest it wrote."""

    result: dbtRunnerResult
    target_path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.target_path / "manifest.json").read_text())

    def model(self, name: str) -> dict[str, Any]:
        return self.manifest["nodes"][f"model.spotify_warehouse.{name}"]

    def failures(self) -> dict[str, str]:
        """Node name -> message, for every node that did not pass."""
        if self.result.result is None or not hasattr(self.result.result, "results"):
            return {"dbt": str(self.result.exception)}
        results = self.result.result.results
        return {r.node.name: str(r.message) for r in results if str(r.status) not in {"success", "pass"}}

    def marts(self) -> set[str]:
        """The models dbt materialises as tables in the marts schema (tables and incremental models)."""
        return {
            node["name"]
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "model"
            and node["schema"] == MARTS
            and node["config"]["materialized"] in {"table", "incremental"}
        }

    def run_sql(self, model: str) -> str:
        """The DDL/DML dbt sent for a model (target/run), where partitioning and clustering appear."""
        node = self.model(model)
        return (self.target_path / "run" / "spotify_warehouse" / node["original_file_path"]).read_text()


def run_dbt(args: list[str], project_dir: Path, target_path: Path, env: dict[str, str]) -> DbtRun:
    """dbt in-process with its working files in `target_path`, so the repository's dbt_project/target is untouched
    (other tests and people use it) and each invocation starts from a full parse."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        result = dbtRunner().invoke(
            [
                *args,
                "--project-dir", str(project_dir),
                "--profiles-dir", str(project_dir),
                "--target-path", str(target_path),
                "--log-path", str(target_path / "logs"),
                "--no-use-colors",
                "--write-json",  # read back below (manifest, compiled SQL); tests/conftest.py turns it off elsewhere
            ]
        )  # fmt: skip
    return DbtRun(result, target_path)


def release_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after dbtRunner returns.

    dbt-duckdb holds its environment in a class attribute for the life of the process; while it is open, DuckDB
    refuses this test's read-only connection to the same file ("different configuration").
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def spotify_server() -> EmulatorServer:
    """The same synthetic library for both warehouses (the emulator is deterministic for a seed and profile)."""
    return EmulatorServer(profile=PROFILE, seed=SEED)
