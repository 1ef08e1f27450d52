"""The storage pipeline: validate each item, then write them to the database in batches, on a thread of their own
so the crawl goes on while the database writes."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import OperationalError

from watchdog.database.db import crawl_engine
from watchdog.items import ArticleItem, ContractItem, FactItem, InvalidItem
from watchdog.news.extraction import Mentions
from watchdog.news.facts import fact_items, known_suppliers
from watchdog.storage.store import Rejected, Store, database_reason

logger = logging.getLogger(__name__)
store_logger = logging.getLogger("watchdog.storage.store")

WRITER_THREAD = "watchdog-writer"


@dataclass
class BatchWritten:
    """What became of one batch on the writer thread, for the pipeline to report on the reactor's thread."""

    items: list[FactItem]  # the batch as written: each article followed by the facts read from it
    rejected: list[Rejected] = field(default_factory=list)
    store_counts: dict[str, int] = field(default_factory=dict)  # the store's counts for the crawl so far
    facts_reported: int = 0
    facts_dropped: list[tuple[str, InvalidItem]] = field(default_factory=list)  # (article URL, why)
    articles_unread: list[tuple[str, Exception]] = field(default_factory=list)  # (article URL, the error)


class BatchWriter:
    """What the pipeline does on its writer thread, one batch at a time: read the facts of news articles, set aside
    the releases stored before, and write the rest. It never touches Scrapy (its stats, log counts and spider
    belong to the reactor's thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.known: Mentions | None = None

    def write(self, items: list[FactItem], run_id: int | None) -> BatchWritten:
        """Write a batch for crawl run `run_id`. A database that cannot write at all (locked by another program,
        unreachable) rejects the whole batch as not stored."""
        self.store.run_id = run_id
        batch = BatchWritten([])
        for item in items:
            batch.items.append(item)
            if isinstance(item, ArticleItem):
                batch.items += self.facts_of(item, batch)
        try:
            rest = self.set_aside_unchanged(batch.items)
            batch.rejected = self.store.write(rest) if rest else []
        except OperationalError as error:
            reason = database_reason(error)
            batch.rejected = [Rejected(item, reason, database_unavailable=True) for item in batch.items]
        batch.store_counts = dict(self.store.counts)
        return batch

    def facts_of(self, article: ArticleItem, batch: BatchWritten) -> list[FactItem]:
        """The valid facts an article tells about known suppliers; those dropped, or the error that stopped the
        article being read, are noted on the batch."""
        try:
            if self.known is None:
                self.known = known_suppliers(self.store.engine)
            facts = fact_items(article, self.known)
        except Exception as error:  # the article is stored without facts; it never takes its batch with it
            batch.articles_unread.append((article.source.url, error))
            return []
        valid = []
        for fact in facts:
            try:
                fact.validate()
            except InvalidItem as error:
                batch.facts_dropped.append((article.source.url, error))
                continue
            valid.append(fact)
        batch.facts_reported += len(valid)
        return valid

    def set_aside_unchanged(self, items: list[FactItem]) -> list[FactItem]:
        """Mark releases stored before as seen again, and return the items that still need writing."""
        seen = self.store.seen_before(i.release_fingerprint for i in items if isinstance(i, ContractItem))
        if not seen:
            return items
        self.store.touch_releases(seen)
        return [i for i in items if not (isinstance(i, ContractItem) and i.release_fingerprint in seen)]


class HeldWriterRecords(logging.Filter):
    """Holds back what the store logs on the writer thread, to be logged on the reactor's thread: Scrapy counts
    log lines in its stats, which only that thread may change."""

    def __init__(self) -> None:
        super().__init__()
        self.held: deque[logging.LogRecord] = deque()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.threadName.startswith(WRITER_THREAD):
            return True
        self.held.append(record)
        return False

    def log(self) -> None:
        """Log the records held so far, on the calling thread."""
        while self.held:
            record = self.held.popleft()
            logging.getLogger(record.name).callHandlers(record)


class StoragePipeline:
    """Stores every item a spider yields. An invalid item is dropped with its reason and counted;
    it never takes the rest of its batch with it. A batch the database could not write at all (locked by
    another program, unreachable) is not stored, and counted apart.

    Batches are written on a thread of their own, one at a time and in the order they were made, while the crawl
    goes on. At most WATCHDOG_WRITE_QUEUE batches wait for that thread; while that many wait, the item that fills
    the next batch waits for room, and the crawl with it. Closing waits until every batch is written. What each
    batch comes to is reported on the reactor's thread, batch after batch: the crawl's stats, the log lines, and
    the spider.

    A spider with an `item_settled(item, stored)` method is told what became of each item it yielded:
    stored (or dropped for a reason of its own), or not stored because the database could not write."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = max(crawler.settings.getint("WATCHDOG_BATCH_SIZE"), 1)
        self.queue_size = max(crawler.settings.getint("WATCHDOG_WRITE_QUEUE"), 1)
        self.buffer: list[FactItem] = []
        self.writer: BatchWriter | None = None
        self.writer_thread: ThreadPoolExecutor | None = None
        self.queued: deque[asyncio.Future[BatchWritten]] = deque()  # batches handed to the writer, oldest first
        self.writer_records = HeldWriterRecords()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.writer = BatchWriter(Store(crawl_engine(self.crawler.settings)))
        self.writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WRITER_THREAD)
        store_logger.addFilter(self.writer_records)

    async def process_item(self, item: FactItem) -> FactItem:
        try:
            item.validate()
        except (InvalidItem, AttributeError) as error:
            self.stats.inc_value("watchdog/items_dropped")
            self.tell_spider([item], not_stored=set())
            raise DropItem(f"invalid {type(item).__name__}: {error}") from error
        self.buffer.append(item)
        while len(self.buffer) >= self.batch_size:
            if len(self.queued) < self.queue_size:
                self.flush()
            else:
                await asyncio.wait([self.queued[0]])
        return item

    def flush(self) -> None:
        """Hand the items buffered to the writer thread, as one batch."""
        items, self.buffer = self.buffer, []
        if not items:
            return
        run_id = self.stats.get_value("watchdog/crawl_run_id")  # CrawlRunRecorder opened the run
        written = asyncio.get_running_loop().run_in_executor(self.writer_thread, self.writer.write, items, run_id)
        written.add_done_callback(partial(self.report, items))
        self.queued.append(written)

    def report(self, items: list[FactItem], written: asyncio.Future[BatchWritten]) -> None:
        """Once a batch is written, on the reactor's thread: count it, log what was refused, tell the spider."""
        self.queued.remove(written)
        self.writer_records.log()
        error = written.exception()
        if error is not None:
            self.stats.inc_value("watchdog/items_not_stored", len(items))
            logger.error("could not store %d items: %s", len(items), error, exc_info=error)
            self.tell_spider(items, not_stored={id(item) for item in items})
            return
        batch = written.result()
        for url, unread in batch.articles_unread:
            logger.error("the facts of %s could not be read: %s", url, unread, exc_info=unread)
        for url, why in batch.facts_dropped:
            self.stats.inc_value("watchdog/items_dropped")
            logger.warning("a fact in %s was dropped: %s", url, why)
        if batch.facts_reported:
            self.stats.inc_value("watchdog/facts_reported", batch.facts_reported)
        self.stats.inc_value("watchdog/items_stored", len(batch.items) - len(batch.rejected))
        for name, count in batch.store_counts.items():
            self.stats.set_value(f"watchdog/{name}", count)
        not_stored = [refusal for refusal in batch.rejected if refusal.database_unavailable]
        if not_stored:
            self.stats.inc_value("watchdog/items_not_stored", len(not_stored))
            logger.error("could not store %d items: %s", len(not_stored), not_stored[0].reason)
        for refusal in batch.rejected:
            if not refusal.database_unavailable:
                self.stats.inc_value("watchdog/items_dropped")
                logger.error("could not store %s: %s", type(refusal.item).__name__, refusal.reason)
        self.tell_spider(batch.items, not_stored={id(refusal.item) for refusal in not_stored})

    def tell_spider(self, items: list[FactItem], not_stored: set[int]) -> None:
        """Tell the spider, if it asks, which of its items are settled: stored or dropped, or not stored."""
        settled = getattr(self.crawler.spider, "item_settled", None)
        if settled is not None:
            for item in items:
                settled(item, stored=id(item) not in not_stored)

    async def close_spider(self) -> None:
        """Write the items buffered, and wait until every batch is written and reported."""
        self.flush()
        if self.queued:
            await asyncio.wait(list(self.queued))
        self.writer_thread.shutdown()
        store_logger.removeFilter(self.writer_records)
