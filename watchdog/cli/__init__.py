"""The `watchdog` command."""

from __future__ import annotations

import csv
import getpass
import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import click
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tabulate import tabulate

from watchdog.cli.changes import changes_command
from watchdog.cli.crawl import crawl_command, project_settings
from watchdog.cli.schedule import schedule_option
from watchdog.cli.scrapyd import DEFAULT_PROJECT, SCRAPYD_OPTION, schedule_on_nodes
from watchdog.cli.status import status_command
from watchdog.console import (
    CELL_WIDTH,
    EXIT_CANNOT_START,
    EXIT_WORK_FAILED,
    CannotStart,
    WatchdogGroup,
    configure_logging,
    counted,
    database_message,
    first_line,
    table_cell_width,
    verbosity,
)
from watchdog.database import awards, db, reader, search, totals
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
from watchdog.database.record import find_suppliers, money, record_lines
from watchdog.identity import review
from watchdog.sources.ingest import Ingest
from watchdog.web import serve, snapshot


@click.group(cls=WatchdogGroup)
@click.option(
    "--db",
    "database",
    envvar=db.DATABASE_URL_VARIABLE,
    default=db.DEFAULT_DATABASE_URL,
    show_default=True,
    help="Database URL, e.g. sqlite:///watchdog.db or postgresql://user@host/dbname "
    f"(also read from ${db.DATABASE_URL_VARIABLE}).",
)
@click.pass_context
def main(context: click.Context, database: str) -> None:
    """contract-watchdog: what public bodies paid a supplier, and what went wrong when it delivered.

    \b
    Exit status: 0 done; 1 some work failed (see the message, or crawl_runs); 2 nothing was done: a usage or
    configuration error (a database to make or upgrade, a server that cannot be reached, a bad option);
    3 (crawl) another crawl of the spider is running; 130 interrupted.
    """
    configure_logging()
    context.obj = db.database_url(database)


@main.group("db")
def db_group() -> None:
    """Create or update the database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(url: str) -> None:
    """Bring the database to the newest schema (creating it if needed)."""
    path = db.sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise CannotStart(f"cannot make {path}: the folder {path.parent} does not exist")
    engine = db.make_engine(url)
    db.upgrade(engine)
    click.echo(f"database at revision {db.current_revision(engine)} (newest): {engine.url.render_as_string()}")


@db_group.command("current")
@click.pass_obj
def db_current(url: str) -> None:
    """Show the database's schema revision, and whether it is the newest."""
    db.require_database(url)
    engine = db.make_engine(url, writing=False)
    current, head = db.current_revision(engine), db.head_revision(engine)
    state = "up to date" if current == head else f"behind: run `watchdog db upgrade` to reach {head}"
    click.echo(f"{current or 'empty (no schema)'}: {state}")


@db_group.command("create-reader")
@click.option("--name", default=reader.DEFAULT_READER_NAME, show_default=True, help="The reader role's name.")
@click.option("--password", help="Its password (left as it is if not given).")
@click.pass_obj
def db_create_reader(url: str, name: str, password: str | None) -> None:
    """Make (or repair) the PostgreSQL role that `query` and `export --sql` run as: it can only SELECT.

    Run it with a --db URL that can create roles and owns the tables; it is safe to run again.
    """
    engine = db.make_engine(url)
    if engine.dialect.name != "postgresql":
        click.echo("Nothing to do: SQLite has no roles, and `query` opens it read-only already.")
        return
    try:
        with engine.begin() as connection:
            reader.create_reader(connection, name, password)
    except (ValueError, DBAPIError) as error:
        raise refused(error) from error
    click.echo(f"{name} can read the tables and views, and change nothing. Give people's queries its URL:")
    click.echo(f"export {reader.READER_URL_VARIABLE}={reader.reader_url(engine.url, name, password)}")


@db_group.command("refresh-totals")
@click.pass_obj
def db_refresh_totals(url: str) -> None:
    """Work out every supplier's and group's totals again from the facts.

    Every write keeps them current; run this after changing rows by hand in SQL.
    """
    with db.ready_engine(url).begin() as connection:
        totals.rebuild_all(connection)
        counts = connection.execute(
            text("SELECT (SELECT COUNT(*) FROM supplier_totals), (SELECT COUNT(*) FROM group_totals)")
        ).one()
    click.echo(f"totals worked out again for {counted(counts[0], 'supplier')} and {counted(counts[1], 'group')}")


