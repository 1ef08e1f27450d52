"""Downloader middleware: waiting politely before trying a request again, and giving up on a host that cannot be
reached."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefusedError
from twisted.internet.error import DNSLookupError, NoRouteError

logger = logging.getLogger(__name__)

SERVER_ERRORS = {500, 502, 503, 504, 408, 522, 524}
DNS_FAILED = "DNS lookup failed; is the machine online?"
NO_ROUTE = "network unreachable; is the machine online?"
REFUSED = "connection refused; is the server up, at that address?"
# Failures that say the host cannot be reached at all, whatever is asked of it, and what each means.
UNREACHABLE_REASONS = {
    CannotResolveHostError: DNS_FAILED,
    DNSLookupError: DNS_FAILED,
    NoRouteError: NO_ROUTE,
    DownloadConnectionRefusedError: REFUSED,
    TwistedConnectionRefusedError: REFUSED,
    ConnectionRefusedError: REFUSED,
}
# A request failing so is tried once more; a host whose requests failed so twice in a row is not asked again.
UNREACHABLE_RETRIES = 1
UNREACHABLE_FAILURES = 2


class HostUnreachable(IgnoreRequest):
    """A request not made, or given up, because its host could not be reached twice in a row."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"cannot reach {host}: {reason}")
        self.host = host


def unreachable_reason(exception: Exception) -> str | None:
    """What a failure to connect means (DNS lookup failed, no route, connection refused), or None for any other
    failure."""
    return next((reason for kind, reason in UNREACHABLE_REASONS.items() if isinstance(exception, kind)), None)


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

    A host that cannot be reached (its name does not resolve, there is no network, or it refuses the connection)
    is tried once more, after the same backoff; when two requests to it in a row fail so, it is given up: the
    second request fails with HostUnreachable, and so does every later request to it, without being made.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_retries = settings.getint("RETRY_TIMES")
        self.max_rate_limit_waits = settings.getint("WATCHDOG_MAX_RATE_LIMIT_WAITS")
        self.max_wait = settings.getfloat("WATCHDOG_MAX_WAIT")
        self.backoff = settings.getfloat("WATCHDOG_BACKOFF")
        self.scale = settings.getfloat("WATCHDOG_WAIT_SCALE")
        # Timeouts, dropped connections and failures to connect may pass; robots.txt and TLS refusals will not.
        self.exceptions_to_retry = tuple(
            load_object(path) if isinstance(path, str) else path for path in settings.getlist("RETRY_EXCEPTIONS")
        )
        self.failures_in_a_row: dict[str, int] = {}
        self.unreachable_hosts: dict[str, str] = {}  # host: what went wrong

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
        host = urlparse_cached(request).netloc
        if host in self.unreachable_hosts:
            raise HostUnreachable(host, self.unreachable_hosts[host])
        wait = request.meta.pop("wait_before", None)
        if wait:
            await self.sleep(min(wait, self.max_wait))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        self.failures_in_a_row.pop(urlparse_cached(request).netloc, None)
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
            return await self.retry_later(request, f"HTTP {response.status}", self.max_retries) or response
        return response

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        unreachable = unreachable_reason(exception)
        if unreachable is not None:
            host = urlparse_cached(request).netloc
            self.failures_in_a_row[host] = self.failures_in_a_row.get(host, 0) + 1
            if self.failures_in_a_row[host] >= UNREACHABLE_FAILURES:
                self.unreachable_hosts[host] = unreachable
                raise HostUnreachable(host, unreachable)
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        reason = f"{type(exception).__name__}: {exception}"
        return await self.retry_later(request, reason, UNREACHABLE_RETRIES if unreachable else self.max_retries)

    async def retry_later(self, request: Request, reason: str, max_retries: int) -> Request | None:
        attempt = request.meta.get("retry_times", 0)
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=max_retries,
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
