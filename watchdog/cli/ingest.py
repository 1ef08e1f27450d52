"""`watchdog ingest`: bulk OCDS files into the database."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from watchdog.cli.crawl import project_settings
from watchdog.console import (
    EXIT_WORK_FAILED,
    verbosity,
)
from watchdog.database import db
from watchdog.sources.ingest import Ingest


@click.command("ingest")
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
