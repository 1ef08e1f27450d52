"""UK news: feeds (RSS 2.0 and Atom) and the articles they list.

Feeds are asked for with the ETag and Last-Modified they last gave (conditional GET), so an unchanged feed
costs a 304. Each article is fetched once: one already stored (by its canonical URL) is not asked for again.
The storage pipeline reads the article's facts about known suppliers (watchdog/news/facts.py).
With `shard=K/N`, a crawl reads only the K-th of N even shares of the feeds, so N nodes read them all between them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import scrapy
import trafilatura
import yaml
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from watchdog import DATA_DIR
from watchdog.items import ArticleItem, FeedItem
from watchdog.normalise.dates import parse_timestamp
from watchdog.sources.spiders.base import WatchdogSpider

DEFAULT_FEEDS = DATA_DIR / "news_feeds.yaml"
SHARD_FORMAT = re.compile(r"([0-9]+)/([0-9]+)")


def parse_shard(value: str) -> tuple[int, int]:
    """`K/N` as (K, N), 1 <= K <= N; ValueError saying what it takes."""
    match = SHARD_FORMAT.fullmatch(value.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"shard takes K/N, the K-th of N shares (1 <= K <= N), as 2/4; not {value!r}")
    return int(match[1]), int(match[2])


def shard_lock_name(shard: int, shards: int) -> str:
    return f"news_shard_{shard}_of_{shards}"


def feed_hash(url: str) -> bytes:
    """A feed's place in the order the shares are dealt from: the same in every process and on every node."""
    return hashlib.sha256(url.encode()).digest()


def shard_of(feeds: list[str], shard: int, shards: int) -> list[str]:
    """The `shard`-th of `shards` shares of the feeds: the feeds in the order of their hashes, dealt out one at a
    time, so shares differ by one feed at most and do not depend on the order the feeds are listed in."""
    dealt = sorted(dict.fromkeys(feeds), key=feed_hash)
    return dealt[shard - 1 :: shards]


def read_feeds_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    listed = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else text.split()
    return [str(url).strip() for url in listed or [] if str(url).strip()]


def entry_time(entry) -> datetime | None:
    """When a feed says an entry was published (feedparser reads RSS and Atom dates into UTC)."""
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*moment[:6], tzinfo=UTC) if moment else None


class NewsSpider(WatchdogSpider):
    name = "news"
    allowed_arguments = ("feeds", "feeds_file", "base_url", "shard")
    base_url = ""  # with base_url, every feed is asked of that site instead, at the same path: a mirror
    custom_settings = {"DOWNLOAD_DELAY": 2.0}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if kwargs.get("feeds"):
            self.feeds = [url.strip() for url in kwargs["feeds"].split(",") if url.strip()]
        else:
            self.feeds = read_feeds_file(Path(kwargs.get("feeds_file") or DEFAULT_FEEDS))
        self.shard = parse_shard(kwargs["shard"]) if kwargs.get("shard") else None
        if self.shard:
            self.feeds = shard_of(self.feeds, *self.shard)
        if self.base_url:
            self.feeds = [self.base_url + urlsplit(url)._replace(scheme="", netloc="").geturl() for url in self.feeds]
        self.known_urls: set[str] = set()
        self.feed_validators: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        if kwargs.get("feeds") and kwargs.get("feeds_file"):
            raise ValueError("give feeds or feeds_file, not both")
        if kwargs.get("feeds_file") and not Path(kwargs["feeds_file"]).is_file():
            raise ValueError(f"feeds_file {kwargs['feeds_file']!r} is not a file")
        if kwargs.get("shard") is not None:
            parse_shard(kwargs["shard"])

    @property
    def lock_name(self) -> str:
        """A shard's crawl locks its shard (news_shard_2_of_4), so the shares can be read at once on several nodes."""
        return shard_lock_name(*self.shard) if self.shard else self.name

    async def start(self):
        for url in self.feeds:
            etag, last_modified = self.feed_validators.get(url, (None, None))
            headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
            yield scrapy.Request(
                url, headers=headers, callback=self.parse_feed, errback=self.failed,
                meta={"handle_httpstatus_list": [304]}, dont_filter=True,
            )  # fmt: skip

    def parse_feed(self, response: Response) -> Iterator[FeedItem | scrapy.Request]:
        if response.status == 304:
            self.logger.info("feed %s: not modified since the last crawl", response.url)
            return
        feed = feedparser.parse(response.body)
        if not feed.entries:
            # A feed that answers 200 with an HTML page parses to nothing: say so rather than pass silently.
            self.crawler.stats.inc_value("watchdog/empty_feeds")
            self.logger.warning("feed %s: no items (%s)", response.url, feed.get("bozo_exception") or "empty")
            return
        title = feed.feed.get("title")
        # Kept under the address asked for, which is where the next crawl looks for its validators.
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        yield FeedItem(self.fetched_document(response, "other", url=asked, publisher=title, title=title))
        self.crawler.stats.inc_value("watchdog/feed_items", len(feed.entries))
        for entry in feed.entries:
            link = entry.get("link")
            if not link or canonicalize_url(link) in self.known_urls:
                continue
            self.known_urls.add(canonicalize_url(link))
            yield response.follow(
                link, callback=self.parse_article, errback=self.failed,
                meta={"publisher": feed.feed.get("title"), "feed_date": entry_time(entry)},
            )  # fmt: skip

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        html = response.text
        document = trafilatura.bare_extraction(html, url=response.url, with_metadata=True)
        if document is None or not (document.text or "").strip():
            self.logger.error("article %s: no main text found", response.url)
            return
        canonical = response.css('link[rel="canonical"]::attr(href)').get()
        url = response.urljoin(canonical) if canonical else response.url
        if canonicalize_url(url) in self.known_urls and url != response.url:
            return
        self.known_urls.add(canonicalize_url(url))
        published = parse_timestamp(document.date) or response.meta.get("feed_date")
        self.crawler.stats.inc_value("watchdog/articles")
        yield ArticleItem(
            self.fetched_document(
                response,
                "news",
                url=url,
                publisher=document.sitename or response.meta.get("publisher"),
                title=document.title,
                published_at=published,
                content_type="text/html",
                etag=None,
                last_modified=None,
            ),  # fmt: skip
            text=document.text,
        )

    def failed(self, failure: Failure) -> None:
        """A page not read; an outlet that cannot be reached is said once, and the others are still read."""
        if self.report_unreachable(failure):
            return
        self.logger.error("%s failed: %s", failure.request.url, failure.getErrorMessage() or failure.type.__name__)
