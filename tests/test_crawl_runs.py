"""A crawl's record tells the truth: releases it could not store are asked for again, a crawl stopped with SIGTERM
exits 1, and a killed crawl is marked abandoned by the next, with its last progress."""

import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
from crawling import crawl, last_run, start_crawl, table_counts
from fake_portal import FakePortal
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from test_contracts_finder import PAGE, SEARCH, SOUTHAMPTON, day

from watchdog.database import db
from watchdog.database.models import CrawlRun

QUARTERS = [PAGE["releases"][i : i + 25] for i in range(0, 100, 25)]
PUBLISHED = {day(20): QUARTERS[0], day(21): QUARTERS[1], day(22): SOUTHAMPTON, day(23): QUARTERS[2]}
WINDOW = ["from_date=2025-01-20", "until_date=2025-01-24"]


@pytest.fixture
def portal():
    """Contracts Finder with releases published on 20, 21, 22 and 23 January 2025, each listed in any window
    that holds its day."""
    with FakePortal(
        "https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE, until_parameter="publishedTo"
    ) as portal:
        for moment, releases in PUBLISHED.items():
            portal.publish(moment, releases)
        yield portal


def release_ids(releases: list[dict]) -> set[str]:
    return {release["id"] for release in releases}


def stored_release_ids(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT release_id FROM contract_releases ORDER BY release_id")))


def crawl_run(engine, run_id: int) -> CrawlRun:
    with Session(engine) as session:
        return session.scalars(select(CrawlRun).where(CrawlRun.id == run_id)).one()


def hold_window(portal: FakePortal, window_from: str) -> tuple[threading.Event, threading.Event]:
    """Make the portal hold its answer to a window until told: (asked, answer)."""
    asked, answer = threading.Event(), threading.Event()

    def hold(query: dict[str, str]) -> None:
        if query["publishedFrom"] == window_from:
            asked.set()
            answer.wait(60)

    portal.before_reply = hold
    return asked, answer


def test_releases_not_stored_while_another_program_locks_the_database_are_stored_by_the_next_crawl(portal, tmp_path):
    """Another program holds the SQLite write lock (as DB Browser for SQLite does after an edit) from the request
    for 21 January until the request for 23 January, longer than the crawl's busy timeout."""
    database_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    other_program = sqlite3.connect(tmp_path / "watchdog.db", isolation_level=None, check_same_thread=False)

    def lock_while_21_and_22_are_read(query: dict[str, str]) -> None:
        if query["publishedFrom"] == day(21):
            other_program.execute("BEGIN IMMEDIATE")
        elif query["publishedFrom"] == day(23):
            other_program.execute("ROLLBACK")

    portal.before_reply = lock_while_21_and_22_are_read
    # Each item is written as it comes, a second apart between requests, so each day's items meet the lock or not.
    settings = ("WATCHDOG_SQLITE_BUSY_TIMEOUT=0.1", "WATCHDOG_BATCH_SIZE=1", "DOWNLOAD_DELAY=1",
                "RANDOMIZE_DOWNLOAD_DELAY=False")  # fmt: skip
    first = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW, settings=settings)
    assert first.returncode == 1, first.stderr[-3000:]
    assert "database is locked" in first.stderr
    assert set(stored_release_ids(engine)) == release_ids(QUARTERS[0]) | release_ids(QUARTERS[2])
    run = last_run(engine)
    assert run.watermark == datetime(2025, 1, 21, tzinfo=UTC)  # not past the first window left unstored
    assert (run.status, run.items_dropped) == ("failed", 0)  # not stored is not dropped as invalid
    assert run.stats["watchdog/items_not_stored"] > 0

    other_program.close()
    portal.before_reply = None
    portal.requests.clear()
    second = crawl(database_url, "contracts_finder", f"base_url={portal.url}", "until_date=2025-01-24")
    assert second.returncode == 0, second.stderr[-3000:]
    assert portal.requests[0]["publishedFrom"] == "2025-01-20T18:00:00"  # the watermark less six hours
    assert last_run(engine).watermark == datetime(2025, 1, 24, tzinfo=UTC)

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = db.make_engine(clean_url)
    db.upgrade(clean)
    assert crawl(clean_url, "contracts_finder", f"base_url={portal.url}", *WINDOW).returncode == 0
    assert stored_release_ids(engine) == stored_release_ids(clean)  # every release, once
    assert len(set(stored_release_ids(engine))) == 77
    assert table_counts(engine) == table_counts(clean)
    engine.dispose()
    clean.dispose()


def test_a_crawl_stopped_with_sigterm_exits_1_and_is_recorded_interrupted(portal, engine, database_url):
    portal.add(day(22), None, portal.page(SOUTHAMPTON, day(22), "p2"))  # a window of two pages
    asked, answer = hold_window(portal, day(22))
    running = start_crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    assert asked.wait(120)
    running.process.send_signal(signal.SIGTERM)
    answer.set()
    result = running.wait()

    assert result.returncode == 1, result.stderr[-3000:]
    assert "contracts_finder: interrupted (shutdown)" in result.stdout
    run = last_run(engine)
    assert (run.status, run.finish_reason, run.errors) == ("interrupted", "shutdown", 0)
    assert run.watermark == datetime(2025, 1, 22, tzinfo=UTC)
    assert release_ids(QUARTERS[0]) | release_ids(QUARTERS[1]) <= set(stored_release_ids(engine))


def test_a_killed_crawl_is_marked_abandoned_by_the_next_with_its_last_progress(portal, engine, database_url):
    portal.add(day(22), None, portal.page(SOUTHAMPTON, day(22), "p2"))
    asked, answer = hold_window(portal, day(22))
    settings = ("WATCHDOG_PROGRESS_INTERVAL=0.1", "WATCHDOG_BATCH_SIZE=1")
    running = start_crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW, settings=settings)
    assert asked.wait(120)
    deadline = time.monotonic() + 60
    while last_run(engine).watermark != datetime(2025, 1, 22, tzinfo=UTC) and time.monotonic() < deadline:
        time.sleep(0.1)
    running.process.kill()
    running.wait()
    answer.set()

    killed = last_run(engine)
    assert (killed.status, killed.finished_at, killed.watermark) == ("running", None, datetime(2025, 1, 22, tzinfo=UTC))
    assert killed.requests >= 3
    assert killed.items_stored >= 50
    time.sleep(1.5)  # silent for more than ten progress intervals

    portal.before_reply = None
    portal.requests.clear()
    second = crawl(
        database_url, "contracts_finder", f"base_url={portal.url}", "until_date=2025-01-24", settings=settings
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"crawl run {killed.id} of contracts_finder" in second.stderr and "abandoned" in second.stderr
    abandoned = crawl_run(engine, killed.id)
    assert abandoned.status == "abandoned"
    assert abandoned.finished_at == killed.last_progress_at
    assert (abandoned.requests, abandoned.items_stored, abandoned.watermark) == (
        killed.requests,
        killed.items_stored,
        killed.watermark,
    )
    assert portal.requests[0]["publishedFrom"] == "2025-01-21T18:00:00"  # on from where the killed crawl got to
    assert last_run(engine).status == "finished"
    assert set(stored_release_ids(engine)) == release_ids(QUARTERS[0] + QUARTERS[1] + SOUTHAMPTON + QUARTERS[2])
