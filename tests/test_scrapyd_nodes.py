"""Two real Scrapyd nodes over one PostgreSQL database, against two slow portals serving thousands of releases: the
same spider posted to both nodes at once runs once (the other job is refused by its lock and recorded as skipped),
and two spiders writing the same new suppliers at the same time store every release once and no supplier twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from postgres_server import only_postgresql, scratch_database
from scrapyd_nodes import ScrapydNode, logs_of, wait_for_jobs
from slow_portal import (
    contract_keys,
    contracts_finder_portal,
    find_a_tender_portal,
    portal_releases,
    supplier_names,
)
from sqlalchemy import text

from watchdog.database import db
from watchdog.database.locks import advisory_lock_key

RELEASES_PER_PORTAL = 2400
START, END = datetime(2025, 1, 6, tzinfo=UTC), datetime(2025, 1, 10, tzinfo=UTC)
WINDOW = {"from_date": "2025-01-06", "until_date": "2025-01-10"}
DELAY = 0.1  # seconds per request, one at a time: each portal answers 10 requests a second at most
# No politeness delay of the spider's own (the portal's rate is the cap), waits shortened; batches of 100 items, so
# the two crawls' writes interleave.
JOB_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "WATCHDOG_WAIT_SCALE": "0.001",
    "WATCHDOG_BACKOFF": "1",
    "WATCHDOG_BATCH_SIZE": "100",
    "WATCHDOG_PROGRESS_INTERVAL": "1",
}
COMPARED_TABLES = ["suppliers", "supplier_aliases", "supplier_identifiers", "buyers", "contracts", "contract_suppliers"]


@pytest.fixture
def reference_url(postgres_server_url):
    """Another database on the same server, for a single-process ingest of the same releases."""
    with scratch_database(postgres_server_url, f"watchdog_reference_{os.getpid()}") as url:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url


def rows(engine, sql: str) -> list:
    with engine.connect() as connection:
        return connection.execute(text(sql)).all()


def skipped_run_recorded(engine) -> bool:
    return bool(rows(engine, "SELECT 1 FROM crawl_runs WHERE status = 'skipped'"))


def suppliers(engine) -> list[tuple[str, str | None]]:
    return sorted(rows(engine, "SELECT name_key, company_number FROM suppliers"), key=repr)


def counts(engine) -> dict[str, int]:
    return {table: rows(engine, f"SELECT COUNT(*) FROM {table}")[0][0] for table in COMPARED_TABLES}


@only_postgresql
def test_two_nodes_run_a_spider_once_and_store_every_release_once(engine, database_url, reference_url, tmp_path):
    cf_releases = portal_releases("ocds-b5fd17-", RELEASES_PER_PORTAL, START, END)
    fts_releases = portal_releases("ocds-h6vhtk-", RELEASES_PER_PORTAL, START, END)
    # Each crawl's first request waits until the duplicate job has been refused: the two crawls then start together,
    # and the duplicate cannot come after the first has finished.
    hold = {"hold": lambda: skipped_run_recorded(engine)}
    with (
        contracts_finder_portal(cf_releases, DELAY, **hold) as cf_portal,
        find_a_tender_portal(fts_releases, DELAY, **hold) as fts_portal,
        ScrapydNode(tmp_path / "node-a", database_url) as node_a,
        ScrapydNode(tmp_path / "node-b", database_url) as node_b,
    ):
        jobs = [
            node_a.schedule("contracts_finder", {"base_url": cf_portal.url, **WINDOW}, JOB_SETTINGS),
            node_b.schedule("contracts_finder", {"base_url": cf_portal.url, **WINDOW}, JOB_SETTINGS),
            node_b.schedule("find_a_tender", {"base_url": fts_portal.url, **WINDOW}, JOB_SETTINGS),
        ]
        wait_for_jobs(jobs, timeout=120)
        logs = logs_of(jobs)

    runs = rows(engine, "SELECT * FROM crawl_runs ORDER BY id")
    assert sorted((run.spider, run.status) for run in runs) == [
        ("contracts_finder", "finished"),
        ("contracts_finder", "skipped"),
        ("find_a_tender", "finished"),
    ], logs
    skipped = next(run for run in runs if run.status == "skipped")
    assert skipped.error_summary == (
        f"another crawl of contracts_finder is running on this database "
        f"(PostgreSQL advisory lock {advisory_lock_key('contracts_finder')}); this one did not start"
    )
    crawled = [run for run in runs if run.status == "finished"]
    assert [(run.items_dropped, run.errors) for run in crawled] == [(0, 0), (0, 0)]
    assert crawled[0].started_at < crawled[1].finished_at and crawled[1].started_at < crawled[0].finished_at
    refused = [job for job in jobs[:2] if "Spider closed (skipped)" in job.log()]
    assert len(refused) == 1, logs

    # Each portal served every release once; the skipped job asked for nothing.
    assert sorted(r["ocid"] for r in cf_portal.served) == sorted(r["ocid"] for _, r in cf_releases)
    assert sorted(r["ocid"] for r in fts_portal.served) == sorted(r["ocid"] for _, r in fts_releases)
    served = contract_keys(cf_portal.served + fts_portal.served)
    stored = rows(engine, "SELECT ocid, award_id FROM contracts")
    assert len(stored) == len(served) == len(set(served)) == 4800  # 2,862 awards, 1,938 procurements before award
    assert {tuple(row) for row in stored} == set(served)

    assert (
        rows(engine, "SELECT name_key FROM suppliers WHERE company_number IS NULL GROUP BY 1 HAVING COUNT(*) > 1") == []
    )
    names = supplier_names(cf_portal.served + fts_portal.served)
    assert len(names) == len(supplier_names(cf_portal.served)) == len(supplier_names(fts_portal.served)) == 1684
    assert {row.name for row in rows(engine, "SELECT name FROM supplier_aliases")} == names

    releases_file = tmp_path / "served.jsonl"
    releases_file.write_text("".join(json.dumps(r) + "\n" for r in cf_portal.served + fts_portal.served))
    ingest = [sys.executable, "-m", "watchdog", "--db", reference_url, "ingest", str(releases_file)]
    result = subprocess.run(ingest, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    reference = db.make_engine(reference_url)
    try:
        assert counts(engine) == counts(reference)
        assert suppliers(engine) == suppliers(reference)
    finally:
        reference.dispose()
