"""The ted spider, end to end against a fake TED search API serving responses in the API's shape."""

from __future__ import annotations

import json
import re
from collections import deque
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from crawling import crawl, last_run, table_counts
from fake_portal import JSON, SERVER_ERROR, Reply, too_many_requests
from local_server import LocalServer
from sqlalchemy import text

from watchdog.sources.spiders.ted import TedSpider

TED = Path(__file__).parent / "fixtures" / "ted"
SEARCH = "/v3/notices/search"
WEEK = ["from_date=2019-03-04", "until_date=2019-03-11"]
TWO_WEEKS = ["from_date=2019-03-04", "until_date=2019-03-18"]
NO_MORE = {"notices": [], "totalNoticeCount": 0, "iterationNextToken": None, "timedOut": False}


def ted_reply(name: str) -> Reply:
    return Reply(200, (TED / name).read_bytes(), dict(JSON))


class FakeTed(LocalServer):
    """TED's search API on 127.0.0.1: POSTs to /v3/notices/search answered from a script of replies by (first day
    of the query, iteration token), faults first; an unscripted search finds nothing."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str | None], deque[Reply]] = {}
        self.searches: list[dict] = []
        super().__init__()

    def add(self, first_day: str, token: str | None, *replies: Reply) -> None:
        self.script[(first_day, token)] = deque(replies)

    def search(self, path: str, body: bytes) -> Reply:
        if path != SEARCH:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        search = json.loads(body)
        self.searches.append(search)
        first_day = search["query"].split("publication-date>=")[1][:8]
        queue = self.script.get((first_day, search.get("iterationNextToken")))
        if not queue:
            return Reply(200, json.dumps(NO_MORE).encode())
        return queue.popleft() if len(queue) > 1 else queue[0]

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                reply = server.search(self.path, self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def ted():
    """The week from 4 March 2019 in three pages chained by iteration tokens, the first behind a 429."""
    with FakeTed() as server:
        server.add("20190304", None, too_many_requests(), ted_reply("search_gbr_2019-03-04_page1.json"))
        server.add("20190304", "dGVkLWl0ZXJhdGlvbi0y", ted_reply("search_gbr_2019-03-04_page2.json"))
        server.add("20190304", "dGVkLWl0ZXJhdGlvbi0z", ted_reply("search_gbr_2019-03-04_end.json"))
        yield server


def stored_contracts(engine) -> dict[str, tuple]:
    """Each stored contract by ocid: buyer, title, value, currency, award day, publication time, notice URL, CPV
    codes, and its suppliers (name, company number) in name order."""
    with engine.connect() as connection:
        contracts = connection.execute(
            text(
                "SELECT c.id, c.ocid, c.award_id, c.notice_id, b.name AS buyer, c.title, c.initial_value, c.currency,"
                " c.awarded_on, c.published_at, c.notice_url, c.cpv_codes FROM contracts c"
                " LEFT JOIN buyers b ON b.id = c.buyer_id"
            )
        ).all()
        suppliers = connection.execute(
            text(
                "SELECT cs.contract_id, s.name, s.company_number FROM contract_suppliers cs"
                " JOIN suppliers s ON s.id = cs.supplier_id ORDER BY s.name"
            )
        ).all()
    return {
        row.ocid: (
            row.award_id,
            row.notice_id,
            row.buyer,
            row.title,
            None if row.initial_value is None else Decimal(str(row.initial_value)),
            row.currency,
            row.awarded_on
            if row.awarded_on is None or isinstance(row.awarded_on, date)
            else date.fromisoformat(row.awarded_on),
            row.notice_url,
            row.cpv_codes,
            [(name, number) for contract_id, name, number in suppliers if contract_id == row.id],
        )
        for row in contracts
    }


def identifiers(engine) -> set[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.name, i.scheme, i.identifier FROM supplier_identifiers i"
                " JOIN suppliers s ON s.id = i.supplier_id"
            )
        ).all()
    return {tuple(row) for row in rows}


def test_a_crawl_follows_the_tokens_waits_out_a_429_and_stores_each_award_notice(ted, engine, database_url):
    result = crawl(database_url, "ted", f"base_url={ted.url}", *WEEK)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rate limited (HTTP 429) on " in result.stderr and "waiting 300 s" in result.stderr

    run = last_run(engine)
    assert (run.status, run.errors, run.items_stored, run.items_dropped) == ("finished", 0, 4, 0)
    assert (run.stats["watchdog/rate_limited"], run.stats["watchdog/pages"]) == (1, 3)
    assert (run.stats["watchdog/releases"], run.stats["watchdog/notices_not_awards"]) == (6, 2)
    assert run.watermark == datetime(2019, 3, 11, tzinfo=UTC)
    assert run.arguments == {"base_url": ted.url, "from_date": "2019-03-04", "until_date": "2019-03-11"}

    query = "buyer-country=GBR AND publication-date>=20190304 AND publication-date<20190311"
    assert [search["query"] for search in ted.searches] == [query] * 4  # the 429, then three pages
    assert [search.get("iterationNextToken") for search in ted.searches] == [
        None,
        None,
        "dGVkLWl0ZXJhdGlvbi0y",
        "dGVkLWl0ZXJhdGlvbi0z",
    ]
    first = ted.searches[0]
    assert (first["limit"], first["paginationMode"]) == (250, "ITERATION")
    assert {"publication-number", "notice-type", "buyer-name", "winner-name", "total-value"} <= set(first["fields"])

    detail = "https://ted.europa.eu/en/notice/-/detail/"
    assert stored_contracts(engine) == {
        "ted-112233-2019": (
            "",
            "112233-2019",
            "Leeds City Council",
            "United Kingdom-Leeds: Building-cleaning services",
            Decimal("1250000"),
            "GBP",
            date(2019, 2, 11),
            detail + "112233-2019",
            "90910000,90911200",
            [("Harbourline Facilities Ltd", "07654321")],
        ),
        "ted-112301-2019": (  # three winners listed, one of them twice; the earliest decision day
            "",
            "112301-2019",
            "Northmoor Health NHS Foundation Trust",
            "United Kingdom-Truro: Medical consumables",
            Decimal("3480000"),
            "GBP",
            date(2019, 2, 18),
            detail + "112301-2019",
            "33140000",
            [("Calderbrook Medical Supplies Limited", "SC401122"), ("Penwith Diagnostics LLP", "OC398877")],
        ),
        "ted-113010-2019": (  # a VEAT notice: a direct award; its winner's id is a VAT number
            "",
            "113010-2019",
            "Ministry of Defence",
            "United Kingdom-Bristol: Repair and maintenance services of aircraft",
            Decimal("860000"),
            "GBP",
            date(2019, 2, 28),
            detail + "113010-2019",
            "50211000",
            [("Tavistock Avionics Ltd", None)],
        ),
        "ted-113020-2019": (  # two winners and one id: the id is not given to either; no value published
            "",
            "113020-2019",
            "Greater Manchester Combined Authority",
            "United Kingdom-Manchester: Architectural services",
            None,
            None,
            None,
            detail + "113020-2019",
            "71200000",
            [("Ashcombe Design Partnership LLP", None), ("Fenwick Rowe Architects Limited", None)],
        ),
    }
    assert ("Tavistock Avionics Ltd", "TED-GBR", "GB 123 4567 89") in identifiers(engine)
    assert not {row for row in identifiers(engine) if row[0].startswith(("Ashcombe", "Fenwick"))}


def test_a_server_error_is_tried_again_and_a_malformed_page_is_counted_without_stopping_the_crawl(engine, database_url):
    """The first week answers 500 then its page; the second a cut-off body twice: the error is counted on the
    crawl's run, the first week's notices are stored, and the watermark stays at the second week's start."""
    cut_off = ted_reply("search_gbr_2019-03-04_page1.json")
    cut_off.body = cut_off.body[: len(cut_off.body) // 2]
    with FakeTed() as server:
        server.add("20190304", None, SERVER_ERROR, ted_reply("search_fra_2019-03-04.json"))
        server.add("20190311", None, cut_off)
        result = crawl(database_url, "ted", f"base_url={server.url}", "country=fra", *TWO_WEEKS)

    assert result.returncode == 1, result.stderr[-3000:]
    assert "HTTP 500 on " in result.stderr and "not valid JSON" in result.stderr
    run = last_run(engine)
    assert (run.status, run.errors, run.items_stored) == ("failed", 1, 1)
    # The 500 tried again, and the cut-off page asked again once (a loaded machine may add a dropped connection).
    assert run.stats["retry/reason_count/HTTP 500"] == 1 and run.retries >= 2
    assert "window 2019-03-11T00:00:00..2019-03-18T00:00:00 page 1" in run.error_summary
    assert "the rest of this window is skipped" in run.error_summary
    assert run.watermark == datetime(2019, 3, 11, tzinfo=UTC)
    assert {search["query"].split(" AND ")[0] for search in server.searches} == {"buyer-country=FRA"}

    contracts = stored_contracts(engine)
    assert list(contracts) == ["ted-108877-2019"]
    assert contracts["ted-108877-2019"][2:7] == (
        "Ville de Lyon",
        "France-Lyon: Construction work for school buildings",  # the English title where TED gives one
        Decimal("2400000"),
        "EUR",
        date(2019, 1, 29),
    )
    assert contracts["ted-108877-2019"][9] == [("Bâtisseurs du Rhône SAS", None)]
    assert ("Bâtisseurs du Rhône SAS", "TED-FRA", "812 345 678 00019") in identifiers(engine)


def test_crawling_the_same_week_twice_changes_nothing(ted, engine, database_url):
    crawl(database_url, "ted", f"base_url={ted.url}", *WEEK)
    counts, contracts = table_counts(engine), stored_contracts(engine)
    second = crawl(database_url, "ted", f"base_url={ted.url}", *WEEK)
    assert second.returncode == 0, second.stderr[-3000:]
    assert re.search(r"contracts +0 new, 0 updated, 4 releases seen before", second.stdout), second.stdout
    assert table_counts(engine) == counts
    assert stored_contracts(engine) == contracts
    assert counts["contracts"] == 4 and counts["contract_releases"] == 4


def test_an_incremental_crawl_resumes_a_day_before_the_watermark(ted, engine, database_url):
    crawl(database_url, "ted", f"base_url={ted.url}", *WEEK)
    ted.searches.clear()
    crawl(database_url, "ted", f"base_url={ted.url}", "until_date=2019-03-20")
    assert [search["query"] for search in ted.searches] == [
        "buyer-country=GBR AND publication-date>=20190310 AND publication-date<20190317",
        "buyer-country=GBR AND publication-date>=20190317 AND publication-date<20190320",
    ]


def test_a_first_crawl_reads_the_whole_archive_in_weeks():
    spider = TedSpider(until_date="1993-01-20")
    windows = spider.plan_windows(datetime(2026, 11, 29, tzinfo=UTC))
    assert [spider.search_query(window) for window in windows] == [
        "buyer-country=GBR AND publication-date>=19930101 AND publication-date<19930108",
        "buyer-country=GBR AND publication-date>=19930108 AND publication-date<19930115",
        "buyer-country=GBR AND publication-date>=19930115 AND publication-date<19930120",
    ]


def test_a_window_ending_after_midnight_asks_for_its_last_day_too():
    spider = TedSpider(country="deu", from_date="2020-12-28T00:00:00Z", until_date="2020-12-31T15:30:00Z")
    (window,) = spider.plan_windows(datetime(2026, 11, 29, tzinfo=UTC))
    assert spider.search_query(window) == (
        "buyer-country=DEU AND publication-date>=20201228 AND publication-date<20210101"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"country": "UK"}, "three-letter code"),
        ({"country": "GB1"}, "three-letter code"),
        ({"stages": "award"}, "takes no argument stages"),
        ({"from_date": "2019-03-01", "backfill": "yes"}, "not both"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(arguments, message):
    with pytest.raises(ValueError, match=message):
        TedSpider.check_arguments(**arguments)
