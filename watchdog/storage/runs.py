"""The crawl_runs table: a crawl's own record, opened, kept up to date and closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, func, insert, select, update

from watchdog.database.models import CrawlRun
from watchdog.normalise.dates import utcnow

crawl_runs = CrawlRun.__table__


# A crawl its spider's lock refused: recorded, and counted neither as clean nor as failing.
SKIPPED = "skipped"
# A run still `running` that has reported no progress for this many progress intervals was killed.
SILENT_INTERVALS_ABANDONED = 10


def insert_run(engine: Engine, **values: Any) -> int:
    with engine.begin() as connection:
        return connection.execute(insert(crawl_runs).values(**values).returning(crawl_runs.c.id)).scalar_one()


def start_run(
    engine: Engine, spider: str, arguments: dict[str, Any] | None = None, round_started_at: datetime | None = None
) -> int:
    """Open a crawl_runs row (of the `crawl --all` round started at `round_started_at`, if any); its id."""
    return insert_run(
        engine,
        spider=spider,
        arguments=arguments or None,
        started_at=utcnow(),
        status="running",
        round_started_at=round_started_at,
    )


def record_skipped_run(
    engine: Engine,
    spider: str,
    arguments: dict[str, Any] | None,
    at: datetime,
    refusal: str,
    round_started_at: datetime | None,
) -> int:
    """One row, started and ended at once, for a crawl its spider's lock refused: it read and wrote nothing."""
    return insert_run(
        engine,
        spider=spider,
        arguments=arguments or None,
        started_at=at,
        finished_at=at,
        last_progress_at=at,
        status=SKIPPED,
        finish_reason=SKIPPED,
        error_summary=refusal,
        round_started_at=round_started_at,
    )


def last_watermark(engine: Engine, spider: str) -> datetime | None:
    """The watermark of the spider's most recently finished crawl that recorded one."""
    with engine.connect() as connection:
        return connection.scalar(
            select(crawl_runs.c.watermark)
            .where(
                crawl_runs.c.spider == spider,
                crawl_runs.c.finished_at.is_not(None),
                crawl_runs.c.watermark.is_not(None),
            )
            .order_by(crawl_runs.c.finished_at.desc())
            .limit(1)
        )


def record_progress(engine: Engine, run_id: int, **counts: Any) -> None:
    """Write a running crawl's counts and watermark so far. A run another found silent, and marked abandoned,
    is running again when it reports."""
    with engine.begin() as connection:
        connection.execute(
            update(crawl_runs)
            .where(crawl_runs.c.id == run_id)
            .values(status="running", finished_at=None, last_progress_at=utcnow(), **counts)
        )


def finish_run(engine: Engine, run_id: int, **counts: Any) -> None:
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            update(crawl_runs).where(crawl_runs.c.id == run_id).values(finished_at=now, last_progress_at=now, **counts)
        )


class AbandonedRun(NamedTuple):
    id: int
    started_at: datetime
    last_heard_at: datetime


def abandon_silent_runs(engine: Engine, spider: str, silent_since: datetime) -> list[AbandonedRun]:
    """Mark abandoned the spider's runs still `running` that have reported no progress since `silent_since`
    (a killed process reports none): each ends when it last reported. Returns them."""
    last_heard = func.coalesce(crawl_runs.c.last_progress_at, crawl_runs.c.started_at)
    with engine.begin() as connection:
        silent = [
            AbandonedRun(*row)
            for row in connection.execute(
                select(crawl_runs.c.id, crawl_runs.c.started_at, last_heard).where(
                    crawl_runs.c.spider == spider, crawl_runs.c.status == "running", last_heard < silent_since
                )
            )
        ]
        for run in silent:
            connection.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run.id, crawl_runs.c.status == "running")
                .values(status="abandoned", finished_at=run.last_heard_at)
            )
    return silent


def catch_up_since(started_at: datetime, abandoned: list[AbandonedRun]) -> datetime:
    """From when a run's after-work (identity review, search index) must read what was written: its own start, or
    that of a run of its spider it found killed, whose after-work never ran."""
    return min([started_at, *(run.started_at for run in abandoned)])
