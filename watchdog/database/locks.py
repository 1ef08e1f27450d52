"""One crawl of a spider at a time on a database: a lock each crawl holds from before its first request to its end.

Both locks are let go by the operating system or the server when the process ends, however it ends (kill -9
included), so a killed crawl never leaves a lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from watchdog.database import db


class AlreadyRunning(Exception):
    """Another crawl of the spider holds its lock on this database."""


def lock_file_path(database_file: str | Path, spider: str) -> Path:
    """The lock file of a spider's crawls on a SQLite file: beside it, as watchdog.db.contracts_finder.lock."""
    database_file = Path(database_file).resolve()
    return database_file.with_name(f"{database_file.name}.{spider}.lock")


def advisory_lock_key(spider: str) -> int:
    """The PostgreSQL advisory lock key of a spider's crawls: a signed 64-bit number, the same in every process."""
    digest = hashlib.sha256(f"contract-watchdog crawl {spider}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def refusal(spider: str, lock: str) -> AlreadyRunning:
    return AlreadyRunning(f"another crawl of {spider} is running on this database ({lock}); this one did not start")


@contextmanager
def file_lock(path: Path, spider: str) -> Iterator[None]:
    """An exclusive flock on `path`, created if missing and never deleted (a waiter and a newcomer must lock the
    same file). fcntl.flock rather than the filelock package: the kernel lets a flock go when its process dies,
    which is the whole point, and filelock falls back to a lock file a killed process leaves behind where a file
    system has no flock."""
    with open(path, "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise refusal(spider, f"lock file {path}") from error
        yield


@contextmanager
def advisory_lock(database_url: str, spider: str) -> Iterator[None]:
    """A session-level pg_try_advisory_lock on a connection of its own, held open to the end; closing the
    connection (or losing it) lets the lock go."""
    key = advisory_lock_key(spider)
    engine = db.make_engine(
        database_url,
        poolclass=NullPool,
        # Named for pg_stat_activity; keepalives stop a firewall from dropping the idle connection mid-crawl.
        connect_args={"application_name": f"watchdog crawl {spider} (lock)", "keepalives_idle": 60},
    )
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            # A server that ends idle sessions (idle_session_timeout, PostgreSQL 14 and later) would end this one,
            # and the lock with it, while the crawl runs.
            connection.execute(
                text("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'idle_session_timeout'")
            )
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                raise refusal(spider, f"PostgreSQL advisory lock {key}")
            yield
    finally:
        engine.dispose()


def crawl_lock(database_url: str, spider: str) -> AbstractContextManager[None]:
    """The lock a crawl of `spider` holds on the database: AlreadyRunning when another crawl of it holds it.
    SQLite in memory needs none: no other process can see it."""
    if db.database_url(database_url).startswith("postgresql"):
        return advisory_lock(database_url, spider)
    database_file = db.sqlite_file(database_url)
    return nullcontext() if database_file is None else file_lock(lock_file_path(database_file, spider), spider)
