"""The newsroom's sample database: the Serco example, the regulators' and news outlets' recorded pages crawled from
a local site, then the real releases, Find a Tender's last (the latest run, as in test_questions.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import serco
from crawling import crawl
from fake_portal import REALDATA
from static_site import Page, StaticSite

from watchdog.cli.crawl import project_settings
from watchdog.database import db
from watchdog.sources.ingest import Ingest
from watchdog.storage.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
LATEST_FILE = "fts_release_package_2026-10-06_limit4.json"
HSE_LIST = "/case/case_list.asp?PN={}&ST=C&EO=LIKE&SN=F&SF=DN&SV=&SO=DODS"
HSE_CASE = "/case/case_details.asp?SF=CN&SV={}"
HSE_CASES = ("4861001", "4861003", "4861004", "4860950")
SFO_CASES = {"serco": "sfo_case_serco.html", "g4s": "sfo_case_g4s.html"}
NEWS_FEED = "/uk-news/rss"
NEWS_ARTICLES = {
    "/uk-news/2020/jun/01/serco-record-contracts-deductions-data-breach": "serco_record.html",
    "/news/business-49012345": "dpa_followup.html",
}


# The example's stand-ins for what the recorded pages give for real: the SFO's own page of the DPA, and the
# article that reports the data breach. Both in one database would be the same facts twice.
CRAWLED_INSTEAD = (serco.GEOGRAFIX_DPA, serco.TRACERS_DATA_BREACH)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def regulator_page(name: str) -> Page:
    return Page((FIXTURES / "regulators" / name).read_bytes())


def news_page(name: str, site_url: str) -> Page:
    """An article, its canonical link moved from the outlet's host to the local site, as a feed's link is."""
    body = (FIXTURES / "news" / name).read_bytes()
    for host in (b"https://news.example", b"https://broadcast.example"):
        body = body.replace(host, site_url.encode())
    return Page(body)


def news_feed(site_url: str) -> Page:
    items = "".join(
        f"<item><title>{name}</title><link>{site_url}{path}</link></item>" for path, name in NEWS_ARTICLES.items()
    )
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'
    return Page(rss.encode(), "application/rss+xml")


def recorded_site(site: StaticSite) -> None:
    """Every readable page of the HSE register, the SFO's cases and two news articles, at their paths."""
    for number in (1, 2):
        site.pages[HSE_LIST.format(number)] = regulator_page(f"hse_case_list_page{number}.html")
    for case in HSE_CASES:
        site.pages[HSE_CASE.format(case)] = regulator_page(f"hse_case_{case}.html")
    site.pages["/our-cases/"] = regulator_page("sfo_our_cases.html")
    for slug, fixture in SFO_CASES.items():
        site.pages[f"/cases/{slug}/"] = regulator_page(fixture)
    site.pages[NEWS_FEED] = news_feed(site.url)
    for path, fixture in NEWS_ARTICLES.items():
        site.pages[path] = news_page(fixture, site.url)


def fill_sample(database_url: str, engine) -> None:
    """Fill a migrated, empty database with the sample: Serco's example (less what the crawls give), HSE, SFO and
    news crawls, the releases."""
    Store(engine).write([item for item in serco.ALL_ITEMS if item not in CRAWLED_INSTEAD])
    with StaticSite() as site:
        recorded_site(site)
        crawl(database_url, "hse_convictions", f"base_url={site.url}")
        crawl(database_url, "sfo_dpas", f"base_url={site.url}")
        crawl(database_url, "news", f"feeds={site.url}{NEWS_FEED}")
    settings = project_settings(database_url, {})
    Ingest(database_url, settings).run(sorted(p for p in REALDATA.glob("*.json") if p.name != LATEST_FILE))
    Ingest(database_url, settings).run([REALDATA / LATEST_FILE])


def sample_file(folder: Path) -> Path:
    """The sample in a new SQLite file named watchdog.db (so Datasette serves it as /watchdog) in the folder."""
    path = folder / "watchdog.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    fill_sample(f"sqlite:///{path}", engine)
    engine.dispose()
    return path