@db_group.command("search-index")
@click.pass_obj
def db_search_index(url: str) -> None:
    """Build the full-text search over titles, descriptions and evidence again (SQLite only).

    Every crawl and ingest rebuilds it; run this once on a database last written before search existed.
    """
    engine = db.ready_engine(url)
    if engine.dialect.name != "sqlite":
        click.echo("Nothing to do: search is built in snapshots (`watchdog snapshot`), not in PostgreSQL.")
        return
    counts = search.refresh(engine)
    click.echo("search index built: " + ", ".join(f"{counted(rows, 'row')} in {name}" for name, rows in counts.items()))


@main.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=1000, show_default=True, help="Releases written per transaction.")
@click.pass_obj
def ingest(url: str, files: tuple[Path, ...], batch_size: int) -> None:
    """Load OCDS bulk files: release or record packages, JSON Lines, or .gz of any of these.

    Exit status 1 if a file could not be read to its end (what came before is stored) or a line or release could
    not be read; the errors, and values stored as empty, are on the crawl_runs row.
    """
    db.ready_engine(url).dispose()
    job = Ingest(url, project_settings(url, {}), batch_size=batch_size)
    summary = job.run(
        list(files),
        progress=None if verbosity.quiet else lambda counts: logging.info(counts.lines()[0]),
        show_progress=sys.stderr.isatty() and not verbosity.quiet,
    )
    click.echo("\n".join(summary.lines()))
    if summary.errors:
        sys.exit(EXIT_WORK_FAILED)


@main.group("suppliers")
def suppliers_group() -> None:
    """Judge supplier identity: review candidates, merge, split, reject, group.

    \b
    Name a supplier by #id (as `review` shows it), company number, or name.
    Every decision is logged in supplier_decisions (who, when, why) and outlasts re-crawls.
    """


def decide(url: str, action, *references: str, **options) -> object:
    """Run one decision in a transaction, naming suppliers as a person writes them."""
    engine = db.ready_engine(url)
    try:
        with engine.begin() as connection:
            ids = [review.resolve_reference(connection, reference) for reference in references]
            return action(connection, *ids, **options)
    except review.DecisionRefused as error:
        raise click.ClickException(str(error)) from error


def who() -> str:
    return os.environ.get("WATCHDOG_USER") or getpass.getuser()


BY = click.option("--by", default=who, show_default="$WATCHDOG_USER or your login", help="Who decides.")
REASON = click.option("--reason", help="Why, for the log.")


@suppliers_group.command("review")
@click.option("--limit", default=20, show_default=True, help="How many pairs and name groups to show.")
@click.pass_obj
def suppliers_review(url: str, limit: int) -> None:
    """Show what may be one entity, with the evidence: pairs of alike names, and name groups (all the suppliers
    sharing one name, kept apart by their company numbers)."""
    engine = db.ready_engine(url, writing=False)
    with engine.connect() as connection:
        items = review.open_candidates(connection, limit)
    if not items:
        click.echo("Nothing to review.")
    for item in items:
        members = item["members"]
        click.echo(f"\nscore {item['score']:.0f}: {item['reason']}")
        if item["name_key"] is not None:
            click.echo(f"  {len(members)} suppliers share the name {item['name_key']!r}:")
        for side in members:
            number = side["company_number"] or "no company number"
            others = [n for n in side["names"] if n != side["name"]]
            click.echo(f"  #{side['id']:<6} {side['name']} ({number}), {side['contracts']} contracts")
            if others:
                click.echo(f"          also written: {'; '.join(others[:5])}")
            if side["identifiers"]:
                click.echo(f"          identifiers: {', '.join(side['identifiers'][:5])}")
        if item["shared_buyers"]:
            both = "both supplied" if len(members) == 2 else "supplied by several"
            click.echo(f"  {both}: {'; '.join(item['shared_buyers'][:5])}")
        for line in answers(item["name_key"], members):
            click.echo(f"  {line}")


