"""The dashboard in a real browser: `sales-pipeline dashboard` (streamlit run) on loopback, Debian's
Chromium driven by Playwright. Every page is opened, the Overview KPIs read off the screen are
checked against Polars, and a screenshot of every page is saved to $SALES_SCREENSHOTS_DIR
(default artifacts/screenshots/; `make screenshots` points it at docs/screenshots/)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from sales_pipeline.dashboard import formatting
from sales_pipeline.dashboard.filters import DEFAULT_DAYS
from sales_pipeline.dashboard.queries import Filters
from sales_pipeline.local_s3 import free_port
from sales_pipeline.resources.factory import build_resources
from sales_pipeline.settings import Settings

from ..conftest import REPO
from .conftest import selected

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PAGES = {
    "": "Overview",  # the default page lives at the root
    "sales": "Sales",
    "products": "Products",
    "branches": "Branches",
    "profitability": "Profitability",
    "alerts": "Alerts",
    "data_status": "Data status",
    "upload": "Upload a sales file",
}
SHOTS = Path(os.environ.get("SALES_SCREENSHOTS_DIR", REPO / "artifacts" / "screenshots"))

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    reason = f"{CHROMIUM} not found: install Debian's chromium (scripts/system-deps.sh does)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser check: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def dashboard_url(loaded_store, s3_endpoint: str) -> Iterator[str]:
    _require_chromium()
    port = free_port()
    env = {
        **os.environ,
        "SALES_STATE_DIR": str(Path(loaded_store.path).parent),
        "SALES_S3_ENDPOINT_URL": s3_endpoint,
        "SALES_BUCKET": "dashboard-browser",
        "SALES_DAGSTER_URL": "http://127.0.0.1:9",
    }
    settings = Settings.from_env(env)
    build_resources(settings)["lake"].ensure_bucket()
    log = open(Path(loaded_store.path).parent / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "sales-pipeline"), "dashboard", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, Path(log.name))
        yield url
    finally:
        process.kill()
        process.wait(timeout=30)
        log.close()


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer /_stcore/health within 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser_page(dashboard_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def _open(page, url: str, title: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    # Streamlit shows a "running" widget until the script finishes.
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(1500)  # let Vega finish drawing before the screenshot


def test_every_page_opens_without_errors_and_is_captured(browser_page, dashboard_url: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path, title in PAGES.items():
        _open(browser_page, f"{dashboard_url}/{path}", title)
        assert browser_page.locator('[data-testid="stException"]').count() == 0, f"{path}: a traceback is shown"
        shot = SHOTS / f"{path or 'overview'}.png"
        browser_page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    assert browser_page.locator('[data-testid="stVegaLiteChart"]').count() == 0  # upload page: no charts


def test_overview_shows_the_kpis_of_the_data(browser_page, dashboard_url: str, rows) -> None:
    _open(browser_page, f"{dashboard_url}/", "Overview")
    values = browser_page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    last = rows["date"].max()
    now = selected(rows, Filters(last - timedelta(days=DEFAULT_DAYS - 1), last))
    assert values[2:5] == [f"{now.height:,}", f"{now['quantity'].sum():,}", formatting.rating(now["rating"].mean())]
    for shown, expected in zip(values[:2], (now["total"].sum(), now["gross_income"].sum()), strict=True):
        assert abs(float(shown.replace("$", "").replace(",", "")) - expected) <= 0.005 + 1e-6
    assert browser_page.locator('[data-testid="stVegaLiteChart"]').count() == 1


def test_a_shared_url_opens_the_same_view(browser_page, dashboard_url: str, rows) -> None:
    _open(browser_page, f"{dashboard_url}/?dates=2019-02-01&dates=2019-02-28&branch=B", "Overview")
    assert browser_page.get_by_text("01 Feb 2019 – 28 Feb 2019 (28 days)", exact=False).count() == 1
    february_b = selected(rows, Filters(date(2019, 2, 1), date(2019, 2, 28), branches=("B",)))
    transactions = browser_page.locator('[data-testid="stMetricValue"]').nth(2).inner_text()
    assert transactions == f"{february_b.height:,}"
    # Moving to another page keeps the view (the filters live in the entry point and the URL).
    browser_page.get_by_role("link", name="Sales", exact=True).click()
    browser_page.get_by_role("heading", name="Sales", exact=True).wait_for(timeout=60_000)
    assert browser_page.get_by_text("01 Feb 2019 – 28 Feb 2019 (28 days)", exact=False).count() == 1
    assert "branch=B" in browser_page.url
