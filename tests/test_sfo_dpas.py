"""The sfo_dpas spider, end to end against a fake SFO site serving case pages in the shape of the real ones."""

from datetime import date
from decimal import Decimal

import pytest
from crawling import crawl, last_run, table_counts
from sqlalchemy import text
from static_site import StaticSite
from test_hse_convictions import paths_asked, regulator_page, sha256_of, stored_actions

CASE_PAGES = {
    "serco": "sfo_case_serco.html",
    "g4s": "sfo_case_g4s.html",
    "navigation-equipment-investigation": "sfo_case_navigation_equipment_no_dpa.html",
    "corvale-systems-ltd": "sfo_case_corvale_truncated.html",
}


@pytest.fixture
def sfo():
    """The list of cases and four case pages: two DPAs, an investigation with none, and a page cut off in its
    DPA section."""
    with StaticSite() as site:
        site.pages["/our-cases/"] = regulator_page("sfo_our_cases.html")
        for slug, fixture in CASE_PAGES.items():
            site.pages[f"/cases/{slug}/"] = regulator_page(fixture)
        yield site


def test_a_crawl_stores_each_dpa_and_counts_the_cut_off_page_as_an_error(sfo, engine, database_url):
    result = crawl(database_url, "sfo_dpas", f"base_url={sfo.url}")
    assert result.returncode == 1, result.stderr[-3000:]

    run = last_run(engine)
    assert (run.status, run.errors, run.items_stored) == ("failed", 1, 2)
    assert "/cases/corvale-systems-ltd/ could not be read: its DPA section names no company" in run.error_summary
    assert sorted(paths_asked(sfo)) == sorted(["/our-cases/", *(f"/cases/{slug}/" for slug in CASE_PAGES)])

    actions = stored_actions(engine)
    assert sorted(actions) == ["sfo:dpa:g4s", "sfo:dpa:serco"]
    assert actions["sfo:dpa:serco"] == {
        "supplier": "Serco Geografix Ltd",
        "kind": "dpa_penalty",
        "authority": "Serious Fraud Office",
        "date": (date(2019, 7, 4), "day", "4 July 2019"),
        "case_reference": None,
        "title": "Deferred prosecution agreement with Serco Geografix Ltd",
        "basis": "official",
        # The £12.8m compensation the page mentions was paid in 2013, not under the DPA: it is not read.
        "amounts": {
            "dpa_penalty": (Decimal("19200000"), "GBP", "£19.2 million"),
            "costs": (Decimal("3700000"), "GBP", "£3.7m"),
        },
        "source": (f"{sfo.url}/cases/serco/", "regulator", "Serious Fraud Office", sha256_of("sfo_case_serco.html")),
        "evidence": "SGL will pay a financial penalty of £19.2 million, and the full amount of the SFO’s "
        "investigative costs (£3.7m).",
    }
    g4s = actions["sfo:dpa:g4s"]
    assert g4s["supplier"] == "G4S Care and Justice Services (UK) Ltd"
    assert g4s["date"] == (date(2020, 7, 17), "day", "17 July")  # "On Friday 17 July", after "On 10 July 2020"
    assert g4s["amounts"] == {
        "dpa_penalty": (Decimal("38500000"), "GBP", "£38.5m"),
        "costs": (Decimal("5900000"), "GBP", "£5.9m"),
    }


def test_the_subsidiary_that_signed_is_read_within_its_group(sfo, engine, database_url):
    crawl(database_url, "sfo_dpas", f"base_url={sfo.url}")
    with engine.connect() as connection:
        groups = dict(connection.execute(text("SELECT supplier_name, group_name FROM supplier_groups")).all())
        penalties = connection.execute(
            text("SELECT penalties_value_gbp FROM group_record WHERE group_name = 'Serco Group plc'")
        ).scalar_one()
    assert groups["Serco Geografix Ltd"] == "Serco Group plc"
    assert groups["G4S Care and Justice Services (UK) Ltd"] == "G4S plc"
    assert Decimal(penalties) == Decimal("22900000")


def test_crawling_twice_adds_no_row(sfo, engine, database_url):
    crawl(database_url, "sfo_dpas", f"base_url={sfo.url}")
    counts = table_counts(engine)
    assert counts["enforcement_actions"] == 2 and counts["enforcement_amounts"] == 4
    crawl(database_url, "sfo_dpas", f"base_url={sfo.url}")
    assert table_counts(engine) == counts


def test_cases_reads_only_the_pages_named(sfo, engine, database_url):
    result = crawl(database_url, "sfo_dpas", f"base_url={sfo.url}", "cases=serco")
    assert result.returncode == 0, result.stderr[-3000:]
    assert paths_asked(sfo) == ["/cases/serco/"]
    assert sorted(stored_actions(engine)) == ["sfo:dpa:serco"]


def test_bad_arguments_fail_before_any_request(sfo, engine, database_url):
    for argument in ("cases=", "cases=../wp-admin", "cases=serco,,g4s", "base_url=ftp://mirror", "max_pages=2"):
        result = crawl(database_url, "sfo_dpas", f"base_url={sfo.url}", argument)
        assert result.returncode == 2, argument
        assert result.stderr.startswith("Error: ")
    assert sfo.requests == []
