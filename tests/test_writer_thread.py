"""The storage pipeline writes on a thread of its own: the crawl goes on while the database writes, a full queue of
batches makes the crawl wait, what is reported comes back to the reactor's thread in order, and a crawl stopped with
SIGTERM in the middle of heavy writing writes everything it read before it exits."""

import asyncio
import json
import logging
import signal
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import serco
import trafilatura
from crawling import crawl, last_run, start_crawl
from fake_portal import FakePortal
from pipeline_run import run_pipeline
from scrapy.utils.test import get_crawler
from sqlalchemy import text
from test_contracts_finder import PAGE, SEARCH

from watchdog.database import db
from watchdog.items import ArticleItem, ContractItem, EnforcementItem, SourceDocument
from watchdog.sources import pipelines
from watchdog.sources.pipelines import WRITER_THREAD, StoragePipeline

FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 60
RELEASES_A_DAY = 99  # one page each: a full page of 100 would send the spider looking for a next link
CRAWLED = ["from_date=2025-01-01", "until_date=2025-03-02"]


def release_copy(template: dict, number: int) -> dict:
    """A real release under an ocid and a release id of its own."""
    ocid = f"ocds-b5fd17-{uuid.UUID(int=number)}"
    release = json.loads(json.dumps(template).replace(template["ocid"], ocid))
    release["id"] = f"{template['id']}-copy{number}"
    return release


def portal_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def busy_portal():
    """Contracts Finder with 5,940 releases, copies of the real page's 100: 99 published at noon on each of the 60
    days from 1 January 2025."""
    with FakePortal(
        "https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE, until_parameter="publishedTo"
    ) as portal:
        templates = PAGE["releases"]
        for day in range(DAYS):
            numbers = range(day * RELEASES_A_DAY, (day + 1) * RELEASES_A_DAY)
            releases = [release_copy(templates[number % len(templates)], number) for number in numbers]
            portal.publish(portal_time(FIRST_DAY + timedelta(days=day, hours=12)), releases)
        yield portal


def published(portal: FakePortal, before: datetime | None = None) -> list[dict]:
    """The releases the portal publishes (before a moment, if given)."""
    limit = portal_time(before) if before else "9999"
    return [release for moment, releases in portal.published if moment < limit for release in releases]


def stored(engine, sql: str) -> list:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)))


def awards_by_ocid(releases: list[dict]) -> dict[str, int]:
    """How many contract rows each procurement has: one per award, or one before award."""
    awards = {release["ocid"]: {award.get("id") for award in release.get("awards") or []} for release in releases}
    return {ocid: len(ids) or 1 for ocid, ids in awards.items()}


def test_a_crawl_stopped_with_sigterm_while_writing_stores_every_item_it_read_and_the_next_resumes(
    busy_portal, engine, database_url
):
    settings = ("WATCHDOG_PROGRESS_INTERVAL=0.1",)
    running = start_crawl(database_url, "contracts_finder", f"base_url={busy_portal.url}", *CRAWLED, settings=settings)
    deadline = time.monotonic() + 120
    while running.process.poll() is None and time.monotonic() < deadline:
        if stored(engine, "SELECT items_stored FROM crawl_runs WHERE items_stored > 0"):
            break
        time.sleep(0.05)
    running.process.send_signal(signal.SIGTERM)
    result = running.wait()

    assert result.returncode == 1, result.stderr[-3000:]
    run = last_run(engine)
    assert (run.status, run.finish_reason, run.errors) == ("interrupted", "shutdown", 0)
    release_ids = {release_id for (release_id,) in stored(engine, "SELECT release_id FROM contract_releases")}
    everything = published(busy_portal)
    assert 0 < len(release_ids) < len(everything)  # stopped in the middle
    # Every item the spider handed to the pipeline, and every release it read, was written before it exited.
    contracts = stored(engine, "SELECT COUNT(*) FROM contracts")[0][0]
    assert run.items_stored == run.stats["item_scraped_count"] == contracts
    assert len(release_ids) == run.stats["watchdog/releases"]
    assert run.stats.get("watchdog/items_not_stored", 0) == 0
    assert FIRST_DAY < run.watermark < FIRST_DAY + timedelta(days=DAYS)
    assert {release["id"] for release in published(busy_portal, before=run.watermark)} <= release_ids

    busy_portal.requests.clear()
    second = crawl(database_url, "contracts_finder", f"base_url={busy_portal.url}", "until_date=2025-03-02")
    assert second.returncode == 0, second.stderr[-3000:]
    assert busy_portal.requests[0]["publishedFrom"] == portal_time(run.watermark - timedelta(hours=6))
    assert last_run(engine).status == "finished"
    releases = stored(engine, "SELECT COUNT(*), COUNT(DISTINCT release_id) FROM contract_releases")[0]
    assert tuple(releases) == (len(everything), len(everything)) == (5940, 5940)
    assert dict(stored(engine, "SELECT ocid, COUNT(*) FROM contracts GROUP BY ocid")) == awards_by_ocid(everything)


