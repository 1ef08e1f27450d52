"""INSERT ... ON CONFLICT for SQLite and PostgreSQL, and reading back the ids of what was written.

Each shape of upsert (its table, columns and conflict rules, on one database) is compiled once and reused batch after
batch: the rows' values are converted column by column and handed to the driver's executemany. On PostgreSQL a large
batch is copied (COPY) into a temporary staging table instead, and upserted from there by one statement.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, any_, bindparam, case, func, or_, select
from sqlalchemy import column as column_clause
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

LOOKUP_CHUNK = 900
# On PostgreSQL, an upsert of this many rows or more goes through COPY and a staging table (measured faster from about
# 30 rows: 17 ms against 25 ms with executemany for 1,000).
COPY_FROM_ROWS = 100
ROW_NUMBER = "watchdog_row"  # a staging table's column keeping the rows in the order they were given
STAGED = "staged"  # the rows an upsert takes out of its staging table
UNSET = object()


@dataclass(frozen=True)
class ConflictRules:
    """What an upsert does where the natural key exists (see `upsert`)."""

    key: tuple[str, ...]
    update: tuple[str, ...]
    keep: tuple[str, ...]
    is_newer: Callable[[Table, Any], ColumnElement[bool]] | None
    key_where: ColumnElement[bool] | None
    changed_by: str | None


@dataclass(frozen=True)
class Parameter:
    """A parameter of a compiled statement: one column of every row, or a constant of the statement itself."""

    name: str
    column: str | None
    constant: Any
    process: Callable[[Any], Any] | None


def converted(values: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    """Values as the driver takes them; a value repeated row after row (a batch's time) is converted once."""
    if process is None:
        return values
    result, last, last_converted = [], UNSET, None
    for value in values:
        if value is not last:
            last, last_converted = value, process(value)
        result.append(last_converted)
    return result


def value_processor(dialect: Dialect, type_) -> Callable[[Any], Any] | None:
    return type_.dialect_impl(dialect).bind_processor(dialect)


@dataclass(frozen=True)
class Prepared:
    """A compiled statement, and where each of its parameters comes from."""

    sql: str
    parameters: tuple[Parameter, ...]
    positional: bool

    def parameter_sets(self, rows: Sequence[dict[str, Any]]) -> list:
        """The parameters of each row, for executemany."""
        values = [
            converted([row[p.column] for row in rows], p.process)
            if p.column
            else itertools.repeat(p.constant, len(rows))
            for p in self.parameters
        ]
        if self.positional:
            return list(zip(*values, strict=True))
        names = [p.name for p in self.parameters]
        return [dict(zip(names, row_values, strict=True)) for row_values in zip(*values, strict=True)]

    def constants(self) -> tuple | dict[str, Any]:
        """The parameters of a statement that takes no row's values."""
        if self.positional:
            return tuple(p.constant for p in self.parameters)
        return {p.name: p.constant for p in self.parameters}


def prepared(dialect: Dialect, statement, columns: tuple[str, ...] | None = None) -> Prepared:
    """Compile an insert of rows with these columns (or one that takes no row's values) for executemany."""
    compiled = statement.compile(dialect=dialect, column_keys=columns and list(columns), for_executemany=True)
    if compiled.insert_prefetch:
        raise ValueError(f"{statement.table.name}: a column default computed in Python would be left out")
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    names = compiled.positiontup if dialect.positional else list(binds)
    parameters = []
    for name in names:
        bind, process = binds[name], value_processor(dialect, binds[name].type)
        if bind.required:
            parameters.append(Parameter(name, bind.key, None, process))
        else:
            constant = bind.effective_value
            parameters.append(Parameter(name, None, process(constant) if process else constant, None))
    return Prepared(compiled.string, tuple(parameters), dialect.positional)


def with_conflict_rules(statement, table: Table, rules: ConflictRules):
    """The insert, doing on a conflict over the natural key what `upsert` says."""
    incoming = statement.excluded
    changes: dict[str, Any] = {}
    for name in rules.update:
        take_incoming = func.coalesce(incoming[name], table.c[name])
        if rules.is_newer is None:
            changes[name] = take_incoming
        else:
            keep_stored = func.coalesce(table.c[name], incoming[name])
            changes[name] = case((rules.is_newer(table, incoming), take_incoming), else_=keep_stored)
    for name in rules.keep:
        changes[name] = func.coalesce(table.c[name], incoming[name])
    if rules.changed_by and changes:
        differs = or_(*(value.is_distinct_from(table.c[name]) for name, value in changes.items()))
        changes[rules.changed_by] = case((differs, incoming[rules.changed_by]), else_=table.c[rules.changed_by])
    if "last_seen_at" in table.c:
        changes["last_seen_at"] = incoming.last_seen_at
    key, where = list(rules.key), rules.key_where
    if changes:
        return statement.on_conflict_do_update(index_elements=key, index_where=where, set_=changes)
    return statement.on_conflict_do_nothing(index_elements=key, index_where=where)


@functools.lru_cache(maxsize=256)
def executemany_upsert(dialect: Dialect, table: Table, columns: tuple[str, ...], rules: ConflictRules) -> Prepared:
    module = postgresql if dialect.name == "postgresql" else sqlite
    return prepared(dialect, with_conflict_rules(module.insert(table), table, rules), columns)


@dataclass(frozen=True)
class Staging:
    """A PostgreSQL upsert through a temporary table: made if missing, filled by COPY, emptied by the upsert."""

    create: str
    copy: str
    processes: tuple[Callable[[Any], Any] | None, ...]
    upsert: Prepared


@functools.lru_cache(maxsize=256)
def staged_upsert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], rules: ConflictRules, returning: bool
) -> Staging:
    """The staging of an upsert; with `returning`, the upsert returns each row's id and natural key."""
    quote = dialect.identifier_preparer.quote
    stage = quote(f"watchdog_stage_{table.name}_{zlib.crc32(' '.join(columns).encode()):08x}")
    listed = ", ".join(map(quote, columns))
    source = table_clause(STAGED, column_clause(ROW_NUMBER), *map(column_clause, columns))
    rows = select(*(source.c[name] for name in columns)).order_by(source.c[ROW_NUMBER])
    statement = with_conflict_rules(postgresql.insert(table).from_select(columns, rows), table, rules)
    if returning:
        statement = statement.returning(table.c.id, *(table.c[name] for name in rules.key))
    upsert = prepared(dialect, statement)
    whole_table = dialect.identifier_preparer.format_table(table)
    return Staging(
        create=f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS "
        f"SELECT 0 AS {ROW_NUMBER}, {listed} FROM {whole_table} WITH NO DATA",
        copy=f"COPY {stage} ({ROW_NUMBER}, {listed}) FROM STDIN",
        processes=tuple(value_processor(dialect, table.c[name].type) for name in columns),
        upsert=dataclasses.replace(upsert, sql=f"WITH {STAGED} AS (DELETE FROM {stage} RETURNING *) {upsert.sql}"),
    )


