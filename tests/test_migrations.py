"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from watchdog import db
from watchdog.models import Base
from watchdog.views import VIEWS


def test_one_head():
    scripts = ScriptDirectory(str(db.migrations_directory()))
    assert len(scripts.get_heads()) == 1


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_downgrade_upgrade(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    db.downgrade(engine, "base")
    assert db.current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert inspect(engine).get_view_names() == []
    db.upgrade(engine)
    assert set(inspect(engine).get_view_names()) == set(VIEWS)
    engine.dispose()


def test_views_have_the_documented_columns(engine):
    inspector = inspect(engine)
    for name, (_, columns) in VIEWS.items():
        assert [column["name"] for column in inspector.get_columns(name)] == list(columns), name