class SpiderListening:
    """A spider's item_settled, as an OCDS spider has it: what it was told, in order, and on which thread."""

    def __init__(self) -> None:
        self.settled: list[tuple[object, bool, str]] = []

    def item_settled(self, item, stored: bool) -> None:
        self.settled.append((item, stored, threading.current_thread().name))


class GatedWrites:
    """Stands in for Store.write: notes each batch and the thread writing it, and writes only once let through."""

    def __init__(self, write) -> None:
        self.write = write
        self.batches: list[tuple[list[str], str]] = []
        self.let_through = threading.Event()

    def __call__(self, items, now=None):
        self.batches.append(([item.ocid for item in items], threading.current_thread().name))
        self.let_through.wait(60)
        return self.write(items, now)


def contract(number: int) -> ContractItem:
    return ContractItem(
        ocid=f"ocds-b5fd17-writer-{number}",
        award_id="1",
        release_id=f"writer-{number}-1",
        title=f"Contract {number}",
        suppliers=[serco.SERCO_LIMITED],
        initial_value=Decimal(number * 1000),
        currency="GBP",
        source=SourceDocument(f"https://cf.example/writer-{number}", "procurement"),
    )


def pipeline_for(database_url: str, **settings) -> StoragePipeline:
    crawler = get_crawler(settings_dict={"WATCHDOG_DATABASE_URL": database_url, **settings})
    crawler.spider = SpiderListening()
    return StoragePipeline.from_crawler(crawler)


def test_process_item_returns_while_the_writer_thread_writes_and_waits_when_the_queue_is_full(engine, database_url):
    pipeline = pipeline_for(database_url, WATCHDOG_BATCH_SIZE=2, WATCHDOG_WRITE_QUEUE=2)
    spider = pipeline.crawler.spider
    items = [contract(number) for number in range(1, 10)]

    async def crawl_items():
        pipeline.open_spider()
        writes = pipeline.writer.store.write = GatedWrites(pipeline.writer.store.write)
        for item in items[:4]:  # two batches: the first being written, the second queued
            assert await pipeline.process_item(item) is item
        assert stored(engine, "SELECT COUNT(*) FROM contracts")[0][0] == 0  # returned before anything was written
        assert spider.settled == []
        await pipeline.process_item(items[4])
        fills_a_third_batch = asyncio.ensure_future(pipeline.process_item(items[5]))
        await asyncio.sleep(0.2)
        waited = not fills_a_third_batch.done()
        writes.let_through.set()
        assert await fills_a_third_batch is items[5]
        for item in items[6:]:
            await pipeline.process_item(item)
        await pipeline.close_spider()
        return writes, waited

    writes, waited = asyncio.run(crawl_items())

    assert waited  # the queue held two batches: the item filling a third waited for room
    assert [ocids for ocids, _ in writes.batches] == [
        [item.ocid for item in items[first : first + 2]] for first in range(0, 9, 2)
    ]
    writing_threads = {thread for _, thread in writes.batches}
    assert len(writing_threads) == 1 and writing_threads.pop().startswith(WRITER_THREAD)
    main = threading.main_thread().name
    assert spider.settled == [(item, True, main) for item in items]  # in order, on the crawl's thread
    assert pipeline.crawler.stats.get_value("watchdog/items_stored") == 9
    assert pipeline.crawler.stats.get_value("watchdog/contracts_new") == 9
    assert stored(engine, "SELECT title, initial_value FROM contracts ORDER BY initial_value")[-1] == (
        "Contract 9",
        Decimal(9000),
    )
    assert not [thread for thread in threading.enumerate() if thread.name.startswith(WRITER_THREAD)]


