"""The contracts_finder spider, end to end against a fake Contracts Finder serving the real responses."""

import gzip
import hashlib
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from crawling import crawl, last_run, table_counts
from fake_portal import CF_RATE_LIMIT, HTML_WITH_200, SERVER_ERROR, FakePortal, fixture, too_many_requests
from sqlalchemy import text

SEARCH = "/Published/Notices/OCDS/Search"
PAGE = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
SOUTHAMPTON = [
    fixture("cf_release_southampton_pwc_awardUpdate_10932000.json"),
    fixture("cf_release_southampton_pwc_awardUpdate_109320.json"),
]
WINDOW = ["from_date=2025-01-20", "until_date=2025-01-24"]


def day(number: int) -> str:
    return f"2025-01-{number}T00:00:00"


@pytest.fixture
def portal():
    """Four one-day windows: the real page in four cursor pages behind a rate limit and a server error;
    an HTML page with status 200; the Southampton award and its correction; a truncated body."""
    with FakePortal("https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE) as portal:
        quarters = [PAGE["releases"][i : i + 25] for i in range(0, 100, 25)]
        portal.add(day(20), None, CF_RATE_LIMIT, portal.page(quarters[0], day(20), "p2"))
        portal.add(day(20), "p2", SERVER_ERROR, portal.page(quarters[1], day(20), "p3"))
        portal.add(day(20), "p3", portal.page(quarters[2], day(20), "p4"))
        portal.add(day(20), "p4", portal.page(quarters[3], day(20)))
        portal.add(day(21), None, HTML_WITH_200)
        portal.add(day(22), None, portal.page(SOUTHAMPTON, day(22)))
        truncated = portal.page(PAGE["releases"][:3], day(23))
        truncated.body = truncated.body[: len(truncated.body) // 2]
        portal.add(day(23), None, truncated)
        yield portal


def one(engine, sql, **parameters):
    with engine.connect() as connection:
        return connection.execute(text(sql), parameters).one()


def test_a_crawl_with_faults_stores_every_good_release(portal, engine, database_url):
    result = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "errors          2" in result.stdout
    assert "rate limited (HTTP 403)" in result.stderr and "waiting 300 s" in result.stderr

    run = last_run(engine)
    # Retries: the rate limit, the server error, and each unreadable page asked for once more before its window fails.
    assert (run.status, run.errors, run.retries) == ("failed", 2, 4)
    assert [r["publishedFrom"] for r in portal.requests].count(day(21)) == 2
    assert run.stats["watchdog/rate_limited"] == 1
    assert run.stats["watchdog/releases"] == 102
    assert "not valid JSON" in run.error_summary
    assert run.watermark == datetime(2025, 1, 21, tzinfo=UTC)  # the first window lost
    assert run.arguments == {"base_url": portal.url, "from_date": "2025-01-20", "until_date": "2025-01-24"}

    assert one(engine, "SELECT COUNT(DISTINCT release_id) FROM contract_releases")[0] == 102
    merton = one(
        engine,
        "SELECT b.name AS buyer, s.name AS supplier, s.company_number, c.initial_value, c.maximum_value, c.currency, "
        "c.awarded_on, c.start_on, c.end_on, c.cpv_codes, c.notice_url, c.title FROM contracts c "
        "JOIN buyers b ON b.id = c.buyer_id JOIN contract_suppliers cs ON cs.contract_id = c.id "
        "JOIN suppliers s ON s.id = cs.supplier_id WHERE c.ocid = :ocid",
        ocid="ocds-b5fd17-e3b5f385-5989-4cf1-8849-01c247fc9c30",
    )
    assert merton.buyer == "London Borough of Merton"
    assert (merton.supplier, merton.company_number) == ("Marstons holdings plc", None)
    assert (Decimal(merton.initial_value), Decimal(merton.maximum_value), merton.currency) == (93007, 372032, "GBP")
    assert [str(d) for d in (merton.awarded_on, merton.start_on, merton.end_on)] == [
        "2024-12-22",
        "2025-01-23",
        "2025-04-23",
    ]
    assert (merton.cpv_codes, merton.title) == ("63712400", "Parking Pilot - CEO")
    assert merton.notice_url == "https://www.contractsfinder.service.gov.uk/Notice/2a1e3359-87a0-4fdd-ac61-20d5e6520a13"
    solirius = one(
        engine,
        "SELECT supplier_name, company_number, contracts_value_gbp FROM supplier_record "
        "WHERE company_number = '06279757'",
    )
    assert (solirius.supplier_name, Decimal(solirius.contracts_value_gbp)) == ("Solirius Ltd", 60000000)


def test_a_429_is_waited_out_and_an_unreadable_page_is_asked_again_once(engine, database_url):
    """A 429 with Retry-After and one without; an HTML page with status 200 and a cut-off body, each once:
    every window is read in full."""
    with FakePortal("https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE) as portal:
        quarters = [PAGE["releases"][i : i + 25] for i in range(0, 100, 25)]
        truncated = portal.page(SOUTHAMPTON, day(22))
        truncated.body = truncated.body[: len(truncated.body) // 2]
        portal.add(day(20), None, too_many_requests("7"), portal.page(quarters[0], day(20)))
        portal.add(day(21), None, HTML_WITH_200, portal.page(quarters[1], day(21)))
        portal.add(day(22), None, truncated, portal.page(SOUTHAMPTON, day(22)))
        portal.add(day(23), None, too_many_requests(), portal.page(quarters[2], day(23)))
        result = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "rate limited (HTTP 429)" in result.stderr
    assert "waiting 7 s" in result.stderr and "waiting 300 s" in result.stderr  # Retry-After, else 5 minutes
    assert "not valid JSON" in result.stderr and "asking again" in result.stderr
    run = last_run(engine)
    assert (run.status, run.errors, run.retries) == ("finished", 0, 4)
    assert run.watermark == datetime(2025, 1, 24, tzinfo=UTC)
    assert Counter(r["publishedFrom"] for r in portal.requests) == {day(n): 2 for n in (20, 21, 22, 23)}
    releases = {release["id"] for release in quarters[0] + quarters[1] + SOUTHAMPTON + quarters[2]}
    with engine.connect() as connection:
        assert set(connection.scalars(text("SELECT release_id FROM contract_releases"))) == releases


def test_a_corrected_award_shows_the_latest_value_and_keeps_the_history(portal, engine, database_url):
    crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    ocid = "ocds-b5fd17-09a309a3-8541-48b9-91c4-411c52e5bd34"
    contract = one(engine, "SELECT id, initial_value FROM contracts WHERE ocid = :ocid", ocid=ocid)
    assert Decimal(contract.initial_value) == 109320
    with engine.connect() as connection:
        history = connection.execute(
            text("SELECT release_id, value FROM contract_releases WHERE contract_id = :id ORDER BY release_at"),
            {"id": contract.id},
        ).all()
    assert [(r.release_id[-6:], Decimal(r.value)) for r in history] == [("832939", 10932000), ("832942", 109320)]
    change = one(engine, "SELECT first_value, latest_value, value_change, buyer_name FROM contract_value_changes")
    assert [Decimal(v) for v in change[:3]] == [10932000, 109320, -10822680]
    assert change.buyer_name == "Southampton City Council"


def test_crawling_the_same_window_twice_changes_no_count(portal, engine, database_url):
    crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    counts = table_counts(engine)
    second = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    assert re.search(r"contracts +0 new, \d+ updated", second.stdout), second.stdout
    assert table_counts(engine) == counts


def test_an_incremental_crawl_resumes_from_the_watermark_less_the_overlap(portal, engine, database_url):
    first = crawl(
        database_url, "contracts_finder", f"base_url={portal.url}", "from_date=2025-01-22", "until_date=2025-01-23"
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert last_run(engine).watermark == datetime(2025, 1, 23, tzinfo=UTC)
    portal.requests.clear()
    crawl(database_url, "contracts_finder", f"base_url={portal.url}", "until_date=2025-01-24")
    asked = sorted((r["publishedFrom"], r["publishedTo"]) for r in portal.requests)
    assert asked == [  # from the watermark, 2025-01-23, less six hours of overlap
        ("2025-01-22T18:00:00", "2025-01-23T18:00:00"),
        ("2025-01-23T18:00:00", "2025-01-24T00:00:00"),
    ]


def test_bad_arguments_fail_before_any_request(portal, engine, database_url):
    for arguments in (
        ["from_date=last tuesday"],
        ["from_date=2025-02-01", "until_date=2025-01-01"],
        ["base_url=ftp://mirror"],
        ["colour=blue"],
    ):
        result = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *arguments)
        assert result.returncode == 2
        assert result.stderr.startswith("Error: ")
    assert portal.requests == []


def test_ingesting_the_same_real_data_gives_the_same_rows(portal, engine, database_url, tmp_path):
    from test_ingest import comparable_rows, ingest_files

    crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    crawled = comparable_rows(engine)
    other_url = f"sqlite:///{tmp_path / 'ingested.db'}"
    ingest_files(
        other_url,
        [
            "cf_search_page_2025-01-20_to_2025-01-23_100releases.json",
            "cf_release_southampton_pwc_awardUpdate_10932000.json",
            "cf_release_southampton_pwc_awardUpdate_109320.json",
        ],
    )
    from watchdog.database.db import make_engine

    assert comparable_rows(make_engine(other_url)) == crawled


def test_the_raw_archive_keeps_each_body_under_its_sha256(portal, engine, database_url, tmp_path):
    archive = tmp_path / "archive"
    crawl(
        database_url,
        "contracts_finder",
        f"base_url={portal.url}",
        "from_date=2025-01-22",
        "until_date=2025-01-23",
        settings=(f"WATCHDOG_ARCHIVE_DIR={archive}",),
    )
    document = one(engine, "SELECT url, content_sha256 FROM documents WHERE url LIKE '%832942'")
    body = gzip.decompress((archive / document.content_sha256[:2] / f"{document.content_sha256}.gz").read_bytes())
    assert hashlib.sha256(body).hexdigest() == document.content_sha256
    assert b"02d6ce8b-83f0-4993-869c-c177d2efbd52-832942" in body
    assert document.url == f"{portal.url}/Published/OCDS/Release/02d6ce8b-83f0-4993-869c-c177d2efbd52-832942"
