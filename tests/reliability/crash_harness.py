"""Run `python pipeline.py ...` in a subprocess that dies (SIGKILL) or stops at a chosen point of its work.

Production code has no test hooks: this module is itself the subprocess's entry point (`python crash_harness.py`),
which patches the real libraries from the outside before calling `pipeline.main`, so the run is the real one up to
the chosen moment. The points, and why each is a moment a laptop could die at:

    request:N       after the source's N-th Web API answer (N=1: only the token refresh and /me are done)
    export_file:N   after the data-export reader parsed its N-th file (import-export's extraction)
    extracted       extraction finished and committed, normalisation not started
    normalize_file:N  after dlt normalised N extracted files of the package (the package is not committed)
    normalized      normalisation finished, loading not started
    load_job:N      the N-th load job ran in DuckDB (its transaction committed) but dlt has not recorded it yet:
                    the window where a resumed load runs a job a second time
    dbt_node:N      dbt finished N nodes (models, tests) of `dbt build`
    dbt_model:NAME  dbt finished building the model NAME (its data tests not run yet): by name, as node numbers move
    warehouse_write:N  the run is about to open the DuckDB file for writing the N-th time (loading.warehouse_held:
                    `run` 1 dlt's state, 2 load, 3 summary, 4 dbt; `import-export` 1 rows before, 2 dlt's state,
                    3 load, 4 rows after, 5 dbt): nothing of the run holds the file at that moment

The action at the point comes from the environment: CRASH_AT=<point>[,<point>...], CRASH_ACTION=kill (default) or
pause. `pause` creates the file CRASH_REACHED and waits until CRASH_RELEASE exists, removes it and carries on: the
concurrency tests use it to hold a run at a known moment (holding the run lock and, during load and dbt, the DuckDB
file). With several points a test removes CRASH_REACHED before creating CRASH_RELEASE, and waits for the next one.
Each point fires once; CRASH_REACHED is written for `kill` too, so a test can tell the point was reached.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class _Trigger:
    """Counts the events of one kind and fires the action when the count reaches the point's N."""

    def __init__(self, kind: str, target: int) -> None:
        self.kind, self.target = kind, target
        self.count = 0
        self._lock = threading.Lock()
        self._fired = False

    def event(self, kind: str, detail: str = "") -> None:
        if kind != self.kind:
            return
        with self._lock:
            self.count += 1
            if self._fired or self.count < self.target:
                return
            self._fired = True
        fire(detail)


def fire(detail: str = "") -> None:
    """Kill this process at once (no cleanup, no atexit, no flush), or pause until the test releases it.

    CRASH_REACHED gets the pid and what was just done (e.g. the load job's file), for assertion messages."""
    reached = os.environ.get("CRASH_REACHED")
    if reached:
        Path(reached).write_text(f"{os.getpid()} {detail}")
    if os.environ.get("CRASH_ACTION", "kill") == "pause":
        release = Path(os.environ["CRASH_RELEASE"])
        deadline = time.monotonic() + 120
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        release.unlink(missing_ok=True)  # the next pause waits for a new release
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _after(owner: Any, name: str, trigger: _Trigger, kind: str) -> None:
    """Wrap owner.name so that every completed call counts as one `kind` event."""
    original: Callable[..., Any] = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        trigger.event(kind)
        return result

    setattr(owner, name, wrapped)