class ThreadOfEmit(logging.Handler):
    """Notes each log line and the thread that handles it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), threading.current_thread().name))


@pytest.fixture
def log_lines():
    handler = ThreadOfEmit()
    logging.getLogger().addHandler(handler)
    yield handler.lines
    logging.getLogger().removeHandler(handler)


def test_what_the_store_logs_while_writing_is_logged_on_the_crawls_thread_in_order(engine, database_url, log_lines):
    unknown_kind = EnforcementItem(**{**serco.GEOGRAFIX_DPA.__dict__, "kind": "scolding"})
    unknown_kind.validate = lambda: None  # a check the database makes and the item does not
    pipeline = pipeline_for(database_url, WATCHDOG_BATCH_SIZE=3)
    run_pipeline(pipeline, [serco.CONTACT_TRACING, unknown_kind, serco.TRACERS_DATA_BREACH])

    main = threading.main_thread().name
    assert [(message.split(":")[0], thread) for message, thread in log_lines] == [
        ("a batch of 3 items failed; writing them one at a time", main),
        ("could not store EnforcementItem", main),
    ]
    stats = pipeline.crawler.stats
    assert (stats.get_value("watchdog/items_stored"), stats.get_value("watchdog/items_dropped")) == (2, 1)
    assert stored(engine, "SELECT kind FROM incidents") == [("data_breach",)]


@pytest.fixture
def sqlite_file(tmp_path):
    """A SQLite database at the newest schema, for what only SQLite has: another program's lock on the file."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'watchdog.db'}")
    db.upgrade(engine)
    yield engine
    engine.dispose()


def test_a_locked_database_leaves_the_batch_not_stored_and_the_spider_told(sqlite_file, log_lines, tmp_path):
    engine, database_url = sqlite_file, sqlite_file.url.render_as_string()
    other_program = sqlite3.connect(tmp_path / "watchdog.db", isolation_level=None)
    other_program.execute("BEGIN IMMEDIATE")
    pipeline = pipeline_for(database_url, WATCHDOG_BATCH_SIZE=2, WATCHDOG_SQLITE_BUSY_TIMEOUT=0.1)
    try:
        run_pipeline(pipeline, [contract(1), contract(2), contract(3)])
    finally:
        other_program.close()

    main = threading.main_thread().name
    assert log_lines == [
        ("could not store 2 items: database is locked", main),
        ("could not store 1 items: database is locked", main),
    ]
    assert pipeline.crawler.spider.settled == [(contract(n), False, main) for n in (1, 2, 3)]
    stats = pipeline.crawler.stats
    assert (stats.get_value("watchdog/items_not_stored"), stats.get_value("watchdog/items_stored")) == (3, 0)
    assert stored(engine, "SELECT COUNT(*) FROM contracts") == [(0,)]


def test_the_facts_of_an_article_are_read_on_the_writer_thread(sqlite_file, monkeypatch):
    engine, database_url = sqlite_file, sqlite_file.url.render_as_string()
    threads = []

    def noting_the_thread(article, known):
        threads.append(threading.current_thread().name)
        return fact_items(article, known)

    fact_items = pipelines.fact_items
    monkeypatch.setattr(pipelines, "fact_items", noting_the_thread)
    with open("tests/fixtures/news/serco_record.html", encoding="utf-8") as page:
        document = trafilatura.bare_extraction(page.read(), with_metadata=True)
    article = ArticleItem(SourceDocument("https://news.example/serco-record", "news"), text=document.text)
    pipeline = pipeline_for(database_url)
    run_pipeline(pipeline, [article])

    assert len(threads) == 1 and threads[0].startswith(WRITER_THREAD)
    stats = pipeline.crawler.stats
    assert (stats.get_value("watchdog/facts_reported"), stats.get_value("watchdog/items_stored")) == (4, 5)
    assert stored(engine, "SELECT evidence, extraction_rule FROM incident_sources") == [
        (
            "Weeks after the contract began, in May 2020, Serco exposed the email addresses of 296 contact tracers by "
            "copying them into one message instead of blind-copying them.",
            "data_breach.exposed",
        )
    ]
