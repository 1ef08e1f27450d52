"""Running a person's SQL so that it can read everything and change nothing.

Guards, so no single one has to be perfect:
1. on PostgreSQL the database is the guard: people's SQL runs as a reader role that can only SELECT the public
   tables and views (watchdog/database/reader.py), never as a superuser or a role that could write;
2. the text must be exactly one SELECT statement (sqlparse reads it; WITH ... SELECT counts), calling none of
   the server's administration functions, its names read as PostgreSQL reads them (quotes, comments, escapes);
3. the connection itself cannot write: SQLite gets `PRAGMA query_only` and an authorizer that allows
   only reading (no ATTACH, no PRAGMA); PostgreSQL runs a READ ONLY transaction that is rolled back;
4. on PostgreSQL the query runs in a server-side cursor, which refuses a second statement outright.
A query may run for a limited time, and SIGINT or SIGTERM stops it, on the server too.

What a query returns is printed the same from both backends: SQLite hands back money as floats (25755000.0,
9481113.510000002) where PostgreSQL gives Decimal('25755000.00'), so money columns are printed to the penny and
other numbers as their shortest decimal, to the 15 significant digits a float holds without noise.
"""

from __future__ import annotations

import math
import re
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlparse
from sqlalchemy import Connection, CursorResult, Numeric, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from watchdog.console import CannotStart
from watchdog.database import views
from watchdog.database.db import make_engine, require_database
from watchdog.database.models import Base, Money
from watchdog.database.reader import refuse_unless_reader

