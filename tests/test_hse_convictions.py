"""The hse_convictions spider, end to end against a fake HSE register serving pages in the register's markup."""

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from crawling import crawl, last_run, table_counts
from sqlalchemy import select
from sqlalchemy.orm import Session
from static_site import Page, StaticSite

from watchdog.database.models import Document, EnforcementAction, EnforcementActionSource, EnforcementAmount, Supplier

LIST = "/case/case_list.asp?PN={}&ST=C&EO=LIKE&SN=F&SF=DN&SV=&SO=DODS"
CASE = "/case/case_details.asp?SF=CN&SV={}"
READABLE_CASES = ("4861001", "4861003", "4861004", "4860950")
REGULATORS = Path(__file__).parent / "fixtures" / "regulators"


def regulator_page(name: str) -> Page:
    return Page((REGULATORS / name).read_bytes())


def paths_asked(site: StaticSite) -> list[str]:
    return [path for path, _ in site.requests if path != "/robots.txt"]


@pytest.fixture
def register():
    """Two list pages of five cases, newest first; case 4861002's page broke off in a database error."""
    with StaticSite() as site:
        site.pages[LIST.format(1)] = regulator_page("hse_case_list_page1.html")
        site.pages[LIST.format(2)] = regulator_page("hse_case_list_page2.html")
        for case in READABLE_CASES:
            site.pages[CASE.format(case)] = regulator_page(f"hse_case_{case}.html")
        site.pages[CASE.format("4861002")] = regulator_page("hse_case_4861002_server_error.html")
        yield site


def stored_actions(engine) -> dict[str, dict]:
    """Every stored enforcement action by fact_key: what it is, whom it names, its sums and its source."""
    with Session(engine) as session:
        rows = session.execute(
            select(EnforcementAction, Supplier.name, Document, EnforcementActionSource.evidence)
            .join(Supplier, Supplier.id == EnforcementAction.supplier_id)
            .join(EnforcementActionSource, EnforcementActionSource.enforcement_action_id == EnforcementAction.id)
            .join(Document, Document.id == EnforcementActionSource.document_id)
        ).all()
        amounts = session.scalars(select(EnforcementAmount)).all()
        return {
            action.fact_key: {
                "supplier": supplier,
                "kind": action.kind,
                "authority": action.authority,
                "date": (action.action_date, action.date_precision, action.date_text),
                "case_reference": action.case_reference,
                "title": action.title,
                "basis": action.basis,
                "amounts": {
                    amount.kind: (Decimal(amount.amount), amount.currency, amount.amount_text)
                    for amount in amounts
                    if amount.enforcement_action_id == action.id
                },
                "source": (document.url, document.kind, document.publisher, document.content_sha256),
                "evidence": evidence,
            }
            for action, supplier, document, evidence in rows
        }


def sha256_of(fixture: str) -> str:
    return hashlib.sha256((REGULATORS / fixture).read_bytes()).hexdigest()


def test_a_crawl_stores_every_readable_case_and_counts_the_broken_page_as_an_error(register, engine, database_url):
    result = crawl(database_url, "hse_convictions", f"base_url={register.url}")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "errors          1" in result.stdout

    run = last_run(engine)
    assert (run.status, run.errors, run.items_stored, run.items_dropped) == ("failed", 1, 4, 0)
    assert f"{CASE.format('4861002')} could not be read: case 4861002 has no Defendant" in run.error_summary
    assert run.arguments == {"base_url": register.url}

    actions = stored_actions(engine)
    assert sorted(actions) == sorted(f"hse:{case}" for case in READABLE_CASES)
    legionella = "Failed to manage the risk of exposure to legionella in the water systems of a hospital it maintained"
    assert actions["hse:4861001"] == {
        "supplier": "Tarrowby Facilities Management Ltd",
        "kind": "fine",
        "authority": "Health and Safety Executive",
        "date": (date(2024, 3, 14), "day", "14/03/2024"),
        "case_reference": "4861001",
        "title": legionella,
        "basis": "official",
        "amounts": {
            "fine": (Decimal("160000"), "GBP", "£160,000.00"),
            "costs": (Decimal("9875.40"), "GBP", "£9,875.40"),
        },
        "source": (
            f"{register.url}{CASE.format('4861001')}",
            "regulator",
            "Health and Safety Executive",
            sha256_of("hse_case_4861001.html"),
        ),
        "evidence": legionella,
    }
    quillfern = actions["hse:4861003"]
    assert (quillfern["supplier"], quillfern["date"]) == (
        "Quillfern Groundworks Limited",
        (date(2023, 11, 2), "day", "02/11/2023"),
    )
    assert quillfern["amounts"] == {
        "fine": (Decimal("48000"), "GBP", "£48,000.00"),
        "costs": (Decimal("6120"), "GBP", "£6,120.00"),
    }
    ostlea = actions["hse:4860950"]  # on the second list page; its offence date is blank
    assert (ostlea["supplier"], ostlea["date"], ostlea["case_reference"]) == (
        "Ostlea Joinery Ltd",
        (None, "unknown", None),
        "4860950",
    )


def test_the_description_keeps_where_and_in_which_industry(register, engine, database_url):
    crawl(database_url, "hse_convictions", f"base_url={register.url}")
    with Session(engine) as session:
        description = session.scalar(select(EnforcementAction.description).filter_by(fact_key="hse:4861004"))
    assert description == (
        "Employee's arm drawn into an unguarded conveyor. Industry: Extractive and utility supply industries. "
        "Main Activity: 38320 - RECOVERY OF SORTED MATERIALS. Local Authority: Burnley. "
        "Address: Unit 3 Canalside Works, Wharf Street, BURNLEY, Lancashire, BB11 1JG, England"
    )


def test_two_convictions_of_one_company_with_the_same_fine_in_one_year_stay_two(register, engine, database_url):
    page = (REGULATORS / "hse_case_4861003.html").read_bytes()
    register.pages[CASE.format("4861002")] = Page(
        page.replace(b"4861003", b"4861002").replace(b"02/11/2023", b"10/05/2023")
    )
    crawl(database_url, "hse_convictions", f"base_url={register.url}", settings=("WATCHDOG_BATCH_SIZE=1",))
    actions = stored_actions(engine)
    assert actions["hse:4861002"]["date"][0] == date(2023, 5, 10)
    assert actions["hse:4861003"]["date"][0] == date(2023, 11, 2)


def test_crawling_twice_adds_no_row(register, engine, database_url):
    crawl(database_url, "hse_convictions", f"base_url={register.url}")
    counts = table_counts(engine)
    assert counts["enforcement_actions"] == 4 and counts["enforcement_amounts"] == 8
    second = crawl(database_url, "hse_convictions", f"base_url={register.url}")
    assert second.returncode == 1
    assert table_counts(engine) == counts
    assert last_run(engine).items_stored == 4


def test_max_pages_reads_only_the_newest_list_pages(register, engine, database_url):
    result = crawl(database_url, "hse_convictions", f"base_url={register.url}", "max_pages=1")
    assert "read the newest 1 of 2 list pages (max_pages)" in result.stderr
    assert LIST.format(2) not in paths_asked(register)
    assert "hse:4860950" not in stored_actions(engine)
    assert len(stored_actions(engine)) == 3


def test_bad_arguments_fail_before_any_request(register, engine, database_url):
    for argument in ("max_pages=0", "max_pages=some", "base_url=ftp://mirror", "colour=blue"):
        result = crawl(database_url, "hse_convictions", f"base_url={register.url}", argument)
        assert result.returncode == 2, argument
        assert result.stderr.startswith("Error: ")
    assert register.requests == []
