"""`watchdog serve` and `watchdog snapshot`: the newsroom front end."""

from __future__ import annotations

from pathlib import Path

import click

from watchdog.console import (
    counted,
)
from watchdog.web import serve, snapshot


@click.command("serve")
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


@click.command("snapshot")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def snapshot_command(url: str, out: Path) -> None:
    """Copy the public views and the tables they read (from PostgreSQL or SQLite) into a new SQLite file OUT.

    The copy has the search index built in, for `watchdog --db sqlite:///OUT serve` or `datasette publish`.
    """
    counts = snapshot.snapshot(url, out)
    click.echo(f"copied {counted(sum(counts.values()), 'row')} of {counted(len(counts), 'table')} into {out}")
    click.echo(f"browse it with: watchdog --db sqlite:///{out} serve")