def copy_and_upsert(connection: Connection, staging: Staging, rows: Sequence[dict[str, Any]]) -> list[Row] | None:
    connection.exec_driver_sql(staging.create)
    processes = zip(rows[0], staging.processes, strict=True)
    columns = [converted([row[name] for row in rows], process) for name, process in processes]
    driver_error = connection.dialect.loaded_dbapi.Error
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(staging.copy) as copy:
            for values in zip(itertools.count(), *columns):
                copy.write_row(values)
    except driver_error as error:  # as SQLAlchemy raises what the driver refuses: a value too long is a DataError
        raise DBAPIError.instance(staging.copy, None, error, driver_error, dialect=connection.dialect) from error
    finally:
        cursor.close()
    result = connection.exec_driver_sql(staging.upsert.sql, staging.upsert.constants())
    return result.all() if result.returns_rows else None


def distinct_keys(rows: Sequence[dict[str, Any]], key: Sequence[str]) -> bool:
    return len({tuple(row[name] for name in key) for row in rows}) == len(rows)


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
    if rows:
        rules = ConflictRules(tuple(key), tuple(update), tuple(keep), is_newer, key_where, changed_by)
        write(connection, table, rows, rules, returning=False)


def upsert_ids(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    *,
    update: Iterable[str] = (),
    keep: Iterable[str] = (),
    is_newer: Callable[[Table, Any], ColumnElement[bool]] | None = None,
    changed_by: str | None = None,
) -> dict[Any, int]:
    """`upsert` on a plain (not partial) unique key, then each row's id by that key, as `ids_by_key` maps them. An
    upsert through COPY returns them itself: only what it did not return (a row a conflict left alone) is looked up."""
    if not rows:
        return {}
    rules = ConflictRules(tuple(key), tuple(update), tuple(keep), is_newer, None, changed_by)
    returned = write(connection, table, rows, rules, returning=True)
    single = len(key) == 1
    found = {value[0] if single else tuple(value): row_id for row_id, *value in returned or ()}
    wanted = [row[key[0]] if single else tuple(row[name] for name in key) for row in rows]
    return found | ids_by_key(connection, table, key, [value for value in wanted if value not in found])


