"""Scrapy extensions: the crawl's own record in `crawl_runs`."""

from __future__ import annotations

import logging
from datetime import datetime

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from watchdog.db import shared_engine
from watchdog.review import after_crawl
from watchdog.store import Store, utcnow

ERRORS_KEPT = 20
INTERRUPTED_REASONS = {"shutdown", "cancelled"}


class ErrorCollector(logging.Handler):
    """Keeps the first error messages of a crawl for its record."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < ERRORS_KEPT:
            self.messages.append(record.getMessage().splitlines()[0][:500])


class CrawlRunRecorder:
    """Opens a `crawl_runs` row when a spider starts and fills in its counts and status when it ends."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = Store(shared_engine(crawler.settings.get("WATCHDOG_DATABASE_URL")))
        self.errors = ErrorCollector()
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        logging.getLogger().addHandler(self.errors)
        self.started_at = utcnow()
        self.run_id = self.store.start_run(spider.name, getattr(spider, "arguments", None))
        self.crawler.stats.set_value("watchdog/crawl_run_id", self.run_id)
        # Spiders never touch the database: what they need to know of earlier crawls is handed to them here.
        if hasattr(spider, "previous_watermark"):
            spider.previous_watermark = self.store.last_watermark(spider.name)
        if hasattr(spider, "known_urls"):
            spider.known_urls, spider.feed_validators = self.store.news_memory()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        logging.getLogger().removeHandler(self.errors)
        stats = self.crawler.stats
        try:
            for name, count in after_crawl(self.store.engine, since=self.started_at).items():
                stats.set_value(f"watchdog/{name}", count)
        except Exception:  # the crawl's own record must still be closed
            logging.getLogger(__name__).exception("applying identity decisions and groups after the crawl failed")
        errors = stats.get_value("log_count/ERROR", 0)
        if reason in INTERRUPTED_REASONS:
            status = "interrupted"
        elif errors or reason != "finished":
            status = "failed"
        else:
            status = "finished"
        self.store.finish_run(
            self.run_id,
            status=status,
            finish_reason=reason,
            requests=stats.get_value("downloader/request_count", 0),
            items_stored=stats.get_value("watchdog/items_stored", 0),
            items_dropped=stats.get_value("watchdog/items_dropped", 0),
            errors=errors,
            warnings=stats.get_value("log_count/WARNING", 0),
            retries=stats.get_value("retry/count", 0),
            error_summary="\n".join(self.errors.messages) or None,
            watermark=getattr(spider, "watermark", None),
            stats={
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in stats.get_stats().items()
            },
        )
