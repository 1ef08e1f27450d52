"""Running a person's SQL so that it can read everything and change nothing.

Three guards, so no single one has to be perfect:
1. the text must be exactly one SELECT statement (sqlparse reads it; WITH ... SELECT counts);
2. the connection itself cannot write: SQLite gets `PRAGMA query_only` and an authorizer that allows
   only reading (no ATTACH, no PRAGMA); PostgreSQL runs a READ ONLY transaction that is rolled back;
3. on PostgreSQL the query runs in a server-side cursor, which refuses a second statement outright.
A read-only PostgreSQL transaction can still call server administration functions, so those are refused by
name, and a query may run for at most QUERY_TIMEOUT.

What a query returns is printed the same from both backends: SQLite hands back money as floats (25755000.0,
9481113.510000002) where PostgreSQL gives Decimal('25755000.00'), so money columns are printed to the penny and
other numbers as their shortest decimal, to the 15 significant digits a float holds without noise.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlparse
from sqlalchemy import Connection, CursorResult, Numeric, inspect
from sqlalchemy.pool import NullPool

from watchdog import views
from watchdog.db import make_engine
from watchdog.models import Base, Money

SQLITE_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
ROWS_PER_FETCH = 1000
QUERY_TIMEOUT = "10min"
# Functions that act on the server or other sessions even inside a read-only transaction.
SERVER_FUNCTIONS = re.compile(
    r"\b(?:pg_terminate_backend|pg_cancel_backend|pg_sleep\w*|pg_reload_conf|pg_rotate_logfile|pg_read_\w*file|"
    r"pg_ls_\w+|pg_advisory\w*|pg_notify|lo_\w+|dblink\w*|set_config)\s*\(",
    re.IGNORECASE,
)
PENNY = Decimal("0.01")
POUNDS_SUFFIX = "_gbp"
# The tables' columns of the Money type, and the views' money columns.
MONEY_COLUMNS = views.MONEY_COLUMNS | {
    column.name
    for table in Base.metadata.tables.values()
    for column in table.columns
    if isinstance(column.type, Numeric) and column.type.scale == Money.scale
}
# SQLite writes a REAL as text with 15 significant digits: the digits past those are arithmetic noise (and
# PostgreSQL's numeric results of the same query, an average say, then print the same).
SIGNIFICANT_DIGITS = 15


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


def is_money_column(name: str) -> bool:
    """Whether a result column holds money: a table's Money column, a view's money column, or any name ending _gbp."""
    return name in MONEY_COLUMNS or name.endswith(POUNDS_SUFFIX)


def exact_money(value: object) -> Decimal | None:
    """A sum of money rounded to the penny (half up, as PostgreSQL rounds); None if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    try:
        exact = Decimal(str(value))
        return exact.quantize(PENNY, rounding=ROUND_HALF_UP) if exact.is_finite() else None
    except InvalidOperation:
        return None


def plain_number(value: float | Decimal) -> str:
    """A number as its shortest decimal, whole numbers in full: 9481113.510000002 is 9481113.51, 25755000.0 25755000."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return str(int(value))
    return format(Decimal(f"{value:.{SIGNIFICANT_DIGITS}g}").normalize(), "f")


def output_value(value: object, money: bool) -> object:
    """A value as `query` and `export` print it: money to the penny, numbers without float noise, ISO dates."""
    exact = exact_money(value) if money else None
    if exact is not None:
        return format(exact, "f")
    if isinstance(value, (float, Decimal)):
        return plain_number(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def output_rows(result: CursorResult) -> Iterator[list]:
    """The result's rows one at a time (streaming), each value as output_value prints it."""
    money = [is_money_column(name) for name in result.keys()]
    for row in result:
        yield [output_value(value, is_money) for value, is_money in zip(row, money, strict=True)]
