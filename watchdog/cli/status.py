"""`watchdog status`: each spider's last run and last clean run, and whether a scheduled spider is stale or failing."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Connection, inspect, select
from tabulate import tabulate

from watchdog.cli.schedule import ScheduleError, load_schedule, schedule_option
from watchdog.cli.scrapyd import SCRAPYD_OPTION, read_nodes
from watchdog.console import EXIT_WORK_FAILED, counted, verbosity
from watchdog.database.models import CrawlRun
from watchdog.database.readonly import duration_text, parse_duration, read_only_connection
from watchdog.storage.runs import SKIPPED

CLEAN = "finished"
RUNNING = "running"
NO_CRAWL_YET = "no crawl has run on this database"
crawl_runs = CrawlRun.__table__
RUN_COLUMNS = (
    "id",
    "status",
    "started_at",
    "finished_at",
    "last_progress_at",
    "requests",
    "items_stored",
    "items_dropped",
    "errors",
    "warnings",
    "error_summary",
    "watermark",
)
COUNT_COLUMNS = ("requests", "items_stored", "items_dropped", "errors", "warnings")
COUNT_HEADERS = ["requests", "stored", "dropped", "errors", "warnings"]
TABLE_HEADERS = ["spider", "run", "outcome", "started", "ended", *COUNT_HEADERS, "watermark", "last clean run"]


@dataclass(frozen=True)
class Run:
    """One crawl_runs row, as far as the status shows it."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    last_progress_at: datetime | None
    requests: int
    items_stored: int
    items_dropped: int
    errors: int
    warnings: int
    error_summary: str | None
    watermark: datetime | None

    @property
    def first_error(self) -> str | None:
        lines = (self.error_summary or "").strip().splitlines()
        return lines[0] if lines else None


