"""In the test processes, dbt keeps its partial parse from one warehouse file to the next.

dbt re-parses the whole project when the profile's connection info changes (`build_manifest_state_check` hashes
`credentials.connection_info()`), and dbt-duckdb counts the file's `path` in it. Every test builds a new file, so
every in-process build paid a full parse: about 1.7 s of CPU out of 9 on the demo (measured: six builds of copies of
one warehouse in one process, with and without this, process time per build 7.5 s against 9.3 s).

Only `path` leaves the check; `database`, the catalog the models are built in (the file's stem), stays in it, so
a file of another name still re-parses. The path could change the parse only through `target.path` in the
project's Jinja, which nothing reads (tests/dbt/test_partial_parse.py checks). Subprocesses (`python pipeline.py`)
get the same patch through `subprocess_env()`.
"""

from __future__ import annotations

import os
from pathlib import Path


def keep_partial_parse_across_warehouse_files() -> None:
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    keys = DuckDBCredentials._connection_keys
    if getattr(keys, "without_path", False):
        return

    def connection_keys_without_path(self: DuckDBCredentials) -> tuple[str, ...]:
        return tuple(key for key in keys(self) if key != "path")

    connection_keys_without_path.without_path = True  # type: ignore[attr-defined]
    DuckDBCredentials._connection_keys = connection_keys_without_path  # type: ignore[method-assign]


SUBPROCESS_SITE = Path(__file__).resolve().parent / "subprocess_site"
# Set by tests/conftest.py for each test process: its dbt folders and file settings.
WORKER_DBT_SETTINGS = ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_LOG_LEVEL_FILE", "DBT_WRITE_JSON")


def subprocess_env() -> dict[str, str]:
    """What a `python pipeline.py` subprocess of a test needs to share its worker's dbt parse: the worker's dbt
    settings (without them every subprocess wrote the repo's dbt_project/target, both workers at once) and
    subprocess_site/, which applies the patch above in the subprocess when dbt-duckdb is imported."""
    env = {name: os.environ[name] for name in WORKER_DBT_SETTINGS if name in os.environ}
    return {**env, "PYTHONPATH": str(SUBPROCESS_SITE)}
