"""The find_case_law spider, end to end against a fake Find Case Law serving a party's Atom feed and each judgment's
LegalDocML, in the shape of the real ones (see tests/fixtures/PROVENANCE.md)."""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from crawling import crawl, last_run, table_counts
from sqlalchemy import text
from static_site import Page, StaticSite
from test_hse_convictions import paths_asked, stored_actions

from watchdog.sources.spiders.find_case_law import ordered_payments

CASELAW = Path(__file__).parent / "fixtures" / "caselaw"
PARTY = "Harlow Fleet Services Limited"
FEED = "/atom.xml?party=Harlow+Fleet+Services+Limited&order=-date&page={}"
JUDGMENTS = {
    "/ewhc/tcc/2024/1501/data.xml": "judgment_ewhc_tcc_2024_1501.xml",
    "/ewca/civ/2023/880/data.xml": "judgment_ewca_civ_2023_880.xml",
    "/ewhc/kb/2023/402/data.xml": "judgment_ewhc_kb_2023_402.xml",
}
XML = "application/akn+xml"


def caselaw_page(name: str, content_type: str = XML) -> Page:
    return Page((CASELAW / name).read_bytes(), content_type)


@dataclass
class CaseLawSite(StaticSite):
    """Pages by path; the first ask for a path in `rate_limited_once` is answered 429."""

    rate_limited_once: set[str] = field(default_factory=set)

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        if path in self.rate_limited_once:
            self.rate_limited_once.discard(path)
            self.requests.append((path, None))
            return 429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"Too Many Requests"
        return super().answer(path, headers)


@pytest.fixture
def caselaw():
    """Two feed pages of four judgments found by the party search: two name the party, one names only a council
    of a similar name, and one's XML fails with a server error; the first feed page is rate limited once."""
    with CaseLawSite() as site:
        site.pages[FEED.format(1)] = caselaw_page("feed_harlow_page1.xml", "application/atom+xml")
        site.pages[FEED.format(2)] = caselaw_page("feed_harlow_page2.xml", "application/atom+xml")
        for path, fixture in JUDGMENTS.items():
            site.pages[path] = caselaw_page(fixture)
        site.pages["/ewhc/comm/2022/77/data.xml"] = Page(b"Internal Server Error", "text/plain", 500)
        site.rate_limited_once.add(FEED.format(1))
        yield site


def test_a_crawl_stores_the_judgments_naming_the_party_with_what_it_was_ordered_to_pay(caselaw, engine, database_url):
    result = crawl(database_url, "find_case_law", f"base_url={caselaw.url}", f"party={PARTY}")
    assert result.returncode == 1, result.stderr[-3000:]

    run = last_run(engine)
    assert (run.status, run.errors, run.items_stored, run.items_dropped) == ("failed", 1, 2, 0)
    assert "/ewhc/comm/2022/77/data.xml could not be fetched" in run.error_summary
    assert run.retries >= 1  # the rate-limited feed page, asked again after its wait
    assert paths_asked(caselaw).count(FEED.format(1)) == 2

    actions = stored_actions(engine)
    assert sorted(actions) == [
        "caselaw:ewca/civ/2023/880:harlow fleet services",
        "caselaw:ewhc/tcc/2024/1501:harlow fleet services",
    ]
    xml = (CASELAW / "judgment_ewhc_tcc_2024_1501.xml").read_bytes()
    tcc = actions["caselaw:ewhc/tcc/2024/1501:harlow fleet services"]
    assert tcc.pop("supplier") in ("HARLOW FLEET SERVICES LIMITED", PARTY)  # one supplier, either spelling shown
    assert tcc == {
        "kind": "judgment",
        "authority": "High Court (Technology and Construction Court)",
        "date": (date(2024, 6, 14), "day", "2024-06-14"),
        "case_reference": "[2024] EWHC 1501 (TCC)",
        "title": "Westmarch County Council v Harlow Fleet Services Limited",
        "basis": "official",
        "amounts": {
            "compensation": (Decimal("412500"), "GBP", "£412,500"),
            "costs": (Decimal("38200"), "GBP", "£38,200"),
        },
        "source": (
            f"{caselaw.url}/ewhc/tcc/2024/1501/data.xml",
            "regulator",
            "The National Archives (Find Case Law)",
            hashlib.sha256(xml).hexdigest(),
        ),
        "evidence": "The defendant shall pay the claimant damages of £412,500 and its costs of the claim, summarily "
        "assessed at £38,200, within 28 days.",
    }
    appeal = actions["caselaw:ewca/civ/2023/880:harlow fleet services"]
    # The supplier won: what the respondent must pay it is not a sum against it.
    assert (appeal["case_reference"], appeal["authority"], appeal["amounts"]) == (
        "[2023] EWCA Civ 880",
        "Court of Appeal (Civil Division)",
        {},
    )
    assert appeal["evidence"] == "Harlow Fleet Services Limited is a party to [2023] EWCA Civ 880"


