"""Scale benchmark (issue 12): watchdog at the size of the real record, on SQLite and PostgreSQL.

    python bench/scale_benchmark.py [--sizes 10000,100000] [--skip-postgres] [--skip-crawl] [--seed N] [--keep DIR]
                                    [--ingest-up-to N] [--crawl-releases N]

A size is a number of contracts: procurements of one award, each published as a tender release and an award
release (scale_data.py). For each size it writes the releases as JSON Lines and loads them into each database:
with `watchdog ingest` up to --ingest-up-to contracts (first load, then the same file again, beside the raw
sqlite3 loader of ingest_benchmark.py), above it with the raw loader and watchdog's own refresh (PostgreSQL then
gets a copy of the SQLite rows). Then it ingests a day's 10,000 releases into each database and times the views
people read. Last, it crawls new releases from a fake Contracts Finder on 127.0.0.1 into the largest databases,
watching how late the crawl's reactor runs (reactor_lag.py). It ends with issue 12's goals beside the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tabulate import tabulate

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))
from crawling import crawl_command  # noqa: E402
from fake_portal import FakePortal, fixture  # noqa: E402
from ingest_benchmark import Run, measured, raw_load, watchdog  # noqa: E402
from postgres_server import PostgresServer, find_bindir  # noqa: E402
from scale_data import ScaleData  # noqa: E402
from sqlalchemy import event, inspect, select  # noqa: E402
from test_questions import readme_queries  # noqa: E402

from watchdog import settings  # noqa: E402
from watchdog.database.awards import refresh_awards  # noqa: E402
from watchdog.database.db import make_engine, upgrade  # noqa: E402
from watchdog.database.models import Base  # noqa: E402
from watchdog.database.readonly import QueryStopped, read_only_connection, run_select  # noqa: E402
from watchdog.database.totals import rebuild_all  # noqa: E402
from watchdog.identity.review import after_crawl  # noqa: E402
from watchdog.items import GroupMembershipItem  # noqa: E402
from watchdog.normalise.names import name_key  # noqa: E402
from watchdog.sources.spiders.contracts_finder import ContractsFinderSpider  # noqa: E402
from watchdog.storage.store import Store  # noqa: E402

DAILY_RELEASES = 10_000
RUNS_PER_QUERY = 3
QUERY_TIME_LIMIT = 300.0
ONE_RUN_ABOVE = 30.0  # seconds: a query this slow is run once, not three times
CRAWL_PAGE = 80  # releases per page, one page per day: a full page of 100 would make the spider look for more
CRAWL_FIRST_DAY = date(2024, 1, 1)
ITEMS_PER_WRITE = 500
BUILD_CACHE_MIB = 1024  # SQLite's page cache while a database is built by the raw loader (its default is 2 MiB)
BUILD_CACHE = f"-{BUILD_CACHE_MIB * 1024}"  # as PRAGMA cache_size takes it: negative, in KiB
INGEST_SECONDS = re.compile(r" in ([0-9.]+) s \(")
GROUP_RECORD = "select * from group_record"
TOP_SUPPLIERS = "supplier_record, top 20 by contracts_value_gbp"


@dataclass
class Load:
    """One database at one size: how it was built, its ingests, and its queries' median seconds and rows."""

    backend: str
    size: int
    built_by: str
    build_seconds: float
    first: Run | None = None
    again: Run | None = None
    daily: Run | None = None
    queries: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    @property
    def releases(self) -> int:
        return 2 * self.size

    @property
    def daily_seconds(self) -> float:
        """The day's ingest as the ingest itself timed it, Python's start-up left out."""
        return float(INGEST_SECONDS.search(self.daily.output).group(1))


@dataclass
class Measured:
    """What one size gave: its databases' URLs, their loads, and the raw loader's time if it ran."""

    urls: dict[str, str]
    loads: list[Load] = field(default_factory=list)
    raw_seconds: float | None = None


@dataclass
class Crawl:
    """A crawl into the database of the largest size, and how late its reactor ran (reactor_lag.py)."""

    backend: str
    size: int
    releases: int
    run: Run
    lag: dict[str, float]


