"""Crawls from cron: one crawl of a spider at a time on a database (a second exits 3 at once), and `crawl --all`
running every spider of a schedule file, each in its own process, with one summary and one exit status."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from crawling import FAST, RunningCrawl, crawl, start_crawl, table_counts
from fake_portal import SERVER_ERROR, FakePortal
from local_server import LocalServer
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.orm import Session
from static_site import StaticSite
from test_contracts_finder import PAGE as CF_PAGE
from test_contracts_finder import SEARCH as CF_SEARCH
from test_contracts_finder import SOUTHAMPTON, day
from test_crawl_runs import hold_window
from test_find_a_tender import PAGE as FTS_PAGE
from test_find_a_tender import SEARCH as FTS_SEARCH
from test_hse_convictions import regulator_page

from watchdog.cli.schedule import SCHEDULE_VARIABLE
from watchdog.database import db
from watchdog.database.locks import advisory_lock_key
from watchdog.database.models import CrawlRun

CF_WINDOW = ["from_date=2025-01-20", "until_date=2025-01-24"]
EARLIER_CF_WINDOW = ["from_date=2025-01-10", "until_date=2025-01-11"]
FTS_WINDOW = ["from_date=2026-10-06T06:00:00Z", "until_date=2026-10-07T06:00:00Z"]
# The fast settings of tests/crawling.py, as a schedule file's [SPIDER.settings] table.
FAST_SETTINGS = dict(setting.split("=", 1) for setting in FAST if setting != "-s")


@pytest.fixture
def cf_portal():
    """Contracts Finder with the real page of 100 releases published on 20 January 2025, and the Southampton award
    and its correction on the 22nd."""
    with FakePortal(
        "https://www.contractsfinder.service.gov.uk", CF_SEARCH, "publishedFrom", CF_PAGE, until_parameter="publishedTo"
    ) as portal:
        portal.publish(day(20), CF_PAGE["releases"])
        portal.publish(day(22), SOUTHAMPTON)
        yield portal


@pytest.fixture
def fts_portal():
    """Find a Tender with its real page of four releases updated on 6 October 2026 at 13:00 UK time."""
    with FakePortal(
        "https://www.find-tender.service.gov.uk", FTS_SEARCH, "updatedFrom", FTS_PAGE, until_parameter="updatedTo"
    ) as portal:
        portal.publish("2026-10-06T13:00:00", FTS_PAGE["releases"])
        yield portal


@pytest.fixture
def sfo_site():
    with StaticSite() as site:
        site.pages["/cases/serco/"] = regulator_page("sfo_case_serco.html")
        yield site


class BrokenSite(LocalServer):
    """A site that answers every request with 500 Internal Server Error."""

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        return SERVER_ERROR.status, SERVER_ERROR.headers, SERVER_ERROR.body


@pytest.fixture
def broken_site():
    with BrokenSite() as site:
        yield site


@pytest.fixture
def clean_url(database_url, tmp_path):
    """A second empty database on the same backend, for a clean run to compare with."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'clean.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_clean"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def write_schedule(path: Path, crawls: dict[str, list[str]]) -> Path:
    """A schedule file: each spider with its arguments (NAME=VALUE) and the fast settings."""
    lines = []
    for spider, arguments in crawls.items():
        lines.append(f"[{spider}]")
        lines += [f"{name} = {json.dumps(value)}" for name, value in (a.split("=", 1) for a in arguments)]
        lines.append(f"[{spider}.settings]")
        lines += [f"{name} = {value}" for name, value in FAST_SETTINGS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def crawl_all_command(database_url: str, schedule: Path) -> list[str]:
    return [sys.executable, "-m", "watchdog", "--db", database_url, "crawl", "--all", "--schedule", str(schedule)]


def crawl_all(database_url: str, schedule: Path) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_all_command(database_url, schedule), capture_output=True, text=True, timeout=300)


def summary_table(stdout: str) -> dict[str, list[str]]:
    """The combined summary `crawl --all` ends with: each spider's outcome, crawl run, seconds, items stored and
    errors, as printed."""
    lines = stdout.rstrip().split("\n\n")[-1].splitlines()
    headers = ["spider", "outcome", "crawl run", "seconds", "items stored", "errors"]
    assert re.split(r"\s{2,}", lines[0].strip()) == headers
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]
    return {row[0]: row[1:] for row in rows}


def runs(engine) -> dict[str, list[CrawlRun]]:
    found: dict[str, list[CrawlRun]] = {}
    with Session(engine) as session:
        for run in session.scalars(select(CrawlRun).order_by(CrawlRun.id)):
            found.setdefault(run.spider, []).append(run)
    return found


