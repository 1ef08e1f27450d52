"""Running a person's SQL so that it can read everything and change nothing.

Three guards, so no single one has to be perfect:
1. the text must be exactly one SELECT statement (sqlparse reads it; WITH ... SELECT counts);
2. the connection itself cannot write: SQLite gets `PRAGMA query_only` and an authorizer that allows
   only reading (no ATTACH, no PRAGMA); PostgreSQL runs a READ ONLY transaction that is rolled back;
3. on PostgreSQL the query runs in a server-side cursor, which refuses a second statement outright.
A read-only PostgreSQL transaction can still call server administration functions, so those are refused by
name, and a query may run for at most QUERY_TIMEOUT.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlparse
from sqlalchemy import Connection, CursorResult, inspect
from sqlalchemy.pool import NullPool

from watchdog.db import make_engine

SQLITE_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
ROWS_PER_FETCH = 1000
QUERY_TIMEOUT = "10min"
# Functions that act on the server or other sessions even inside a read-only transaction.
SERVER_FUNCTIONS = re.compile(
    r"\b(?:pg_terminate_backend|pg_cancel_backend|pg_sleep\w*|pg_reload_conf|pg_rotate_logfile|pg_read_\w*file|"
    r"pg_ls_\w+|pg_advisory\w*|pg_notify|lo_\w+|dblink\w*|set_config)\s*\(",
    re.IGNORECASE,
)


class StatementRefused(ValueError):
    """SQL that would change the database, or more than one statement."""


def single_select(sql: str) -> str:
    """The statement, if `sql` is exactly one SELECT; otherwise StatementRefused saying why."""
    statements = [
        statement
        for statement in sqlparse.parse(sql)
        if sqlparse.format(statement.value, strip_comments=True).strip().strip(";").strip()
    ]
    if not statements:
        raise StatementRefused("there is no SQL statement to run")
    if len(statements) > 1:
        raise StatementRefused("only one statement can be run at a time")
    statement = statements[0]
    if SERVER_FUNCTIONS.search(statement.value):
        name = SERVER_FUNCTIONS.search(statement.value).group(0).rstrip("( ")
        raise StatementRefused(f"{name} acts on the database server, not its data; it is not run here")
    if statement.get_type() != "SELECT":
        first_word = statement.token_first(skip_cm=True, skip_ws=True).value.split()[0].upper()
        raise StatementRefused(f"only SELECT queries can be run here, not {first_word}; nothing was changed")
    return statement.value.strip().rstrip(";").strip()


def _allow_reading_only(action: int, *_details) -> int:
    return sqlite3.SQLITE_OK if action in SQLITE_READ_ACTIONS else sqlite3.SQLITE_DENY


@contextmanager
def read_only_connection(url: str | None = None) -> Iterator[Connection]:
    """A connection of its own that the database will not let write; it is discarded afterwards."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                raw = connection.connection.driver_connection
                raw.execute("PRAGMA query_only = ON")
                raw.set_authorizer(_allow_reading_only)
            else:
                connection = connection.execution_options(postgresql_readonly=True)
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = '{QUERY_TIMEOUT}'")
            try:
                yield connection
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def run_select(connection: Connection, sql: str) -> CursorResult:
    """Run one SELECT, streaming its rows rather than loading them all."""
    statement = single_select(sql)
    if connection.dialect.paramstyle in ("format", "pyformat"):
        # psycopg reads % as the start of a placeholder, so a literal % (LIKE '%serco%') is written %%.
        statement = statement.replace("%", "%%")
    streaming = connection.execution_options(stream_results=True, max_row_buffer=ROWS_PER_FETCH)
    return streaming.exec_driver_sql(statement)


def table_or_view_query(connection: Connection, name: str) -> str:
    """SELECT * from a table or view that exists; any other name is refused."""
    inspector = inspect(connection)
    known = set(inspector.get_table_names()) | set(inspector.get_view_names())
    if name not in known:
        raise StatementRefused(f"no table or view is called {name!r}; there are: {', '.join(sorted(known))}")
    return f"SELECT * FROM {connection.dialect.identifier_preparer.quote(name)}"
