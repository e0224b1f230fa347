"""Run the real dlt pipeline with the real source against a real emulator, into a real DuckDB file.

What a run within the source's limits must land comes from the emulator's ground truth alone
(tests.expectations, which the benchmarks share): the tests compare the warehouse with that, never with
hand-written numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import duckdb

from spotify_emulator import EmulatorServer
from spotify_pipeline.destinations import make_destination
from spotify_source import load_stages, spotify_source
from tests import expectations
from tests.expectations import Expected

LIMITS = {"max_playlists": 20, "max_tracks_per_playlist": 100, "top_limit": 20, "artist_request_budget": 100}


@dataclass
class Harness:
    server: EmulatorServer
    workdir: Path
    refresh_token: str
    source_options: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    def run(self, stages: int | None = None, **options: Any) -> dlt.Pipeline:
        """One run of the source, as `python pipeline.py` does it: its stages loaded one after another (`stages=1`:
        the first only, as a run that died before its enrichment)."""
        pipeline = dlt.pipeline(
            pipeline_name="spotify",
            destination=make_destination("duckdb", str(self.database)),  # as the product's runs load
            dataset_name="spotify_raw",
            pipelines_dir=str(self.workdir / "pipelines"),
        )
        source = spotify_source(
            client_id=self.server.settings.accounts.client_id,
            refresh_token=self.refresh_token,
            api_base_url=self.server.api_url,
            accounts_base_url=self.server.url,
            token_cache_path=str(self.workdir / "token-cache.json"),
            **{**LIMITS, "max_retry_after_seconds": 5, **self.source_options, **options},
        )
        for stage in load_stages(source)[:stages]:
            pipeline.run(stage)
        return pipeline

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            connection.execute("SET TimeZone='UTC'")
            return connection.execute(sql).fetchall()

    def api_requests(self) -> dict[str, int]:
        """Requests to `/v1` by endpoint template since the last stats reset (all statuses)."""
        stats = self.server.control("GET", "stats")["by_endpoint"]
        return {name: sum(by.values()) for name, by in stats.items() if " /v1/" in name}


def make_harness(server: EmulatorServer, workdir: Path) -> Harness:
    tokens = server.login()
    return Harness(server, workdir, tokens["refresh_token"])


def expected(truth: dict[str, Any], development: bool, limits: dict[str, int] = LIMITS) -> Expected:
    """What a run within LIMITS must land (see tests.expectations, shared with the benchmarks)."""
    return expectations.expected(truth, development, limits)


def minimum_requests(exp: Expected, truth: dict[str, Any], development: bool) -> dict[str, int]:
    """The fewest `/v1` requests a first run within LIMITS may make: pages at maximum size, full id batches."""
    return expectations.minimum_requests(exp, development, LIMITS)