def lock_described(database_url: str, spider: str) -> str:
    if database_url.startswith("sqlite"):
        database_file = Path(make_url(database_url).database).resolve()
        return f"lock file {database_file.parent / f'{database_file.name}.{spider}.lock'}"
    return f"PostgreSQL advisory lock {advisory_lock_key(spider)}"


def one(engine, sql: str) -> tuple:
    with engine.connect() as connection:
        return tuple(connection.execute(text(sql)).one())


MERTON_SQL = (
    "SELECT s.name, c.initial_value FROM contracts c JOIN contract_suppliers cs ON cs.contract_id = c.id "
    "JOIN suppliers s ON s.id = cs.supplier_id WHERE c.ocid = 'ocds-b5fd17-e3b5f385-5989-4cf1-8849-01c247fc9c30'"
)
SWITCH_UP_SQL = (
    "SELECT s.name, c.initial_value FROM contracts c JOIN contract_suppliers cs ON cs.contract_id = c.id "
    "JOIN suppliers s ON s.id = cs.supplier_id WHERE c.ocid = 'ocds-h6vhtk-06d285'"
)


def test_a_second_crawl_of_a_running_spider_exits_3_at_once_and_another_spider_runs_beside_it(
    cf_portal, fts_portal, engine, database_url, clean_url
):
    asked, answer = hold_window(cf_portal, day(22))
    first = start_crawl(database_url, "contracts_finder", f"base_url={cf_portal.url}", *CF_WINDOW)
    try:
        assert asked.wait(120)
        started = time.monotonic()
        second = crawl(database_url, "contracts_finder", f"base_url={cf_portal.url}", *EARLIER_CF_WINDOW)
        refused_after = time.monotonic() - started
        other = crawl(database_url, "find_a_tender", f"base_url={fts_portal.url}", *FTS_WINDOW)
        while_held = {spider: [run.status for run in found] for spider, found in runs(engine).items()}
    finally:
        answer.set()
    result = first.wait()

    assert second.returncode == 3, second.stderr[-3000:]
    # Scrapy's INFO lines of its start and close (the lock is taken as the spider opens), then the one Error line.
    *scrapy_lines, last_line = second.stderr.strip().splitlines()
    assert last_line == (
        f"Error: another crawl of contracts_finder is running on this database "
        f"({lock_described(database_url, 'contracts_finder')}); this one did not start"
    )
    assert [line for line in scrapy_lines if " INFO " not in line] == []
    assert not [line for line in scrapy_lines if "another crawl" in line]  # said once
    assert second.stdout == ""
    assert refused_after < 20  # it did not wait for the first crawl, which the portal holds for 60 s
    assert not [query for query in cf_portal.requests if query["publishedFrom"] < day(20)]  # none from the second
    assert other.returncode == 0, other.stderr[-3000:]
    assert while_held == {"contracts_finder": ["running", "skipped"], "find_a_tender": ["finished"]}
    assert result.returncode == 0, result.stderr[-3000:]
    assert {spider: [run.status for run in found] for spider, found in runs(engine).items()} == {
        "contracts_finder": ["finished", "skipped"],
        "find_a_tender": ["finished"],
    }
    skipped = runs(engine)["contracts_finder"][1]
    assert (skipped.started_at, skipped.finished_at, skipped.requests, skipped.items_stored, skipped.watermark) == (
        skipped.finished_at,
        skipped.started_at,
        0,
        0,
        None,
    )
    assert skipped.error_summary == (
        f"another crawl of contracts_finder is running on this database "
        f"({lock_described(database_url, 'contracts_finder')}); this one did not start"
    )
    assert skipped.arguments == {"base_url": cf_portal.url, "from_date": "2025-01-10", "until_date": "2025-01-11"}

    clean = db.make_engine(clean_url)
    db.upgrade(clean)
    assert crawl(clean_url, "contracts_finder", f"base_url={cf_portal.url}", *CF_WINDOW).returncode == 0
    assert crawl(clean_url, "find_a_tender", f"base_url={fts_portal.url}", *FTS_WINDOW).returncode == 0
    counts = table_counts(engine)
    assert counts == table_counts(clean)
    assert counts["contract_releases"] == 106  # 100 + 2 from Contracts Finder, 4 from Find a Tender
    clean.dispose()


