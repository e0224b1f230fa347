"""End to end: `streamlit run dashboard/app.py` on 127.0.0.1, every page driven in headless Chromium.

Each page must show its title and its main chart, and no exception or error message; a screenshot of each is
saved in a folder the test prints (set DASHBOARD_SCREENSHOTS to choose it). The browser is Debian's chromium
(`apt-get install chromium`), driven by Playwright: nothing downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import REPO, Warehouse

CHROMIUM = Path(os.environ.get("DASHBOARD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
CHART = '[data-testid="stVegaLiteChart"]'
# url path, title, what the main chart is. A page's own address comes first: a fresh server's first visit
# straight to a page (a bookmark) must go through the router too.
PAGES = [
    ("listening", "Listening", "plays over time"),
    ("", "Overview", "plays per day"),
    ("top_lists", "Top lists", "ranks across time ranges"),
    ("wrapped", "Wrapped", "minutes by month"),
    ("together", "Together", "taste overlap over time"),
    ("playlists", "Playlists", "playlist sizes"),
    ("artists", "Artists & genres", "genres"),
    ("audio_features", "Audio features", "feature distributions"),
    ("data_health", "Data health", "rows per table"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url(household_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` from the repository root (its .streamlit/config.toml), on a free port, over
    a household's warehouse (the demo's account first, so every other page shows the demo; Together compares)."""
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "SPOTIFY_DUCKDB": str(household_warehouse.path)}
    env.pop("SPOTIFY_DESTINATION", None)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port)],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()}", pytrace=False)
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    text = log.read_text()
    assert "Traceback" not in text, f"the dashboard logged a traceback:\n{text}"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path_factory.mktemp("dashboard-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_page_renders_in_a_browser(dashboard_url: str, screenshots: Path, capsys) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Tall: Streamlit scrolls inside its own container, so a full-page screenshot is the viewport.
            context = browser.new_context(viewport={"width": 1440, "height": 2600}, timezone_id="Europe/Stockholm")
            page = context.new_page()
            for path, title, chart in PAGES:
                page.goto(f"{dashboard_url}/{path}")
                expect(page.locator("h1").first).to_have_text(title, timeout=30_000)
                wait_until_idle(page)
                expect(page.locator(CHART).first, f"{title}: {chart}").to_be_visible()
                page.locator(f"{CHART} canvas, {CHART} svg").first.wait_for()  # drawn, not only placed
                assert page.locator('[data-testid="stException"]').count() == 0, f"{title}: an exception is shown"
                errors = page.locator('[data-testid="stAlertContentError"]')
                assert errors.count() == 0, f"{title}: {errors.first.inner_text()}"
                assert page.title().startswith(title), page.title()
                page.screenshot(path=str(screenshots / f"{path or 'overview'}.png"), full_page=True)
        finally:
            browser.close()
    with capsys.disabled():
        print(f"\ndashboard screenshots: {screenshots}")


def test_the_wrapped_card_downloads(dashboard_url: str, screenshots: Path, capsys) -> None:
    """Issue 14: open Wrapped, choose the year, download the card as a user does; it is a portrait PNG. The page's
    screenshot and the card are kept beside the others (docs/ holds copies of them)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 2200}, timezone_id="Europe/Stockholm", accept_downloads=True
            )
            page = context.new_page()
            page.goto(f"{dashboard_url}/wrapped")
            expect(page.locator("h1").first).to_have_text("Wrapped", timeout=30_000)
            wait_until_idle(page)
            # In Stockholm the demo's history starts on 1 January 2026: no year is complete, the year so far shows.
            expect(page.get_by_text("2026, against 2025")).to_be_visible()
            page.get_by_text("Show the card here").click()
            wait_until_idle(page)
            expect(page.locator('[data-testid="stImage"] img').first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(screenshots / "wrapped-page.png"), full_page=True)
            with page.expect_download(timeout=60_000) as download_info:
                page.get_by_role("button", name="Download the card (PNG)").click()
            download = download_info.value
            card = screenshots / download.suggested_filename
            download.save_as(str(card))
        finally:
            browser.close()
    assert download.suggested_filename == "wrapped-2026.png"
    data = card.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the download is no PNG"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert height > width >= 540, (width, height)
    with capsys.disabled():
        print(f"\nWrapped page and card: {screenshots}")


METRIC_TEXT = '[data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-testid="stMetricDelta"]'
CUT_OFF = f"""() => [...document.querySelectorAll('{METRIC_TEXT}')]
    .flatMap(element => [element, ...element.querySelectorAll('*')])
    .filter(element => element.scrollWidth > element.clientWidth)
    .map(element => element.innerText)"""
"""The metric texts wider than their box: Streamlit ends them with an ellipsis ("182 da…") instead of wrapping."""


def test_no_metric_card_is_cut_off_at_1400_px(dashboard_url: str) -> None:
    """Issue 14: the pages people screenshot, on a 1,400 px wide window, show every metric's label and value whole."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    cut_off: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for path, title, _ in PAGES:
                page.goto(f"{dashboard_url}/{path}")
                expect(page.locator("h1").first).to_have_text(title, timeout=30_000)
                wait_until_idle(page)
                if texts := page.evaluate(CUT_OFF):
                    cut_off[title] = texts
        finally:
            browser.close()
    assert not cut_off, f"metric texts cut off at 1,400 px: {cut_off}"


def test_the_account_in_the_url_survives_a_reload_and_a_page_switch(
    dashboard_url: str, household_warehouse: Warehouse
) -> None:
    """A bookmark `?account=<id>` opens that person; a reload and a click on another page keep them."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    ((user_id, name),) = household_warehouse.query(
        "select user_id, display_name from spotify.users order by display_name desc limit 1"
    )
    sidebar = '[data-testid="stSidebar"]'
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(f"{dashboard_url}/listening?account={user_id}")
            expect(page.locator("h1").first).to_have_text("Listening", timeout=30_000)
            wait_until_idle(page)
            expect(page.locator(sidebar).get_by_text(name).first).to_be_visible()
            page.reload()
            expect(page.locator("h1").first).to_have_text("Listening", timeout=30_000)
            wait_until_idle(page)
            expect(page.locator(sidebar).get_by_text(name).first).to_be_visible()
            page.locator(sidebar).get_by_role("link", name="Together").click()
            expect(page.locator("h1").first).to_have_text("Together", timeout=30_000)
            wait_until_idle(page)
            expect(page.locator(sidebar).get_by_text(name).first).to_be_visible()
            assert f"account={user_id}" in page.url, page.url
        finally:
            browser.close()


def wait_until_idle(page: Any) -> None:
    """Streamlit shows a status widget while the script runs; charts draw after it ends."""
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + 30
    while page.locator('[data-testid="stStatusWidget"]').count() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.wait_for_timeout(800)
