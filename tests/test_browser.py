"""The newsroom front end in a real browser: headless Chromium (Debian's chromium package) through Playwright loads
the home page, a canned question with its fields filled in, a group's page with its chart, and a search by name,
served by `watchdog serve` on the sample database. No request may leave 127.0.0.1.

Screenshots (whole pages, PNG) go to $WATCHDOG_SCREENSHOTS if set, else to the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import newsroom
import pytest
from newsroom import free_port

from watchdog.web.questions import QUESTIONS

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium package is not installed (apt-get install chromium; CI installs it)"
)
STARTUP_SECONDS = 30
GROUP = "Serco Group plc"


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    return newsroom.sample_file(tmp_path_factory.mktemp("newsroom"))


@pytest.fixture(scope="module")
def server(sample_file):
    """`watchdog serve` on a free loopback port, until the module's tests are done."""
    port = free_port()
    command = [sys.executable, "-m", "watchdog", "--db", f"sqlite:///{sample_file}", "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/-/versions.json", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"watchdog serve did not start: {process.stdout.read().decode()}")
            time.sleep(0.2)
    yield base_url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("WATCHDOG_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser):
    """A page whose every request is recorded; after the test, none may have left 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    yield opened
    context.close()
    assert requested
    assert [url for url in requested if urlsplit(url).hostname != "127.0.0.1"] == []


def group_id(sample_file: Path, name: str) -> int:
    with sqlite3.connect(sample_file) as connection:
        return connection.execute("SELECT group_id FROM group_record WHERE group_name = ?", (name,)).fetchone()[0]


def test_the_home_page_offers_the_database_and_a_supplier_search(server, page, screenshots):
    page.goto(server + "/")
    assert page.get_by_role("link", name="watchdog", exact=True).is_visible()
    assert page.get_by_label("Find a supplier or group by any spelling of its name").is_visible()
    page.screenshot(path=screenshots / "home.png", full_page=True)


def test_a_canned_question_answers_for_the_group_named(server, page, screenshots):
    everything_about = next(name for name, question in QUESTIONS.items() if question["title"].startswith("1. "))
    page.goto(
        f"{server}/watchdog/{everything_about}?" + urlencode({"name": "serco", "since": "2016-01-01", "until": ""})
    )
    body = page.locator("body").inner_text()
    assert "COVID-19 contact tracing service" in body
    assert "Serco's record: the contracts, the deductions and the data breach" in body
    assert "Repayment over electronic-tagging overcharging" not in body  # December 2013: before the period
    page.screenshot(path=screenshots / "question.png", full_page=True)


def test_a_group_page_shows_its_record_timeline_and_chart(server, sample_file, page, screenshots):
    page.goto(f"{server}/-/group/{group_id(sample_file, GROUP)}")
    assert page.locator("h1").inner_text().startswith(GROUP)
    chart = page.locator("svg.watchdog-chart")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 500
    labels = chart.locator("text").all_text_contents()
    assert f"{GROUP}: contract value and penalties per year" in labels
    assert {"£108m", "£22.9m", "£1m", "£68.5m", "2013", "2020"} <= set(labels)
    body = page.locator("body").inner_text()
    assert "Serco exposed the email addresses of 296 contact tracers by copying them into one message" in body
    assert "Serco Geografix Ltd" in body and "SERCO LIMITED" in body
    page.screenshot(path=screenshots / "group.png", full_page=True)


def test_a_search_by_another_spelling_finds_the_supplier_and_its_group(server, page, screenshots):
    page.goto(server + "/")
    page.get_by_label("Find a supplier or group by any spelling of its name").fill("geografix")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/-/suppliers?q=geografix")
    results = page.locator("table.watchdog-matches")
    assert results.get_by_role("link", name="Serco Geografix Ltd").is_visible()
    assert results.get_by_role("link", name=GROUP).is_visible()
    page.screenshot(path=screenshots / "search.png", full_page=True)
    results.get_by_role("link", name="Serco Geografix Ltd").click()
    page.wait_for_url("**/-/supplier/*")
    assert "Deferred prosecution agreement" in page.locator("body").inner_text()
    page.screenshot(path=screenshots / "supplier.png", full_page=True)
