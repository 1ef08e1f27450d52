"""One crawl of a spider at a time, however it is started: the lock is the crawl's own, so `scrapy crawl` (as a
Scrapyd job runs it) is refused like `watchdog crawl`, and the refusal is a `skipped` crawl_runs row that
`watchdog status` counts neither as clean nor as failing. And the news spider's feeds shared out among nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from crawling import FAST, start_crawl
from fake_portal import FakePortal
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler
from sqlalchemy.exc import OperationalError
from test_contracts_finder import PAGE, SEARCH, day
from test_crawl_runs import hold_window
from test_scheduled_crawls import CF_WINDOW, EARLIER_CF_WINDOW, lock_described, runs
from test_status import add_run

from watchdog.cli import main
from watchdog.database.locks import AlreadyRunning, crawl_lock
from watchdog.sources.extensions import CrawlRunRecorder, lock_name
from watchdog.sources.spiders.news import NewsSpider, parse_shard, shard_of

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture
def portal():
    """Contracts Finder with its real page of 100 releases published on 20 January 2025, and one on the 22nd."""
    with FakePortal(
        "https://www.contractsfinder.service.gov.uk", SEARCH, "publishedFrom", PAGE, until_parameter="publishedTo"
    ) as fake:
        fake.publish(day(20), PAGE["releases"])
        fake.publish(day(22), PAGE["releases"][:1])
        yield fake


def test_scrapy_crawl_is_refused_by_the_lock_of_a_running_crawl_and_recorded_as_skipped(portal, engine, database_url):
    asked, answer = hold_window(portal, day(22))
    first = start_crawl(database_url, "contracts_finder", f"base_url={portal.url}", *CF_WINDOW)
    try:
        assert asked.wait(120)
        arguments = [f"base_url={portal.url}", *EARLIER_CF_WINDOW]
        command = [sys.executable, "-m", "scrapy", "crawl", "contracts_finder", *FAST]
        command += ["-s", f"WATCHDOG_DATABASE_URL={database_url}"] + [f"-a{argument}" for argument in arguments]
        second = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=120)
        while_held = [run.status for run in runs(engine)["contracts_finder"]]
    finally:
        answer.set()
    assert first.wait().returncode == 0

    refusal = (
        f"another crawl of contracts_finder is running on this database "
        f"({lock_described(database_url, 'contracts_finder')}); this one did not start"
    )
    assert f"WARNING: {refusal}" in second.stderr or f"WARNING {refusal}" in second.stderr, second.stderr[-3000:]
    assert "Spider closed (skipped)" in second.stderr
    assert not [query for query in portal.requests if query["publishedFrom"] < day(20)]  # it asked for nothing
    assert while_held == ["running", "skipped"]
    first_run, skipped = runs(engine)["contracts_finder"]
    assert (first_run.status, skipped.status, skipped.finish_reason) == ("finished", "skipped", "skipped")
    assert skipped.started_at == skipped.finished_at
    assert (skipped.requests, skipped.items_stored, skipped.watermark) == (0, 0, None)
    assert skipped.error_summary == refusal
    assert skipped.arguments == {"base_url": portal.url, "from_date": "2025-01-10", "until_date": "2025-01-11"}


def test_status_counts_a_skipped_run_neither_as_clean_nor_as_failing(engine, database_url, tmp_path):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text("[contracts_finder]\n[sfo_dpas]\n", encoding="utf-8")
    clean = add_run(engine, "contracts_finder", "finished", timedelta(hours=3), timedelta(hours=2))
    add_run(engine, "contracts_finder", "skipped", timedelta(hours=1), timedelta(hours=1), requests=0)
    add_run(engine, "sfo_dpas", "skipped", timedelta(hours=1), timedelta(hours=1), requests=0)

    result = CliRunner().invoke(
        main, ["--db", database_url, "status", "--json", "--max-age", "26h", "--schedule", str(schedule)]
    )
    report = json.loads(result.stdout)

    assert result.exit_code == 1
    spiders = {spider["spider"]: spider for spider in report["spiders"]}
    assert spiders["contracts_finder"]["last_run"]["status"] == "skipped"  # shown, for the operator to see
    assert spiders["contracts_finder"]["last_clean_run"]["id"] == clean
    assert [(problem["spider"], problem["reasons"]) for problem in report["problems"]] == [("sfo_dpas", ["stale"])]
    assert report["problems"][0]["message"] == "sfo_dpas: stale: no run has finished cleanly (max 26h)"


def test_status_follows_each_share_of_the_news_apart(engine, database_url, tmp_path):
    """A share that fails, or never runs (its node is down), is not hidden by another share's clean run."""
    schedule = tmp_path / "schedule.toml"
    schedule.write_text("[news]\n", encoding="utf-8")
    hours = timedelta(hours=1)
    add_run(engine, "news", "finished", 50 * hours, 49 * hours, arguments={"shard": "2/2"})  # an earlier N
    add_run(engine, "news", "finished", 4 * hours, 3 * hours, arguments={"shard": "1/3", "feeds_file": "f.yaml"})
    failed = add_run(engine, "news", "failed", 2 * hours, hours, arguments={"shard": "3/3"}, errors=2)

    result = CliRunner().invoke(
        main, ["--db", database_url, "status", "--json", "--max-age", "26h", "--schedule", str(schedule)]
    )
    report = json.loads(result.stdout)

    assert result.exit_code == 1
    assert [(spider["spider"], spider["scheduled"]) for spider in report["spiders"]] == [
        ("news (shard 1/3)", True),
        ("news (shard 2/3)", True),
        ("news (shard 3/3)", True),
        ("news (shard 2/2)", False),
    ]
    assert [(problem["spider"], problem["reasons"]) for problem in report["problems"]] == [
        ("news (shard 2/3)", ["stale"]),
        ("news (shard 3/3)", ["failing", "stale"]),
    ]
    assert report["spiders"][2]["last_run"]["id"] == failed


