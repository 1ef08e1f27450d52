"""The find_a_tender spider, end to end against a fake Find a Tender serving the real response."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
from crawling import crawl, last_run
from fake_portal import FakePortal, Reply, fixture, too_many_requests
from sqlalchemy import text

from watchdog.sources.spiders.find_a_tender import FindATenderSpider

SEARCH = "/api/1.0/ocdsReleasePackages"
PAGE = fixture("fts_release_package_2026-10-06_limit4.json")
WINDOW = ["from_date=2026-10-06T06:00:00Z", "until_date=2026-10-07T06:00:00Z"]


def with_infinite_amount(reply: Reply) -> Reply:
    """The page as served on a bad day: an amount of 1e9999, which no float can hold."""
    reply.body = reply.body.replace(b'"amount": 31715.0', b'"amount": 1e9999')
    assert b"1e9999" in reply.body
    return reply


@pytest.fixture
def portal():
    """The 12:00-18:00 UTC window (13:00-19:00 UK time) holds the real page in two cursor pages, behind a 429
    with Retry-After and a 429 without; the 18:00-24:00 window answers 503 with Retry-After as a date."""
    with FakePortal("https://www.find-tender.service.gov.uk", SEARCH, "updatedFrom", PAGE) as portal:
        afternoon = "2026-10-06T13:00:00"
        first, second = PAGE["releases"][:2], PAGE["releases"][2:]
        portal.add(afternoon, None, too_many_requests("11"), portal.page(first, afternoon, "c2"))
        portal.add(afternoon, "c2", too_many_requests(), with_infinite_amount(portal.page(second, afternoon)))
        later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
        portal.add("2026-10-06T19:00:00", None, Reply(503, b"busy", {"Retry-After": later}), portal.page([], ""))
        yield portal


def test_rate_limits_are_waited_out_and_a_bad_amount_loses_only_its_award(portal, engine, database_url):
    result = crawl(database_url, "find_a_tender", f"base_url={portal.url}", *WINDOW)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rate limited (HTTP 429)" in result.stderr
    assert "waiting 11 s" in result.stderr  # as Retry-After asked
    assert "waiting 120 s" in result.stderr  # no Retry-After: the whole 2-minute window
    assert "rate limited (HTTP 503)" in result.stderr

    run = last_run(engine)
    assert (run.status, run.errors, run.items_dropped, run.stats["watchdog/rate_limited"]) == ("finished", 0, 1, 3)
    assert run.watermark == datetime(2026, 10, 7, 6, tzinfo=UTC)
    first_pages = sorted(r["updatedFrom"] for r in portal.requests if "cursor" not in r)
    assert first_pages[0] == "2026-10-06T07:00:00"  # 06:00 UTC sent as UK time

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.ocid, c.award_id, s.name, s.company_number, c.initial_value, c.initial_value_gross, "
                "c.maximum_value, c.notice_url FROM contracts c "
                "LEFT JOIN contract_suppliers cs ON cs.contract_id = c.id "
                "LEFT JOIN suppliers s ON s.id = cs.supplier_id ORDER BY c.ocid"
            )
        ).all()
        identifiers = connection.execute(text("SELECT scheme, identifier FROM supplier_identifiers")).all()
    money = lambda v: None if v is None else Decimal(str(v))  # noqa: E731
    assert [(r[0], r[1], r[2], r[3], money(r[4]), money(r[5]), money(r[6]), r[7]) for r in rows] == [
        (
            "ocds-h6vhtk-06d285",
            "1",
            "SWITCH UP C.I.C.",
            "08522643",
            Decimal(211232),
            Decimal(253478),
            None,
            "https://www.find-tender.service.gov.uk/Notice/094474-2026",
        ),
        (
            "ocds-h6vhtk-06e832",
            "1",
            "Chess ICT",
            None,
            None,
            Decimal("256378.74"),
            None,
            "https://www.find-tender.service.gov.uk/Notice/094477-2026",
        ),
        (
            "ocds-h6vhtk-078219",
            "",
            None,
            None,
            None,
            None,
            Decimal(2772000),
            "https://www.find-tender.service.gov.uk/Notice/094476-2026",
        ),
    ]
    assert ("GB-PPON", "PVHJ-9851-QPYJ") in identifiers and ("GB-PPON", "PNXT-9936-XCTQ") in identifiers


def test_windows_are_six_hours_sent_in_uk_time_across_the_clock_change():
    spider = FindATenderSpider(from_date="2026-10-24T18:00:00Z", until_date="2026-10-25T12:00:00Z")
    windows = spider.plan_windows(datetime.now(UTC))
    sent = [(spider.query_time(start), spider.query_time(end)) for start, end in windows]
    assert sent == [
        ("2026-10-24T19:00:00", "2026-10-25T01:00:00"),  # British Summer Time, UTC+1
        ("2026-10-25T01:00:00", "2026-10-25T06:00:00"),  # clocks go back at 02:00 BST
        ("2026-10-25T06:00:00", "2026-10-25T12:00:00"),  # Greenwich Mean Time
    ]
