"""`watchdog snapshot`: the public views, and the tables they read, copied from PostgreSQL (or SQLite) into a SQLite
file that `watchdog serve` or `datasette publish` can serve.

The copy is a watchdog database made by the migrations, so its views are the project's own views over the copied
rows. Rows are streamed table by table in chunks (a server-side cursor on PostgreSQL), so a large database never
needs its size in memory. The review's working tables (decisions with their reasons and who made them, candidate
pairs, name groups) are left empty: a snapshot is for publishing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, select

from watchdog.console import CannotStart
from watchdog.database import db, search
from watchdog.database.models import Base

logger = logging.getLogger(__name__)
CHUNK = 5000
# Read by the questions (crawl_runs), the supplier pages (aliases, identifiers, memberships) or the timeline.
ALSO_COPIED = ("crawl_runs", "supplier_aliases", "supplier_identifiers", "group_memberships", "incident_figures")


def tables_the_views_read(connection: Connection) -> set[str]:
    """Every table named in the definition of a view of this (SQLite) database."""
    definitions = " ".join(connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'view'").scalars())
    return {name for name in Base.metadata.tables if re.search(rf"\b{name}\b", definitions)}


def copied_tables(connection: Connection) -> list[Table]:
    """The tables a snapshot copies, parents before the tables that point to them."""
    wanted = tables_the_views_read(connection) | set(ALSO_COPIED)
    return [table for table in Base.metadata.sorted_tables if table.name in wanted]


def copy_table(source: Engine, target: Connection, table: Table, chunk: int) -> int:
    """Stream the table's rows from the source into the target, a chunk per transaction; the rows copied."""
    copied = 0
    order = list(table.primary_key.columns)
    with source.connect() as reading:
        result = reading.execution_options(stream_results=True, yield_per=chunk).execute(select(table).order_by(*order))
        for rows in result.mappings().partitions(chunk):
            with target.begin():
                target.execute(table.insert(), [dict(row) for row in rows])
            copied += len(rows)
    return copied


def snapshot(source_url: str, out: Path, chunk: int = CHUNK) -> dict[str, int]:
    """Copy the source database's public data into a new SQLite file at `out`, and build its search index; rows
    copied, by table. The file appears only once it is complete."""
    if out.exists():
        raise CannotStart(f"{out} exists already: remove it, or give another file name")
    if not out.parent.is_dir():
        raise CannotStart(f"cannot make {out}: the folder {out.parent} does not exist")
    source = db.ready_engine(source_url, writing=False)
    partial = out.with_name(f"{out.name}.partial")
    partial.unlink(missing_ok=True)
    target = db.make_engine(f"sqlite:///{partial}")
    try:
        db.upgrade(target)
        counts = {}
        with target.connect() as connection:
            tables = copied_tables(connection)
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # a contract may point to a later one
            connection.commit()
            for table in tables:
                counts[table.name] = copy_table(source, connection, table, chunk)
                logger.info("copied %d rows of %s", counts[table.name], table.name)
            connection.commit()
            for index, rows in search.build_indexes(connection).items():
                logger.info("indexed %d rows for search in %s", rows, index)
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA journal_mode = DELETE")  # one file, to publish as it is
            connection.commit()
    except BaseException:
        target.dispose()
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.dispose()
    target.dispose()
    partial.rename(out)
    return counts
