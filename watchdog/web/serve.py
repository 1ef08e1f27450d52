"""`watchdog serve`: Datasette on the SQLite database, read-only, with the project's metadata, questions and pages.

Datasette opens the file in its mutable mode, whose connections are SQLite read-only ones (`mode=ro`): a crawl
may write the file while it is served, which Datasette's immutable mode must not see. Nothing served writes:
Datasette runs only SELECTs from visitors, on those read-only connections, and no canned query writes.
Datasette and uvicorn are imported only to serve, so the other commands start as fast as before.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import click

from watchdog.console import CannotStart
from watchdog.database import db, search
from watchdog.web.metadata import metadata

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
SETTINGS = {
    "sql_time_limit_ms": 5000,  # a question over a year of awards takes a second or two on a million rows
    "facet_time_limit_ms": 500,
    "suggest_facets": False,  # suggestions count every column's values on every page: slow on a large record
    "default_page_size": 50,
    "max_returned_rows": 5000,
    "allow_download": False,  # the whole file is for `watchdog snapshot`, not a browser
    "default_cache_ttl": 0,  # a crawl may change the data at any time
}
PLUGINS = {"watchdog": "watchdog.web.pages", "watchdog-serve": "watchdog.web.plugin"}


def served_file(url: str) -> Path:
    """The SQLite file a --db URL (or a plain path) names; CannotStart for PostgreSQL or a file not there."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    path = db.sqlite_file(url)
    if path is None and not url.startswith("postgresql"):
        raise CannotStart("watchdog serve serves a SQLite file: name one with --db sqlite:///FILE")
    if path is None:
        raise CannotStart(
            "watchdog serve serves a SQLite file: copy PostgreSQL's public views into one with "
            "`watchdog snapshot watchdog-snapshot.db`, then run `watchdog --db sqlite:///watchdog-snapshot.db serve`"
        )
    db.require_database(url)
    return path.resolve()


def missing_indexes(path: Path) -> list[str]:
    """The search indexes the file lacks, read without writing anything."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        present = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [search.index_name(table) for table in search.SEARCHED if search.index_name(table) not in present]


def searchless(found: dict[str, Any], database_name: str) -> dict[str, Any]:
    """The metadata without search: no search box, no search question (the indexes are not built)."""
    database = found["databases"][database_name]
    database["queries"].pop("search")
    for table in database["tables"].values():
        table.pop("fts_table", None)
        table.pop("fts_pk", None)
    return found


def register_plugins() -> None:
    """Load the project's Datasette plugins, unless the `datasette` entry point has loaded them already."""
    from datasette.plugins import pm

    for name, module in PLUGINS.items():
        if pm.get_plugin(name) is None:
            pm.register(importlib.import_module(module), name=name)


def datasette_for(path: Path, searchable: bool):
    """A Datasette serving the file read-only, with the project's metadata, settings and plugins."""
    from datasette.app import Datasette

    register_plugins()
    found = metadata(path.stem)
    return Datasette(
        files=[str(path)],
        metadata=found if searchable else searchless(found, path.stem),
        settings=SETTINGS,
        cors=False,
    )


def check_address(host: str, port: int) -> None:
    """CannotStart unless this program may listen on the address (something else listening, a host not ours)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise CannotStart(f"cannot listen on {host}:{port}: {reason}; give another --port or --host") from None


def serve(url: str, host: str, port: int) -> None:
    """Serve the database until stopped."""
    import uvicorn

    path = served_file(url)
    check_address(host, port)
    missing = missing_indexes(path)
    if missing:
        logger.warning(
            f"no search index in {path.name} yet ({', '.join(missing)}): every crawl and ingest builds it, or build "
            f"it now with `watchdog --db sqlite:///{path} db search-index`; serving without search"
        )
    datasette = datasette_for(path, searchable=not missing)
    click.echo(f"Serving {path} read-only at http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
