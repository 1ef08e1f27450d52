"""The news spider end to end: feeds (RSS and Atom) and article pages in real outlets' markup, the facts read
from them, stored as reports with their sentences, and one fact told twice stored once."""

from decimal import Decimal

import pytest
from crawling import crawl, last_run
from sqlalchemy import text
from static_site import Page, StaticSite

FIXTURES = "tests/fixtures/news"
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>The Daily Example: UK news</title><link>https://news.example/uk-news</link>
<description>UK news</description>
<item><title>Serco's record</title><link>{site}/uk-news/2020/jun/01/serco-record-contracts-deductions-data-breach</link>
<pubDate>Mon, 01 Jun 2020 05:00:00 GMT</pubDate></item>
<item><title>Testing capacity passes three million a day</title><link>{site}/uk-news/2020/jun/02/testing-capacity</link>
<pubDate>Tue, 02 Jun 2020 05:00:00 GMT</pubDate></item>
<item><title>A page that fails</title><link>{site}/uk-news/broken</link></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Broadcasting - Business</title>
<id>https://broadcast.example/news/business</id><updated>2019-07-04T11:12:05Z</updated>
<entry><title>Outsourcer's subsidiary settles fraud case</title><id>urn:example:49012345</id>
<link href="{site}/news/business-49012345"/><updated>2019-07-04T11:12:05Z</updated></entry>
</feed>"""


def article(name: str, site_url: str) -> Page:
    """A fixture page, its canonical link moved from the outlet's host to the test site, as a feed's link is."""
    with open(f"{FIXTURES}/{name}", "rb") as page:
        body = page.read()
    for host in (b"https://news.example", b"https://broadcast.example"):
        body = body.replace(host, site_url.encode())
    return Page(body)


@pytest.fixture
def site():
    with StaticSite() as site:
        site.pages.update(
            {
                "/uk-news/rss": Page(RSS.format(site=site.url).encode(), "application/rss+xml", etag='"rss-1"'),
                "/business/atom.xml": Page(ATOM.format(site=site.url).encode(), "application/atom+xml"),
                "/politics/rss": Page(b"<!DOCTYPE html><html><body>Service unavailable</body></html>"),
                "/uk-news/2020/jun/01/serco-record-contracts-deductions-data-breach": article(
                    "serco_record.html", site.url
                ),
                "/uk-news/2020/jun/02/testing-capacity": article("testing_capacity.html", site.url),
                "/uk-news/broken": Page(b"<html><body>error</body></html>", status=500),
                "/news/business-49012345": article("dpa_followup.html", site.url),
            }
        )
        yield site


def feeds(site) -> str:
    return "feeds=" + ",".join(f"{site.url}{path}" for path in ("/uk-news/rss", "/business/atom.xml", "/politics/rss"))


def rows(engine, sql):
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def money(value):
    return None if value is None else Decimal(str(value)).normalize()


def test_the_serco_article_gives_the_domain_facts_with_their_sentences(site, engine, database_url):
    result = crawl(database_url, "news", feeds(site))
    assert result.returncode == 1, result.stderr[-3000:]  # the broken article page is an error

    contracts = rows(engine, "SELECT s.name, c.initial_value, c.maximum_value, c.awarded_on, c.date_precision, c.basis "
                             "FROM contracts c JOIN contract_suppliers cs ON cs.contract_id = c.id "
                             "JOIN suppliers s ON s.id = cs.supplier_id")  # fmt: skip
    assert [(n, money(i), money(m), str(d), p, b) for n, i, m, d, p, b in contracts] == [
        ("Serco Group plc", Decimal("1.08E+8"), Decimal("4.1E+8"), "2020-05-01", "month", "reported")
    ]
    actions = rows(
        engine,
        "SELECT s.name, e.kind, a.kind, a.amount, a.qualifier, e.date_precision, e.basis FROM enforcement_actions e "
        "JOIN suppliers s ON s.id = e.supplier_id JOIN enforcement_amounts a ON a.enforcement_action_id = e.id "
        "ORDER BY a.amount",
    )
    assert [(n, k, ak, money(a), q, p, b) for n, k, ak, a, q, p, b in actions] == [
        ("Serco Group plc", "service_credit", "service_credit", Decimal("1E+6"), "just over", "year", "reported"),
        ("Serco Geografix Ltd", "dpa_penalty", "costs", Decimal("3.7E+6"), None, "month", "reported"),
        ("Serco Geografix Ltd", "dpa_penalty", "dpa_penalty", Decimal("1.92E+7"), None, "month", "reported"),
    ]
    incident = rows(
        engine,
        "SELECT s.name, i.kind, i.incident_date, f.figure_text, f.unit FROM incidents i "
        "JOIN suppliers s ON s.id = i.supplier_id JOIN incident_figures f ON f.incident_id = i.id",
    )
    assert [(n, k, str(d), t, u) for n, k, d, t, u in incident] == [
        ("Serco Group plc", "data_breach", "2020-05-01", "296 contact tracers", "contact tracers")
    ]
    evidence = rows(engine, "SELECT evidence, extraction_rule FROM incident_sources")
    sentence = (
        "Weeks after the contract began, in May 2020, Serco exposed the email addresses of 296 "
        "contact tracers by copying them into one message instead of blind-copying them."
    )
    assert evidence == [(sentence, "data_breach.exposed")]
    rules = rows(engine, "SELECT DISTINCT extraction_rule FROM contract_sources")
    assert rules == [("award.active_recipient",)]
    groups = rows(engine, "SELECT DISTINCT group_name FROM supplier_events")
    assert groups == [("Serco Group plc",)]


def test_one_penalty_told_by_two_outlets_is_one_action_with_two_sources(site, engine, database_url):
    crawl(database_url, "news", feeds(site))
    sources = rows(
        engine,
        "SELECT d.url FROM enforcement_actions e JOIN enforcement_action_sources s ON s.enforcement_action_id = e.id "
        "JOIN documents d ON d.id = s.document_id WHERE e.kind = 'dpa_penalty' ORDER BY d.url",
    )
    assert sources == [
        (f"{site.url}/news/business-49012345",),
        (f"{site.url}/uk-news/2020/jun/01/serco-record-contracts-deductions-data-breach",),
    ]


def test_faults_are_counted_and_a_second_crawl_adds_nothing(site, engine, database_url):
    crawl(database_url, "news", feeds(site))
    run = last_run(engine)
    assert (run.errors, run.stats["watchdog/empty_feeds"], run.stats["watchdog/articles"]) == (1, 1, 3)
    counts = rows(engine, "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM enforcement_actions), "
                          "(SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM contracts)")  # fmt: skip
    site.requests.clear()
    crawl(database_url, "news", feeds(site))
    assert rows(engine, "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM enforcement_actions), "
                        "(SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM contracts)") == counts  # fmt: skip
    asked = [path for path, _ in site.requests]
    assert ("/uk-news/rss", '"rss-1"') in site.requests  # conditional GET: the feed answered 304
    assert not [path for path in asked if path.startswith(("/uk-news/2020", "/news/business"))]


def test_the_supplier_command_shows_the_reports_with_their_evidence(site, engine, database_url):
    from click.testing import CliRunner

    from watchdog.cli import main

    crawl(database_url, "news", feeds(site))
    output = CliRunner().invoke(main, ["--db", database_url, "supplier", "Serco", "Group", "plc"]).output
    assert output.startswith("Serco Group plc\nGroup: Serco Group plc, 2 entities")
    assert "May 2020  incident: data_breach [reported]" in output
    assert 'evidence: "Weeks after the contract began, in May 2020, Serco exposed the email addresses' in output
    assert "July 2019  enforcement: dpa_penalty [reported]\n    Serco Geografix Ltd" in output


def test_base_url_asks_a_mirror_for_the_same_feeds(site, engine, database_url, tmp_path):
    listed = tmp_path / "feeds.txt"
    listed.write_text("https://www.theguardian.com/uk-news/rss\nhttps://feeds.bbci.co.uk/business/atom.xml\n")
    crawl(database_url, "news", f"feeds_file={listed}", f"base_url={site.url}")
    assert ("/uk-news/rss", None) in site.requests and ("/business/atom.xml", None) in site.requests
    assert rows(engine, "SELECT COUNT(*) FROM incidents") == [(1,)]
