"""Progress shown on a terminal: a status line for a running crawl, a bar for each file an ingest reads.

Shown only on a terminal: never in a pipe, a log file or cron mail. A crawl shows it unless WATCHDOG_PROGRESS_DISPLAY
is False; an ingest when asked (`show_progress`). Log lines written while it is shown go above it, through tqdm, so
they never garble it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from tqdm import tqdm

from watchdog.console import counted

REFRESH_SECONDS = 0.5
Piece = TypeVar("Piece")


class AboveProgress(logging.Handler):
    """Hands a console handler its records, taking the progress shown off the terminal while it writes."""

    def __init__(self, console: logging.StreamHandler) -> None:
        super().__init__(console.level)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        with tqdm.external_write_mode(file=self.console.stream):
            self.console.handle(record)


def is_console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stdout, sys.stderr)


@contextmanager
def log_above_progress() -> Iterator[None]:
    """Within it, the root logger's console handlers write above the progress shown, at their own levels."""
    root = logging.getLogger()
    wrappers = [AboveProgress(handler) for handler in root.handlers if is_console(handler)]
    for wrapper in wrappers:
        root.removeHandler(wrapper.console)
        root.addHandler(wrapper)
    try:
        yield
    finally:
        for wrapper in wrappers:
            root.removeHandler(wrapper)
            root.addHandler(wrapper.console)


def releases_read(pieces: Iterable[Piece], path: Path, show: bool, stream: IO[str] | None = None) -> Iterator[Piece]:
    """The releases of a file as they are read; with `show`, counted on a bar on standard error (or `stream`):
    releases read and releases per second."""
    if not show:
        yield from pieces
        return
    with log_above_progress():
        yield from tqdm(pieces, desc=path.name, unit=" releases", file=stream, mininterval=REFRESH_SECONDS)


@dataclass
class CrawlCounts:
    """How far a crawl has got: date windows done of all (an OCDS spider's, once planned), pages read, items
    stored, errors."""

    pages: int
    items_stored: int
    errors: int
    windows_done: int = 0
    windows: int = 0

    @classmethod
    def of(cls, spider: Spider, stats: dict[str, Any]) -> CrawlCounts:
        counts = cls(
            stats.get("response_received_count", 0),
            stats.get("watchdog/items_stored", 0),
            stats.get("log_count/ERROR", 0),
        )
        if hasattr(spider, "windows"):
            counts.windows_done, counts.windows = len(spider.finished_windows), len(spider.windows)
        return counts

    @property
    def done(self) -> int:
        return self.windows_done if self.windows else self.pages

    def __str__(self) -> str:
        windows = [f"{self.windows_done:,}/{counted(self.windows, 'window')}"] if self.windows else []
        pages, errors = counted(self.pages, "page"), counted(self.errors, "error")
        return ", ".join([*windows, pages, f"{self.items_stored:,} items stored", errors])


class CrawlStatus:
    """One line on a terminal, written over in place: a crawl's counts, how long it has run and, once it knows how
    many windows it has, how long it may still take."""

    def __init__(self, spider_name: str, stream: IO[str]) -> None:
        self.spider_name = spider_name
        self.bar = tqdm(file=stream, desc=spider_name, bar_format="{desc} [{elapsed}]", leave=False)

    def show(self, counts: CrawlCounts) -> None:
        if counts.windows and self.bar.total != counts.windows:  # the windows are planned: count them
            self.bar.reset(total=counts.windows)
            self.bar.bar_format = "{desc} [{elapsed}<{remaining}]"
        self.bar.update(counts.done - self.bar.n)
        self.bar.set_description_str(f"{self.spider_name}: {counts}")

    def close(self) -> None:
        self.bar.close()


class CrawlProgress:
    """Shows a running crawl's status line on standard error, rewritten twice a second, while log lines go above
    it. Off when standard error is not a terminal, or WATCHDOG_PROGRESS_DISPLAY is False."""

    def __init__(self, crawler: Crawler, stream: IO[str]) -> None:
        self.crawler = crawler
        self.stream = stream
        self.status: CrawlStatus
        self.logging = ExitStack()
        self.refresher = create_looping_call(self.refresh)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        if not (crawler.settings.getbool("WATCHDOG_PROGRESS_DISPLAY") and sys.stderr.isatty()):
            raise NotConfigured
        return cls(crawler, sys.stderr)

    def spider_opened(self, spider: Spider) -> None:
        self.status = CrawlStatus(spider.name, self.stream)
        self.logging.enter_context(log_above_progress())
        self.refresher.start(REFRESH_SECONDS, now=True)

    def refresh(self) -> None:
        self.status.show(CrawlCounts.of(self.crawler.spider, self.crawler.stats.get_stats()))

    def spider_closed(self) -> None:
        self.refresher.stop()
        self.status.close()
        self.logging.close()