def answers(name_key: str | None, members: list[dict]) -> list[str]:
    """The commands that answer a review item: a pair's, or a name group's (a merge or group of two of its
    members, or all of them rejected at once)."""
    numbered = [m["id"] for m in members if m["company_number"]]
    unnumbered = [m["id"] for m in members if not m["company_number"]]
    lines = []
    if len(numbered) >= 2:
        lines.append(f"one group: watchdog suppliers group #{numbered[1]} #{numbered[0]}")
    if unnumbered:
        keep = (numbered or unnumbered)[0]
        lines.append(f"same:      watchdog suppliers merge #{keep} #{next(i for i in unnumbered if i != keep)}")
    if name_key is None:
        lines.append(f"not same:  watchdog suppliers reject #{members[0]['id']} #{members[1]['id']}")
    else:
        lines.append(f"not same:  watchdog suppliers reject #{members[0]['id']}   (all {len(members)} are different)")
    return lines


@suppliers_group.command("merge")
@click.argument("keep")
@click.argument("other")
@BY
@REASON
@click.pass_obj
def suppliers_merge(url: str, keep: str, other: str, by: str, reason: str | None) -> None:
    """Fold OTHER into KEEP: one entity from now on, whatever later crawls bring."""
    decide(url, review.merge, keep, other, by=by, reason=reason)
    click.echo(f"merged {other} into {keep}")


@suppliers_group.command("reject")
@click.argument("first")
@click.argument("second", required=False)
@BY
@REASON
@click.pass_obj
def suppliers_reject(url: str, first: str, second: str | None, by: str, reason: str | None) -> None:
    """Record that FIRST and SECOND are different entities; they are not offered again.

    With FIRST alone (a supplier, or a name), the suppliers sharing its name, a name group in `review`, are all
    different entities: the group is offered again only when another supplier of that name appears.
    """
    if second is None:
        members = decide(url, review.reject_name_group, reference=first, by=by, reason=reason)
        listed = " ".join(f"#{member}" for member in members)
        click.echo(f"the {len(members)} suppliers named as {first} ({listed}) are recorded as different suppliers")
        return
    decide(url, review.reject, first, second, by=by, reason=reason)
    click.echo(f"{first} and {second} are recorded as different suppliers")


@suppliers_group.command("split")
@click.argument("supplier")
@click.argument("names", nargs=-1, required=True)
@BY
@REASON
@click.pass_obj
def suppliers_split(url: str, supplier: str, names: tuple[str, ...], by: str, reason: str | None) -> None:
    """Move NAMES (and the contracts published under them) from SUPPLIER to a new supplier."""
    new_id = decide(url, review.split, supplier, names=list(names), by=by, reason=reason)
    click.echo(f"split {', '.join(names)} from {supplier} into #{new_id}")


@suppliers_group.command("group")
@click.argument("child")
@click.argument("parent")
@BY
@REASON
@click.pass_obj
def suppliers_group_command(url: str, child: str, parent: str, by: str, reason: str | None) -> None:
    """Put CHILD in PARENT's group (its record then counts in the group's)."""
    decide(url, review.group, child, parent, by=by, reason=reason)
    click.echo(f"{child} is now in the group of {parent}")


@suppliers_group.command("ungroup")
@click.argument("child")
@BY
@REASON
@click.pass_obj
def suppliers_ungroup(url: str, child: str, by: str, reason: str | None) -> None:
    """Take CHILD out of its group."""
    decide(url, review.ungroup, child, by=by, reason=reason)
    click.echo(f"{child} is in no group now")


@main.group("contracts")
def contracts_group() -> None:
    """Judge award rows that the republication rule may have got wrong.

    \b
    Name a row by its contracts.id, as `contracts superseded` shows it.
    Every decision is logged in contract_decisions (who, when, why) and outlasts re-crawls.
    """


def decide_contracts(url: str, action: str, first: int, second: int, by: str, reason: str | None) -> None:
    """Log and apply a person's word on two award rows, in one transaction, and say where each row stands."""
    try:
        with db.ready_engine(url).begin() as connection:
            awards.decide(connection, action, first, second, by=by, reason=reason, now=datetime.now(UTC))
            for row_id, replaced_by in awards.standing(connection, [first, second]):
                click.echo(f"#{row_id} counts" if replaced_by is None else f"#{row_id} is replaced by #{replaced_by}")
    except awards.ContractDecisionRefused as error:
        raise click.ClickException(str(error)) from error