def test_crawl_all_runs_each_spider_of_the_schedule_past_one_that_fails(
    cf_portal, fts_portal, broken_site, engine, database_url, tmp_path
):
    schedule = write_schedule(
        tmp_path / "schedule.toml",
        {
            "contracts_finder": [f"base_url={cf_portal.url}", *CF_WINDOW],
            "hse_convictions": [f"base_url={broken_site.url}", "max_pages=1"],
            "find_a_tender": [f"base_url={fts_portal.url}", *FTS_WINDOW],
        },
    )
    result = crawl_all(database_url, schedule)

    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    found = runs(engine)
    cf, hse, fts = found["contracts_finder"][0], found["hse_convictions"][0], found["find_a_tender"][0]
    assert (cf.status, hse.status, fts.status) == ("finished", "failed", "finished")
    assert hse.errors == 1 and hse.error_summary.startswith(f"{broken_site.url}/case/case_list.asp?PN=1&")
    assert "could not be fetched" in hse.error_summary
    table = summary_table(result.stdout)
    assert list(table) == ["contracts_finder", "hse_convictions", "find_a_tender"]  # in the schedule's order
    assert [row[:2] for row in table.values()] == [
        ["finished", str(cf.id)],
        ["failed", str(hse.id)],
        ["finished", str(fts.id)],
    ]
    assert [(row[3], row[4]) for row in table.values()] == [
        (str(cf.items_stored), "0"),
        (str(hse.items_stored), str(hse.errors)),
        (str(fts.items_stored), "0"),
    ]
    assert cf.items_stored > 0 and fts.items_stored > 0
    # Each child's own summary went through, in order, before the combined one.
    child_summaries = [line for line in result.stdout.splitlines() if re.match(r"\w+: \w+.* crawl run \d+$", line)]
    assert [line.split(":")[0] for line in child_summaries] == ["contracts_finder", "hse_convictions", "find_a_tender"]

    merton_supplier, merton_value = one(engine, MERTON_SQL)
    assert (merton_supplier, Decimal(merton_value)) == ("Marstons holdings plc", 93007)
    switch_up_supplier, switch_up_value = one(engine, SWITCH_UP_SQL)
    assert (switch_up_supplier, Decimal(switch_up_value)) == ("SWITCH UP C.I.C.", 211232)
    assert cf_portal.requests and fts_portal.requests


def test_crawl_all_exits_0_when_every_spider_finishes_cleanly(
    cf_portal, fts_portal, sfo_site, engine, database_url, tmp_path
):
    schedule = write_schedule(
        tmp_path / "schedule.toml",
        {
            "sfo_dpas": [f"base_url={sfo_site.url}", "cases=serco"],
            "contracts_finder": [f"base_url={cf_portal.url}", *CF_WINDOW],
            "find_a_tender": [f"base_url={fts_portal.url}", *FTS_WINDOW],
        },
    )
    result = crawl_all(database_url, schedule)

    assert result.returncode == 0, result.stderr[-3000:]
    found = runs(engine)
    table = summary_table(result.stdout)
    assert {spider: row[:2] for spider, row in table.items()} == {
        spider: ["finished", str(found[spider][0].id)] for spider in ("sfo_dpas", "contracts_finder", "find_a_tender")
    }
    assert found["sfo_dpas"][0].arguments == {"base_url": sfo_site.url, "cases": "serco"}
    penalty_sql = (
        "SELECT s.name, a.amount FROM enforcement_amounts a JOIN enforcement_actions e "
        "ON e.id = a.enforcement_action_id JOIN suppliers s ON s.id = e.supplier_id WHERE a.kind = 'dpa_penalty'"
    )
    supplier, penalty = one(engine, penalty_sql)
    assert (supplier, Decimal(penalty)) == ("Serco Geografix Ltd", 19200000)
    assert Decimal(one(engine, MERTON_SQL)[1]) == 93007


@pytest.mark.parametrize(
    "schedule_text, message",
    [
        ("[contracts_finder\n", "is not valid TOML"),
        ('[contracts_finder]\nbase_url = "{portal}"\n[contract_finder]\n', "no spider called 'contract_finder'"),
        ('[contracts_finder]\nbase_url = "{portal}"\nfrom_date = "yesterday"\n', "[contracts_finder]: from_date"),
        ('[contracts_finder]\nbase_url = "{portal}"\n[news]\npages = 3\n', "news takes no argument pages"),
        ("# nothing yet\n", "lists no spider"),
        (None, "cannot read the schedule"),
    ],
    ids=["not-toml", "unknown-spider", "bad-argument", "unknown-argument", "empty", "missing"],
)
def test_a_bad_schedule_file_exits_2_before_anything_runs(
    schedule_text, message, cf_portal, engine, database_url, tmp_path
):
    schedule = tmp_path / "schedule.toml"
    if schedule_text is not None:
        schedule.write_text(schedule_text.replace("{portal}", cf_portal.url), encoding="utf-8")
    result = crawl_all(database_url, schedule)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr and str(schedule) in result.stderr
    assert result.stdout == ""
    assert cf_portal.requests == []
    assert runs(engine) == {}