FEEDS = [f"https://outlet{number}.example/feed/{number % 3}" for number in range(1, 11)]


def test_shards_share_the_feeds_evenly_and_the_same_whatever_their_order():
    shares = [shard_of(FEEDS, shard, 4) for shard in range(1, 5)]

    assert sorted(feed for share in shares for feed in share) == sorted(FEEDS)
    assert sorted(len(share) for share in shares) == [2, 2, 3, 3]
    assert [shard_of(list(reversed(FEEDS)), shard, 4) for shard in range(1, 5)] == shares
    assert sorted(shard_of(FEEDS, 1, 1)) == sorted(FEEDS)


def test_the_news_spider_crawls_only_its_share_of_the_feeds():
    spider = NewsSpider(feeds=",".join(FEEDS), shard="2/4")
    assert spider.feeds == shard_of(FEEDS, 2, 4)
    assert spider.arguments["shard"] == "2/4"


def test_each_shard_of_the_news_has_a_lock_of_its_own(engine, database_url):
    """Shards are read at once on several nodes; the same shard twice is refused like any spider."""
    shard_2, shard_3 = NewsSpider(feeds=",".join(FEEDS), shard="2/4"), NewsSpider(feeds=",".join(FEEDS), shard="3/4")
    assert (shard_2.lock_name, shard_3.lock_name, NewsSpider(feeds=FEEDS[0]).lock_name) == (
        "news_shard_2_of_4",
        "news_shard_3_of_4",
        "news",
    )
    with crawl_lock(database_url, lock_name(shard_2)), crawl_lock(database_url, lock_name(shard_3)):
        with pytest.raises(AlreadyRunning, match="another crawl of news_shard_2_of_4 is running"):
            with crawl_lock(database_url, lock_name(NewsSpider(feeds=",".join(FEEDS), shard="2/4"))):
                pass


@pytest.mark.parametrize("value", ["0/4", "5/4", "2", "2/0", "a/b", "2/4/1", "-1/4"])
def test_a_bad_shard_is_an_argument_error(value):
    with pytest.raises(ValueError, match=rf"shard takes K/N, .* not '{value}'"):
        parse_shard(value)
    assert parse_shard("3/4") == (3, 4)


def test_watchdog_crawl_with_a_bad_shard_exits_2_before_any_request(engine, database_url):
    result = CliRunner().invoke(main, ["--db", database_url, "crawl", "news", "-a", "shard=5/4"])

    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: shard takes K/N, the K-th of N shares (1 <= K <= N), as 2/4; not '5/4'"
    assert runs(engine) == {}


def opened_recorder(database_url: str) -> tuple[CrawlRunRecorder, NewsSpider]:
    crawler = get_crawler(NewsSpider, {"WATCHDOG_DATABASE_URL": database_url})
    return CrawlRunRecorder(crawler), NewsSpider(feeds=FEEDS[0])


def test_a_lock_that_cannot_be_taken_stops_the_crawl_before_any_request(engine, database_url, monkeypatch, caplog):
    """Scrapy goes on with a crawl after any error of a spider_opened handler but CloseSpider: a database that fails
    as the lock is taken must not let the crawl run unlocked."""

    def failing_lock(*_arguments):
        raise OperationalError("SELECT pg_try_advisory_lock", {}, Exception("sorry, too many clients already"))

    monkeypatch.setattr("watchdog.sources.extensions.crawl_lock", failing_lock)
    recorder, spider = opened_recorder(database_url)
    with pytest.raises(CloseSpider) as closed:
        recorder.spider_opened(spider)
    recorder.spider_closed(spider, closed.value.reason)

    assert closed.value.reason == "not_started"
    assert "the crawl did not start: its lock could not be taken: sorry, too many clients already" in caplog.text
    assert runs(engine) == {}


def test_a_refused_crawl_stops_even_when_its_skipped_run_cannot_be_written(engine, database_url, monkeypatch, caplog):
    def failing_insert(*_arguments):
        raise OperationalError("INSERT INTO crawl_runs", {}, Exception("database is locked"))

    recorder, spider = opened_recorder(database_url)
    monkeypatch.setattr(recorder, "insert_skipped_run", failing_insert)
    with crawl_lock(database_url, "news"), pytest.raises(CloseSpider) as closed:
        recorder.spider_opened(spider)

    assert closed.value.reason == "skipped"
    assert "could not record the skipped crawl: database is locked" in caplog.text
    assert recorder.crawler.stats.get_value("watchdog/status") == "skipped"
