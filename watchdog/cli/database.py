"""`watchdog db`: make, upgrade and look after the database."""

from __future__ import annotations

import click
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from watchdog.cli.reading import refused
from watchdog.console import (
    CannotStart,
    WatchdogGroup,
    counted,
)
from watchdog.database import db, reader, search, totals


@click.group("db", cls=WatchdogGroup)
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
