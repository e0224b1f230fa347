"""Dashboard: time to render each page with Streamlit's AppTest on the 500,000-play warehouse, cold and warm.

Cold: Streamlit's caches cleared (`st.cache_data`, `st.cache_resource`), so the page opens the warehouse and runs
every query. Warm: the same page run again, as a user's next interaction; results come from the cache. The app is
opened as a browser opens it (the router renders the default page first, untimed), then each page is switched to
and the account holding the plays is chosen in the sidebar (untimed).
Targets: under 3 s cold, under 1 s warm. It reuses the dbt benchmark's warehouse when run.py shares one.

The Wrapped recap (issue 14) is also measured over every play of the warehouse as one period (the page's "Another
period", whose range defaults to the whole history; `python pipeline.py wrapped --from ... --to ...`): its cost
grows with the plays in the period, so this is the recap of a 500,000-play year. Targets: under 1 s warm on the
page, under 3 s for the command (a fresh process: Python, pandas and DuckDB start included).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.big_warehouse import BigWarehouse, plays_for, shared_copy
from benchmarks.pipeline_run import ROOT
from benchmarks.rows import Row
from spotify_emulator import EmulatorServer

APP = ROOT / "dashboard" / "app.py"
PAGES = {
    "Overview": "app_pages/overview.py",
    "Listening": "app_pages/listening.py",
    "Top lists": "app_pages/top_lists.py",
    "Wrapped": "app_pages/wrapped.py",
    "Playlists": "app_pages/playlists.py",
    "Artists & genres": "app_pages/artists.py",
    "Audio features": "app_pages/audio_features.py",
    "Data health": "app_pages/data_health.py",
}
COLD_SECONDS, WARM_SECONDS = 3.0, 1.0
LISTENER = "bench-listener"
"""The account whose history big_warehouse.py imports (the warehouse also holds the API run's account, with its
50 plays, which the dashboard would show first): every page is timed for it, chosen in the sidebar."""


def open_for_the_listener(app: object, page: str) -> None:
    """The app as a browser opens it (the router renders the default page), then `page` with the big account chosen
    in the sidebar (AppTest keeps no widget across pages). Untimed: it fills the caches the caller then clears."""
    app.run()
    app.switch_page(page).run()
    app.selectbox(key="account").set_value(LISTENER).run()


def shown_account(app: object) -> str:
    """The account the sidebar names, or a problem when it is not the big one."""
    names = [item.value for item in app.sidebar.markdown]
    return "" if f"**{LISTENER}**" in names else f"the page showed another account: {names[:1]}"


def render_times(database: Path) -> dict[str, tuple[float, float, str]]:
    """Per page: (cold seconds, warm seconds, problem), the problem being an exception or error the page showed."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["SPOTIFY_DUCKDB"] = str(database)
    os.environ.pop("SPOTIFY_DESTINATION", None)
    times = {}
    for title, page in PAGES.items():
        app = AppTest.from_file(str(APP), default_timeout=120)
        open_for_the_listener(app, page)
        st.cache_data.clear()
        st.cache_resource.clear()
        started = time.perf_counter()
        app.run()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        app.run()
        warm = time.perf_counter() - started
        problems = [str(e.value) for e in app.exception] + [str(e.value) for e in app.error] + [shown_account(app)]
        times[title] = (cold, warm, "; ".join(p for p in problems if p)[:200])
    return times


def wrapped_times(database: Path) -> tuple[float, float, float, str]:
    """The recap of every play: (page cold, page warm, command) seconds and any problem shown."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["SPOTIFY_DUCKDB"] = str(database)
    app = AppTest.from_file(str(APP), default_timeout=120)
    open_for_the_listener(app, PAGES["Wrapped"])
    st.cache_data.clear()
    st.cache_resource.clear()
    started = time.perf_counter()
    app.button_group(key="wrapped_period").set_value("Another period").run()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    app.run()
    warm = time.perf_counter() - started
    problems = [str(e.value) for e in app.exception] + [str(e.value) for e in app.error] + [shown_account(app)]
    shown = {item.label: item.value for item in app.metric}.get("Plays", "no plays shown")
    problems += [] if shown.replace(",", "").isdigit() else [shown]
    command = [sys.executable, "pipeline.py", "wrapped", "--from", "2006-01-01", "--to", "2030-12-31",
               "--format", "json", "--tz", "UTC", "--user-id", LISTENER]  # fmt: skip
    env = {**os.environ, "SPOTIFY_DUCKDB": str(database)}
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    command_seconds = time.perf_counter() - started
    if completed.returncode != 0:
        problems.append(completed.stderr.strip()[-200:])
    return cold, warm, command_seconds, "; ".join(p for p in problems if p)[:200] or f"the recap shows {shown} plays"


def _warehouse(plays: int, folder: Path) -> Path:
    """The dbt benchmark's warehouse if run.py shared it, else one built here (API run, import, dbt build)."""
    shared = shared_copy(plays)
    if shared is not None and shared.exists():
        return shared
    with EmulatorServer(profile="reference", seed=1) as server:
        warehouse = BigWarehouse(folder, server)
        warehouse.api_run()
        warehouse.import_history(plays)
        warehouse.dbt_build()
        return warehouse.database


def run(quick: bool) -> list[Row]:
    plays = plays_for(quick)
    with tempfile.TemporaryDirectory() as scratch:
        database = _warehouse(plays, Path(scratch))
        times = render_times(database)
        recap_cold, recap_warm, recap_command, recap_problem = wrapped_times(database)
    rows = []
    for title, (cold, warm, problem) in times.items():
        note = f"the page showed: {problem}" if problem else ""
        rows.append(Row("dashboard", f"{plays:,} plays: {title}, cold", cold, COLD_SECONDS, unit="s",
                        target_op="<=", target_value=1, bound_label="target", note=note))  # fmt: skip
        rows.append(Row("dashboard", f"{plays:,} plays: {title}, warm", warm, WARM_SECONDS, unit="s",
                        target_op="<=", target_value=1, bound_label="target", note=note))  # fmt: skip
    note = recap_problem
    metric = f"{plays:,} plays as one period: Wrapped"
    rows.append(Row("dashboard", f"{metric} page, cold", recap_cold, COLD_SECONDS, unit="s",
                    target_op="<=", target_value=1, bound_label="target", note=note))  # fmt: skip
    rows.append(Row("dashboard", f"{metric} page, warm", recap_warm, WARM_SECONDS, unit="s",
                    target_op="<=", target_value=1, bound_label="target", note=note))  # fmt: skip
    rows.append(Row("dashboard", f"{metric}: python pipeline.py wrapped (JSON)", recap_command, 3.0, unit="s",
                    target_op="<=", target_value=1, bound_label="target", note=note))  # fmt: skip
    return rows
