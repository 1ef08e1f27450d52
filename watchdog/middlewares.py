"""Downloader middleware: waiting politely before trying a request again."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.utils.misc import load_object

logger = logging.getLogger(__name__)

SERVER_ERRORS = {500, 502, 503, 504, 408, 522, 524}


def retry_after_seconds(response: Response) -> float | None:
    """The Retry-After header in seconds, given as a number or as an HTTP date; None if absent or unreadable."""
    header = response.headers.get(b"Retry-After")
    if not header:
        return None
    value = header.decode("latin-1").strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class PoliteRetryMiddleware:
    """Retries what may succeed later, waiting first (in place of Scrapy's RetryMiddleware, which does not wait).

    A rate limit (the statuses a spider lists in `rate_limit_waits`, or its own `is_rate_limited`) waits as
    long as Retry-After asks, else the spider's default for that status, capped at WATCHDOG_MAX_WAIT. Server
    errors and timeouts wait exponentially longer each time (WATCHDOG_BACKOFF seconds, doubled). Every wait is
    multiplied by WATCHDOG_WAIT_SCALE, which tests set small. While it waits, no other request goes out:
    the watchdog spiders make one request at a time. A spider asking for a page again after a pause says how long
    in the request's `wait_before` meta (seconds).
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_retries = settings.getint("RETRY_TIMES")
        self.max_rate_limit_waits = settings.getint("WATCHDOG_MAX_RATE_LIMIT_WAITS")
        self.max_wait = settings.getfloat("WATCHDOG_MAX_WAIT")
        self.backoff = settings.getfloat("WATCHDOG_BACKOFF")
        self.scale = settings.getfloat("WATCHDOG_WAIT_SCALE")
        # Timeouts and dropped connections may pass; robots.txt, DNS and TLS refusals will not.
        self.exceptions_to_retry = tuple(
            load_object(path) if isinstance(path, str) else path for path in settings.getlist("RETRY_EXCEPTIONS")
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteRetryMiddleware:
        return cls(crawler)

    def rate_limit_wait(self, response: Response) -> float | None:
        spider = self.crawler.spider
        default = getattr(spider, "rate_limit_waits", {}).get(response.status)
        is_limited = getattr(spider, "is_rate_limited", None)
        if default is None or (is_limited is not None and not is_limited(response)):
            return None
        asked = retry_after_seconds(response)
        return min(asked if asked is not None else default, self.max_wait)

    async def process_request(self, request: Request) -> None:
        wait = request.meta.pop("wait_before", None)
        if wait:
            await self.sleep(min(wait, self.max_wait))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry"):
            return response
        wait = self.rate_limit_wait(response)
        if wait is not None:
            waits = request.meta.get("rate_limit_waits", 0) + 1
            if waits > self.max_rate_limit_waits:
                return response
            self.crawler.stats.inc_value("watchdog/rate_limited")
            logger.warning("rate limited (HTTP %d) on %s: waiting %.0f s", response.status, request.url, wait)
            await self.sleep(wait)
            retry = request.replace(dont_filter=True)
            retry.meta["rate_limit_waits"] = waits
            self.crawler.stats.inc_value("retry/count")
            return retry
        if response.status in SERVER_ERRORS:
            return await self.retry_later(request, f"HTTP {response.status}") or response
        return response

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        return await self.retry_later(request, f"{type(exception).__name__}: {exception}")

    async def retry_later(self, request: Request, reason: str) -> Request | None:
        attempt = request.meta.get("retry_times", 0)
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=self.max_retries,
            logger=logger,
            give_up_log_level=logging.WARNING,  # the spider's errback reports the lost page as the error
        )
        if retry is not None:
            wait = min(self.backoff * 2**attempt, self.max_wait)
            logger.warning("%s on %s: trying again in %.0f s", reason, request.url, wait)
            await self.sleep(wait)
        return retry

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.scale)