def test_both_spellings_of_the_party_are_one_supplier(caselaw, engine, database_url):
    crawl(database_url, "find_case_law", f"base_url={caselaw.url}", f"party={PARTY}")
    with engine.connect() as connection:
        suppliers = connection.execute(text("SELECT DISTINCT supplier_id FROM enforcement_actions")).all()
        names = connection.execute(text("SELECT name FROM supplier_aliases ORDER BY name")).scalars().all()
        supplier_count = connection.execute(text("SELECT COUNT(*) FROM suppliers")).scalar_one()
    assert len(suppliers) == 1
    assert names == ["HARLOW FLEET SERVICES LIMITED", PARTY]
    assert supplier_count == 1  # Harlow District Council, in the feed, is not a party asked for


def test_crawling_twice_adds_no_row(caselaw, engine, database_url):
    crawl(database_url, "find_case_law", f"base_url={caselaw.url}", f"party={PARTY}")
    counts = table_counts(engine)
    assert counts["enforcement_actions"] == 2 and counts["enforcement_amounts"] == 2
    crawl(database_url, "find_case_law", f"base_url={caselaw.url}", f"party={PARTY}")
    assert table_counts(engine) == counts
    assert last_run(engine).items_stored == 2


def test_a_feed_that_is_not_atom_is_an_error(caselaw, engine, database_url):
    caselaw.pages[FEED.format(1)] = Page(b"<html><body>Service unavailable</body></html>")
    result = crawl(database_url, "find_case_law", f"base_url={caselaw.url}", f"party={PARTY}")
    assert result.returncode == 1
    run = last_run(engine)
    assert (run.errors, run.items_stored) == (1, 0)
    assert "feed page 1 of party 'Harlow Fleet Services Limited'" in run.error_summary


def test_max_pages_reads_only_the_newest_feed_pages(caselaw, engine, database_url):
    result = crawl(database_url, "find_case_law", f"base_url={caselaw.url}", f"party={PARTY}", "max_pages=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert FEED.format(2) not in paths_asked(caselaw)
    assert len(stored_actions(engine)) == 2


def test_bad_arguments_fail_before_any_request(caselaw, engine, database_url):
    for arguments in ((), ("party=",), ("party=Serco||G4S",), (f"party={PARTY}", "max_pages=0"), ("query=fraud",)):
        result = crawl(database_url, "find_case_law", f"base_url={caselaw.url}", *arguments)
        assert result.returncode == 2, arguments
        assert result.stderr.startswith("Error: ")
    assert caselaw.requests == []


def test_what_the_other_side_is_ordered_to_pay_is_not_charged_to_the_party():
    sentence = "The Claimant succeeds and the Defendant shall pay the Claimant damages of £250,000 and costs of £40,000"
    claimant = ["Harlow Fleet Services Limited", "the claimant"]
    defendant = ["Westmarch County Council", "the defendant"]
    assert ordered_payments([sentence], claimant, defendant) == ([], None)
    amounts, said = ordered_payments([sentence], defendant, claimant)
    assert [(money.kind, money.amount) for money in amounts] == [
        ("compensation", Decimal("250000")),
        ("costs", Decimal("40000")),
    ]
    assert said == sentence