@dataclass(frozen=True)
class Problem:
    """Why a scheduled spider needs a person: `kind` is stale or failing."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class SpiderStatus:
    """A spider's (or ingest's) last run, its last clean run, and its newest run that is no longer running."""

    spider: str
    scheduled: bool
    last_run: Run | None
    last_clean_run: Run | None
    last_ended_run: Run | None

    def problems(self, now: datetime, max_age: float) -> list[Problem]:
        """Why the spider needs a person: its newest ended run did not finish cleanly, or its last clean run is older
        than `max_age` seconds (or there is none)."""
        found = []
        ended = self.last_ended_run
        if ended is not None and ended.status != CLEAN:
            errors = f" with {counted(ended.errors, 'error')}" if ended.errors else ""
            first_error = f": {ended.first_error}" if ended.first_error else ""
            found.append(Problem("failing", f"run {ended.id} {ended.status}{errors}{first_error}"))
        limit = f"(max {duration_text(max_age)})"
        clean = self.last_clean_run
        if self.last_run is None:
            found.append(Problem("stale", "never run"))
        elif clean is None:
            found.append(Problem("stale", f"no run has finished cleanly {limit}"))
        elif seconds_since(clean.finished_at, now) > max_age:
            found.append(Problem("stale", f"last clean run {age_text(clean.finished_at, now)} {limit}"))
        return found


def seconds_since(moment: datetime, now: datetime) -> int:
    return max(0, int((now - moment).total_seconds()))


def age_text(moment: datetime, now: datetime) -> str:
    """How long ago a moment was, as a person says it: 45 s ago, 12 min ago, 3 h 12 min ago, 2 days 5 h ago."""
    seconds = seconds_since(moment, now)
    if seconds < 60:
        return f"{seconds} s ago"
    minutes, hours, days = seconds // 60 % 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes} min ago"
    if hours < 48:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    hours %= 24
    return f"{counted(days, 'day')} {hours} h ago" if hours else f"{counted(days, 'day')} ago"


# A news crawl's share of the feeds (-a shard=K/N): each share's runs are followed apart, as each is its own crawl.
SHARD = crawl_runs.c.arguments["shard"].as_string()


def newest_run(connection: Connection, spider: str, shard: str | None, *conditions, order_by=None) -> Run | None:
    """The spider's (or its shard's) newest run (by start, unless `order_by` says otherwise) that meets the
    conditions."""
    ordering = (order_by,) if order_by is not None else (crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc())
    query = (
        select(*(crawl_runs.c[name] for name in RUN_COLUMNS))
        .where(crawl_runs.c.spider == spider, SHARD.is_(None) if shard is None else SHARD == shard, *conditions)
        .order_by(*ordering)
        .limit(1)
    )
    row = connection.execute(query).mappings().first()
    return Run(**row) if row else None


def spider_status(connection: Connection, spider: str, shard: str | None, scheduled: bool) -> SpiderStatus:
    return SpiderStatus(
        spider if shard is None else f"{spider} (shard {shard})",
        scheduled,
        newest_run(connection, spider, shard),
        newest_run(connection, spider, shard, crawl_runs.c.status == CLEAN, order_by=crawl_runs.c.finished_at.desc()),
        newest_run(connection, spider, shard, crawl_runs.c.status.not_in((RUNNING, SKIPPED))),
    )


def current_shards(connection: Connection, spider: str) -> list[str]:
    """Every share K/N of the N the spider's newest sharded run was given (a share never run included); none if it
    was never run in shares."""
    newest = connection.scalar(
        select(SHARD)
        .where(crawl_runs.c.spider == spider, SHARD.is_not(None))
        .order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc())
        .limit(1)
    )
    shares = (newest or "").partition("/")[2]
    return [f"{share}/{shares}" for share in range(1, int(shares) + 1)] if shares.isdigit() else []


def spider_statuses(connection: Connection, scheduled: list[str]) -> list[SpiderStatus]:
    """The scheduled spiders in the schedule's order (a spider run in shares, each share of its newest N), then any
    other spider, shard or ingest that has runs."""
    recorded = {tuple(row) for row in connection.execute(select(crawl_runs.c.spider, SHARD).distinct())}
    checked: list[tuple[str, str | None]] = []
    for spider in scheduled:
        shards = current_shards(connection, spider)
        if (spider, None) in recorded or not shards:
            checked.append((spider, None))
        checked += [(spider, shard) for shard in shards]
    others = sorted(recorded - set(checked), key=lambda entry: (entry[0], entry[1] or ""))
    return [spider_status(connection, spider, shard, True) for spider, shard in checked] + [
        spider_status(connection, spider, shard, False) for spider, shard in others
    ]


def read_statuses(url: str, scheduled: list[str]) -> list[SpiderStatus] | None:
    """Every spider's status, read without writing; None when the database has no crawl_runs table."""
    with read_only_connection(url) as connection:
        if crawl_runs.name not in inspect(connection).get_table_names():
            return None
        return spider_statuses(connection, scheduled)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def shown(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment else ""


def run_json(run: Run, now: datetime) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "last_progress_at": iso(run.last_progress_at),
        "last_progress_age_seconds": seconds_since(run.last_progress_at, now) if run.last_progress_at else None,
        **{name: getattr(run, name) for name in COUNT_COLUMNS},
        "first_error": run.first_error,
        "watermark": iso(run.watermark),
    }


def status_json(
    statuses: list[SpiderStatus], problems: dict[str, list[Problem]] | None, now: datetime, max_age: float | None
) -> dict[str, Any]:
    """The status for machines: times in ISO 8601 UTC, ages in seconds."""
    report: dict[str, Any] = {
        "now": iso(now),
        "spiders": [
            {
                "spider": status.spider,
                "scheduled": status.scheduled,
                "last_run": run_json(status.last_run, now) if status.last_run else None,
                "last_clean_run": {
                    "id": status.last_clean_run.id,
                    "finished_at": iso(status.last_clean_run.finished_at),
                    "age_seconds": seconds_since(status.last_clean_run.finished_at, now),
                }
                if status.last_clean_run
                else None,
            }
            for status in statuses
        ],
        "max_age_seconds": max_age,
    }
    if problems is not None:
        report["healthy"] = not problems
        report["problems"] = [
            {
                "spider": spider,
                "reasons": [problem.kind for problem in spider_problems],
                "message": problem_line(spider, spider_problems),
            }
            for spider, spider_problems in problems.items()
        ]
    return report


def problem_line(spider: str, problems: list[Problem]) -> str:
    return f"{spider}: {'; '.join(str(problem) for problem in problems)}"


