"""Progress on a terminal only: a crawl's status line and an ingest's bar for each file, never in a pipe (cron mail),
nor when asked for none; log lines go above them."""

import fcntl
import io
import logging
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from crawling import crawl, crawl_command
from fake_portal import REALDATA, FakePortal
from test_contracts_finder import PAGE, SEARCH

from watchdog.database import db
from watchdog.sources.progress import CrawlCounts, CrawlStatus, log_above_progress, releases_read
from watchdog.sources.spiders.contracts_finder import ContractsFinderSpider
from watchdog.sources.spiders.sfo_dpas import SFODPAsSpider

WINDOW = ("from_date=2025-01-20", "until_date=2025-01-24")
# Half a second between requests: the status line, drawn twice a second, is seen during the crawl.
SLOW = ("DOWNLOAD_DELAY=0.5", "RANDOMIZE_DOWNLOAD_DELAY=False")
BULK_FILE = REALDATA / "cf_search_page_2025-01-20_to_2025-01-23_100releases.json"


class Terminal(io.StringIO):
    """What a terminal is sent, kept as text."""

    def isatty(self) -> bool:
        return True


def on_a_terminal(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a command with its standard error on a pseudo-terminal 120 columns wide, as at a person's terminal;
    its standard output is a pipe."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([controller], [], [], 1)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            shown += chunk
    os.close(controller)
    stdout = process.stdout.read()
    process.wait(timeout)
    return subprocess.CompletedProcess(command, process.returncode, stdout.decode(), shown.decode(errors="replace"))


@pytest.fixture
def database_file(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    db.upgrade(db.make_engine(url))
    return url


def test_the_status_line_of_an_ocds_crawl_counts_windows_pages_items_and_errors():
    screen = Terminal()
    status = CrawlStatus("contracts_finder", screen)
    status.show(CrawlCounts(pages=14, items_stored=1200, errors=0, windows_done=2, windows=5))
    assert "\rcontracts_finder: 2/5 windows, 14 pages, 1,200 items stored, 0 errors [00:00<" in screen.getvalue()
    status.show(CrawlCounts(pages=15, items_stored=1250, errors=1, windows_done=3, windows=5))
    assert "\rcontracts_finder: 3/5 windows, 15 pages, 1,250 items stored, 1 error [00:00<" in screen.getvalue()
    status.close()
    assert screen.getvalue().endswith("\r")  # wiped at the end: the summary follows


def test_the_counts_of_a_crawl_are_its_spiders_windows_and_its_stats():
    stats = {"response_received_count": 3, "watchdog/items_stored": 40, "log_count/ERROR": 2}
    spider = ContractsFinderSpider(from_date="2025-01-20", until_date="2025-01-25")
    spider.windows = spider.plan_windows(datetime.now(UTC))
    spider.finished_windows = set(spider.windows[:2])
    assert str(CrawlCounts.of(spider, stats)) == "2/5 windows, 3 pages, 40 items stored, 2 errors"
    assert str(CrawlCounts.of(SFODPAsSpider(), stats)) == "3 pages, 40 items stored, 2 errors"

    screen = Terminal()
    CrawlStatus("sfo_dpas", screen).show(CrawlCounts.of(SFODPAsSpider(), stats))
    assert "\rsfo_dpas: 3 pages, 40 items stored, 2 errors [00:00]" in screen.getvalue()


def test_an_ingest_bar_counts_the_releases_of_a_file_and_their_rate():
    screen = Terminal()
    assert list(releases_read(iter(range(5)), Path("releases-2024.jsonl.gz"), True, screen)) == [0, 1, 2, 3, 4]
    assert re.search(r"releases-2024\.jsonl\.gz: 5 releases \[00:00, [\d.]+ releases/s\]\n$", screen.getvalue())

    unasked = Terminal()
    assert list(releases_read(iter(range(5)), Path("releases-2024.jsonl.gz"), False, unasked)) == [0, 1, 2, 3, 4]
    assert unasked.getvalue() == ""


def test_log_lines_go_above_the_progress_shown_at_their_handlers_level(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    console = logging.StreamHandler(screen)
    console.setLevel(logging.INFO)
    root, logger = logging.getLogger(), logging.getLogger("watchdog.test_progress")
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    monkeypatch.setattr(root, "handlers", [console])
    status = CrawlStatus("news", screen)
    with log_above_progress():
        assert console not in root.handlers
        logger.info("feed read")
        logger.debug("not shown: below the console's level")
    assert root.handlers == [console]
    status.close()
    # The line is wiped, the log line written on its own line, and the status line drawn again below it.
    assert re.search(r"\r +\rfeed read\n\rnews \[00:00\]", screen.getvalue())
    assert "not shown" not in screen.getvalue()


def test_a_crawl_shows_its_status_line_on_a_terminal_only(database_file):
    with FakePortal("https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE) as portal:
        portal.publish("2025-01-21T10:00:00", PAGE["releases"][:30])
        arguments = (f"base_url={portal.url}", *WINDOW)
        shown = on_a_terminal(crawl_command(database_file, "contracts_finder", arguments, SLOW))
        asked_not = on_a_terminal(
            crawl_command(database_file, "contracts_finder", arguments, (*SLOW, "WATCHDOG_PROGRESS_DISPLAY=False"))
        )
        piped = crawl(database_file, "contracts_finder", *arguments, settings=SLOW)

    assert shown.returncode == asked_not.returncode == piped.returncode == 0, shown.stderr[-3000:]
    assert re.search(r"\rcontracts_finder: [0-4]/4 windows, \d+ pages?, [\d,]+ items stored, 0 errors \[", shown.stderr)
    assert "items stored" not in asked_not.stderr
    assert "items stored" not in piped.stderr and "\r" not in piped.stderr


def test_an_ingest_shows_its_bars_on_a_terminal_only(database_file):
    command = [sys.executable, "-m", "watchdog", "--db", database_file, "ingest", str(BULK_FILE)]
    shown = on_a_terminal(command)
    piped = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert shown.returncode == piped.returncode == 0, shown.stderr[-3000:]
    assert re.search(rf"\r{re.escape(BULK_FILE.name)}: 100 releases \[[\d:]+, [\d.]+ releases/s\]", shown.stderr)
    assert "releases/s" not in piped.stderr and "\r" not in piped.stderr