@contracts_group.command("superseded")
@click.option("--limit", default=50, show_default=True, help="How many rows to show.")
@click.pass_obj
def contracts_superseded(url: str, limit: int) -> None:
    """List award rows replaced by a republication or a person, with the rows that replaced them."""
    with db.ready_engine(url, writing=False).connect() as connection:
        rows = awards.superseded_rows(connection, limit)
    if not rows:
        click.echo("No award row has been replaced by a republication.")
        return
    click.echo(
        tabulate(
            [
                (
                    row["id"],
                    row["award_id"],
                    money(row["initial_value"]),
                    row["superseded_reason"],
                    row["by_id"],
                    row["by_award_id"],
                    money(row["by_value"]),
                    row["awarded_on"] or "",
                )
                for row in rows
            ],  # fmt: skip
            headers=["row", "award id", "value", "why", "replaced by", "award id", "value", "awarded on"],
            disable_numparse=True,
        )
    )


@contracts_group.command("keep-both")
@click.argument("first", type=int)
@click.argument("second", type=int)
@BY
@REASON
@click.pass_obj
def contracts_keep_both(url: str, first: int, second: int, by: str, reason: str | None) -> None:
    """Two award rows are two awards, not one published twice: count both."""
    decide_contracts(url, "keep_both", first, second, by, reason)


@contracts_group.command("supersede")
@click.argument("old", type=int)
@click.argument("new", type=int)
@BY
@REASON
@click.pass_obj
def contracts_supersede(url: str, old: int, new: int, by: str, reason: str | None) -> None:
    """Award row NEW is award row OLD published again: count NEW only."""
    decide_contracts(url, "supersede", old, new, by, reason)


@contracts_group.command("refresh")
@click.pass_obj
def contracts_refresh(url: str) -> None:
    """Work out again, for every procurement, which rows are current (after a change of the rule, say)."""
    with db.ready_engine(url).begin() as connection:
        changed = awards.refresh_awards(connection)
    click.echo(f"{changed} rows changed")


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


@main.command("export")
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


@main.command("query")
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


@main.command("supplier")
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


@main.command("serve")
@click.option("--host", default=serve.DEFAULT_HOST, show_default=True, help="The address to listen on.")
@click.option(
    "--port",
    default=serve.DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The port to listen on.",
)
@click.pass_obj
def serve_command(url: str, host: str, port: int) -> None:
    """Browse the database in Datasette, read-only: the questions, the supplier pages, search.

    Serves a SQLite file (--db); for PostgreSQL, make one with `watchdog snapshot` first. Stop it with Ctrl-C.
    """
    serve.serve(url, host, port)


@main.command("snapshot")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def snapshot_command(url: str, out: Path) -> None:
    """Copy the public views and the tables they read (from PostgreSQL or SQLite) into a new SQLite file OUT.

    The copy has the search index built in, for `watchdog --db sqlite:///OUT serve` or `datasette publish`.
    """
    counts = snapshot.snapshot(url, out)
    click.echo(f"copied {counted(sum(counts.values()), 'row')} of {counted(len(counts), 'table')} into {out}")
    click.echo(f"browse it with: watchdog --db sqlite:///{out} serve")


@main.command("schedule")
@SCRAPYD_OPTION
@click.option(
    "--project",
    default=DEFAULT_PROJECT,
    show_default=True,
    help="The Scrapyd project: default for a node started in a folder holding the project's scrapy.cfg, else the "
    "name the egg was deployed under.",
)
@schedule_option("The schedule file, as for `crawl --all`.")
@click.option(
    "--news-shards",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Post the news crawl as this many jobs, each reading a share of the feeds (-a shard=K/N).",
)
def schedule_command(scrapyd_urls: str | None, project: str, schedule_file: Path | None, news_shards: int) -> None:
    """Post each crawl of the schedule to the least busy Scrapyd node, and print its job id.

    \b
    A spider (or news shard) with a job already pending or running on a node is not posted again (its lock would
    refuse it).
    A node that cannot be reached or refuses a job is named, and the other nodes are used.
    Exit status: 0 every crawl posted or already queued; 1 a crawl no node took; 2 no node could be used.
    """
    sys.exit(schedule_on_nodes(scrapyd_urls, project, schedule_file, news_shards))


main.add_command(crawl_command)
main.add_command(status_command)
main.add_command(changes_command)
