"""Running the real `watchdog crawl` command, as a person would, against a fake portal."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from watchdog.models import Base, CrawlRun

# Waits shortened a thousandfold (300 s becomes 0.3 s), not skipped; no delay between requests.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "WATCHDOG_WAIT_SCALE=0.001", "-s", "WATCHDOG_BACKOFF=1"]


def crawl(
    database_url: str, spider: str, *arguments: str, settings: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "watchdog", "--db", database_url, "crawl", spider, *FAST]
    for argument in arguments:
        command += ["-a", argument]
    for setting in settings:
        command += ["-s", setting]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def last_run(engine) -> CrawlRun:
    with Session(engine) as session:
        return session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).one()


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(text(f"SELECT COUNT(*) FROM {table}"))
            for table in Base.metadata.tables
            if table != "crawl_runs"
        }
