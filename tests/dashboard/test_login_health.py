"""The Data health page's "Spotify login" card: the age of the login behind the latest run, and a warning in the last
two weeks of Spotify's 6 months, an error after. The expected dates come from the warehouse, not the dashboard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.dashboard.conftest import Warehouse
from tests.dashboard.test_pages import metrics, open_page


def backdated(demo: Warehouse, folder: Path, days_left: float) -> Warehouse:
    """A copy of the demo warehouse whose run says the login expires `days_left` days from now (written into the
    mart the page reads, as a dbt build would after a run with such a login)."""
    path = folder / "warehouse.duckdb"
    path.write_bytes(demo.path.read_bytes())
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days_left)
    with duckdb.connect() as connection:
        connection.execute(f"attach '{path}' as w")
        connection.execute(
            "update w.spotify.pipeline_runs set refresh_token_expires_at = $expires, "
            "logged_in_at = $expires - interval 182 days",
            {"expires": expires},
        )
    return Warehouse(path, demo.mode)


def test_the_demo_login_has_six_months_left(demo_warehouse: Warehouse, point_at) -> None:
    expires = demo_warehouse.scalar("select refresh_token_expires_at from spotify_raw.extraction_runs")
    logged_in = demo_warehouse.scalar("select logged_in_at from spotify_raw.extraction_runs")
    assert demo_warehouse.query("select logged_in_at, refresh_token_expires_at from spotify.pipeline_runs") == [
        (logged_in, expires)
    ], "the mart carries the login the run recorded"
    assert expires - logged_in == dt.timedelta(days=182)
    point_at(demo_warehouse)
    app = open_page("Data health")
    days = round((expires - dt.datetime.now(dt.UTC)).total_seconds() / 86400)
    assert metrics(app)["Spotify login"] in (f"{days} days left", f"{days - 1} days left")
    assert not app.warning and not app.error


@pytest.mark.parametrize(("days_left", "element", "says"), [(5.8, "warning", "expires in 6 days"),
                                                              (-1, "error", "login expired")])  # fmt: skip
def test_an_ending_login_is_announced(
    demo_warehouse: Warehouse, tmp_path: Path, point_at, days_left: float, element: str, says: str
) -> None:
    point_at(backdated(demo_warehouse, tmp_path, days_left))
    app = open_page("Data health")
    shown = metrics(app)["Spotify login"]
    assert shown == ("Expired" if days_left < 0 else "6 days left")
    (message,) = [item.value for item in getattr(app, element)]
    assert says in message.lower() and "python pipeline.py auth" in message
