"""The crawl_runs table: a crawl's own record, opened, kept up to date and closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from watchdog.database.models import (
    CrawlRun,
)
from watchdog.normalise.dates import utcnow

crawl_runs = CrawlRun.__table__


# A run still `running` that has reported no progress for this many progress intervals was killed.
SILENT_INTERVALS_ABANDONED = 10


def start_run(
    engine: Engine, spider: str, arguments: dict[str, Any] | None = None, round_started_at: datetime | None = None
) -> int:
    """Open a crawl_runs row (of the `crawl --all` round started at `round_started_at`, if any); its id."""
    with engine.begin() as connection:
        return connection.execute(
            insert(crawl_runs)
            .values(
                spider=spider,
                arguments=arguments or None,
                started_at=utcnow(),
                status="running",
                round_started_at=round_started_at,
            )
            .returning(crawl_runs.c.id)
        ).scalar_one()


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


def abandon_silent_runs(engine: Engine, spider: str, silent_since: datetime) -> list[tuple[int, datetime]]:
    """Mark abandoned the spider's runs still `running` that have reported no progress since `silent_since`
    (a killed process reports none): each ends when it last reported. Returns their ids and those times."""
    last_heard = func.coalesce(crawl_runs.c.last_progress_at, crawl_runs.c.started_at)
    with engine.begin() as connection:
        silent = connection.execute(
            select(crawl_runs.c.id, last_heard).where(
                crawl_runs.c.spider == spider, crawl_runs.c.status == "running", last_heard < silent_since
            )
        ).all()
        for run_id, heard_at in silent:
            connection.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run_id, crawl_runs.c.status == "running")
                .values(status="abandoned", finished_at=heard_at)
            )
    return [(run_id, heard_at) for run_id, heard_at in silent]