def _before(owner: Any, name: str, trigger: _Trigger, kind: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        trigger.event(kind)
        return original(*args, **kwargs)

    setattr(owner, name, wrapped)


def install(point: str) -> None:
    """Patch the library call that marks `point` (see the module docstring)."""
    kind, _, count = point.partition(":")
    if kind == "dbt_model":
        _after_dbt_model(count)
        return
    trigger = _Trigger(kind, int(count or 1))
    if kind == "request":
        from spotify_source.http_client import SpotifyApi

        _after(SpotifyApi, "get", trigger, kind)
    elif kind == "export_file":
        import spotify_source.export.parallel as export

        original = export.file_table

        def counted(*args: Any, **kwargs: Any) -> Any:
            table = original(*args, **kwargs)
            trigger.event(kind)
            return table

        # tables_in_order looks the name up in its module at call time (small exports are parsed in-process)
        export.file_table = counted
    elif kind in ("extracted", "normalized"):
        import dlt

        _before(dlt.Pipeline, "normalize" if kind == "extracted" else "load", trigger, kind)
    elif kind == "normalize_file":
        from dlt.normalize.items_normalizers import ArrowItemsNormalizer, JsonLItemsNormalizer

        for normalizer in (JsonLItemsNormalizer, ArrowItemsNormalizer):
            _after(normalizer, "__call__", trigger, kind)
    elif kind == "load_job":
        from dlt.common.destination.client import RunnableLoadJob

        original_release = RunnableLoadJob._release

        def release(self: Any, next_state: str) -> None:
            if next_state == "completed":
                # the job's work is committed; dlt has not persisted that it is done
                trigger.event(kind, Path(self._file_path).name)
            original_release(self, next_state)

        RunnableLoadJob._release = release  # type: ignore[method-assign]
    elif kind == "dbt_node":
        from dbt.cli.main import dbtRunner

        original_init = dbtRunner.__init__

        def init(self: Any, *args: Any, callbacks: list[Any] | None = None, **kwargs: Any) -> None:
            def on_event(event: Any) -> None:
                if event.info.name == "NodeFinished":
                    trigger.event(kind)

            original_init(self, *args, callbacks=[*(callbacks or []), on_event], **kwargs)

        dbtRunner.__init__ = init  # type: ignore[method-assign]
    elif kind == "warehouse_write":
        import spotify_pipeline.warehouse_access as access

        _before(access, "held_for_writing", trigger, kind)  # loading.warehouse_held looks it up at call time
    else:
        raise ValueError(f"unknown crash point {point!r}")


def _after_dbt_model(name: str) -> None:
    from dbt.cli.main import dbtRunner

    trigger = _Trigger("dbt_model", 1)
    original_init = dbtRunner.__init__

    def init(self: Any, *args: Any, callbacks: list[Any] | None = None, **kwargs: Any) -> None:
        def on_event(event: Any) -> None:
            if (
                event.info.name == "NodeFinished"
                and event.data.node_info.unique_id.startswith("model.")
                and (event.data.node_info.unique_id.endswith(f".{name}"))
            ):
                trigger.event("dbt_model", name)

        original_init(self, *args, callbacks=[*(callbacks or []), on_event], **kwargs)

    dbtRunner.__init__ = init  # type: ignore[method-assign]


# --- the test side: start such a run (what it left is read by warehouse_state) --------------------------------------

PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")
SUBPROCESS_TIMEOUT = 180


def pipeline_env(workdir: Path, **extra: str) -> dict[str, str]:
    """A clean environment: the warehouse, dlt's folder and HOME under `workdir`, no telemetry, nothing inherited
    that could configure the run (SOURCES__SPOTIFY__* of a developer's shell)."""
    from tests.dbt_partial_parse import subprocess_env

    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(subprocess_env())
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(workdir / "home"),
        SPOTIFY_DUCKDB=str(workdir / "warehouse.duckdb"),
        SPOTIFY_PIPELINES_DIR=str(workdir / "pipelines"),
        RUNTIME__DLTHUB_TELEMETRY="false",
        PYTHONIOENCODING="utf-8",
    )
    env.update(extra)
    return env


def scenario_env(server: Any, template: Path, workdir: Path) -> dict[str, str]:
    """A copy of `template` in `workdir` (nothing, before the template exists) and the env of a `run` there against
    the emulator `server`, with a login of its own."""
    if template.exists():
        shutil.copytree(template, workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    tokens = server.login()
    return pipeline_env(
        workdir,
        SOURCES__SPOTIFY__API_BASE_URL=server.api_url,
        SOURCES__SPOTIFY__ACCOUNTS_BASE_URL=server.url,
        SOURCES__SPOTIFY__CLIENT_ID=server.settings.accounts.client_id,
        SOURCES__SPOTIFY__REFRESH_TOKEN=tokens["refresh_token"],
        SOURCES__SPOTIFY__TOKEN_CACHE_PATH=str(workdir / "token-cache.json"),
    )


def start(args: list[str], env: dict[str, str]) -> Any:
    """`python pipeline.py <args>` through this module, as a Popen (stdout and stderr captured as text)."""
    import subprocess

    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run(args: list[str], env: dict[str, str], crash_at: str | None = None) -> Any:
    """Run to the end (or to the kill); a CompletedProcess-like result with returncode, stdout, stderr."""
    import subprocess

    if crash_at:
        env = {**env, "CRASH_AT": crash_at, "CRASH_ACTION": "kill"}
    return subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT, check=False,
    )  # fmt: skip


def described(result: Any) -> str:
    return f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    for point in filter(None, os.environ.get("CRASH_AT", "").split(",")):
        install(point)
    import pipeline

    return pipeline.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