SQLITE_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
ROWS_PER_FETCH = 1000
QUERY_TIMEOUT_SECONDS = 600
# SQLite runs this many virtual machine steps between looks at the clock and at signals (about a millisecond).
STEPS_BETWEEN_CHECKS = 100_000
STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)
QUERY_CANCELED = "57014"
# Reader sessions on PostgreSQL: the server looks every second for a client that has gone (killed, say) and ends
# its query; keepalives find a client that the network lost; an open transaction left idle is ended too.
CLIENT_CONNECTION_CHECK_INTERVAL = "1s"
TCP_KEEPALIVES = {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 6}
# Functions that act on the server, on other sessions or on files even inside a read-only transaction, or that run
# SQL given to them as text (query_to_xml('select ...'), ts_stat('select ...')), by the names PostgreSQL reads.
SERVER_FUNCTIONS = re.compile(
    r"pg_terminate_backend|pg_cancel_backend|pg_sleep\w*|pg_reload_conf|pg_rotate_logfile\w*|pg_read_\w*file|"
    r"pg_stat_file|pg_ls_\w+|pg_file_\w+|pg_advisory\w*|pg_notify|lo_\w+|loread|lowrite|dblink\w*|set_config|"
    r"(?:query|table|cursor|schema|database)_to_xml\w*|ts_stat|pg_stat_reset\w*|pg_switch_wal|pg_promote|"
    r"pg_create_restore_point|pg_logical_emit_message|pg_log_backend_memory_contexts|pg_\w*backup\w*|"
    r"pg_\w*replication\w*"
)
# PostgreSQL's tokens, as far as telling names from strings and comments needs (block comments, which nest, are
# read apart). Each alternative is a whole token: a quote that does not end matches none and is refused.
POSTGRES_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<line_comment>--[^\n]*)
    | (?P<escape_string>[eE]'(?:[^'\\]|\\.|'')*')
    | (?P<unicode_identifier>[uU]&"(?:[^"]|"")*")
    | (?P<string>(?:[uU]&|[bBxXnN])?'(?:[^']|'')*')
    | (?P<quoted_identifier>"(?:[^"]|"")*")
    | (?P<dollar_quote>\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$)
    | (?P<identifier>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
    | (?P<parameter>\$[0-9]+)
    | (?P<other>[0-9]+|[^'"$\s])
    """,
    re.VERBOSE | re.DOTALL,
)
TOKEN_KINDS = tuple(POSTGRES_TOKEN.groupindex)
# An escape in a U&"..." name: the escape character doubled, four hex digits, or + and six.
UNICODE_ESCAPE = r"{0}(?:(?P<doubled>{0})|(?P<four>[0-9A-Fa-f]{{4}})|\+(?P<six>[0-9A-Fa-f]{{6}}))"
DURATION = re.compile(r"\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|sec|m|min|h)?\s*", re.IGNORECASE)
SECONDS_PER_UNIT = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, None: 1}
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


class QueryStopped(Exception):
    """A query ended early: a signal stopped it or it ran out of time; `exit_status` is what the command exits with."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class SignalReceived(KeyboardInterrupt):
    """Raised on SIGINT or SIGTERM: a KeyboardInterrupt, on which psycopg cancels the query on the server."""


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
    for name in postgres_names(statement.value):
        if SERVER_FUNCTIONS.fullmatch(name):
            raise StatementRefused(f"{name} acts on the database server, not its data; it is not run here")
    if statement.get_type() != "SELECT":
        first_word = statement.token_first(skip_cm=True, skip_ws=True).value.split()[0].upper()
        raise StatementRefused(f"only SELECT queries can be run here, not {first_word}; nothing was changed")
    return statement.value.strip().rstrip(";").strip()


def postgres_tokens(sql: str) -> Iterator[tuple[str, str]]:
    """The kind and text of each token of `sql` as PostgreSQL splits it, leaving out spaces and comments."""
    position = 0
    while position < len(sql):
        if sql.startswith("/*", position):
            position = end_of_block_comment(sql, position)
            continue
        token = POSTGRES_TOKEN.match(sql, position)
        if token is None:
            raise StatementRefused("a quoted name or string in the query does not end; it is not run")
        kind = next(kind for kind in TOKEN_KINDS if token[kind] is not None)
        position = token.end()
        if kind == "dollar_quote":
            closing = sql.find(token[kind], position)
            if closing < 0:
                raise StatementRefused(f"the string opened by {token[kind]} does not end; it is not run")
            kind, position = "string", closing + len(token[kind])
        if kind not in ("space", "line_comment"):
            yield kind, sql[token.start() : position]


def end_of_block_comment(sql: str, start: int) -> int:
    """Where the /* comment */ opening at `start` ends; in PostgreSQL they nest."""
    depth, position = 0, start
    while True:
        opening, closing = sql.find("/*", position), sql.find("*/", position)
        if closing < 0:
            raise StatementRefused("a /* comment in the query does not end; it is not run")
        if 0 <= opening < closing:
            depth, position = depth + 1, opening + 2
        else:
            depth, position = depth - 1, closing + 2
            if depth == 0:
                return position


def postgres_names(sql: str) -> Iterator[str]:
    """The names `sql` uses, as PostgreSQL reads them (quotes and escapes undone, comments and strings left out),
    in lower case so that no spelling of a name escapes a check."""
    tokens = list(postgres_tokens(sql))
    for index, (kind, text) in enumerate(tokens):
        if kind == "identifier":
            yield text.lower()
        elif kind == "quoted_identifier":
            yield text[1:-1].replace('""', '"').lower()
        elif kind == "unicode_identifier":
            yield unicode_name(text[3:-1].replace('""', '"'), uescape(tokens[index + 1 : index + 3])).lower()


def uescape(following: list[tuple[str, str]]) -> str:
    """The escape character of a U&"..." name: the one a UESCAPE 'c' after it gives, else a backslash."""
    match following:
        case [("identifier", word), ("string" | "escape_string", quoted)] if word.lower() == "uescape":
            return quoted[quoted.index("'") + 1 : -1]
    return "\\"


def unicode_name(escaped: str, escape: str) -> str:
    """A U&"..." name with its escapes (\\0061, \\+000061, \\\\, or another escape character's) undone."""
    if len(escape) != 1:
        raise StatementRefused(f"UESCAPE takes one character, not {escape!r}; the query is not run")
    try:
        return re.sub(
            UNICODE_ESCAPE.format(re.escape(escape)),
            lambda found: escape if found["doubled"] else chr(int(found["four"] or found["six"], 16)),
            escaped,
        )
    except ValueError as error:
        raise StatementRefused(f'a U&"..." name has an escape that is no character: {error}') from error


def parse_duration(text: str) -> float:
    """Seconds in a duration written 90, 90s, 500ms, 10min, 10m or 1h; ValueError if it is none or not positive."""
    found = DURATION.fullmatch(text)
    seconds = float(found["number"]) * SECONDS_PER_UNIT[found["unit"] and found["unit"].lower()] if found else 0
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a time: write 30s, 10min or 1h")
    return seconds


def duration_text(seconds: float) -> str:
    """A number of seconds as a person would write it: 10min, 1h, 1.5s."""
    for unit, length in (("h", 3600), ("min", 60)):
        if seconds >= length and seconds % length == 0:
            return f"{seconds // length:g}{unit}"
    return f"{seconds:g}s"


class QueryLimits:
    """When a query must stop: when its time is up, or when SIGINT or SIGTERM arrives."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.signal_number: int | None = None

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def must_stop(self) -> bool:
        """SQLite's progress handler: a true answer interrupts the running statement."""
        return self.signal_number is not None or self.out_of_time()

    def receive(self, signal_number: int, _frame: object) -> None:
        self.signal_number = signal_number
        raise SignalReceived

    @contextmanager
    def stopping_on_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM stop the query (only the main thread can take signals; others keep the defaults)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {number: signal.signal(number, self.receive) for number in STOPPING_SIGNALS}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def stopped_it(self, error: DBAPIError) -> bool:
        """Whether the database ended the query because of these limits (not, say, an administrator's cancel)."""
        if self.signal_number is not None:
            return True
        sqlite_interrupted = isinstance(error.orig, sqlite3.OperationalError) and str(error.orig) == "interrupted"
        postgres_cancelled = getattr(error.orig, "sqlstate", None) == QUERY_CANCELED
        return (sqlite_interrupted or postgres_cancelled) and self.out_of_time()

    def stopped(self) -> QueryStopped:
        if self.signal_number is not None:
            name = signal.Signals(self.signal_number).name
            return QueryStopped(f"the query was stopped by {name}; nothing was changed", 128 + self.signal_number)
        return QueryStopped(
            f"the query was stopped after {duration_text(self.timeout)}, its time limit (--timeout gives another)", 1
        )


def _allow_reading_only(action: int, *_details) -> int:
    return sqlite3.SQLITE_OK if action in SQLITE_READ_ACTIONS else sqlite3.SQLITE_DENY


@contextmanager
def read_only_connection(
    url: str | None = None, timeout: float = QUERY_TIMEOUT_SECONDS, readers_only: bool = False
) -> Iterator[Connection]:
    """A connection of its own that the database will not let write, discarded afterwards; its queries stop at
    `timeout` seconds or on SIGINT or SIGTERM (QueryStopped). With `readers_only`, a PostgreSQL role that could
    change anything is refused (NotAReader)."""
    require_database(url)
    limits = QueryLimits(timeout)
    engine = make_engine(url, writing=False, poolclass=NullPool)
    try:
        with limits.stopping_on_signals(), engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                raw = connection.connection.driver_connection
                raw.execute("PRAGMA query_only = ON")
                raw.set_authorizer(_allow_reading_only)
                raw.set_progress_handler(limits.must_stop, STEPS_BETWEEN_CHECKS)
            else:
                connection = connection.execution_options(postgresql_readonly=True)
                if readers_only:
                    refuse_unless_reader(connection)
                for name, value in reader_session_settings(connection, timeout).items():
                    connection.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
            try:
                yield connection
            finally:
                connection.rollback()
    except SignalReceived:
        raise limits.stopped() from None
    except DBAPIError as error:
        if limits.stopped_it(error):
            raise limits.stopped() from error
        raise
    finally:
        engine.dispose()


def reader_session_settings(connection: Connection, timeout: float) -> dict[str, object]:
    """PostgreSQL settings for a session running people's SQL: time limits, and ending it when the client is gone."""
    milliseconds = max(1, round(timeout * 1000))
    settings = {
        "statement_timeout": milliseconds,
        "idle_in_transaction_session_timeout": milliseconds,
        # Strings are then read as postgres_tokens reads them, backslashes and all.
        "standard_conforming_strings": "on",
        **TCP_KEEPALIVES,
    }
    if connection.dialect.server_version_info >= (14,):
        settings["client_connection_check_interval"] = CLIENT_CONNECTION_CHECK_INTERVAL
    return settings


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
    if not known:
        raise CannotStart("the database has no tables: run `watchdog db upgrade`, then a crawl or an ingest")
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
