"""The storage pipeline: validate each item, then write them to the database in batches."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy.exc import OperationalError

from watchdog.db import crawl_engine
from watchdog.extraction import Mentions
from watchdog.items import ArticleItem, ContractItem, FactItem, InvalidItem
from watchdog.news import fact_items, known_suppliers
from watchdog.store import Rejected, Store, database_reason

logger = logging.getLogger(__name__)


class StoragePipeline:
    """Stores every item a spider yields. An invalid item is dropped with its reason and counted;
    it never takes the rest of its batch with it. A batch the database could not write at all (locked by
    another program, unreachable) is not stored, and counted apart.

    A spider with an `item_settled(item, stored)` method is told what became of each item it yielded:
    stored (or dropped for a reason of its own), or not stored because the database could not write."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = crawler.settings.getint("WATCHDOG_BATCH_SIZE")
        self.buffer: list[FactItem] = []
        self.store: Store | None = None
        self.known: Mentions | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = Store(crawl_engine(self.crawler.settings))

    def process_item(self, item: FactItem) -> FactItem:
        try:
            item.validate()
        except (InvalidItem, AttributeError) as error:
            self.stats.inc_value("watchdog/items_dropped")
            self.tell_spider([item], not_stored=set())
            raise DropItem(f"invalid {type(item).__name__}: {error}") from error
        self.buffer.append(item)
        if isinstance(item, ArticleItem):
            if self.known is None:
                self.known = known_suppliers(self.store.engine)
            for fact in fact_items(item, self.known):
                try:
                    fact.validate()
                except InvalidItem as error:
                    self.stats.inc_value("watchdog/items_dropped")
                    logger.warning("a fact in %s was dropped: %s", item.source.url, error)
                    continue
                self.stats.inc_value("watchdog/facts_reported")
                self.buffer.append(fact)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        items, self.buffer = self.buffer, []
        if not items:
            return
        self.store.run_id = self.stats.get_value("watchdog/crawl_run_id")  # CrawlRunRecorder opened the run
        try:
            written = self.set_aside_unchanged(items)
            rejected = self.store.write(written) if written else []
        except OperationalError as error:
            written = items
            rejected = [Rejected(item, database_reason(error), database_unavailable=True) for item in items]
        self.stats.inc_value("watchdog/items_stored", len(written) - len(rejected))
        for name, count in self.store.counts.items():
            self.stats.set_value(f"watchdog/{name}", count)
        not_stored = [refusal for refusal in rejected if refusal.database_unavailable]
        if not_stored:
            self.stats.inc_value("watchdog/items_not_stored", len(not_stored))
            logger.error("could not store %d items: %s", len(not_stored), not_stored[0].reason)
        for refusal in rejected:
            if not refusal.database_unavailable:
                self.stats.inc_value("watchdog/items_dropped")
                logger.error("could not store %s: %s", type(refusal.item).__name__, refusal.reason)
        self.tell_spider(items, not_stored={id(refusal.item) for refusal in not_stored})

    def tell_spider(self, items: list[FactItem], not_stored: set[int]) -> None:
        """Tell the spider, if it asks, which of its items are settled: stored or dropped, or not stored."""
        settled = getattr(self.crawler.spider, "item_settled", None)
        if settled is not None:
            for item in items:
                settled(item, stored=id(item) not in not_stored)

    def set_aside_unchanged(self, items: list[FactItem]) -> list[FactItem]:
        """Mark releases stored before as seen again, and return the items that still need writing."""
        seen = self.store.seen_before(i.release_fingerprint for i in items if isinstance(i, ContractItem))
        if not seen:
            return items
        self.store.touch_releases(seen)
        rest = [i for i in items if not (isinstance(i, ContractItem) and i.release_fingerprint in seen)]
        self.stats.inc_value("watchdog/items_stored", len(items) - len(rest))
        return rest

    def close_spider(self) -> None:
        self.flush()