def write(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], rules: ConflictRules, returning: bool
) -> list[Row] | None:
    """Upsert the rows: through COPY on PostgreSQL (returning ids and keys if asked), executemany otherwise."""
    dialect, columns = connection.dialect, tuple(rows[0])
    if dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS and distinct_keys(rows, rules.key):
        return copy_and_upsert(connection, staged_upsert(dialect, table, columns, rules, returning), rows)
    statement = executemany_upsert(dialect, table, columns, rules)
    connection.exec_driver_sql(statement.sql, statement.parameter_sets(rows))
    return None


def lookups(dialect: Dialect, table: Table, key: tuple[str, ...], wanted: list[Any]) -> Iterator[tuple[str, Any]]:
    """The statements, with their parameters, that SELECT the id and key of the rows with the wanted keys (text or
    integers, given as they are). PostgreSQL gets one statement whatever their number, planned once for all batches:
    the keys as arrays, joined; SQLite one per LOOKUP_CHUNK keys, each key a parameter (composite keys joined as a
    VALUES list)."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(f"stored.{quote(name)}" for name in key)
    selected = f"SELECT stored.id, {columns} FROM {dialect.identifier_preparer.format_table(table)} AS stored"
    same = " AND ".join(f"stored.{quote(name)} = wanted.{quote(name)}" for name in key)
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect)}[]" for name in key)
        sql = f"{selected} JOIN unnest({arrays}) AS wanted({', '.join(map(quote, key))}) ON {same}"
        yield sql, tuple(list(values) for values in zip(*wanted, strict=True)) if len(key) > 1 else (wanted,)
        return
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        if len(key) == 1:
            yield f"{selected} WHERE {columns} IN ({', '.join(['?'] * len(chunk))})", tuple(chunk)
        else:
            # A join on the keys as a VALUES list: SQLite reads `(a, b) IN ((?, ?), ...)` by scanning the whole
            # index (0.5 s for 400 keys at a million contracts), the join by one index search per key.
            one = f"({', '.join(['?'] * len(key))})"
            wanted_rows = f"WITH wanted({', '.join(map(quote, key))}) AS (VALUES {', '.join([one] * len(chunk))}) "
            yield f"{wanted_rows}{selected} JOIN wanted ON {same}", tuple(itertools.chain.from_iterable(chunk))


def matching(connection: Connection, column: ColumnElement, values: Iterable[Any]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select the rows whose column is one of the values: on PostgreSQL one, the values an
    array (one statement, planned once, for any number of values); on SQLite one per LOOKUP_CHUNK values."""
    values = list(values)
    if connection.dialect.name == "postgresql":
        if values:
            yield column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield column.in_(values[start : start + LOOKUP_CHUNK])


def ids_by_key(connection: Connection, table: Table, key: Sequence[str], values: Iterable[Any]) -> dict[Any, int]:
    """Map each natural-key value (a scalar, or a tuple for a composite key) to its row id."""
    wanted = list(dict.fromkeys(values))
    single = len(key) == 1
    found: dict[Any, int] = {}
    for sql, parameters in lookups(connection.dialect, table, tuple(key), wanted) if wanted else ():
        for row_id, *value in connection.exec_driver_sql(sql, parameters):
            found[value[0] if single else tuple(value)] = row_id
    return found
