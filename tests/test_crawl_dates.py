"""Dates given to a crawl that are not yet: a from_date in the future is an argument error before any request; an
until_date in the future crawls to now, and the watermark never passes now."""

from datetime import UTC, datetime, timedelta

import pytest
from crawling import crawl, last_run
from fake_portal import FakePortal
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_contracts_finder import PAGE, SEARCH

from watchdog.database.models import CrawlRun
from watchdog.sources.spiders.contracts_finder import ContractsFinderSpider


@pytest.fixture
def portal():
    with FakePortal(
        "https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE, until_parameter="publishedTo"
    ) as portal:
        yield portal


def days_from_today(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_a_from_date_in_the_future_is_an_argument_error_before_any_request(portal, engine, database_url):
    tomorrow = days_from_today(1)
    result = crawl(database_url, "contracts_finder", f"base_url={portal.url}", f"from_date={tomorrow}")

    assert result.returncode == 2
    assert result.stderr == f"Error: from_date {tomorrow} is in the future; there is nothing to crawl yet\n"
    assert portal.requests == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 0


def test_an_until_date_in_the_future_crawls_to_now(portal, engine, database_url):
    started = datetime.now(UTC)
    result = crawl(
        database_url,
        "contracts_finder",
        f"base_url={portal.url}",
        f"from_date={days_from_today(-1)}",
        f"until_date={days_from_today(30)}",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    last_asked = max(datetime.fromisoformat(request["publishedTo"]).replace(tzinfo=UTC) for request in portal.requests)
    watermark = last_run(engine).watermark
    assert started - timedelta(seconds=1) <= last_asked <= watermark <= datetime.now(UTC)
    assert watermark - last_asked < timedelta(seconds=1)  # the last window's end, to the second in the query


def test_windows_end_now_when_until_date_is_later():
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    spider = ContractsFinderSpider(from_date=yesterday.date().isoformat(), until_date=days_from_today(30))
    now = datetime.now(UTC)
    windows = spider.plan_windows(now)
    assert windows == [(yesterday, yesterday + timedelta(days=1)), (yesterday + timedelta(days=1), now)]
