"""Scrapy extensions: the crawl's own record in `crawl_runs`, and its spider's lock on the database."""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.utils.asyncio import create_looping_call
from sqlalchemy.exc import SQLAlchemyError

from watchdog.console import first_line
from watchdog.database import search
from watchdog.database.db import crawl_engine
from watchdog.database.locks import AlreadyRunning, crawl_lock
from watchdog.identity.review import after_crawl
from watchdog.normalise.dates import utcnow
from watchdog.storage import runs
from watchdog.storage.documents import news_memory
from watchdog.storage.store import Store, database_reason

logger = logging.getLogger(__name__)

ERRORS_KEPT = 20
INTERRUPTED_REASONS = {"shutdown", "cancelled"}
NOT_STARTED = "not_started"  # the lock could not be taken, or the run not opened: the database failed
# False when the program running the crawl says itself why it did not start (`watchdog crawl`'s one Error line).
LOG_REFUSAL_SETTING = "WATCHDOG_LOG_REFUSAL"
# `crawl --all` gives each of its children the time its round started (ISO 8601, UTC) in this variable.
ROUND_STARTED_AT_VARIABLE = "WATCHDOG_ROUND_STARTED_AT"


def round_started_at() -> datetime | None:
    """When the `crawl --all` round this crawl is part of started; None for a crawl on its own."""
    value = os.environ.get(ROUND_STARTED_AT_VARIABLE)
    return datetime.fromisoformat(value) if value else None


class ErrorCollector(logging.Handler):
    """Keeps the first error messages of a crawl for its record."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < ERRORS_KEPT:
            self.messages.append(record.getMessage().splitlines()[0][:500])


def lock_name(spider: Spider) -> str:
    """The name of the spider's crawl lock: its own (a news shard's), else the spider's."""
    return getattr(spider, "lock_name", spider.name)


