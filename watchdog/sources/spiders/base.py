"""What every watchdog spider shares, and the base of the OCDS procurement spiders.

An OCDS spider asks its source's search API for one date window at a time, follows `links.next` through the
window's pages, and yields contract items. It knows which windows it finished, and the storage pipeline tells it
which items were stored, so the crawl's watermark (where the next incremental crawl resumes) never passes a window
that failed or one with an item the database could not store.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from watchdog.items import ContractItem, SourceDocument
from watchdog.normalise.dates import parse_timestamp
from watchdog.sources.middlewares import HostUnreachable
from watchdog.sources.ocds import Fetch, contract_items

Window = tuple[datetime, datetime]


def parse_argument_time(name: str, value: str) -> datetime:
    moment = parse_timestamp(value)
    if moment is None:
        raise ValueError(f"{name} must be a date or time like 2025-01-20 or 2025-01-20T06:00:00Z, not {value!r}")
    return moment.astimezone(UTC) if "T" in value else moment.replace(tzinfo=UTC)


def body_text(response: Response) -> str:
    """The body as text, in the charset the server declared (Contracts Finder's is ISO-8859-1)."""
    if isinstance(response, TextResponse):
        return response.text
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        return response.body.decode("latin-1")


class WatchdogSpider(scrapy.Spider):
    """Keeps the arguments a spider was given (for its crawl's record) and checks them before it starts."""

    allowed_arguments: tuple[str, ...] = ("base_url",)
    base_url: str

    def __init__(self, **kwargs: Any) -> None:
        self.arguments = {k: v for k, v in kwargs.items() if k != "_job"}
        self.check_arguments(**self.arguments)
        super().__init__(**kwargs)
        self.base_url = self.base_url.rstrip("/")
        self.hosts_given_up: set[str] = set()

    @property
    def lock_name(self) -> str:
        """What the crawl's lock is named after (database/locks.py): the spider, so one crawl of it runs at a time."""
        return self.name

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        """Raise ValueError saying what is wrong with the arguments, before any request is made."""
        unknown = sorted(set(kwargs) - set(cls.allowed_arguments))
        if unknown:
            raise ValueError(f"{cls.name} takes no argument {', '.join(unknown)}; it takes {cls.allowed_arguments}")
        base_url = kwargs.get("base_url")
        if base_url is not None and urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")

    def report_unreachable(self, failure: Failure) -> bool:
        """Whether a request failed because its host could not be reached (see PoliteRetryMiddleware); said once
        per host, in one error line."""
        if not failure.check(HostUnreachable):
            return False
        if failure.value.host not in self.hosts_given_up:
            self.hosts_given_up.add(failure.value.host)
            self.logger.error("%s", failure.value)
        return True

    def stop_if_unreachable(self, failure: Failure) -> None:
        """End the crawl when the source's host cannot be reached: every page of the source is there."""
        if self.report_unreachable(failure):
            raise CloseSpider("unreachable")

    def on_this_site(self, link: str) -> str:
        """A link the live site wrote in full (links.next, a case page), pointed at base_url instead, so a
        mirror or a test server serves it too."""
        live = type(self).base_url
        return self.base_url + link[len(live) :] if live and link.startswith(live) else link

    def fetched_document(self, response: Response, kind: str, **details: Any) -> SourceDocument:
        """The document a response is: its URL, when it was fetched, the SHA-256 of its body (kept in the
        archive when there is one), its media type and HTTP validators; `details` adds the title and the like."""

        def header(name: bytes) -> str | None:
            return (response.headers.get(name) or b"").decode("latin-1") or None

        return SourceDocument(
            **{
                "url": response.url,
                "kind": kind,
                "fetched_at": datetime.now(UTC),
                "content_sha256": self.archive(response.body),
                "content_type": header(b"Content-Type"),
                "etag": header(b"ETag"),
                "last_modified": header(b"Last-Modified"),
                **details,
            }
        )

    def archive(self, body: bytes) -> str:
        """The body's SHA-256; the body itself is kept gzipped under that name if WATCHDOG_ARCHIVE_DIR is set."""
        digest = hashlib.sha256(body).hexdigest()
        folder = self.settings.get("WATCHDOG_ARCHIVE_DIR")
        if folder:
            path = Path(folder) / digest[:2] / f"{digest}.gz"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                temporary = path.with_suffix(".part")
                temporary.write_bytes(gzip.compress(body))
                temporary.replace(path)
        return digest


class OCDSSpider(WatchdogSpider):
    """Crawls an OCDS release-package search API in date windows. A subclass names its endpoint and quirks,
    and is the portal (watchdog.sources.ocds.Portal) that says where a release's notice can be read."""

    allowed_arguments = ("base_url", "from_date", "until_date", "backfill", "stages")
    publisher: str
    ocid_prefix: str
    search_path: str
    from_parameter: str
    until_parameter: str
    window: timedelta
    resume_overlap: timedelta
    first_crawl_days: int = 7
    earliest_date: datetime
    page_size: int = 100
    query_timezone = UTC
    rate_limit_waits: dict[int, float] = {}
    # robots.txt speaks to crawlers of web pages; these are APIs published for reuse. One request at a time, even
    # while one waits to be tried again, and a source that cannot be reached is asked twice at most.
    custom_settings = {"ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 1}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.from_date = parse_argument_time("from_date", kwargs["from_date"]) if kwargs.get("from_date") else None
        self.until_date = parse_argument_time("until_date", kwargs["until_date"]) if kwargs.get("until_date") else None
        if kwargs.get("backfill"):
            self.from_date = self.earliest_date
        self.previous_watermark: datetime | None = None
        self.windows: list[Window] = []
        self.finished_windows: set[Window] = set()
        # Items yielded and not yet settled by the storage pipeline, by id, with the window each came from.
        self.unsettled_items: dict[int, Window] = {}
        self.unstored_windows: set[Window] = set()

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        times = {
            name: parse_argument_time(name, kwargs[name]) for name in ("from_date", "until_date") if kwargs.get(name)
        }
        if kwargs.get("backfill") and "from_date" in times:
            raise ValueError("give from_date or backfill, not both")
        if len(times) == 2 and times["from_date"] >= times["until_date"]:
            raise ValueError("from_date must be before until_date")
        if "from_date" in times and times["from_date"] > datetime.now(UTC):
            raise ValueError(f"from_date {kwargs['from_date']} is in the future; there is nothing to crawl yet")
        if kwargs.get("backfill") not in (None, "", "yes", "true", "1"):
            raise ValueError("backfill takes yes (crawl everything from the source's first day)")

    def crawl_start(self, now: datetime) -> datetime:
        """from_date if given; else the last crawl's watermark less the overlap; else first_crawl_days ago."""
        if self.from_date:
            return self.from_date
        if self.previous_watermark:
            return self.previous_watermark - self.resume_overlap
        return now - timedelta(days=self.first_crawl_days)

    def plan_windows(self, now: datetime) -> list[Window]:
        """Windows from the crawl's start to until_date, or to now if that is sooner."""
        start, end = self.crawl_start(now), min(self.until_date or now, now)
        windows = []
        while start < end:
            windows.append((start, min(start + self.window, end)))
            start += self.window
        return windows

    @property
    def watermark(self) -> datetime | None:
        """Where the next crawl may resume: the start of the first window not finished (not read to its end, or
        with an item not stored yet or not at all), or the end of the last. A crawl that resumed from the last
        one's watermark never sets it back into the overlap: what came before it was read then."""
        if not self.windows:
            return None
        unfinished = [window for window in self.windows if window not in self.finished_windows]
        unfinished += [*self.unstored_windows, *self.unsettled_items.values()]
        reached = min(window[0] for window in unfinished) if unfinished else self.windows[-1][1]
        if self.from_date is None and self.previous_watermark is not None:
            return max(reached, self.previous_watermark)
        return reached

    def track(self, item: ContractItem, window: Window) -> ContractItem:
        """Remember the window an item came from until the storage pipeline settles it."""
        lost = self.unsettled_items.get(id(item))
        if lost is not None:  # an earlier item with this id left the pipeline unsettled: it was not stored
            self.unstored_windows.add(lost)
        self.unsettled_items[id(item)] = window
        return item

    def item_settled(self, item: ContractItem, stored: bool) -> None:
        """Called by the storage pipeline: the item was stored (or dropped for a reason of its own), or not stored
        because the database could not write, so its window is not finished."""
        window = self.unsettled_items.pop(id(item), None)
        if window is not None and not stored:
            self.unstored_windows.add(window)

    def query_time(self, moment: datetime) -> str:
        return moment.astimezone(self.query_timezone).strftime("%Y-%m-%dT%H:%M:%S")

    def window_url(self, window: Window) -> str:
        query = {
            self.from_parameter: self.query_time(window[0]),
            self.until_parameter: self.query_time(window[1]),
            "limit": self.page_size,
        }
        if self.arguments.get("stages"):
            query["stages"] = self.arguments["stages"]
        return f"{self.base_url}{self.search_path}?{urlencode(query)}"

    def page_request(self, url: str, window: Window, page: int = 1) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.page_failed, meta={"window": window, "page": page}
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.windows = self.plan_windows(datetime.now(UTC))
        self.logger.info(
            "crawling %d windows from %s to %s",
            len(self.windows),
            self.windows[0][0] if self.windows else "-",
            self.windows[-1][1] if self.windows else "-",
        )
        for window in self.windows:
            yield self.page_request(self.window_url(window), window)

    def read_json_page(self, response: Response, what: str, shaped: Callable[[Any], bool]) -> tuple[str, Any, str]:
        """Where the page is (its window and number, in words), its JSON, and what makes it unreadable: not JSON,
        or not `what` (as `shaped` judges it); "" when it is readable."""
        window, page = response.meta["window"], response.meta["page"]
        where = f"window {self.query_time(window[0])}..{self.query_time(window[1])} page {page}"
        try:
            body = json.loads(body_text(response), parse_float=Decimal)
        except ValueError as error:
            return where, None, f"not valid JSON ({error})"
        return where, body, "" if shaped(body) else f"not {what}"

    def parse_page(self, response: Response) -> Iterator[ContractItem | scrapy.Request]:
        window, page = response.meta["window"], response.meta["page"]
        where, package, problem = self.read_json_page(
            response,
            "an OCDS release package",
            lambda body: isinstance(body, dict) and isinstance(body.get("releases", []), list),
        )
        if problem:
            yield from self.unreadable_page(response, where, problem)
            return
        if "releases" not in package:  # Public Contracts Scotland and Sell2Wales answer so at times
            self.logger.warning("%s (%s): a package without releases, read as none", where, response.url)
            self.crawler.stats.inc_value("watchdog/packages_without_releases")
        releases = [release for release in package.get("releases") or [] if isinstance(release, dict)]
        self.crawler.stats.inc_value("watchdog/pages")
        self.crawler.stats.inc_value("watchdog/releases", len(releases))
        fetch = Fetch(fetched_at=datetime.now(UTC), content_sha256=self.archive(response.body))
        for release in releases:
            try:
                items = list(contract_items(release, self, self.base_url, fetch))
            except (AttributeError, TypeError, ValueError) as error:
                self.logger.error("%s: release %r cannot be read (%s); skipped", where, release.get("id"), error)
                continue
            yield from (self.track(item, window) for item in items)

        next_link = (package.get("links") or {}).get("next")
        if next_link:
            yield self.page_request(self.on_this_site(next_link), window, page + 1)
        elif len(releases) >= self.page_size:
            yield from self.resume_after_missing_next(window, releases, where)
        else:
            self.finish_window(window)

    def finish_window(self, window: tuple[datetime, datetime]) -> None:
        """Every page of the window was read: the watermark may pass it."""
        self.finished_windows.add(window)
        self.logger.info(
            "window %s..%s done (%d of %d windows)",
            self.query_time(window[0]),
            self.query_time(window[1]),
            len(self.finished_windows),
            len(self.windows),
        )

    def unreadable_page(self, response: Response, where: str, problem: str) -> Iterator[scrapy.Request]:
        """A page that is not a release package (an HTML page with status 200, a cut-off body) is asked for once
        more after a pause (WATCHDOG_BACKOFF seconds); the second time, the rest of its window is given up."""
        if response.meta.get("asked_again"):
            self.logger.error("%s (%s): %s; the rest of this window is skipped", where, response.url, problem)
            return
        pause = self.settings.getfloat("WATCHDOG_BACKOFF")
        self.logger.warning("%s (%s): %s; asking again in %.0f s", where, response.url, problem, pause)
        self.crawler.stats.inc_value("retry/count")
        meta = {**response.request.meta, "asked_again": True, "wait_before": pause}
        yield response.request.replace(dont_filter=True, meta=meta)

    def resume_after_missing_next(self, window: Window, releases: list[dict], where: str) -> Iterator[scrapy.Request]:
        """A full page with no next link: the API lost its cursor. Ask again from the newest release seen."""
        self.crawler.stats.inc_value("watchdog/missing_next_link")
        latest = max((parse_timestamp(r.get("date")) for r in releases if parse_timestamp(r.get("date"))), default=None)
        if latest is None or latest <= window[0]:
            self.logger.warning("%s: a full page with no next link; this window may be incomplete", where)
            return
        rest = (latest, window[1])
        self.logger.warning("%s: a full page with no next link; asking again from %s", where, latest.isoformat())
        self.windows[self.windows.index(window)] = rest
        yield self.page_request(self.window_url(rest), rest)

    def page_failed(self, failure: Failure) -> None:
        self.stop_if_unreachable(failure)
        request = failure.request
        window = request.meta["window"]
        reason = failure.getErrorMessage() or failure.type.__name__
        self.logger.error(
            "window %s..%s page %d failed (%s): %s; the rest of this window is skipped",
            self.query_time(window[0]),
            self.query_time(window[1]),
            request.meta["page"],
            request.url,
            reason,
        )
