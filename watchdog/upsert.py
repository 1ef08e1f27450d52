"""INSERT ... ON CONFLICT for SQLite and PostgreSQL, and reading back the ids of what was written."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, case, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

LOOKUP_CHUNK = 900


def dialect_insert(connection: Connection, table: Table):
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    update: Iterable[str] = (),
    keep: Iterable[str] = (),
    is_newer: Callable[[Table, Any], ColumnElement[bool]] | None = None,
    key_where: ColumnElement[bool] | None = None,
    changed_by: str | None = None,
) -> None:
    """Insert rows; where the natural key exists, refresh `update` columns and last_seen_at, and fill
    the `keep` columns only where they are empty.

    A refreshed column takes the incoming value unless it is empty. With `is_newer`, an incoming row
    that is not newer than the stored one only fills the stored row's empty columns, so the latest
    version wins whatever order versions arrive in. The `changed_by` column (the run that last changed the
    row) takes the incoming value only when a refreshed or filled column takes a value it did not have.
    """
    if not rows:
        return
    statement = dialect_insert(connection, table)
    incoming = statement.excluded
    changes: dict[str, Any] = {}
    for column in update:
        take_incoming = func.coalesce(incoming[column], table.c[column])
        if is_newer is None:
            changes[column] = take_incoming
        else:
            keep_stored = func.coalesce(table.c[column], incoming[column])
            changes[column] = case((is_newer(table, incoming), take_incoming), else_=keep_stored)
    for column in keep:
        changes[column] = func.coalesce(table.c[column], incoming[column])
    if changed_by and changes:
        differs = or_(*(value.is_distinct_from(table.c[column]) for column, value in changes.items()))
        changes[changed_by] = case((differs, incoming[changed_by]), else_=table.c[changed_by])
    if "last_seen_at" in table.c:
        changes["last_seen_at"] = incoming.last_seen_at
    if changes:
        statement = statement.on_conflict_do_update(index_elements=list(key), index_where=key_where, set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key), index_where=key_where)
    connection.execute(statement, list(rows))


def ids_by_key(connection: Connection, table: Table, key: Sequence[str], values: Iterable[Any]) -> dict[Any, int]:
    """Map each natural-key value (a scalar, or a tuple for a composite key) to its row id."""
    columns = [table.c[name] for name in key]
    wanted = list(dict.fromkeys(values))
    found: dict[Any, int] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        condition = columns[0].in_(chunk) if len(columns) == 1 else tuple_(*columns).in_(chunk)
        for row in connection.execute(select(table.c.id, *columns).where(condition)):
            found[row[1] if len(columns) == 1 else tuple(row[1:])] = row[0]
    return found