def size_text(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def say(message: str) -> None:
    print(message, flush=True)


# The databases


@contextmanager
def postgres(skip: bool) -> Iterator[PostgresServer | None]:
    """A throwaway PostgreSQL server for the whole run (tests/postgres_server.py), or None."""
    bindir = None if skip else find_bindir()
    if bindir is None:
        say("PostgreSQL: skipped" if skip else "PostgreSQL: no server binaries found, skipped")
        yield None
        return
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def new_postgres_database(server: PostgresServer, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def write_items(url: str, data: ScaleData) -> None:
    """The group memberships, enforcement actions and incidents, through watchdog's own store."""
    store = Store(make_engine(url))
    items = data.extra_items()
    for start in range(0, len(items), ITEMS_PER_WRITE):
        rejected = store.write(items[start : start + ITEMS_PER_WRITE])
        if rejected:
            sys.exit(f"the store refused {len(rejected)} items: {rejected[0].reason}")
    store.engine.dispose()


def load_by_ingest(backend: str, url: str, data: ScaleData, path: Path) -> Load:
    """`watchdog db upgrade`, the extra items, then `watchdog ingest` of the file twice."""
    started = time.perf_counter()
    subprocess.run(watchdog(url, "db", "upgrade"), check=True, capture_output=True)
    write_items(url, data)
    first = measured(watchdog(url, "ingest", str(path)))
    say(f"  {backend} first ingest: {first.seconds:.1f} s, {data.releases / first.seconds:,.0f} releases/s")
    again = measured(watchdog(url, "ingest", str(path)))
    say(f"  {backend} re-ingest: {again.seconds:.1f} s")
    return Load(backend, data.contracts, "watchdog ingest", time.perf_counter() - started, first, again)


def as_watchdog_stores_it(database: Path) -> None:
    """What the raw loader keys otherwise or leaves out. It keys names by lower(), and watchdog's resolver looks
    them up by name_key(), so later ingests would not find a supplier or buyer known by name only: buyers whose
    names share a key become one, as watchdog makes them (two suppliers' names never share one in this data;
    if they did, the first would keep it). It counts no award's suppliers, and the totals tell a shared award by
    them; it gives no pounds figure to an award with a value including VAT only."""
    with sqlite3.connect(database) as connection:
        connection.execute(f"PRAGMA cache_size = {BUILD_CACHE}")
        for table in ("suppliers", "supplier_aliases"):
            rows = connection.execute(f"SELECT id, name FROM {table}").fetchall()
            keys = [(name_key(name), row_id) for row_id, name in rows]
            connection.executemany(f"UPDATE OR IGNORE {table} SET name_key = ? WHERE id = ?", keys)
        keepers: dict[str, int] = {}
        moved = []
        for row_id, name in connection.execute("SELECT id, name FROM buyers ORDER BY id").fetchall():
            keeper = keepers.setdefault(name_key(name), row_id)
            if keeper != row_id:
                moved.append((keeper, row_id))
        connection.executemany("UPDATE contracts SET buyer_id = ? WHERE buyer_id = ?", moved)
        connection.executemany("DELETE FROM buyers WHERE id = ?", [(row_id,) for _, row_id in moved])
        connection.executemany("UPDATE buyers SET name_key = ? WHERE id = ?", list(keepers.items()))
        connection.execute(
            "UPDATE contracts SET suppliers_count = (SELECT COUNT(*) FROM contract_suppliers cs "
            "WHERE cs.contract_id = contracts.id) WHERE award_id <> ''"
        )
        connection.execute(
            "UPDATE contracts SET initial_value_gbp = initial_value_gross "
            "WHERE initial_value IS NULL AND currency = 'GBP'"
        )


def refresh_after_raw_load(url: str) -> None:
    """What watchdog works out as it stores, over everything: which award rows are current and the totals; then
    what it does after an ingest: decisions and groups applied again, candidates for review, the planner's
    statistics. With a page cache of BUILD_CACHE_MIB: the build is not what is measured."""
    engine = make_engine(url)
    event.listen(engine, "connect", lambda connection, _: connection.execute(f"PRAGMA cache_size = {BUILD_CACHE}"))
    with engine.begin() as connection:
        refresh_awards(connection)
        rebuild_all(connection)
    after_crawl(engine)
    Store(engine).analyze()
    engine.dispose()


def load_by_raw_loader(url: str, data: ScaleData, path: Path) -> Load:
    started = time.perf_counter()
    database = Path(url.removeprefix("sqlite:///"))
    say(f"  SQLite raw sqlite3 loader: {raw_load(path, database, BUILD_CACHE_MIB):.0f} s")
    as_watchdog_stores_it(database)
    write_items(url, data)
    began = time.perf_counter()
    refresh_after_raw_load(url)
    say(f"  SQLite watchdog's refresh after the loader: {time.perf_counter() - began:.0f} s")
    return Load("SQLite", data.contracts, "raw sqlite3 loader + refresh", time.perf_counter() - started)


def copy_to_postgres(sqlite_url: str, postgres_url: str, size: int) -> Load:
    """An upgraded PostgreSQL database filled with the SQLite database's rows, ids and all (COPY, table by table,
    foreign-key triggers off while copying), its sequences moved past the ids copied."""
    from psycopg.types.json import Jsonb

    started = time.perf_counter()
    source, target = make_engine(sqlite_url, writing=False), make_engine(postgres_url)
    upgrade(target)
    with source.connect() as reading, target.connect() as writing:
        cursor = writing.connection.driver_connection.cursor()
        cursor.execute("SET session_replication_role = replica")
        for table in Base.metadata.sorted_tables:
            sides = [inspect(side) for side in (reading, writing)]
            if not all(side.has_table(table.name) for side in sides):
                continue
            present = [{column["name"] for column in side.get_columns(table.name)} for side in sides]
            columns = [column for column in table.c if all(column.name in names for names in present)]
            with cursor.copy(f"COPY {table.name} ({', '.join(c.name for c in columns)}) FROM STDIN") as copy:
                for row in reading.execution_options(yield_per=10_000).execute(select(*columns)):
                    copy.write_row([Jsonb(value) if isinstance(value, dict | list) else value for value in row])
            if "id" in table.c:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
        cursor.execute("SET session_replication_role = origin")
        writing.commit()
    Store(target).analyze()
    source.dispose()
    target.dispose()
    return Load("PostgreSQL", size, "copy of the SQLite rows", time.perf_counter() - started)


# The views people read


def view_queries(data: ScaleData) -> dict[str, str]:
    """The queries timed: the totals views, a supplier's events, and the README's questions, asked of the largest
    generated group (for "Serco Group plc")."""
    groups = Counter(item.group.name for item in data.extra_items() if isinstance(item, GroupMembershipItem))
    group_name = groups.most_common(1)[0][0]
    queries = {
        GROUP_RECORD: "SELECT * FROM group_record",
        TOP_SUPPLIERS: "SELECT * FROM supplier_record ORDER BY contracts_value_gbp DESC LIMIT 20",
        "supplier_events of the busiest supplier, by name": "SELECT * FROM supplier_events "
        f"WHERE supplier_name = '{data.suppliers[0].name}' ORDER BY event_date DESC",
    }
    for number, sql in sorted(readme_queries().items()):
        queries[f"README question {number}"] = sql.replace("'Serco Group plc'", f"'{group_name}'")
    return queries


def time_query(url: str, sql: str) -> tuple[float | None, int]:
    """The median seconds of RUNS_PER_QUERY runs, every row fetched (one run if it is slow), and the rows; None
    if the query ran out of time. Each run has a read-only connection of its own, as `watchdog query` does."""
    seconds, rows = [], 0
    while len(seconds) < RUNS_PER_QUERY and not (seconds and seconds[0] > ONE_RUN_ABOVE):
        try:
            with read_only_connection(url, timeout=QUERY_TIME_LIMIT) as connection:
                started = time.perf_counter()
                rows = sum(1 for _ in run_select(connection, sql))
                seconds.append(time.perf_counter() - started)
        except QueryStopped:
            return None, 0
    return statistics.median(seconds), rows


def time_queries(load: Load, url: str, queries: dict[str, str]) -> None:
    for name, sql in queries.items():
        load.queries[name] = seconds, rows = time_query(url, sql)
        say(f"  {load.backend} {name}: {seconds_text(seconds)}, {rows:,} rows")


# The crawl


def crawl(backend: str, url: str, data: ScaleData, releases: int, folder: Path) -> Crawl:
    """Crawl `releases` new releases (procurements after those of the data and of its day's file) from a fake
    Contracts Finder, a page a day, with the reactor watched."""
    first_new = data.contracts + DAILY_RELEASES
    published = [r for number in range(first_new, first_new + releases // 2) for r in data.procurement(number)]
    days = -(-len(published) // CRAWL_PAGE)
    spider = ContractsFinderSpider
    envelope = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
    lag_file = folder / f"reactor-lag-{backend}.json"
    extensions = {**settings.EXTENSIONS, "reactor_lag.ReactorLag": 900}
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])),
    }
    with FakePortal(
        spider.base_url, spider.search_path, spider.from_parameter, envelope, spider.until_parameter
    ) as portal:
        for day in range(days):
            moment = f"{CRAWL_FIRST_DAY + timedelta(days=day)}T12:00:00"
            portal.publish(moment, published[day * CRAWL_PAGE : (day + 1) * CRAWL_PAGE])
        window = (f"from_date={CRAWL_FIRST_DAY}", f"until_date={CRAWL_FIRST_DAY + timedelta(days=days)}")
        command = crawl_command(
            url,
            spider.name,
            (f"base_url={portal.url}", *window),
            (f"EXTENSIONS={json.dumps(extensions)}", f"BENCH_REACTOR_LAG_FILE={lag_file}"),
        )
        run = measured(command, env=environment, check=False)
    lag = json.loads(lag_file.read_text())
    say(
        f"  crawl into {backend}: exit status {run.exit_status}, {run.seconds:.1f} s, peak RSS {run.peak_mb:.0f} MB; "
        "reactor late by > 50 ms "
        f"{lag['stalled_share']:.0%} of the time, worst stall {lag['worst_stall']:.2f} s"
    )
    return Crawl(backend, data.contracts, len(published), run, lag)


# The figures


def met(ok: bool) -> str:
    return "yes" if ok else "NO"


def seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return f"> {QUERY_TIME_LIMIT:.0f} s (stopped)"
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def peak_mb(load: Load) -> float:
    """The highest peak of the database's `watchdog ingest` runs: first load, re-ingest (when it was ingested), day."""
    return max(run.peak_mb for run in (load.first, load.again, load.daily) if run)


def goal_row(
    what: str, loads: list[Load], figure: Callable[[Load], str], goal: str, passes: Callable[[Load], bool]
) -> list[str]:
    """A goal's row: its figure at each size, met when it is met at every size."""
    figures = "; ".join(f"{size_text(load.size)}: {figure(load)}" for load in loads)
    return [what, figures, goal, met(all(passes(load) for load in loads))]


def goals(loads: list[Load], raw_seconds: dict[int, float], crawls: list[Crawl]) -> list[list[str]]:
    """Issue 12's goals, a row for each goal and database."""
    by_backend: dict[str, list[Load]] = {}
    for load in loads:
        by_backend.setdefault(load.backend, []).append(load)
    rows = []
    unmeasured = "" if max(load.size for load in loads) >= 1_000_000 else " (no 1M run)"
    for backend, mine in by_backend.items():
        for name, goal, limit in ((GROUP_RECORD, "< 2 s at 1M", 2.0), (TOP_SUPPLIERS, "< 50 ms at 1M", 0.05)):
            row = goal_row(
                f"{name} ({backend})",
                mine,
                lambda load, name=name: seconds_text(load.queries[name][0]),
                goal,
                lambda load, name=name, limit=limit: (load.queries[name][0] or math.inf) < limit,
            )
            rows.append([*row[:3], row[3] + unmeasured])
    share = lambda load: raw_seconds[load.size] / load.first.seconds  # noqa: E731
    if ingested := [load for load in by_backend["SQLite"] if load.first]:
        rows.append(
            goal_row(
                "watchdog ingest into SQLite, first load, beside the raw sqlite3 loader",
                ingested,
                lambda load: f"{share(load):.0%} ({load.first.seconds:.0f} s, loader {raw_seconds[load.size]:.0f} s)",
                ">= 50% of the loader's speed",
                lambda load: share(load) >= 0.5,
            )
        )
    for backend, mine in by_backend.items():
        flat = max(map(peak_mb, mine)) <= 1.25 * min(map(peak_mb, mine))
        rows.append(
            goal_row(
                f"watchdog ingest peak RSS, first / again / day ({backend})",
                mine,
                lambda load: f"{peak_mb(load):.0f} MB",
                "< 300 MB, flat in N (within 25%)",
                lambda load, flat=flat: peak_mb(load) < 300 and flat,
            )
        )
        if not (ingested := [load for load in mine if load.first]):
            continue
        if backend == "PostgreSQL":
            rows.append(
                goal_row(
                    "PostgreSQL first load",
                    ingested,
                    lambda load: f"{load.releases / load.first.seconds:,.0f} releases/s",
                    ">= 5,000 releases/s",
                    lambda load: load.releases / load.first.seconds >= 5000,
                )
            )
        rows.append(
            goal_row(
                f"re-ingest of seen releases, speed-up ({backend})",
                ingested,
                lambda load: f"{load.first.seconds / load.again.seconds:.1f}x",
                ">= 5x",
                lambda load: load.first.seconds / load.again.seconds >= 5,
            )
        )
    for backend, mine in by_backend.items():
        rows.append(
            goal_row(
                f"a day's {DAILY_RELEASES:,} releases into the big database ({backend})",
                mine,
                lambda load: f"{load.daily_seconds:.1f} s (wall {load.daily.seconds:.1f} s)",
                "< 1 s, flat",
                lambda load: load.daily_seconds < 1,
            )
        )
    for crawled in crawls:
        lag = crawled.lag
        rows.append(
            [
                f"crawl of {crawled.releases:,} releases from a loopback portal ({crawled.backend}, "
                f"into the {size_text(crawled.size)} database)",
                f"reactor late by > 50 ms for {lag['stalled_share']:.1%} of {lag['crawl_seconds']:.0f} s "
                f"({lag['stalls']} stalls), worst stall {lag['worst_stall']:.2f} s; "
                f"closing {lag['closing_seconds']:.1f} s",
                "storage never blocks the reactor",
                met(lag["stalls"] == 0),
            ]
        )
    return rows


def ingest_rows(load: Load, raw_seconds: dict[int, float]) -> list[list[str]]:
    """A database's runs: how it was built, its day's file, and for SQLite the raw loader of the same file."""
    label = f"{load.backend}, {size_text(load.size)}"
    runs = [("first load", load.first, load.releases), ("re-ingest", load.again, load.releases)] if load.first else []
    runs.append(("a day's file", load.daily, DAILY_RELEASES))
    rows = [] if load.first else [[label, f"built by {load.built_by}", f"{load.build_seconds:.1f}", "", "", ""]]
    for when, run, releases in runs:
        figures = [
            f"{run.seconds:.1f}",
            f"{releases / run.seconds:,.0f}",
            f"{run.cpu_seconds:.1f}",
            f"{run.peak_mb:.0f}",
        ]
        rows.append([label, when, *figures])
    if load.backend == "SQLite" and load.size in raw_seconds:
        seconds = raw_seconds[load.size]
        rows.append(
            [label, "raw sqlite3 loader (in process)", f"{seconds:.1f}", f"{load.releases / seconds:,.0f}", "", ""]
        )
    return rows


def print_figures(loads: list[Load], raw_seconds: dict[int, float], crawls: list[Crawl]) -> None:
    rows = [row for load in loads for row in ingest_rows(load, raw_seconds)]
    headers = ["database", "run", "wall s", "releases/s", "CPU s", "peak RSS MB"]
    say(tabulate(rows, headers=headers, colalign=["left", "left"] + ["right"] * 4, disable_numparse=True))
    names = list(dict.fromkeys(name for load in loads for name in load.queries))
    rows = [
        [name, *(f"{seconds_text(load.queries[name][0])} ({load.queries[name][1]:,})" for load in loads)]
        for name in names
    ]
    headers = [
        f"query: median of {RUNS_PER_QUERY} (one run above {ONE_RUN_ABOVE:.0f} s), every row fetched (rows)",
        *(f"{load.backend}, {size_text(load.size)}" for load in loads),
    ]
    say("\n" + tabulate(rows, headers=headers, colalign=["left"] + ["right"] * len(loads), disable_numparse=True))
    say(
        "\n"
        + tabulate(
            goals(loads, raw_seconds, crawls), headers=["what", "measured", "goal", "met"], disable_numparse=True
        )
    )


# The run


def benchmark_size(size: int, args: argparse.Namespace, folder: Path, server: PostgresServer | None) -> Measured:
    """Write the data of one size, load it into each database, ingest a day's file into each, time the views."""
    data = ScaleData(size, args.seed)
    path, daily = folder / f"releases-{size}.jsonl", folder / f"daily-{size}.jsonl"
    began = time.perf_counter()
    data.write(path)
    data.write_daily(daily, DAILY_RELEASES)
    say(
        f"\n== {size:,} contracts: {data.releases:,} releases ({path.stat().st_size / 1e6:,.0f} MB), "
        f"{len(data.suppliers):,} suppliers, written in {time.perf_counter() - began:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    urls = {"SQLite": f"sqlite:///{folder / f'watchdog-{size}.db'}"}
    if server:
        urls["PostgreSQL"] = new_postgres_database(server, f"bench_{size}")
    done = Measured(urls)
    for backend, url in urls.items():
        if size > args.ingest_up_to:
            load = (
                load_by_raw_loader(url, data, path)
                if backend == "SQLite"
                else copy_to_postgres(urls["SQLite"], url, size)
            )
            say(f"  {backend} built by {load.built_by} in {load.build_seconds:.0f} s")
        else:
            load = load_by_ingest(backend, url, data, path)
            if backend == "SQLite":
                done.raw_seconds = raw_load(path, folder / "raw.db")
                say(f"  raw sqlite3 loader: {done.raw_seconds:.1f} s")
                for leftover in folder.glob("raw.db*"):
                    leftover.unlink()
        done.loads.append(load)
    for load, url in zip(done.loads, urls.values(), strict=True):
        load.daily = measured(watchdog(url, "ingest", str(daily)))
        say(f"  {load.backend} a day's file: {load.daily_seconds:.1f} s (wall {load.daily.seconds:.1f} s)")
        time_queries(load, url, view_queries(data))
    return done


@contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    """DIR from --keep, made if needed and kept; else a temporary folder removed at the end."""
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="watchdog-scale-") as folder:
        yield Path(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="contracts, comma-separated (default 10000,100000)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-crawl", action="store_true", help="no crawl from the fake portal")
    parser.add_argument("--seed", type=int, default=12, help="the data's seed (default 12)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write everything to DIR and keep it")
    parser.add_argument(
        "--ingest-up-to",
        type=int,
        default=100_000,
        metavar="N",
        help="sizes above N are built by the raw loader, not ingested (default 100000)",
    )
    parser.add_argument("--crawl-releases", type=int, default=20_000, help="releases crawled (default 20000)")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if sizes[0] < DAILY_RELEASES:
        parser.error(f"sizes start at {DAILY_RELEASES}: a day's file publishes again that many known procurements")
    started = time.perf_counter()
    loads, raw_seconds, crawls = [], {}, []
    with workspace(args.keep) as folder, postgres(args.skip_postgres) as server:
        for size in sizes:
            done = benchmark_size(size, args, folder, server)
            loads += done.loads
            if done.raw_seconds is not None:
                raw_seconds[size] = done.raw_seconds
            say(f"  {size:,} contracts done after {time.perf_counter() - started:.0f} s")
        if not args.skip_crawl:
            data = ScaleData(sizes[-1], args.seed)
            crawls = [crawl(backend, url, data, args.crawl_releases, folder) for backend, url in done.urls.items()]
    say(f"\nAll done in {time.perf_counter() - started:.0f} s\n")
    print_figures(loads, raw_seconds, crawls)


if __name__ == "__main__":
    main()
