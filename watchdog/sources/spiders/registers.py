"""What the spiders of regulators' web pages share: their requests, the source document of a page, and a page
that cannot be read, which is logged as an error while the crawl goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from watchdog.items import EnforcementItem, Money, SourceDocument
from watchdog.normalise.money import Amount
from watchdog.sources.spiders.base import WatchdogSpider

DEFAULT_MAX_PAGES = 5


class MalformedPage(ValueError):
    """A page without what every page of its register has; the message says what is missing."""


def clean_text(text: str) -> str:
    """Text as a reader sees it: no-break spaces (the HSE puts them inside labels) as spaces, words one space apart."""
    return " ".join(text.replace("\xa0", " ").split())


def joined_text(texts: Iterable[str], separator: str = " ") -> str:
    """The text nodes of an element, cleaned and joined: lines split by <br> become "a, b" with separator ", "."""
    return separator.join(cleaned for cleaned in map(clean_text, texts) if cleaned)


def max_pages_of(value: str | None) -> int | None:
    """The max_pages argument: a number of list pages, or None for `all`."""
    if value is None:
        return DEFAULT_MAX_PAGES
    if value == "all":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"max_pages must be a number of list pages (1 or more) or all, not {value!r}")
    return int(value)


def as_money(amount: Amount, kind: str, text: str | None = None) -> Money:
    return Money(amount.amount, kind, amount.currency, amount.qualifier, text or amount.text)


class RegisterSpider(WatchdogSpider):
    """Reads a regulator's pages. A subclass names its authority, where its pages are, and how a case page
    becomes enforcement items (`case_items`, raising MalformedPage when the page lacks what it needs)."""

    authority: str
    # Web pages, not an API: robots.txt is obeyed (the project's default) and requests are spaced out, one at a
    # time even while one waits to be tried again, so a site that cannot be reached is asked twice at most.
    custom_settings = {"DOWNLOAD_DELAY": 3.0, "CONCURRENT_REQUESTS": 1}

    def request(self, url: str, callback: Callable, dont_filter: bool = False, **meta) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.page_failed, dont_filter=dont_filter, meta=meta)

    def source(self, response: Response, title: str | None = None) -> SourceDocument:
        return self.fetched_document(response, "regulator", publisher=self.authority, title=title)

    def read_case(self, response: Response) -> Iterator[EnforcementItem]:
        self.crawler.stats.inc_value("watchdog/pages")
        try:
            items = list(self.case_items(response))
        except MalformedPage as error:
            self.logger.error("case page %s could not be read: %s; skipped", response.url, error)
            return
        self.crawler.stats.inc_value("watchdog/cases", len(items))
        yield from items

    def case_items(self, response: Response) -> Iterable[EnforcementItem]:
        raise NotImplementedError

    def page_failed(self, failure: Failure) -> None:
        self.stop_if_unreachable(failure)
        reason = failure.getErrorMessage() or failure.type.__name__
        self.logger.error("%s could not be fetched: %s; skipped", failure.request.url, reason)


class PagedRegisterSpider(RegisterSpider):
    """A register listed newest first, page by page: `-a max_pages=N` reads N list pages (5 by default, `all` for
    every one), which is its incremental rule: enough of the newest to cover the time since the last crawl."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_pages = max_pages_of(kwargs.get("max_pages"))

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        max_pages_of(kwargs.get("max_pages"))