def test_crawl_all_reads_the_schedule_named_by_watchdog_schedule(engine, database_url, tmp_path):
    schedule = tmp_path / "nightly.toml"
    schedule.write_text("[contract_finder]\n", encoding="utf-8")
    command = [sys.executable, "-m", "watchdog", "--db", database_url, "crawl", "--all"]
    environment = os.environ | {SCHEDULE_VARIABLE: str(schedule)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)

    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: the schedule {schedule} [contract_finder]: no spider called ")


def test_crawl_all_reports_a_spider_already_running_and_exits_3(cf_portal, fts_portal, engine, database_url, tmp_path):
    asked, answer = hold_window(cf_portal, day(22))
    held = start_crawl(database_url, "contracts_finder", f"base_url={cf_portal.url}", *CF_WINDOW)
    schedule = write_schedule(
        tmp_path / "schedule.toml",
        {
            "contracts_finder": [f"base_url={cf_portal.url}", *CF_WINDOW],
            "find_a_tender": [f"base_url={fts_portal.url}", *FTS_WINDOW],
        },
    )
    try:
        assert asked.wait(120)
        result = crawl_all(database_url, schedule)
    finally:
        answer.set()
    assert held.wait().returncode == 0

    assert result.returncode == 3, result.stderr[-3000:]
    lock = lock_described(database_url, "contracts_finder")
    assert f"another crawl of contracts_finder is running on this database ({lock})" in result.stderr
    found = runs(engine)
    assert [run.status for run in found["contracts_finder"]] == ["finished", "skipped"]  # the held crawl's, the refused
    table = summary_table(result.stdout)
    skipped_id = str(found["contracts_finder"][1].id)
    assert table["contracts_finder"] == ["already running", skipped_id, table["contracts_finder"][2], "0", "0"]
    fts = found["find_a_tender"][0]
    assert (fts.status, table["find_a_tender"][:2], table["find_a_tender"][3]) == (
        "finished",
        ["finished", str(fts.id)],
        str(fts.items_stored),
    )


def test_sigterm_stops_crawl_all_after_the_running_spider_ends_cleanly(
    cf_portal, fts_portal, engine, database_url, tmp_path
):
    asked, answer = hold_window(cf_portal, day(22))
    schedule = write_schedule(
        tmp_path / "schedule.toml",
        {
            "contracts_finder": [f"base_url={cf_portal.url}", *CF_WINDOW],
            "find_a_tender": [f"base_url={fts_portal.url}", *FTS_WINDOW],
        },
    )
    stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    command = crawl_all_command(database_url, schedule)
    running = RunningCrawl(subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True), stdout, stderr)
    try:
        assert asked.wait(120)
        running.process.send_signal(signal.SIGTERM)
    finally:
        answer.set()
    result = running.wait()

    assert result.returncode == 1, result.stderr[-3000:]
    found = runs(engine)
    assert [(run.status, run.finish_reason) for run in found["contracts_finder"]] == [("interrupted", "shutdown")]
    assert "find_a_tender" not in found and fts_portal.requests == []
    table = summary_table(result.stdout)
    assert table["contracts_finder"][:2] == ["interrupted", str(found["contracts_finder"][0].id)]
    assert table["find_a_tender"] == ["interrupted", "-", "-", "-", "-"]


@pytest.mark.parametrize(
    "options, message",
    [
        (["--all", "contracts_finder"], "give a SPIDER or --all, not both"),
        (["--all", "-a", "from_date=2025-01-20"], "-a and -s are for one spider"),
        (["--all", "-s", "DOWNLOAD_DELAY=0"], "-a and -s are for one spider"),
        ([], "name a SPIDER to crawl, or give --all"),
        (["contracts_finder", "--schedule", "schedule.toml"], "--schedule is for --all"),
    ],
)
def test_crawl_options_that_do_not_go_together_are_a_usage_error(options, message, tmp_path):
    command = [sys.executable, "-m", "watchdog", "--db", f"sqlite:///{tmp_path / 'watchdog.db'}", "crawl", *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Usage:" in result.stderr and message in result.stderr
    assert not (tmp_path / "watchdog.db").exists()
