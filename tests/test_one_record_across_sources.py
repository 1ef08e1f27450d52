"""A supplier the record meets in two sources, spelt two ways, is one supplier: a Scottish council's award (with its
company number) and an ICO penalty (a name only) show in one record."""

import json
import shutil
from decimal import Decimal

import test_ico_enforcement
from crawling import crawl
from fake_portal import FIXTURES
from sqlalchemy import text
from static_site import Page
from test_ico_enforcement import ACTION, ICOSite

from watchdog.cli.crawl import project_settings
from watchdog.sources.ingest import Ingest

SCOTTISH_AWARDS = FIXTURES / "devolved" / "pcs_package_2025-03_type3_award_reconstructed.json"
AS_PUBLISHED = "Example Electrical Contractors (Scotland) Ltd"  # on the award, with company number SC999001
AS_THE_ICO_SPELLS_IT = "EXAMPLE ELECTRICAL CONTRACTORS (SCOTLAND) LIMITED"
SLUG = "example-electrical-contractors-scotland-limited"


def ico_site_fining(name: str, tmp_path, monkeypatch) -> ICOSite:
    """The recorded ICO search, its first penalty given to `name` (the notice's page too), served locally."""
    regulators = tmp_path / "regulators"
    shutil.copytree(test_ico_enforcement.REGULATORS, regulators)
    search = json.loads((regulators / "ico_search_monetary_penalties_page1.json").read_text(encoding="utf-8"))
    search["results"][0].update(title=name, url=ACTION.format(SLUG))
    search["results"] = search["results"][:1]
    search["pagination"] = {"totalPages": 1, "hasMore": False}
    (regulators / "ico_search_monetary_penalties_page1.json").write_text(json.dumps(search), encoding="utf-8")
    monkeypatch.setattr(test_ico_enforcement, "REGULATORS", regulators)
    page = (regulators / "ico_action_brackwater-health-ltd.html").read_text(encoding="utf-8")
    site = ICOSite()
    site.pages[ACTION.format(SLUG)] = Page(page.replace("Brackwater Health Ltd", name).encode())
    return site


def test_a_scottish_award_and_an_ico_penalty_under_two_spellings_are_one_record(
    engine, database_url, tmp_path, monkeypatch
):
    Ingest(database_url, project_settings(database_url, {})).run([SCOTTISH_AWARDS])
    with ico_site_fining(AS_THE_ICO_SPELLS_IT, tmp_path, monkeypatch) as ico:
        crawl(database_url, "ico_enforcement", f"base_url={ico.url}", "max_pages=1")
    with engine.connect() as connection:
        [record] = connection.execute(
            text(
                "SELECT supplier_id, supplier_name, company_number, contracts_count, contracts_value_gbp, "
                "enforcement_count, penalties_value_gbp FROM supplier_record WHERE company_number = 'SC999001'"
            )
        ).all()
        spellings = connection.execute(
            text("SELECT name FROM supplier_aliases WHERE supplier_id = :id ORDER BY name"), {"id": record.supplier_id}
        ).scalars()
        events = connection.execute(
            text(
                "SELECT event_type, event_kind, amount_gbp, buyer_or_authority FROM supplier_events "
                "WHERE supplier_id = :id ORDER BY event_type"
            ),
            {"id": record.supplier_id},
        ).all()
    assert (record.supplier_name, record.contracts_count, Decimal(record.contracts_value_gbp)) == (
        AS_PUBLISHED,
        1,
        Decimal("412500"),
    )
    assert (record.enforcement_count, Decimal(record.penalties_value_gbp)) == (1, Decimal("120000"))
    assert sorted(spellings) == sorted({AS_PUBLISHED, AS_THE_ICO_SPELLS_IT})
    assert [(event.event_type, event.event_kind, Decimal(event.amount_gbp)) for event in events] == [
        ("contract", "award", Decimal("412500")),
        ("enforcement", "fine", Decimal("120000")),
    ]
    assert [event.buyer_or_authority for event in events] == [
        "Example Housing Association",
        "Information Commissioner's Office",
    ]
