"""Alembic environment: runs against the engine the CLI hands over, or the configured database URL."""

from alembic import context

from watchdog.database.db import make_engine
from watchdog.database.models import Base, UTCDateTime
from watchdog.database.search import not_search_index
from watchdog.database.totals import MIGRATING

config = context.config


def render_item(kind, obj, _autogen_context):
    """Write our column types as plain SQLAlchemy types, so a migration never imports live code."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        # A migration that changes facts rebuilds the totals itself; the mark lives on the pooled connection.
        connection.info[MIGRATING] = True
        try:
            migrate(connection)
        finally:
            connection.info.pop(MIGRATING, None)


def migrate(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table and renames the copy into place; SQLite would refuse that rename
        # while the public views name the table, unless told to rename the legacy way. Dropping the old
        # table would also delete, by ON DELETE CASCADE, every row that refers to it, unless foreign keys
        # are off while the migrations run (they are checked once they are done).
        connection.exec_driver_sql("PRAGMA legacy_alter_table = ON")
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        broken_before = set(connection.exec_driver_sql("PRAGMA foreign_key_check").all())
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=not_search_index,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:  # rows that pointed nowhere before (edited by hand, say) are not the migration's doing
            broken = set(connection.exec_driver_sql("PRAGMA foreign_key_check").all()) - broken_before
            if broken:
                raise RuntimeError(f"the migration left rows pointing nowhere: {sorted(broken)[:5]}")
    connection.commit()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations()
