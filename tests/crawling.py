"""Running the real `watchdog crawl` command, as a person would, against a fake portal."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from watchdog.database.models import Base, CrawlRun

# Waits shortened a thousandfold (300 s becomes 0.3 s), not skipped; no delay between requests.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "WATCHDOG_WAIT_SCALE=0.001", "-s", "WATCHDOG_BACKOFF=1"]


def crawl_command(database_url: str, spider: str, arguments: tuple[str, ...], settings: tuple[str, ...]) -> list[str]:
    command = [sys.executable, "-m", "watchdog", "--db", database_url, "crawl", spider, *FAST]
    for argument in arguments:
        command += ["-a", argument]
    for setting in settings:
        command += ["-s", setting]
    return command


def crawl(
    database_url: str, spider: str, *arguments: str, settings: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    command = crawl_command(database_url, spider, arguments, settings)
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@dataclass
class RunningCrawl:
    """A crawl started and left running, for a test that stops or kills it. Its output goes to files, so a
    chatty crawl never stops on a full pipe that nobody reads."""

    process: subprocess.Popen
    stdout: IO[str]
    stderr: IO[str]

    def wait(self, timeout: float = 120) -> subprocess.CompletedProcess:
        self.process.wait(timeout)
        outputs = []
        for output in (self.stdout, self.stderr):
            output.seek(0)
            outputs.append(output.read())
            output.close()
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, *outputs)


def start_crawl(database_url: str, spider: str, *arguments: str, settings: tuple[str, ...] = ()) -> RunningCrawl:
    command = crawl_command(database_url, spider, arguments, settings)
    stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    return RunningCrawl(subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True), stdout, stderr)


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
