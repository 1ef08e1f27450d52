"""The public_contracts_scotland and sell2wales spiders, end to end against a fake portal of their software.

The tender pages wrap the recorded releases of `fixtures/devolved/`; the award months are reconstructed in the
same shape (fixtures/PROVENANCE.md)."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from crawling import crawl, last_run, table_counts
from fake_portal import HTML_WITH_200, SERVER_ERROR, FakePortal, Reply, too_many_requests
from sqlalchemy import text

from watchdog.sources.spiders.public_contracts_scotland import PublicContractsScotlandSpider

DEVOLVED = Path(__file__).parent / "fixtures" / "devolved"
SEARCH = "/v1/Notices"
TWO_MONTHS = ["from_date=2025-02-01", "until_date=2025-04-01", "notice_types=2,3"]
NG_HOMES_NOTICE = "https://www.publiccontractsscotland.gov.uk/search/show/search_view.aspx?ID=APR352786"


def devolved(name: str) -> dict:
    return json.loads((DEVOLVED / name).read_text(encoding="utf-8"))


PCS_AWARDS = devolved("pcs_package_2025-03_type3_award_reconstructed.json")
S2W_AWARDS = devolved("sell2wales_package_2025-03_type3_award_reconstructed.json")


class NoticeSoftware(FakePortal):
    """The search of the Scottish and Welsh software: one package per month and notice type, scripted by
    "MM-YYYY/type"; a month and type not scripted answers a package with no release."""

    def __init__(self, live_url: str, envelope: dict) -> None:
        super().__init__(live_url, SEARCH, "dateFrom", envelope)

    def reply_to(self, path: str, query: dict[str, str]) -> Reply:
        keyed = {**query, "dateFrom": f"{query.get('dateFrom')}/{query.get('noticeType')}"}
        return super().reply_to(path, keyed)


def contracts(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.ocid, c.award_id, b.name, s.name, s.company_number, c.initial_value, c.notice_url, "
                "c.title FROM contracts c JOIN buyers b ON b.id = c.buyer_id "
                "LEFT JOIN contract_suppliers cs ON cs.contract_id = c.id "
                "LEFT JOIN suppliers s ON s.id = cs.supplier_id ORDER BY c.ocid, c.award_id"
            )
        ).all()
    return [(*row[:5], None if row[5] is None else Decimal(str(row[5])), *row[6:]) for row in rows]


@pytest.fixture
def scotland():
    """February 2025: contract notices behind a 429, award notices in a package with no `releases`; March
    2025: no contract notice, two awards."""
    with NoticeSoftware("https://api.publiccontractsscotland.gov.uk", PCS_AWARDS) as portal:
        tender = devolved("pcs_release_tender_ng_homes.json")
        portal.add("02-2025/2", None, too_many_requests(), portal.page([tender], ""))
        no_releases = devolved("pcs_package_2025-02_type3_no_releases_reconstructed.json")
        portal.add("02-2025/3", None, Reply(200, json.dumps(no_releases).encode()))
        portal.add("03-2025/3", None, portal.page(PCS_AWARDS["releases"], ""))
        yield portal


def test_a_month_per_notice_type_is_read_through_a_rate_limit_and_a_package_without_releases(
    scotland, engine, database_url
):
    result = crawl(database_url, "public_contracts_scotland", f"base_url={scotland.url}", *TWO_MONTHS)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rate limited (HTTP 429)" in result.stderr and "waiting 60 s" in result.stderr
    assert "a package without releases" in result.stderr

    asked = sorted((r["dateFrom"], r["noticeType"], r["outputType"]) for r in scotland.requests)
    assert asked == [
        ("02-2025", "2", "0"),
        ("02-2025", "2", "0"),  # again after the 429
        ("02-2025", "3", "0"),
        ("03-2025", "2", "0"),
        ("03-2025", "3", "0"),
    ]
    run = last_run(engine)
    assert (run.status, run.errors, run.stats["watchdog/rate_limited"]) == ("finished", 0, 1)
    assert run.stats["watchdog/packages_without_releases"] == 1
    assert run.watermark == datetime(2025, 4, 1, tzinfo=UTC)
    assert contracts(engine) == [
        (
            "ocds-r6ebe6-0000581860",
            "",
            "ng homes",
            None,
            None,
            None,
            NG_HOMES_NOTICE,
            "Five Year Electrical Inspection Contract, Various Addresses, North Glasgow",
        ),
        (
            "ocds-r6ebe6-0000790001",
            "1",
            "Example Housing Association",
            "Example Electrical Contractors (Scotland) Ltd",
            "SC999001",
            Decimal(412500),
            "https://www.publiccontractsscotland.gov.uk/search/show/search_view.aspx?ID=MAR790001",
            "Electrical Inspection and Testing, Two Lots",
        ),
        (
            "ocds-r6ebe6-0000790001",
            "2",
            "Example Housing Association",
            "Example Testing Services Ltd",
            None,
            Decimal(98000),
            "https://www.publiccontractsscotland.gov.uk/search/show/search_view.aspx?ID=MAR790001",
            "Electrical Inspection and Testing, Two Lots",
        ),
    ]
    with engine.connect() as connection:
        documents = set(connection.execute(text("SELECT url, publisher FROM documents")).all())
    assert (
        f"{scotland.url}/v1/Notice?id=ocds-r6ebe6-0000581860",
        "Public Contracts Scotland",
    ) in documents


def test_a_failing_notice_type_holds_its_month_back_and_the_crawl_goes_on(engine, database_url):
    """February's contract notices answer 500 every time, its award notices an HTML page with status 200
    twice: two errors, both counted; March is stored; the watermark stays at February."""
    with NoticeSoftware("https://api.publiccontractsscotland.gov.uk", PCS_AWARDS) as portal:
        portal.add("02-2025/2", None, SERVER_ERROR)
        portal.add("02-2025/3", None, HTML_WITH_200)
        portal.add("03-2025/3", None, portal.page(PCS_AWARDS["releases"], ""))
        result = crawl(database_url, "public_contracts_scotland", f"base_url={portal.url}", *TWO_MONTHS)

    assert result.returncode == 1, result.stderr[-3000:]
    run = last_run(engine)
    assert (run.status, run.errors) == ("failed", 2)
    assert "noticeType=2" in run.error_summary and "Ignoring non-200 response" in run.error_summary
    assert re.search(r"noticeType=3.*not valid JSON.*the rest of this window is skipped", result.stderr)
    assert run.watermark == datetime(2025, 2, 1, tzinfo=UTC)
    assert [(row[0], row[1], row[3]) for row in contracts(engine)] == [
        ("ocds-r6ebe6-0000790001", "1", "Example Electrical Contractors (Scotland) Ltd"),
        ("ocds-r6ebe6-0000790001", "2", "Example Testing Services Ltd"),
    ]


def test_crawling_the_same_months_twice_changes_no_count(scotland, engine, database_url):
    crawl(database_url, "public_contracts_scotland", f"base_url={scotland.url}", *TWO_MONTHS)
    counts = table_counts(engine)
    second = crawl(database_url, "public_contracts_scotland", f"base_url={scotland.url}", *TWO_MONTHS)
    assert second.returncode == 0, second.stderr[-3000:]
    assert re.search(r"contracts +0 new, \d+ updated", second.stdout), second.stdout
    assert table_counts(engine) == counts
    assert counts["contracts"] == 3 and counts["suppliers"] == 2


def test_sell2wales_reads_the_same_software_at_its_own_sites(engine, database_url):
    with NoticeSoftware("https://api.sell2wales.gov.wales", S2W_AWARDS) as portal:
        portal.add("02-2025/2", None, portal.page([devolved("sell2wales_release_tender_nhs_wales_ssp.json")], ""))
        portal.add("03-2025/3", None, portal.page(S2W_AWARDS["releases"], ""))
        result = crawl(database_url, "sell2wales", f"base_url={portal.url}", *TWO_MONTHS)

    assert result.returncode == 0, result.stderr[-3000:]
    assert len(portal.requests) == 4
    assert last_run(engine).watermark == datetime(2025, 4, 1, tzinfo=UTC)
    nwssp = "NHS Wales Shared Services Partnership-Procurement Services (hosted by Velindre University NHS Trust)"
    assert contracts(engine) == [
        (
            "ocds-kuma6s-148381",
            "",
            nwssp,
            None,
            None,
            None,
            "https://www.sell2wales.gov.wales/search/show/search_view.aspx?ID=FEB497899",
            "CRI Security Services",
        ),
        (
            "ocds-kuma6s-150002",
            "ocds-kuma6s-150002-award-1",
            "Example County Borough Council",
            "Example Security Wales Ltd",
            None,
            Decimal(236400),
            "https://www.sell2wales.gov.wales/search/show/search_view.aspx?ID=MAR500002",
            "Civic Centre Security Services",
        ),
    ]
    with engine.connect() as connection:
        publishers = set(connection.scalars(text("SELECT publisher FROM documents")))
        release_ids = set(connection.scalars(text("SELECT release_id FROM contract_releases")))
    assert publishers == {"Sell2Wales"}
    assert release_ids == {"ocds-kuma6s-148381-release-148381", "ocds-kuma6s-150002-release-150002"}


def test_months_are_calendar_months_and_a_resumed_crawl_reads_the_last_month_again():
    spider = PublicContractsScotlandSpider(from_date="2024-11-15", until_date="2025-02-10")
    windows = spider.plan_windows(datetime(2026, 1, 1, tzinfo=UTC))
    assert [(f"{start:%m-%Y}", f"{end:%Y-%m-%d}") for start, end in windows] == [
        ("11-2024", "2024-12-01"),
        ("12-2024", "2025-01-01"),
        ("01-2025", "2025-02-01"),
        ("02-2025", "2025-02-10"),
    ]
    assert spider.type_url(windows[0], 103) == (
        "https://api.publiccontractsscotland.gov.uk/v1/Notices?dateFrom=11-2024&noticeType=103&outputType=0"
    )
    resumed = PublicContractsScotlandSpider()
    resumed.previous_watermark = datetime(2025, 3, 3, 12, tzinfo=UTC)
    months = resumed.plan_windows(datetime(2025, 3, 20, tzinfo=UTC))
    assert [f"{start:%m-%Y}" for start, _ in months] == ["02-2025", "03-2025"]  # 7 days before 3 March
    assert len(resumed.notice_types) == 21


def test_unknown_notice_types_fail_before_any_request(scotland, engine, database_url):
    for notice_types in ("notice_types=3,99", "notice_types=awards"):
        result = crawl(database_url, "sell2wales", f"base_url={scotland.url}", notice_types)
        assert result.returncode == 2
        assert "notice_types takes numbers" in result.stderr
    assert scotland.requests == []
