"""`watchdog query`, `export` and `supplier`: reading the database."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from itertools import islice

import click
from sqlalchemy.exc import DBAPIError
from tabulate import tabulate

from watchdog.console import (
    CELL_WIDTH,
    EXIT_CANNOT_START,
    database_message,
    first_line,
    table_cell_width,
)
from watchdog.database import reader
from watchdog.database.readonly import (
    QUERY_TIMEOUT_SECONDS,
    QueryStopped,
    StatementRefused,
    duration_text,
    is_money_column,
    output_rows,
    parse_duration,
    read_only_connection,
    run_select,
    table_or_view_query,
)
from watchdog.database.record import find_suppliers, record_lines

QUERY_FAILURES = (StatementRefused, reader.NotAReader, QueryStopped, DBAPIError)


def refused(error: Exception) -> click.ClickException:
    if isinstance(error, DBAPIError):
        message, status = database_message(error)
        failure = click.ClickException(
            message if status == EXIT_CANNOT_START else f"the database refused the query: {first_line(error)}"
        )
        failure.exit_code = status
        return failure
    failure = click.ClickException(str(error))
    if isinstance(error, QueryStopped):
        failure.exit_code = error.exit_status
    return failure


class Duration(click.ParamType):
    """A length of time as a person writes it (30s, 10min, 1h), in seconds."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, context: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, context)


TIMEOUT = click.option(
    "--timeout",
    type=Duration(),
    default=duration_text(QUERY_TIMEOUT_SECONDS),
    show_default=True,
    help="Stop the query if it runs longer than this (30s, 10min, 1h). Ctrl-C stops it too.",
)
READER_URL = click.option(
    "--reader-url",
    envvar=reader.READER_URL_VARIABLE,
    help="PostgreSQL: run the SQL as this reader role (see `watchdog db create-reader`; "
    f"also read from ${reader.READER_URL_VARIABLE}).",
)


@click.command("export")
@click.argument("name", required=False)
@click.option("--sql", help="Export the result of this SELECT instead of a table or view.")
@click.option("-o", "--output", default="-", show_default=True, help="CSV file to write; - for standard output.")
@click.option("--excel", is_flag=True, help="Start the file with a byte-order mark so Excel reads accents right.")
@TIMEOUT
@READER_URL
@click.pass_obj
def export(
    url: str, name: str | None, sql: str | None, output: str, excel: bool, timeout: float, reader_url: str | None
) -> None:
    """Write a table or view (or a query's result) as CSV, row by row, with a header; money to the penny.

    NAME is a table or view, e.g. supplier_record, supplier_events, contracts.
    """
    if name and sql:
        raise click.UsageError("give a table or view NAME, or --sql, not both")
    if not name and not sql:
        raise click.UsageError("give a table or view NAME to export (e.g. supplier_record), or --sql SELECT ...")
    stream = sys.stdout if output == "-" else open(output, "w", newline="", encoding="utf-8")
    try:
        with read_only_connection(reader_url or url, timeout, readers_only=bool(sql)) as connection:
            result = run_select(connection, sql or table_or_view_query(connection, name))
            if excel:
                stream.write("\ufeff")
            writer = csv.writer(stream)
            writer.writerow(result.keys())
            writer.writerows(output_rows(result))
    except QUERY_FAILURES as error:
        raise refused(error) from error
    finally:
        if stream is not sys.stdout:
            stream.close()


def cut(value: object, width: int) -> object:
    """A table cell: empty for NULL, and text longer than `width` characters cut with an ellipsis (0: never cut)."""
    if width and isinstance(value, str) and len(value) > width:
        return value[: width - 1] + "…"
    return "" if value is None else value


def print_table(headers: list[str], rows: list[list], width: int) -> None:
    money_right = ["right" if is_money_column(name) else "left" for name in headers]
    table = [[cut(value, width) for value in row] for row in rows]
    click.echo(tabulate(table, headers=headers, disable_numparse=True, colalign=money_right))


def print_csv(headers: list[str], rows: list[list]) -> None:
    writer = csv.writer(click.get_text_stream("stdout"))
    writer.writerow(headers)
    writer.writerows(rows)


def print_json(headers: list[str], rows: list[list]) -> None:
    """A JSON array of objects, one a row; money as text to the penny ("108000000.00"), so nothing is rounded."""
    records = [dict(zip(headers, row, strict=True)) for row in rows]
    click.echo(json.dumps(records, ensure_ascii=False, indent=1, default=str))


@click.command("query")
@click.argument("sql")
@click.option("--limit", default=1000, show_default=True, help="Show at most this many rows.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="A table for people; CSV or JSON for other programs (every row up to --limit, whole values).",
)
@click.option(
    "--max-width",
    type=click.IntRange(min=0),
    help=f"Cut table cells longer than this many characters; 0 never cuts. [default: {CELL_WIDTH} on a terminal, "
    "whole values when the output goes to a file or a program]",
)
@TIMEOUT
@READER_URL
@click.pass_obj
def query(
    url: str,
    sql: str,
    limit: int,
    output_format: str,
    max_width: int | None,
    timeout: float,
    reader_url: str | None,
) -> None:
    """Run one read-only SELECT and print the rows as a table (money to the penny, right-aligned), CSV or JSON.

    On PostgreSQL it runs as a reader role, never as a superuser or a role that can write.
    """
    try:
        with read_only_connection(reader_url or url, timeout, readers_only=True) as connection:
            result = run_select(connection, sql)
            rows = list(islice(output_rows(result), limit + 1))
            headers = list(result.keys())
    except QUERY_FAILURES as error:
        raise refused(error) from error
    more = len(rows) > limit
    rows = rows[:limit]
    if output_format == "csv":
        print_csv(headers, rows)
    elif output_format == "json":
        print_json(headers, rows)
    else:
        print_table(headers, rows, table_cell_width(max_width))
        click.echo(f"({len(rows)} rows{' (more not shown; use --limit or export)' if more else ''})")
    if more and output_format != "table":
        click.echo(f"only the first {limit} rows were written; use --limit or export for more", err=True)


@click.command("supplier")
@click.argument("wanted", nargs=-1, required=True)
@click.pass_obj
def supplier(url: str, wanted: Iterable[str]) -> None:
    """Print a supplier's record and its group's timeline, with sources.

    WANTED is a company number (242246 or 00242246) or a name (Serco, "Serco Ltd").
    """
    wanted = " ".join(wanted)
    try:
        with read_only_connection(url) as connection:
            matches = find_suppliers(connection, wanted)
            if not matches:
                raise click.ClickException(f"no supplier matches {wanted!r}")
            if len(matches) > 1:
                listing = "\n".join(f"  {m.company_number or '(no number)':>12}  {m.name}" for m in matches)
                raise click.ClickException(
                    f"{len(matches)} suppliers match {wanted!r}; name one by company number or full name:\n{listing}"
                )
            for line in record_lines(connection, matches[0].supplier_id):
                click.echo(line)
    except QueryStopped as error:
        raise refused(error) from error