class CrawlRunRecorder:
    """Takes the spider's lock on the database when the spider opens, before any request, and holds it to the end:
    `watchdog crawl`, `scrapy crawl` and a Scrapyd job alike. Refused, it records a `skipped` run and closes the
    spider before its first request. Otherwise it opens a `crawl_runs` row, writes its counts and watermark so far
    every WATCHDOG_PROGRESS_INTERVAL seconds, and its counts and status when it ends. When it opens, it marks
    abandoned the runs of the same spider left `running` and silent for ten intervals: killed, they could not say
    so."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = Store(crawl_engine(crawler.settings))
        self.errors = ErrorCollector()
        self.run_id: int | None = None
        # From when the after-work reads what was written: this run's start, or a killed run's it found.
        self.written_since: datetime | None = None
        self.lock = ExitStack()
        self.progress_interval = crawler.settings.getfloat("WATCHDOG_PROGRESS_INTERVAL")
        self.progress: Any = None  # the looping call writing progress, from when the run is open
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        """Take the lock and open the run, or close the spider before its first request: Scrapy goes on with the
        crawl after any exception of this handler but CloseSpider."""
        self.started_at = utcnow()
        try:
            self.lock.enter_context(crawl_lock(self.crawler.settings.get("WATCHDOG_DATABASE_URL"), lock_name(spider)))
        except AlreadyRunning as refusal:
            self.record_skipped_run(spider, str(refusal))
            raise CloseSpider(runs.SKIPPED) from refusal
        except Exception as error:
            logger.error("the crawl did not start: its lock could not be taken: %s", first_line(error))
            raise CloseSpider(NOT_STARTED) from error
        try:
            self.open_run(spider)
        except Exception as error:
            logger.error("the crawl did not start: %s", first_line(error))
            raise CloseSpider(NOT_STARTED) from error

    def open_run(self, spider: Spider) -> None:
        logging.getLogger().addHandler(self.errors)
        self.abandon_silent_runs(spider.name)
        self.run_id = self.store.start_run(spider.name, getattr(spider, "arguments", None), round_started_at())
        self.crawler.stats.set_value("watchdog/crawl_run_id", self.run_id)
        # Spiders never touch the database: what they need to know of earlier crawls is handed to them here.
        if hasattr(spider, "previous_watermark"):
            spider.previous_watermark = runs.last_watermark(self.store.engine, spider.name)
        if hasattr(spider, "known_urls"):
            spider.known_urls, spider.feed_validators = news_memory(self.store.engine)
        self.progress = create_looping_call(self.record_progress)
        self.progress.start(self.progress_interval, now=False)

    def record_skipped_run(self, spider: Spider, refusal: str) -> None:
        """Say why the crawl does not start, and record it skipped; the refusal stands even if it cannot be recorded."""
        if self.crawler.settings.getbool(LOG_REFUSAL_SETTING, True):
            logger.warning("%s", refusal)
        self.crawler.stats.set_value("watchdog/status", runs.SKIPPED)
        self.crawler.stats.set_value("watchdog/refusal", refusal)
        try:
            self.insert_skipped_run(spider, refusal)
        except SQLAlchemyError as error:  # the refusal stands: the crawl must not run beside the one holding the lock
            logger.error("could not record the skipped crawl: %s", database_reason(error))

    def insert_skipped_run(self, spider: Spider, refusal: str) -> None:
        arguments = getattr(spider, "arguments", None)
        self.run_id = runs.record_skipped_run(
            self.store.engine, spider.name, arguments, self.started_at, refusal, round_started_at()
        )
        self.crawler.stats.set_value("watchdog/crawl_run_id", self.run_id)

    def abandon_silent_runs(self, spider_name: str) -> None:
        silent_since = utcnow() - timedelta(seconds=runs.SILENT_INTERVALS_ABANDONED * self.progress_interval)
        abandoned = runs.abandon_silent_runs(self.store.engine, spider_name, silent_since)
        for run in abandoned:
            logger.warning(
                "crawl run %d of %s was left running, with no progress since %s (killed?): marked abandoned",
                run.id,
                spider_name,
                run.last_heard_at.isoformat(timespec="seconds"),
            )
        self.written_since = runs.catch_up_since(self.started_at, abandoned)

    def counts(self) -> dict[str, Any]:
        """The run's counts, first errors, Scrapy's counters and watermark, as its crawl_runs row holds them."""
        stats = self.crawler.stats
        return {
            "requests": stats.get_value("downloader/request_count", 0),
            "items_stored": stats.get_value("watchdog/items_stored", 0),
            "items_dropped": stats.get_value("watchdog/items_dropped", 0),
            "errors": stats.get_value("log_count/ERROR", 0),
            "warnings": stats.get_value("log_count/WARNING", 0),
            "retries": stats.get_value("retry/count", 0),
            "error_summary": "\n".join(self.errors.messages) or None,
            "watermark": getattr(self.crawler.spider, "watermark", None),
            "stats": {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in stats.get_stats().items()
            },
        }

    def record_progress(self) -> None:
        try:
            runs.record_progress(self.store.engine, self.run_id, **self.counts())
        except SQLAlchemyError as error:  # the database busy or away: the next interval tries again
            logger.warning("could not record the crawl's progress: %s", database_reason(error))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        with self.lock:
            if self.run_id is not None and reason != runs.SKIPPED:  # a skipped run's row is written already
                self.close_run(reason)

    def close_run(self, reason: str) -> None:
        if self.progress is not None and self.progress.running:
            self.progress.stop()
        logging.getLogger().removeHandler(self.errors)
        stats = self.crawler.stats
        try:
            for name, count in after_crawl(self.store.engine, since=self.written_since).items():
                stats.set_value(f"watchdog/{name}", count)
        except Exception:  # the crawl's own record must still be closed
            logger.exception("applying identity decisions and groups after the crawl failed")
        try:
            search.refresh(self.store.engine, since=self.written_since)
        except Exception:  # an index out of date is rebuilt by the next crawl; the record must still be closed
            logger.exception("rebuilding the search index after the crawl failed")
        errors = stats.get_value("log_count/ERROR", 0)
        if reason in INTERRUPTED_REASONS:
            status = "interrupted"
        elif errors or reason != "finished":
            status = "failed"
        else:
            status = "finished"
        stats.set_value("watchdog/status", status)
        runs.finish_run(self.store.engine, self.run_id, status=status, finish_reason=reason, **self.counts())
