"""One pipeline run in a fresh Python process, against an emulator running in the caller's process.

The child does what `python pipeline.py run` does (`spotify_pipeline.loading.load` of `spotify_source`, limits from
`.dlt/config.toml`) into the warehouse file and dlt folder of a work directory, and writes back its step times
(from dlt's trace) and its own peak memory (`ru_maxrss`). A fresh process per run is what makes the memory figure
mean something: the emulator, the parent's imports and earlier runs are not in it.

    run_pipeline(server, workdir, refresh_token, max_playlists=1000)  # in a benchmark
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRATCH_ENV = "SPOTIFY_BENCHMARK_SCRATCH"
"""A folder run.py shares between the benchmarks of one run (the dashboard reuses the dbt benchmark's warehouse)."""


def configured_limits() -> dict[str, int | None]:
    """The source's limits as a user's run reads them from `.dlt/config.toml`; the benchmarks' bounds use these.
    A limit left unset there is None: no limit (the source reads every playlist and every entry)."""
    with open(ROOT / ".dlt" / "config.toml", "rb") as handle:
        config = tomllib.load(handle)["sources"]["spotify"]
    names = ("max_playlists", "max_tracks_per_playlist", "top_limit", "artist_request_budget", "max_concurrency")
    return {name: int(config[name]) if name in config else None for name in names}


def run_pipeline(
    server: Any, workdir: Path, refresh_token: str, *, loader_file_format: str | None = None, **source_options: Any
) -> dict[str, Any]:
    """Run the pipeline once in a child process; returns `seconds` per step (over both stages), `wall_seconds`,
    `peak_rss_mb`, `import_rss_mb` (the process before the run: Python, dlt, DuckDB, the source) and `rows` per
    table. `loader_file_format` replaces the product's file format for DuckDB (a baseline to compare with)."""
    workdir.mkdir(parents=True, exist_ok=True)
    result_path = workdir / "run-result.json"
    result_path.unlink(missing_ok=True)
    spec = {
        "client_id": server.settings.accounts.client_id,
        "refresh_token": refresh_token,
        "api_base_url": server.api_url,
        "accounts_base_url": server.url,
        "token_cache_path": str(workdir / "token-cache.json"),
        "options": source_options,
        "loader_file_format": loader_file_format,
        "result_path": str(result_path),
    }
    env = {
        **os.environ,
        "SPOTIFY_DUCKDB": str(workdir / "warehouse.duckdb"),
        "SPOTIFY_PIPELINES_DIR": str(workdir / "pipelines"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), json.dumps(spec)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"the pipeline run failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return json.loads(result_path.read_text())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _child(spec: dict[str, Any]) -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # dlt reads .dlt/config.toml from the working directory, as `python pipeline.py` does
    import dlt  # noqa: F401 - imported before the baseline is taken, as the run needs it anyway
    import duckdb  # noqa: F401

    from spotify_pipeline import destinations
    from spotify_pipeline.loading import load
    from spotify_source import spotify_source

    if spec.get("loader_file_format"):
        destinations.DUCKDB_LOADER_FILE_FORMAT = spec["loader_file_format"]

    import_rss = _peak_rss_mb()

    def source() -> Any:
        return spotify_source(
            client_id=spec["client_id"],
            refresh_token=spec["refresh_token"],
            api_base_url=spec["api_base_url"],
            accounts_base_url=spec["accounts_base_url"],
            token_cache_path=spec["token_cache_path"],
            **spec["options"],
        )

    started = time.perf_counter()
    result = load(source, label="the emulated account (benchmark)")
    wall = time.perf_counter() - started
    Path(spec["result_path"]).write_text(
        json.dumps(
            {
                "seconds": result["seconds"],
                "wall_seconds": wall,
                "peak_rss_mb": _peak_rss_mb(),
                "import_rss_mb": import_rss,
                "rows": result["rows"],
            }
        )
    )


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
