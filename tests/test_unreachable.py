"""A source that cannot be reached (no network, a name that does not resolve, a server that refuses) is asked twice
at most, and the crawl ends at once, failed, with one error line and its watermark where it was."""

import asyncio
import time
from datetime import UTC, datetime

import pytest
from crawling import crawl, last_run
from fake_portal import FakePortal
from scrapy import Request, Spider
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from test_contracts_finder import PAGE, SEARCH
from twisted.internet.error import DNSLookupError, NoRouteError

from watchdog.sources.middlewares import HostUnreachable, PoliteRetryMiddleware

FROM_20_TO_24_JANUARY = ["from_date=2025-01-20", "until_date=2025-01-24"]
SPIDER_ARGUMENTS = {
    "contracts_finder": FROM_20_TO_24_JANUARY,
    "find_a_tender": FROM_20_TO_24_JANUARY,
    "hse_convictions": [],
    "sfo_dpas": [],
}


@pytest.mark.parametrize("spider", SPIDER_ARGUMENTS)
def test_a_source_that_refuses_connections_is_asked_twice_and_the_crawl_fails_at_once(
    spider, refusing_address, engine, database_url
):
    result = crawl(database_url, spider, f"base_url=http://{refusing_address}", *SPIDER_ARGUMENTS[spider])

    assert result.returncode == 1, result.stderr[-3000:]
    line = f"cannot reach {refusing_address}: connection refused; is the server up, at that address?"
    assert line in result.stderr
    assert f"{spider}: failed (unreachable)" in result.stdout
    run = last_run(engine)
    assert (run.status, run.finish_reason, run.errors, run.error_summary) == ("failed", "unreachable", 1, line)
    assert run.requests == run.stats["downloader/request_count"] == 2  # robots.txt included, for the regulators


def test_a_name_that_does_not_resolve_fails_fast_without_a_network(engine, database_url):
    """Names under .invalid never resolve (RFC 2606): no DNS server is needed to say so."""
    started = time.monotonic()
    result = crawl(database_url, "contracts_finder", "base_url=http://contracts-finder.watchdog.invalid")
    assert time.monotonic() - started < 60

    assert result.returncode == 1, result.stderr[-3000:]
    line = "cannot reach contracts-finder.watchdog.invalid: DNS lookup failed; is the machine online?"
    assert line in result.stderr
    run = last_run(engine)
    assert (run.status, run.errors, run.error_summary, run.requests, run.retries) == ("failed", 1, line, 2, 1)


def test_a_crawl_that_cannot_reach_its_source_keeps_the_watermark(refusing_address, engine, database_url):
    with FakePortal("https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE) as portal:
        first = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *FROM_20_TO_24_JANUARY)
    assert first.returncode == 0, first.stderr[-3000:]
    assert last_run(engine).watermark == datetime(2025, 1, 24, tzinfo=UTC)

    for _ in range(2):  # two nights offline: the watermark is not set back by the overlap each time
        offline = crawl(database_url, "contracts_finder", f"base_url=http://{refusing_address}")
        assert offline.returncode == 1
        assert last_run(engine).watermark == datetime(2025, 1, 24, tzinfo=UTC)


def middleware() -> PoliteRetryMiddleware:
    crawler = get_crawler(Spider, {"WATCHDOG_WAIT_SCALE": 0, "RETRY_TIMES": 3, "WATCHDOG_BACKOFF": 10})
    crawler.spider = crawler._create_spider("contracts_finder")
    return PoliteRetryMiddleware(crawler)


def page(host: str, number: int) -> Request:
    return Request(f"https://{host}/search?page={number}")


def test_a_host_that_fails_to_connect_twice_in_a_row_is_given_up():
    retries = middleware()
    host = "www.contractsfinder.service.gov.uk"

    async def scenario():
        retry = await retries.process_exception(page(host, 1), CannotResolveHostError("no results"))
        assert retry.meta["retry_times"] == 1
        with pytest.raises(HostUnreachable, match=f"cannot reach {host}: DNS lookup failed"):
            await retries.process_exception(page(host, 2), DNSLookupError("no results"))
        with pytest.raises(HostUnreachable):  # asked no more: the request is not made
            await retries.process_request(page(host, 3))
        assert await retries.process_request(page("www.find-tender.service.gov.uk", 1)) is None

    asyncio.run(scenario())


def test_a_machine_without_a_network_gives_its_hosts_up_too():
    retries = middleware()

    async def scenario():
        await retries.process_exception(page("127.0.0.1:8000", 1), NoRouteError())
        with pytest.raises(HostUnreachable, match="cannot reach 127.0.0.1:8000: network unreachable; is the machine"):
            await retries.process_exception(page("127.0.0.1:8000", 2), NoRouteError())

    asyncio.run(scenario())


def test_a_host_that_answers_between_two_failures_is_not_given_up_but_a_page_is_tried_once_more_only():
    retries = middleware()
    host = "127.0.0.1:8000"

    async def scenario():
        first = page(host, 1)
        retry = await retries.process_exception(first, DownloadConnectionRefusedError("refused"))
        await retries.process_response(page(host, 2), Response(page(host, 2).url, request=page(host, 2)))
        assert await retries.process_exception(retry, ConnectionRefusedError("refused")) is None  # retried once
        assert await retries.process_request(page(host, 3)) is None

    asyncio.run(scenario())


def test_other_failures_are_still_tried_three_times():
    retries = middleware()

    async def scenario():
        request = page("www.contractsfinder.service.gov.uk", 1)
        for attempt in range(1, 4):
            request = await retries.process_exception(request, TimeoutError("took too long"))
            assert request.meta["retry_times"] == attempt
        assert await retries.process_exception(request, TimeoutError("took too long")) is None

    asyncio.run(scenario())
