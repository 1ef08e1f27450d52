"""The `watchdog` command: the group, its --db option, and a module per command or group of commands."""

from __future__ import annotations

import click

from watchdog.cli.changes import changes_command
from watchdog.cli.crawl import crawl_command
from watchdog.cli.database import db_group
from watchdog.cli.ingest import ingest
from watchdog.cli.reading import export, query, supplier
from watchdog.cli.review import contracts_group, suppliers_group
from watchdog.cli.scrapyd import schedule_command
from watchdog.cli.status import status_command
from watchdog.cli.web import serve_command, snapshot_command
from watchdog.console import WatchdogGroup, configure_logging
from watchdog.database import db


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


main.add_command(db_group)
main.add_command(ingest)
main.add_command(suppliers_group)
main.add_command(contracts_group)
main.add_command(export)
main.add_command(query)
main.add_command(supplier)
main.add_command(serve_command)
main.add_command(snapshot_command)
main.add_command(schedule_command)
main.add_command(crawl_command)
main.add_command(status_command)
main.add_command(changes_command)
