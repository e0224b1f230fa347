"""Every SQL statement the dashboard runs: one module per page, beside one dialect module and the registry.

- `dialect`: the only place where DuckDB's SQL and BigQuery's differ.
- `registry`: `Query`, the registry `QUERIES`, the marts the dashboard reads, the row-limit check.
- `shared` (every page), `overview`, `listening`, `top_lists`, `playlists`, `artists`, `audio_features`,
  `data_health`, `wrapped` (the page and `python pipeline.py wrapped`), `together` (two accounts side by
  side): the statements of each page. Every
  statement reads the marts (schema `spotify`) only.

Importing the package registers every statement, so `queries.QUERIES` is complete and `queries.<name>` names any.
"""

from __future__ import annotations

from dashboard.queries.artists import *  # noqa: F403
from dashboard.queries.audio_features import *  # noqa: F403
from dashboard.queries.data_health import *  # noqa: F403
from dashboard.queries.dialect import FINAL, BigQueryDialect, Dialect, DuckDBDialect, parameter_names
from dashboard.queries.listening import *  # noqa: F403
from dashboard.queries.overview import *  # noqa: F403
from dashboard.queries.playlists import *  # noqa: F403
from dashboard.queries.registry import (
    FINAL_TABLES,
    FULL_SCAN_BY_DESIGN,
    HISTORY,
    PARTITIONED,
    QUERIES,
    UNIT_FEATURES,
    Query,
)
from dashboard.queries.shared import *  # noqa: F403
from dashboard.queries.together import *  # noqa: F403
from dashboard.queries.top_lists import *  # noqa: F403
from dashboard.queries.wrapped import *  # noqa: F403

__all__ = [
    "FINAL",
    "FINAL_TABLES",
    "FULL_SCAN_BY_DESIGN",
    "HISTORY",
    "PARTITIONED",
    "QUERIES",
    "UNIT_FEATURES",
    "BigQueryDialect",
    "Dialect",
    "DuckDBDialect",
    "Query",
    "parameter_names",
    *QUERIES,
]
