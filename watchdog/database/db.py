"""Where the database is, how to open it, and how to bring it to the newest schema."""

from __future__ import annotations

import functools
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError

from watchdog import PACKAGE_DIR
from watchdog.console import CannotStart

DEFAULT_DATABASE_URL = "sqlite:///watchdog.db"
DATABASE_URL_VARIABLE = "WATCHDOG_DATABASE_URL"
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a write waits for another program's write lock
# PostgreSQL's serialization failure and deadlock: the server rolled a transaction back so another could go on.
CLASHING_WRITERS = {"40001", "40P01"}
CLASH_RETRIES = 8
logger = logging.getLogger(__name__)
Result = TypeVar("Result")


def database_url(explicit: str | None = None) -> str:
    """The URL given on the command line, else $WATCHDOG_DATABASE_URL, else ./watchdog.db."""
    url = explicit or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship in the `postgres` extra.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _configure_sqlite_connection(dbapi_connection, _connection_record, busy_timeout: float, writing: bool) -> None:
    # WAL lets a journalist's SQL client read while a crawl writes; the busy timeout makes
    # two overlapping crawls wait for each other instead of failing with "database is locked".
    # A reader leaves the file's journal mode as it is: reading never changes the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
    if writing:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def make_engine(
    url: str | None = None, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT, writing: bool = True, **kwargs
) -> Engine:
    """An engine for the configured database; SQLite gets foreign keys and a busy timeout (in seconds), and WAL
    when it is `writing`."""
    url = database_url(url)
    if make_url(url).get_backend_name() not in ("sqlite", "postgresql"):
        raise CannotStart(f"watchdog works with SQLite and PostgreSQL databases, not {url.partition(':')[0]}")
    if url.startswith("postgresql"):
        # Times are stored in UTC; the session reads them (and takes date() of them) in UTC too.
        kwargs.setdefault("connect_args", {"options": "-c timezone=UTC"})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        configure = functools.partial(_configure_sqlite_connection, busy_timeout=sqlite_busy_timeout, writing=writing)
        event.listen(engine, "connect", configure)
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for another database or SQLite in memory."""
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def require_database(url: str) -> None:
    """CannotStart unless the SQLite file exists: reading, or judging suppliers, never makes an empty database."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise CannotStart(
            f"there is no database at {path}: make one with `watchdog db upgrade` (and a crawl or an ingest to fill "
            f"it), or name another with --db or ${DATABASE_URL_VARIABLE}"
        )


def require_writable(path: Path) -> None:
    """CannotStart unless this program may write the SQLite file and make files beside it (its WAL, its locks)."""
    for needed in (path, path.parent):
        if not os.access(needed, os.W_OK):
            raise CannotStart(f"cannot write to {needed}: give this user write access to it, or use another --db")


def ready_engine(url: str, writing: bool = True) -> Engine:
    """An engine on a database that exists at the newest schema, and that this program can write to if it is
    `writing`; CannotStart saying what to do otherwise (`watchdog db upgrade`, mostly)."""
    require_database(url)
    path = sqlite_file(url)
    if writing and path is not None:
        require_writable(path)
    engine = make_engine(url, writing=writing)
    current = current_revision(engine)
    if current is None:
        raise CannotStart(
            f"the database at {engine.url.render_as_string()} has no watchdog tables: run `watchdog db upgrade`"
        )
    if current != head_revision(engine):
        raise CannotStart("the database is not at the newest schema: run `watchdog db upgrade` first")
    return engine


def migrations_directory() -> Path:
    """The Alembic scripts: inside the package when installed from a wheel, ./migrations in a checkout."""
    for candidate in (PACKAGE_DIR / "_migrations", PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("cannot find the Alembic migrations directory")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@functools.cache
def shared_engine(url: str | None = None, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> Engine:
    """One engine per database URL for a whole process, shared by the pipeline and the extensions."""
    return make_engine(url, sqlite_busy_timeout)


def crawl_engine(settings) -> Engine:
    """The shared engine of the database a crawl's Scrapy settings name."""
    return shared_engine(settings.get("WATCHDOG_DATABASE_URL"), settings.getfloat("WATCHDOG_SQLITE_BUSY_TIMEOUT"))


def clashed(error: OperationalError) -> bool:
    """The database gave a transaction up only for its clash with another writer's: the same work again will do."""
    return getattr(error.orig, "sqlstate", None) in CLASHING_WRITERS


def in_transaction(
    engine: Engine, work: Callable[[Connection], Result], rolled_back: Callable[[], None] = lambda: None
) -> Result:
    """`work` in one transaction, committed. Writers running at once on PostgreSQL can deadlock on rows they share
    (a supplier both name first); the server then rolls one back, and it is done again here, up to CLASH_RETRIES
    times, after a random pause that grows. `rolled_back` forgets what the work remembered of the undone attempt."""
    attempt = 0
    while True:
        try:
            with engine.begin() as connection:
                return work(connection)
        except OperationalError as error:
            if not clashed(error) or attempt == CLASH_RETRIES:
                raise
            rolled_back()
            logger.info("doing a transaction again (%s)", str(error.orig).splitlines()[0])
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
            attempt += 1
