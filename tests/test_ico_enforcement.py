"""The ico_enforcement spider, end to end against a fake ICO site: its JSON search endpoint (POST) and the pages of
the actions it lists, in the shape of the real ones (see tests/fixtures/PROVENANCE.md)."""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from crawling import crawl, last_run, table_counts
from sqlalchemy import text
from static_site import Page, StaticSite
from test_hse_convictions import REGULATORS, regulator_page, sha256_of, stored_actions

from watchdog.sources.spiders.ico_enforcement import penalty_amounts

ACTION = "/action-weve-taken/enforcement/{}/"
SEARCH_PAGES = {
    ("monetary-penalties", 1): "ico_search_monetary_penalties_page1.json",
    ("monetary-penalties", 2): "ico_search_monetary_penalties_page2.json",
    ("enforcement-notices", 1): "ico_search_enforcement_notices_page1.json",
    ("reprimands", 1): "ico_search_reprimands_page1.json",
}
READABLE = (
    "brackwater-health-ltd",
    "quenby-recruitment-limited",
    "fernbrook-data-services-ltd",
    "ashdown-lettings-ltd",
)


@dataclass
class ICOSite(StaticSite):
    """Pages by path for GET; the search endpoint answers a POST by the kind of action and page asked for, and
    the first ask for a search listed in `rate_limited_once` with a 429."""

    searches: list[tuple[str, int]] = field(default_factory=list)
    rate_limited_once: set[tuple[str, int]] = field(default_factory=set)

    def handler(self):
        handler = super().handler()
        site = self

        class SearchHandler(handler):
            def do_POST(self):
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                asked = (query["filters"][0]["values"][0], query["pageNumber"])
                site.searches.append(asked)
                if asked in site.rate_limited_once:
                    site.rate_limited_once.discard(asked)
                    status, headers, body = 429, {"Retry-After": "1"}, b"Too Many Requests"
                elif self.path == "/api/search" and asked in SEARCH_PAGES and query["rootPageId"] == 17222:
                    status, headers = 200, {"Content-Type": "application/json; charset=utf-8"}
                    body = (REGULATORS / SEARCH_PAGES[asked]).read_bytes()
                else:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return SearchHandler


@pytest.fixture
def ico():
    """Four listed actions with their pages, one penalty's page failing with a server error, and the reprimands'
    search rate limited once."""
    with ICOSite() as site:
        for slug in READABLE:
            site.pages[ACTION.format(slug)] = regulator_page(f"ico_action_{slug}.html")
        site.pages[ACTION.format("tolmere-marketing-ltd")] = Page(b"<h1>Server Error</h1>", status=500)
        site.rate_limited_once.add(("reprimands", 1))
        yield site


def test_a_crawl_stores_each_action_with_its_sums_and_counts_the_failed_page(ico, engine, database_url):
    result = crawl(database_url, "ico_enforcement", f"base_url={ico.url}")
    assert result.returncode == 1, result.stderr[-3000:]

    run = last_run(engine)
    assert (run.status, run.errors, run.items_stored, run.items_dropped) == ("failed", 1, 4, 0)
    assert f"{ACTION.format('tolmere-marketing-ltd')} could not be fetched" in run.error_summary
    assert run.retries >= 1  # the 429 on the reprimands' search, asked again after its wait
    assert sorted(set(ico.searches)) == sorted(SEARCH_PAGES)

    actions = stored_actions(engine)
    assert sorted(actions) == sorted(f"ico:{slug}" for slug in READABLE)
    assert actions["ico:brackwater-health-ltd"] == {
        "supplier": "Brackwater Health Ltd",
        "kind": "fine",
        "authority": "Information Commissioner's Office",
        "date": (date(2025, 3, 12), "day", "12 March 2025"),
        "case_reference": None,
        "title": "Brackwater Health Ltd",
        "basis": "official",
        "amounts": {"fine": (Decimal("120000"), "GBP", "£120,000")},
        "source": (
            f"{ico.url}{ACTION.format('brackwater-health-ltd')}",
            "regulator",
            "Information Commissioner's Office",
            sha256_of("ico_action_brackwater-health-ltd.html"),
        ),
        "evidence": "The ICO has fined Brackwater Health Ltd £120,000 for failing to keep the records of 4,200 "
        "patients secure.",
    }
    quenby = actions["ico:quenby-recruitment-limited"]
    assert quenby["amounts"] == {
        "fine": (Decimal("80000"), "GBP", "£80,000"),
        "fine_before_appeal": (Decimal("200000"), "GBP", "£200,000"),
    }
    assert quenby["evidence"].endswith("the First-tier Tribunal reduced the penalty from £200,000 to £80,000.")
    notice, reprimand = actions["ico:fernbrook-data-services-ltd"], actions["ico:ashdown-lettings-ltd"]
    assert (notice["kind"], notice["amounts"], notice["date"][0]) == ("enforcement_notice", {}, date(2024, 6, 20))
    # "a penalty of up to £17.5 million" is what failing the notice can cost, not a sum imposed: not read.
    assert (reprimand["kind"], reprimand["amounts"], reprimand["supplier"]) == ("reprimand", {}, "Ashdown Lettings Ltd")


