"""Full-text search (SQLite FTS5) over the titles, descriptions and evidence sentences of contracts, enforcement
actions and incidents: one index per kind of fact, keyed by the fact's id, as Datasette's `_search=` reads it.

After a crawl or an ingest, the facts it wrote are indexed again: every write sets a fact's or a source's
last_seen_at, so the facts whose row or one of whose sources was seen since the run started are all those whose
text may have changed; each crawl's own start covers it, even with another crawl writing at the same time. That
costs what the run wrote, where a rebuild would cost the whole record (5 s per 100,000 procurements) after
every run. A whole rebuild (`watchdog db search-index`, a snapshot, a database without the indexes) is built
beside the live index and swapped in. Both write in chunks of short transactions, so a crawl writing at the same
time never waits long. The indexes are not in the models: they are derived, SQLite only, and a database without
them works as before (`watchdog serve` says how to build them).
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, select, text, union

from watchdog.database.locks import lock_file_path
from watchdog.database.models import Base

# Each searched table, with its sources table and the column there that points back to it.
SEARCHED = {
    "contracts": ("contract_sources", "contract_id"),
    "enforcement_actions": ("enforcement_action_sources", "enforcement_action_id"),
    "incidents": ("incident_sources", "incident_id"),
}
EVENT_TYPES = {"contracts": "contract", "enforcement_actions": "enforcement", "incidents": "incident"}
INDEXED_COLUMNS = ("title", "description", "evidence")
# Stemmed ("fined" finds "fine"), accents folded ("Société" finds "societe").
TOKENIZER = "porter unicode61 remove_diacritics 2"
CHUNK = 20_000
EVIDENCE_SEPARATOR = " … "


def index_name(table: str) -> str:
    return f"{table}_fts"


def not_search_index(name: str | None, type_: str, _parent_names=None) -> bool:
    """False for a search index's tables (FTS5 makes shadow tables beside each): Alembic's comparison of the
    models with a database leaves them out, as they are not in the models."""
    return type_ != "table" or not any((name or "").startswith(index_name(table)) for table in SEARCHED)


def filling(index: str, table: str, which: str) -> str:
    """SQL that indexes the facts of `table` that the condition `which` (on `fact`) picks, into `index`."""
    sources, source_column = SEARCHED[table]
    return (
        f"INSERT INTO {index} (rowid, title, description, evidence) "
        f"SELECT fact.id, fact.title, fact.description, (SELECT group_concat(said, '{EVIDENCE_SEPARATOR}') FROM "
        f"(SELECT DISTINCT evidence AS said FROM {sources} WHERE {source_column} = fact.id "
        f"AND evidence IS NOT NULL ORDER BY evidence)) "
        f"FROM {table} fact WHERE {which} ORDER BY fact.id"
    )


def id_ranges(connection: Connection, table: str, chunk: int) -> Iterator[tuple[int, int]]:
    """(after, last): the table's ids after one and up to the other, `chunk` rows at a time, found as it goes."""
    after = connection.exec_driver_sql(f"SELECT MIN(id) - 1 FROM {table}").scalar()
    connection.rollback()
    while after is not None:
        last = connection.exec_driver_sql(
            f"SELECT MAX(id) FROM (SELECT id FROM {table} WHERE id > ? ORDER BY id LIMIT ?)", (after, chunk)
        ).scalar()
        connection.rollback()
        if last is None:
            return
        yield after, last
        after = last


def chunks_of(ids: list[int], chunk: int) -> Iterator[str]:
    """The ids, `chunk` at a time, as JSON arrays for json_each."""
    for start in range(0, len(ids), chunk):
        yield json.dumps(ids[start : start + chunk])


def build_indexes(connection: Connection, chunk: int = CHUNK) -> dict[str, int]:
    """Build every index afresh beside the old one and swap it in, committing every `chunk` rows; rows indexed,
    by index. The connection must not be in a transaction."""
    counts = {}
    for table in SEARCHED:
        name, building = index_name(table), f"{index_name(table)}_building"
        with connection.begin():
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {building}")
            connection.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {building} USING fts5({', '.join(INDEXED_COLUMNS)}, tokenize='{TOKENIZER}')"
            )
        fill = text(filling(building, table, "fact.id > :after AND fact.id <= :last"))
        counts[name] = 0
        for after, last in id_ranges(connection, table, chunk):
            with connection.begin():
                counts[name] += connection.execute(fill, {"after": after, "last": last}).rowcount
        with connection.begin():
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
            connection.exec_driver_sql(f"ALTER TABLE {building} RENAME TO {name}")
    return counts


def seen_since(connection: Connection, table: str, since: datetime) -> list[int]:
    """The facts of `table` whose row, or one of whose sources, was written at or after `since`."""
    facts, sources = Base.metadata.tables[table], Base.metadata.tables[SEARCHED[table][0]]
    pointer = sources.c[SEARCHED[table][1]]
    seen = union(
        select(facts.c.id).where(facts.c.last_seen_at >= since),
        select(pointer).where(sources.c.last_seen_at >= since),
    )
    return sorted(connection.execute(seen).scalars())


def update_indexes(connection: Connection, since: datetime, chunk: int = CHUNK) -> dict[str, int]:
    """Index again the facts written at or after `since`; rows indexed, by index. The connection must not be in a
    transaction."""
    counts = {}
    for table in SEARCHED:
        name = index_name(table)
        ids = seen_since(connection, table, since)
        connection.rollback()
        forget = text(f"DELETE FROM {name} WHERE rowid IN (SELECT value FROM json_each(:ids))")
        fill = text(filling(name, table, "fact.id IN (SELECT value FROM json_each(:ids))"))
        counts[name] = 0
        for some in chunks_of(ids, chunk):
            with connection.begin():
                connection.execute(forget, {"ids": some})
                counts[name] += connection.execute(fill, {"ids": some}).rowcount
    return counts


def has_indexes(connection: Connection) -> bool:
    present = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    connection.rollback()
    return all(index_name(table) in present for table in SEARCHED)


@contextmanager
def refresh_lock(database_file: str) -> Iterator[None]:
    """One refresh at a time on a database file: a rebuild never swaps out rows another refresh just wrote."""
    with open(lock_file_path(database_file, "search_index"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def refresh(engine: Engine, since: datetime | None = None) -> dict[str, int]:
    """Bring the search indexes of a SQLite database up to date: the facts written since `since` (a crawl's or an
    ingest's start), or all of them when it is None or an index is missing. Nothing on PostgreSQL, whose users
    search a snapshot (`watchdog snapshot`). Rows indexed, by index."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return {}
    with refresh_lock(engine.url.database), engine.connect() as connection:
        if since is None or not has_indexes(connection):
            return build_indexes(connection)
        return update_indexes(connection, since)
