"""Running a spider from the `watchdog` command, and the summary printed at its end."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import click
from scrapy.crawler import CrawlerProcess
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from watchdog import db

EXIT_OK, EXIT_ERRORS, EXIT_NOT_STARTED = 0, 1, 2


class CannotStart(Exception):
    """The crawl could not begin: an unknown spider, bad arguments, or a database to upgrade first."""


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
        """The run's status as its crawl_runs row has it: finished, failed or interrupted; unknown if unrecorded."""
        return self.stats.get("watchdog/status", "unknown")

    @property
    def exit_status(self) -> int:
        """0 when the run finished cleanly; 1 when some work failed or it did not finish."""
        return EXIT_OK if self.status == "finished" else EXIT_ERRORS

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
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(
    spider_name: str, arguments: dict[str, str], overrides: dict[str, str], database_url: str
) -> CrawlSummary:
    """Run one spider to its end in this process; CannotStart if it cannot begin."""
    engine = db.make_engine(database_url)
    if db.current_revision(engine) != db.head_revision(engine):
        raise CannotStart("the database is not at the newest schema: run `watchdog db upgrade` first")
    engine.dispose()
    settings = project_settings(database_url, overrides)
    loader = SpiderLoader.from_settings(settings)
    try:
        spider_class = loader.load(spider_name)
    except KeyError as error:
        raise CannotStart(f"no spider called {spider_name!r}; there are: {', '.join(loader.list())}") from error
    try:
        spider_class.check_arguments(**arguments)
    except ValueError as error:
        raise CannotStart(str(error)) from error
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_class)
    started = time.monotonic()
    process.crawl(crawler, **arguments)
    process.start()
    return CrawlSummary(spider_name, crawler.stats.get_stats(), time.monotonic() - started)


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
@click.argument("spider")
@click.option("-a", "arguments", multiple=True, metavar="NAME=VALUE", help="A spider argument (repeatable).")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting (repeatable).")
@click.pass_obj
def crawl_command(url: str, spider: str, arguments: tuple[str, ...], settings: tuple[str, ...]) -> None:
    """Run a spider into the database and print a summary.

    \b
    Spiders: contracts_finder, find_a_tender, hse_convictions, sfo_dpas, news (see README for their arguments).
    Exit status: 0 finished cleanly; 1 some work failed (pages not read, items not stored) or the crawl did not
    finish (stopped by a signal or Ctrl-C): see crawl_runs; 2 could not start (unknown spider, bad argument,
    database to upgrade).
    """
    try:
        summary = run_crawl(spider, pairs(arguments, "-a"), pairs(settings, "-s"), url)
    except CannotStart as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_NOT_STARTED)
    click.echo("\n".join(summary.lines()))
    sys.exit(summary.exit_status)