def test_the_sum_before_an_appeal_is_kept_but_not_added_up(ico, engine, database_url):
    crawl(database_url, "ico_enforcement", f"base_url={ico.url}")
    with engine.connect() as connection:
        record = dict(
            connection.execute(
                text("SELECT supplier_name, penalties_value_gbp FROM supplier_record WHERE enforcement_count > 0")
            ).all()
        )
    assert {name: Decimal(value) for name, value in record.items()} == {
        "Brackwater Health Ltd": Decimal("120000"),
        "Quenby Recruitment Limited": Decimal("80000"),
        "Fernbrook Data Services Ltd": Decimal("0"),
        "Ashdown Lettings Ltd": Decimal("0"),
    }


def test_crawling_twice_adds_no_row(ico, engine, database_url):
    crawl(database_url, "ico_enforcement", f"base_url={ico.url}")
    counts = table_counts(engine)
    assert counts["enforcement_actions"] == 4 and counts["enforcement_amounts"] == 3
    crawl(database_url, "ico_enforcement", f"base_url={ico.url}")
    assert table_counts(engine) == counts
    assert last_run(engine).items_stored == 4


def test_max_pages_reads_only_the_newest_search_pages(ico, engine, database_url):
    result = crawl(database_url, "ico_enforcement", f"base_url={ico.url}", "max_pages=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "read the newest 1 of 2 search pages of monetary-penalties (max_pages)" in result.stderr
    assert ("monetary-penalties", 2) not in ico.searches
    assert len(stored_actions(engine)) == 4


def test_a_search_page_that_is_not_json_is_an_error_and_the_other_kinds_are_still_read(ico, engine, database_url):
    broken = REGULATORS / SEARCH_PAGES[("enforcement-notices", 1)]
    SEARCH_PAGES[("enforcement-notices", 1)] = "ico_action_ashdown-lettings-ltd.html"
    try:
        crawl(database_url, "ico_enforcement", f"base_url={ico.url}", "max_pages=1")
    finally:
        SEARCH_PAGES[("enforcement-notices", 1)] = broken.name
    run = last_run(engine)
    assert run.errors == 1
    assert "search page 1 of enforcement-notices could not be read" in run.error_summary
    assert sorted(stored_actions(engine)) == [
        "ico:ashdown-lettings-ltd",
        "ico:brackwater-health-ltd",
        "ico:quenby-recruitment-limited",
    ]


def test_bad_arguments_fail_before_any_request(ico, engine, database_url):
    for argument in ("max_pages=0", "base_url=ftp://mirror", "party=Serco"):
        result = crawl(database_url, "ico_enforcement", f"base_url={ico.url}", argument)
        assert result.returncode == 2, argument
        assert result.stderr.startswith("Error: ")
    assert ico.requests == [] and ico.searches == []


@pytest.mark.parametrize(
    "sentence",
    [
        "On appeal, the First-tier Tribunal reduced the penalty from £200,000 to £80,000.",
        "The penalty was reduced to £80,000 on appeal from £200,000.",
    ],
)
def test_a_penalty_reduced_on_appeal_is_the_smaller_sum_whichever_order_the_sentence_gives(sentence):
    amounts, said = penalty_amounts(["The ICO fined the company.", sentence])
    assert [(money.kind, money.amount) for money in amounts] == [
        ("fine", Decimal("80000")),
        ("fine_before_appeal", Decimal("200000")),
    ]
    assert said == sentence
