"""How long a crawl's reactor is kept from its other work: a Scrapy extension that sets a timer every 10 ms from the
spider's opening to its closing, and notes how late each one runs.

A timer runs late when something holds the reactor's thread (a database write, parsing a page, anything
synchronous): downloads, timeouts and the crawl's own timers wait as long. Enable it beside the project's
extensions, with this folder on PYTHONPATH, and name the JSON file it writes its figures to:

    watchdog crawl SPIDER ... -s 'EXTENSIONS={"watchdog.sources.extensions.CrawlRunRecorder": 500,
        "watchdog.sources.progress.CrawlProgress": 600, "reactor_lag.ReactorLag": 900}' \
        -s BENCH_REACTOR_LAG_FILE=lag.json

The figures (see lag_figures): crawl_seconds, stalled_share, stalls, worst_stall, closing_seconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

TICK_SECONDS = 0.01
LATE_SECONDS = 0.05


def lag_figures(gaps: list[float], crawl_seconds: float, closing_seconds: float) -> dict[str, float | int]:
    """From the gaps between timers meant to run every TICK_SECONDS over `crawl_seconds`:

    - stalled_share: the share of the crawl during which a timer was more than LATE_SECONDS late;
    - stalls: how many times a timer ran more than LATE_SECONDS late;
    - worst_stall: the longest gap between two timers, in seconds;
    - crawl_seconds, closing_seconds: as given (closing: from the spider's last idle to spider_closed)."""
    late = [gap - TICK_SECONDS - LATE_SECONDS for gap in gaps if gap - TICK_SECONDS > LATE_SECONDS]
    return {
        "crawl_seconds": round(crawl_seconds, 3),
        "stalled_share": round(sum(late) / crawl_seconds, 4) if crawl_seconds else 0.0,
        "stalls": len(late),
        "worst_stall": round(max(gaps, default=0.0), 3),
        "closing_seconds": round(closing_seconds, 3),
    }


class ReactorLag:
    """Scrapy extension: a timer every TICK_SECONDS from spider_opened to spider_closed; its figures go to the JSON
    file BENCH_REACTOR_LAG_FILE names, and to the crawl's stats under reactor_lag/."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.lag_file = crawler.settings.get("BENCH_REACTOR_LAG_FILE")
        self.timer = create_looping_call(self.tick)
        self.gaps: list[float] = []
        self.opened_at = self.last_tick = self.idle_at = 0.0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReactorLag:
        return cls(crawler)

    def spider_opened(self) -> None:
        self.opened_at = self.last_tick = time.monotonic()
        self.timer.start(TICK_SECONDS, now=False)

    def spider_idle(self) -> None:
        self.idle_at = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        self.gaps.append(now - self.last_tick)
        self.last_tick = now

    def spider_closed(self) -> None:
        self.tick()
        self.timer.stop()
        closed_at = time.monotonic()
        figures = lag_figures(self.gaps, closed_at - self.opened_at, closed_at - self.idle_at if self.idle_at else 0.0)
        for name, value in figures.items():
            self.stats.set_value(f"reactor_lag/{name}", value)
        if self.lag_file:
            Path(self.lag_file).write_text(json.dumps(figures), encoding="utf-8")
