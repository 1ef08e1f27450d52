"""Running a spider from the `watchdog` command, and the summary printed at its end."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from scrapy.crawler import CrawlerProcess
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from watchdog.cli.schedule import schedule_option
from watchdog.console import (
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_WORK_FAILED,
    CannotStart,
    hand_logging_to_scrapy,
    quiet_chatty_loggers,
    scrapy_log_settings,
    verbosity,
)
from watchdog.database import db
from watchdog.database.locks import AlreadyRunning
from watchdog.sources.extensions import LOG_REFUSAL_SETTING
from watchdog.storage.runs import SKIPPED


@dataclass
class CrawlSummary:
    spider: str
    stats: dict[str, Any]
    seconds: float

    def count(self, key: str) -> int:
        return self.stats.get(key, 0)

    @property
    def errors(self) -> int:
        return self.count("log_count/ERROR")

    @property
    def status(self) -> str:
        """The run's status as its crawl_runs row has it: finished, failed, interrupted or skipped; unknown if
        unrecorded."""
        return self.stats.get("watchdog/status", "unknown")

    @property
    def exit_status(self) -> int:
        """0 when the run finished cleanly; 1 when some work failed or it did not finish."""
        return EXIT_OK if self.status == "finished" else EXIT_WORK_FAILED

    def lines(self) -> list[str]:
        reason = self.stats.get("finish_reason", "unknown")
        count = self.count
        not_stored = count("watchdog/items_not_stored")
        return [
            f"{self.spider}: {self.status}{'' if reason == 'finished' else f' ({reason})'} in {self.seconds:.0f} s, "
            f"crawl run {self.stats.get('watchdog/crawl_run_id')}",
            f"  requests        {count('downloader/request_count')}",
            f"  pages           {count('watchdog/pages')}: {count('watchdog/releases')} releases, "
            f"{count('watchdog/cases')} cases, {count('watchdog/articles')} articles",
            f"  contracts       {count('watchdog/contracts_new')} new, {count('watchdog/contracts_updated')} updated, "
            f"{count('watchdog/releases_unchanged')} releases seen before",
            f"  items           {count('watchdog/items_stored')} stored, {count('watchdog/items_dropped')} dropped"
            + (f", {not_stored} not stored (the database could not write)" if not_stored else ""),
            f"  waits, retries  {count('watchdog/rate_limited')} rate limits, {count('retry/count')} retries",
            f"  errors          {self.errors}, warnings {count('log_count/WARNING')}"
            + (" (see crawl_runs.error_summary)" if self.errors else ""),
        ]


def project_settings(database_url: str, overrides: dict[str, str]):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "watchdog.settings")
    settings = get_project_settings()
    settings.set("WATCHDOG_DATABASE_URL", database_url, priority="cmdline")
    settings.setdict(scrapy_log_settings(), priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, checked_setting(name, value, settings.get(name)), priority="cmdline")
    return settings


BOOLEAN_WORDS = {"0", "1", "true", "false"}


def checked_setting(name: str, value: str, default: object) -> str:
    """A setting given as text, if it reads as the kind of value its default is; CannotStart saying what it takes."""
    if isinstance(default, bool):
        if value.lower() not in BOOLEAN_WORDS:
            raise CannotStart(f"setting {name}={value!r}: {name} takes True or False")
        return value
    try:
        if isinstance(default, int):
            int(value)
        elif isinstance(default, float):
            float(value)
    except ValueError as error:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise CannotStart(f"setting {name}={value!r}: {name} takes {kind}") from error
    return value


def check_database(database_url: str) -> None:
    """CannotStart unless the database exists at the newest schema."""
    db.ready_engine(database_url).dispose()


def spider_class(settings, spider_name: str, arguments: dict[str, str]) -> type:
    """The spider called `spider_name`, its arguments checked; CannotStart saying what is wrong."""
    loader = SpiderLoader.from_settings(settings)
    try:
        found = loader.load(spider_name)
    except KeyError as error:
        raise CannotStart(f"no spider called {spider_name!r}; there are: {', '.join(loader.list())}") from error
    try:
        found.check_arguments(**arguments)
    except ValueError as error:
        raise CannotStart(str(error)) from error
    return found


def run_crawl(
    spider_name: str, arguments: dict[str, str], overrides: dict[str, str], database_url: str
) -> CrawlSummary:
    """Run one spider to its end in this process (the crawl holds its spider's lock on the database throughout:
    see CrawlRunRecorder); CannotStart if it cannot begin, AlreadyRunning if another crawl of it holds the lock."""
    check_database(database_url)
    settings = project_settings(database_url, overrides)
    settings.set(LOG_REFUSAL_SETTING, False, priority="cmdline")  # crawl_command says it in one line
    spider = spider_class(settings, spider_name, arguments)
    hand_logging_to_scrapy()
    process = CrawlerProcess(settings)
    quiet_chatty_loggers(verbosity.level)  # Scrapy's logging set-up has just reset them
    crawler = process.create_crawler(spider)
    started = time.monotonic()
    process.crawl(crawler, **arguments)
    process.start()
    summary = CrawlSummary(spider_name, crawler.stats.get_stats(), time.monotonic() - started)
    if summary.status == SKIPPED:
        raise AlreadyRunning(summary.stats["watchdog/refusal"])
    return summary


def pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict."""
    found = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name:
            raise click.UsageError(f"{option} takes NAME=VALUE, not {value!r}")
        found[name] = setting
    return found


@click.command("crawl", context_settings={"show_default": True})
@click.argument("spider", required=False)
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    show_default=False,
    help="Run every spider the schedule file lists, each in a process of its own, one after another.",
)
@schedule_option("The schedule file for --all.")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="A spider argument (repeatable).")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting (repeatable).")
@click.pass_obj
def crawl_command(
    url: str,
    spider: str | None,
    run_all: bool,
    schedule_file: Path | None,
    arguments: tuple[str, ...],
    settings: tuple[str, ...],
) -> None:
    """Run a spider (or, with --all, every spider of the schedule file) into the database and print a summary.

    \b
    Spiders: contracts_finder, find_a_tender, hse_convictions, sfo_dpas, news (see README for their arguments).
    Exit status: 0 finished cleanly (with --all: every spider did); 1 some work failed (pages not read, items not
    stored) or the crawl did not finish (stopped by a signal or Ctrl-C): see crawl_runs; 2 could not start
    (unknown spider, bad argument, bad schedule file, database to upgrade); 3 another crawl of the spider is
    running on this database, so this one did not start (with --all: some spider was skipped for that reason,
    and every other finished cleanly).
    """
    if run_all:
        if spider:
            raise click.UsageError("give a SPIDER or --all, not both")
        if arguments or settings:
            raise click.UsageError("-a and -s are for one spider; for --all, write them in the schedule file")
        from watchdog.cli.scheduled import run_schedule  # it builds on this module

        sys.exit(run_schedule(url, schedule_file))
    if not spider:
        raise click.UsageError("name a SPIDER to crawl, or give --all for every spider of the schedule file")
    if schedule_file:
        raise click.UsageError("--schedule is for --all")
    try:
        summary = run_crawl(spider, pairs(arguments, "-a"), pairs(settings, "-s"), url)
    except AlreadyRunning as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_LOCKED)
    click.echo("\n".join(summary.lines()))
    sys.exit(summary.exit_status)