def table_row(status: SpiderStatus, now: datetime) -> list[object]:
    name = status.spider if status.scheduled else f"{status.spider} (not scheduled)"
    clean = status.last_clean_run
    last_clean = f"{shown(clean.finished_at)} ({age_text(clean.finished_at, now)})" if clean else "never"
    run = status.last_run
    if run is None:
        return [name, "", "never run", *[""] * 8, last_clean]
    if run.status == RUNNING:
        progress = run.last_progress_at
        ended = f"progress {shown(progress)} ({age_text(progress, now)})" if progress else "no progress yet"
    else:
        ended = shown(run.finished_at)
    counts = [getattr(run, name) for name in COUNT_COLUMNS]
    return [name, run.id, run.status, shown(run.started_at), ended, *counts, shown(run.watermark), last_clean]


def status_lines(statuses: list[SpiderStatus], now: datetime) -> list[str]:
    """The status for people: a table of the spiders' last runs, then their runs' first errors."""
    columns = ["left"] * 5 + ["right"] * len(COUNT_COLUMNS) + ["left"] * 2
    rows = [table_row(status, now) for status in statuses]
    table = tabulate(rows, headers=TABLE_HEADERS, colalign=columns, disable_numparse=True)
    lines = [f"Crawl runs (times in UTC, now {shown(now)}):", "", table]
    errors = [status for status in statuses if status.last_run and status.last_run.first_error]
    if errors:
        lines += ["", "First errors:"]
        lines += [f"  {status.spider}, run {status.last_run.id}: {status.last_run.first_error}" for status in errors]
    return lines


def max_age_seconds(_context: click.Context, _parameter: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@click.command("status")
@click.option(
    "--max-age",
    callback=max_age_seconds,
    metavar="DURATION",
    help="Exit 1 if a scheduled spider's last clean run ended longer ago than this (26h, 90min), it never finished "
    "cleanly, or its newest ended run failed, was interrupted or abandoned; name each such spider and say why.",
)
@schedule_option("The schedule file naming the spiders to check.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON, for machines.")
@SCRAPYD_OPTION
@click.pass_obj
def status_command(
    url: str, max_age: float | None, schedule_file: Path | None, as_json: bool, scrapyd_urls: str | None
) -> None:
    """Show each spider's last run, outcome and counts, and when its last clean run ended.

    \b
    Spiders shown: those in the schedule (a spider never run says so), and any other spider or ingest with runs.
    With --scrapyd, then the nodes' running and pending jobs and their newest finished ones.
    Exit status: 0 whatever the runs' outcomes; with --max-age, 1 if a scheduled spider is stale or failing;
    with --scrapyd, 1 if a node cannot be reached or refuses (the rest is shown all the same).
    With -q it prints only the problems --max-age and --scrapyd find: nothing at all when all is well.
    A schedule or database that cannot be read is an error, as for every command (see `watchdog --help`).
    """
    try:
        scheduled = [crawl.spider for crawl in load_schedule(schedule_file)]
    except ScheduleError as error:
        raise click.UsageError(str(error)) from error
    now = datetime.now(UTC)
    statuses = read_statuses(url, scheduled)
    crawled = statuses is not None and any(status.last_run for status in statuses)
    if statuses is None:
        statuses = [SpiderStatus(spider, True, None, None, None) for spider in scheduled]
    problems = None
    if max_age is not None:
        found = {status.spider: status.problems(now, max_age) for status in statuses if status.scheduled}
        problems = {spider: spider_problems for spider, spider_problems in found.items() if spider_problems}
    nodes = read_nodes(scrapyd_urls) if scrapyd_urls else None
    if as_json:
        report = status_json(statuses, problems, now, max_age)
        if nodes is not None:
            report["scrapyd"] = nodes.as_json()
        click.echo(json.dumps(report, indent=2))
    elif verbosity.quiet:
        for spider, spider_problems in (problems or {}).items():
            click.echo(problem_line(spider, spider_problems))
        for line in nodes.failure_lines() if nodes is not None else []:
            click.echo(line)
    else:
        click.echo("\n".join(status_lines(statuses, now)) if crawled else NO_CRAWL_YET)
        if problems is not None:
            click.echo()
            for spider, spider_problems in problems.items():
                click.echo(problem_line(spider, spider_problems))
            if not problems:
                click.echo(f"Healthy: every scheduled spider finished cleanly in the last {duration_text(max_age)}.")
        if nodes is not None:
            click.echo("\n" + "\n".join(nodes.lines()))
    if problems or (nodes is not None and nodes.failures):
        sys.exit(EXIT_WORK_FAILED)
