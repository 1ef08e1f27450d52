"""The README's six questions give the right answers on the sample data: the Serco example and the real releases."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import serco
from fake_portal import REALDATA
from sqlalchemy import text

from watchdog.cli.crawl import project_settings
from watchdog.sources.ingest import Ingest
from watchdog.storage.store import Store

README = Path(__file__).resolve().parent.parent / "README.md"
LATEST_FILE = "fts_release_package_2026-10-06_limit4.json"


def readme_queries() -> dict[int, str]:
    """The SQL blocks of the README's "Six questions" section, by question number."""
    section = README.read_text(encoding="utf-8").split("### Six questions, six queries", 1)[1].split("\n### ")[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    return {int(re.match(r"-- (\d)\.", block).group(1)): block for block in blocks}


@pytest.fixture
def sample(database_url, engine):
    """The Serco example, then every real release but Find a Tender's, then Find a Tender's as the latest run."""
    Store(engine).write(serco.ALL_ITEMS)
    settings = project_settings(database_url, {})
    Ingest(database_url, settings).run(sorted(p for p in REALDATA.glob("*.json") if p.name != LATEST_FILE))
    Ingest(database_url, settings).run([REALDATA / LATEST_FILE])
    return engine


def answer(engine, number):
    with engine.connect() as connection:
        return [row._asdict() for row in connection.execute(text(readme_queries()[number]))]


def day(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def pounds(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_the_readme_has_the_six_questions():
    assert sorted(readme_queries()) == [1, 2, 3, 4, 5, 6]


def test_everything_about_a_group_newest_first_with_sources(sample):
    rows = answer(sample, 1)
    assert [(day(r["event_date"]), r["event_type"], r["event_kind"], r["amount_kind"]) for r in rows] == [
        ("2020-05-01", "contract", "award", "initial_value"),
        ("2020-05-01", "incident", "data_breach", None),
        ("2019-07-01", "enforcement", "dpa_penalty", "costs"),
        ("2019-07-01", "enforcement", "dpa_penalty", "dpa_penalty"),
        ("2016-01-01", "enforcement", "service_credit", "service_credit"),
        ("2013-12-01", "enforcement", "repayment", "repayment"),
    ]
    assert rows[0]["source_url"] == "https://www.contractsfinder.service.gov.uk/Notice/serco-test-and-trace"
    assert rows[4]["date_precision"] == "year" and rows[0]["shared_award"] == 0


def test_contracts_won_after_trouble_and_how_soon(sample):
    rows = answer(sample, 2)
    assert [(r["group_name"], r["what_went_wrong"], r["contract"], r["months_after"]) for r in rows] == [
        ("Serco Group plc", "dpa_penalty", "COVID-19 contact tracing service", 10),
        ("Serco Group plc", "service_credit", "COVID-19 contact tracing service", 52),
        ("Serco Group plc", "repayment", "COVID-19 contact tracing service", 77),
    ]


def test_top_suppliers_by_what_they_won_alone_with_their_record_beside(sample):
    rows = answer(sample, 3)
    top = [(r["supplier_name"], r["contracts"], pounds(r["won_alone_gbp"])) for r in rows[:4]]
    assert top == [
        ("SERCO LIMITED", 1, pounds(108000000)),
        ("Solirius Ltd", 1, pounds(60000000)),
        ("Northrup Grumman", 1, pounds(39200000)),
        ("Hays Specialist Recruitment Limited", 1, pounds(25755000)),
    ]
    serco_row = rows[0]
    assert (serco_row["enforcement_count"], serco_row["incidents_count"]) == (3, 1)
    assert pounds(serco_row["penalties_value_gbp"]) == pounds(19200000 + 3700000 + 1000000 + 68500000)


def test_contracts_whose_value_changed(sample):
    rows = answer(sample, 4)
    assert [(r["change_kind"], r["buyer_name"], pounds(r["first_value"]), pounds(r["latest_value"])) for r in rows] == [
        ("corrected", "Southampton City Council", pounds(10932000), pounds(109320)),
    ]
    assert pounds(rows[0]["value_change"]) == pounds(-10822680)


def test_buyers_that_kept_awarding_after_trouble(sample):
    rows = answer(sample, 5)
    assert [(r["buyer_name"], r["group_name"], r["awards_after"]) for r in rows] == [
        ("Department of Health and Social Care", "Serco Group plc", 1),
    ]
    assert day(rows[0]["first_trouble"]) == "2013-12-01"


def test_what_the_latest_run_found(sample):
    rows = answer(sample, 6)
    assert sorted(r["supplier_name"] for r in rows) == ["BiP Solutions Ltd", "Chess ICT", "SWITCH UP C.I.C."]
    assert {r["event_type"] for r in rows} == {"contract"}
