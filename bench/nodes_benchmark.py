"""Nodes benchmark (issue 15): releases per second from two rate-limited sources, on one Scrapyd node or two.

    python bench/nodes_benchmark.py [--releases 5000] [--delay 1] [--postgres-url URL]

Two fake portals on 127.0.0.1 (tests/slow_portal.py), Contracts Finder and Find a Tender, each serve --releases
releases (clones of the real ones) in pages of 100, answering one request at a time, each after --delay seconds:
each source is capped at 1 / delay requests a second, as a real one is by its rate limit (the default,
one a second, is Contracts Finder's own pace: its spider's DOWNLOAD_DELAY). Both spiders crawl the
same four days, into one PostgreSQL database (a new one for each layout), through real Scrapyd processes
(tests/scrapyd_nodes.py). Three layouts:

- one node, one crawl at a time (Scrapyd max_proc 1): the two spiders run one after the other;
- one node, two crawls at once (max_proc 2): the two spiders run side by side on one machine;
- two nodes, one spider each (max_proc 1 each).

Each node lists the spiders first (Scrapyd runs `scrapy list` once, as any node that ran a job before has). Wall
time runs from posting the jobs to both jobs finished (Scrapyd's listjobs, read every 0.5 s); releases/s is
the releases served by both portals over it. The ratio is each layout's releases/s over the first's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tabulate import tabulate

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))
from postgres_server import PostgresServer, find_bindir  # noqa: E402
from scrapyd_nodes import Job, ScrapydNode, logs_of, wait_for_jobs  # noqa: E402
from slow_portal import contract_keys, contracts_finder_portal, find_a_tender_portal, portal_releases  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from watchdog.database import db  # noqa: E402

START, END = datetime(2025, 1, 6, tzinfo=UTC), datetime(2025, 1, 10, tzinfo=UTC)
WINDOW = {"from_date": "2025-01-06", "until_date": "2025-01-10"}
# The portal's rate is the cap: no politeness delay of the spider's own on top of it.
JOB_SETTINGS = {"DOWNLOAD_DELAY": "0", "WATCHDOG_PROGRESS_INTERVAL": "5"}
SPIDERS = ("contracts_finder", "find_a_tender")


@dataclass
class Layout:
    name: str
    max_proc: int
    nodes: int


LAYOUTS = [
    Layout("1 node, 1 crawl at a time", max_proc=1, nodes=1),
    Layout("1 node, 2 crawls at once", max_proc=2, nodes=1),
    Layout("2 nodes, 1 spider each", max_proc=1, nodes=2),
]


@dataclass
class Result:
    layout: Layout
    wall_seconds: float
    releases: int
    crawl_seconds: dict[str, float]
    contracts: int

    @property
    def releases_per_second(self) -> float:
        return self.releases / self.wall_seconds


def say(message: str) -> None:
    print(message, flush=True)


def machine() -> str:
    """The CPU, its cores, the memory, the system and Python."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return (
        f"{model}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def new_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    return url


def run_layout(layout: Layout, server_url: str, portal_urls: dict[str, str], served: Callable[[], int]) -> Result:
    database_url = new_database(server_url, f"watchdog_nodes_{layout.nodes}_{layout.max_proc}")
    with tempfile.TemporaryDirectory(prefix="watchdog-nodes-") as folder, ExitStack() as stack:
        nodes = [
            stack.enter_context(ScrapydNode(Path(folder) / f"node-{n}", database_url, max_proc=layout.max_proc))
            for n in range(layout.nodes)
        ]
        for node in nodes:  # as a node that has run jobs before knows them
            node.spiders()
        served_before = served()
        started = time.monotonic()
        jobs: list[Job] = [
            nodes[number % len(nodes)].schedule(spider, {"base_url": portal_urls[spider], **WINDOW}, JOB_SETTINGS)
            for number, spider in enumerate(SPIDERS)
        ]
        wait_for_jobs(jobs, timeout=3600)
        wall = time.monotonic() - started
        releases = served() - served_before
        engine = db.make_engine(database_url)
        with engine.connect() as connection:
            runs = connection.execute(text("SELECT spider, status, started_at, finished_at FROM crawl_runs")).all()
            contracts = connection.scalar(text("SELECT COUNT(*) FROM contracts"))
        engine.dispose()
        if sorted((run.spider, run.status) for run in runs) != [(spider, "finished") for spider in SPIDERS]:
            sys.exit(f"{layout.name}: the crawls did not finish cleanly: {runs}\n{logs_of(jobs)}")
    crawl_seconds = {run.spider: (run.finished_at - run.started_at).total_seconds() for run in runs}
    return Result(layout, wall, releases, crawl_seconds, contracts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=5000, help="releases each portal serves (default 5000)")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per request of each portal (default 1)")
    parser.add_argument("--postgres-url", help="a server of your own (a database is made on it for each layout)")
    options = parser.parse_args()

    with ExitStack() as stack:
        server_url = options.postgres_url
        if not server_url:
            bindir = find_bindir()
            if bindir is None:
                sys.exit("no PostgreSQL server binaries found (apt-get install postgresql), and no --postgres-url")
            server = PostgresServer(bindir)
            server.start()
            stack.callback(server.stop)
            server_url = server.url
        say(f"Machine: {machine()}")
        engine = create_engine(server_url)
        with engine.connect() as connection:
            say(f"PostgreSQL: {connection.scalar(text('SHOW server_version'))}")
        engine.dispose()
        cf = stack.enter_context(
            contracts_finder_portal(portal_releases("ocds-b5fd17-", options.releases, START, END), options.delay)
        )
        fts = stack.enter_context(
            find_a_tender_portal(portal_releases("ocds-h6vhtk-", options.releases, START, END), options.delay)
        )
        expected_contracts = len(contract_keys([release for _, release in cf.releases + fts.releases]))
        say(
            f"Two portals of {options.releases:,} releases each, one request at a time every {options.delay} s at "
            f"most ({1 / options.delay:.1f} requests/s, {100 / options.delay:.0f} releases/s per source at most)"
        )
        results = []
        for layout in LAYOUTS:
            say(f"\n{layout.name}...")
            requests_before = cf.requests + fts.requests
            result = run_layout(
                layout,
                server_url,
                {"contracts_finder": cf.url, "find_a_tender": fts.url},
                lambda: len(cf.served) + len(fts.served),
            )
            say(f"  {result.wall_seconds:.1f} s, {cf.requests + fts.requests - requests_before} requests")
            if result.contracts != expected_contracts:
                sys.exit(f"{layout.name}: {result.contracts} contracts stored, {expected_contracts} expected")
            results.append(result)

    base = results[0].releases_per_second
    rows = [
        [
            result.layout.name,
            f"{result.wall_seconds:.1f}",
            " / ".join(f"{result.crawl_seconds[spider]:.1f}" for spider in SPIDERS),
            f"{result.releases:,}",
            f"{result.releases_per_second:.0f}",
            f"{result.releases_per_second / base:.2f}x",
        ]
        for result in results
    ]
    headers = ["layout", "wall s", "crawl s (CF / FTS)", "releases", "releases/s", "vs 1 at a time"]
    say("\n" + tabulate(rows, headers, tablefmt="github"))


if __name__ == "__main__":
    main()
