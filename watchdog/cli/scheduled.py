"""`watchdog crawl --all`: every spider of the schedule file, each in a process of its own, one after another.

A process each, because Scrapy's reactor cannot start twice in one process, and so that a crash stays with its
spider. Each child writes to this command's own output as it goes; its crawl_runs row says how it went.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from tabulate import tabulate

from watchdog.cli.crawl import (
    check_database,
    project_settings,
    spider_class,
)
from watchdog.cli.schedule import ScheduledCrawl, ScheduleError, load_schedule, schedule_path
from watchdog.console import EXIT_CANNOT_START, EXIT_LOCKED, EXIT_OK, EXIT_WORK_FAILED, CannotStart, verbosity_flags
from watchdog.database import db
from watchdog.database.models import CrawlRun
from watchdog.sources.extensions import ROUND_STARTED_AT_VARIABLE

FINISHED, FAILED, INTERRUPTED, NOT_STARTED, ALREADY_RUNNING = (
    "finished",
    "failed",
    "interrupted",
    "could not start",
    "already running",
)
STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Outcome:
    """How one scheduled spider's crawl went; `run` is its crawl_runs row, if it opened one."""

    spider: str
    outcome: str
    run: CrawlRun | None = None
    seconds: float | None = None

    def row(self) -> list[object]:
        seconds = "-" if self.seconds is None else f"{self.seconds:.0f}"
        if self.run is None:
            return [self.spider, self.outcome, "-", seconds, "-", "-"]
        return [self.spider, self.outcome, self.run.id, seconds, self.run.items_stored, self.run.errors]


class SignalRelay:
    """Passes SIGINT and SIGTERM on to the running child, and remembers them so no further child starts. The
    children run in a session of their own, so each signal reaches a child once, from here (twice would force
    Scrapy's unclean shutdown)."""

    def __init__(self) -> None:
        self.child: subprocess.Popen | None = None
        self.signal_number: int | None = None

    def receive(self, signal_number: int, _frame: object) -> None:
        self.signal_number = signal_number
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal_number)

    def __enter__(self) -> SignalRelay:
        self.previous = {number: signal.signal(number, self.receive) for number in STOPPING_SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def checked_schedule(database_url: str, schedule_file: Path | None) -> list[ScheduledCrawl]:
    """The schedule's crawls, each spider known and its arguments good; CannotStart before anything runs."""
    path = schedule_path(schedule_file)
    try:
        crawls = load_schedule(path)
    except ScheduleError as error:
        raise CannotStart(str(error)) from error
    check_database(database_url)
    for crawl in crawls:
        try:
            spider_class(project_settings(database_url, crawl.settings), crawl.spider, crawl.arguments)
        except CannotStart as error:
            raise CannotStart(f"the schedule {path} [{crawl.spider}]: {error}") from error
    return crawls


def child_arguments(crawl: ScheduledCrawl) -> list[str]:
    """`crawl SPIDER -a ... -s ...`, as a person would type it."""
    options = [("-a", f"{name}={value}") for name, value in crawl.arguments.items()]
    options += [("-s", f"{name}={value}") for name, value in crawl.settings.items()]
    return ["crawl", crawl.spider, *(part for option in options for part in option), *verbosity_flags()]


def newest_run_id(engine: Engine, spider: str) -> int | None:
    """The id of the spider's newest run (0 if none); None if the database cannot say (the child's own error
    line will tell why)."""
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.coalesce(func.max(CrawlRun.id), 0)).where(CrawlRun.spider == spider))
    except SQLAlchemyError:
        return None


def run_opened_after(engine: Engine, spider: str, run_id: int | None) -> CrawlRun | None:
    """The first crawl_runs row of `spider` after `run_id`: the one the child opened, if it opened one (None
    also when the database cannot be read)."""
    if run_id is None:
        return None
    try:
        with Session(engine) as session:
            query = select(CrawlRun).where(CrawlRun.spider == spider, CrawlRun.id > run_id).order_by(CrawlRun.id)
            return session.scalars(query.limit(1)).first()
    except SQLAlchemyError:
        return None


def outcome_of(exit_status: int, run: CrawlRun | None) -> str:
    if exit_status == EXIT_LOCKED:
        return ALREADY_RUNNING
    if run is None:
        return NOT_STARTED
    if exit_status == EXIT_OK and run.status == FINISHED:
        return FINISHED
    # A child that died without closing its row (killed, out of memory) left it `running`: that is a failure.
    return INTERRUPTED if run.status == INTERRUPTED else FAILED


def run_child(
    crawl: ScheduledCrawl, database_url: str, engine: Engine, relay: SignalRelay, round_started_at: datetime
) -> Outcome:
    arguments = child_arguments(crawl)
    click.echo(f"watchdog {shlex.join(arguments)}")
    before = newest_run_id(engine, crawl.spider)
    started = time.monotonic()
    # The database URL goes by the environment, not the command line, which every user of the machine can read
    # (and a PostgreSQL URL may hold a password); so does the time the round started, which the child's run records.
    variables = {db.DATABASE_URL_VARIABLE: database_url, ROUND_STARTED_AT_VARIABLE: round_started_at.isoformat()}
    relay.child = subprocess.Popen(
        [sys.executable, "-m", "watchdog", *arguments],
        env=os.environ | variables,
        start_new_session=True,
    )
    exit_status = relay.child.wait()
    relay.child = None
    run = run_opened_after(engine, crawl.spider, before)
    return Outcome(crawl.spider, outcome_of(exit_status, run), run, time.monotonic() - started)


def exit_status_of(outcomes: list[Outcome]) -> int:
    """0 if every spider finished cleanly; 1 if one failed, was interrupted or could not start; else 3 if one was
    skipped because another crawl of it was running."""
    found = {outcome.outcome for outcome in outcomes}
    if found & {FAILED, INTERRUPTED, NOT_STARTED}:
        return EXIT_WORK_FAILED
    return EXIT_LOCKED if ALREADY_RUNNING in found else EXIT_OK


def run_schedule(database_url: str, schedule_file: Path | None) -> int:
    """Crawl every spider of the schedule, print one summary of them all, and return the exit status."""
    try:
        crawls = checked_schedule(database_url, schedule_file)
    except CannotStart as error:
        click.echo(f"Error: {error}", err=True)
        return EXIT_CANNOT_START
    # No pooled connection lies idle while a child runs, for a server to close under it.
    engine = db.make_engine(database_url, poolclass=NullPool)
    outcomes = []
    round_started_at = datetime.now(UTC)
    try:
        with SignalRelay() as relay:
            for crawl in crawls:
                if relay.signal_number is None:
                    outcomes.append(run_child(crawl, database_url, engine, relay, round_started_at))
                else:
                    outcomes.append(Outcome(crawl.spider, INTERRUPTED))
    finally:
        engine.dispose()
    headers = ["spider", "outcome", "crawl run", "seconds", "items stored", "errors"]
    rows = [outcome.row() for outcome in outcomes]
    click.echo("\n" + tabulate(rows, headers=headers, disable_numparse=True, colalign=["left"] * 2 + ["right"] * 4))
    return exit_status_of(outcomes)
