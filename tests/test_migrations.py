"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from watchdog.database import db, search
from watchdog.database.models import Base
from watchdog.database.search import not_search_index
from watchdog.database.views import VIEWS


def test_one_head():
    scripts = ScriptDirectory(str(db.migrations_directory()))
    assert len(scripts.get_heads()) == 1


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_search_indexes_are_left_out_of_the_comparison(tmp_path):
    """The FTS5 indexes (SQLite only, derived) are no model's tables: autogenerate must not offer to drop them."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'watchdog.db'}")
    db.upgrade(engine)
    search.refresh(engine)
    with engine.connect() as connection:
        assert "contracts_fts_data" in inspect(connection).get_table_names()
        opts = {"compare_type": True, "include_name": not_search_index}
        assert compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata) == []
    engine.dispose()


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


def test_upgrading_a_database_that_holds_data_works_out_which_rows_are_current(database_url):
    """A database filled before superseded rows existed: a tender row beside its award, and an award republished
    under a new id with its decimal point moved. After the upgrade each counts once; the downgrade goes back."""
    engine = db.make_engine(database_url)
    db.upgrade(engine, "0005")
    seen = "'2025-01-23 16:00:00+00:00'"
    with engine.begin() as connection:
        connection.execute(text(
            f"INSERT INTO suppliers (id, name, name_key, first_seen_at, last_seen_at) "
            f"VALUES (1, 'Lyreco UK Limited', 'lyreco', {seen}, {seen})"
        ))  # fmt: skip
        for row_id, award_id, value, release_at in [
            (1, "", None, "2024-12-01 09:00:00+00:00"),
            (2, "1", 4512650, "2025-01-23 16:00:00+00:00"),
            (3, "2", 45126.50, "2025-01-23 16:07:00+00:00"),
        ]:
            connection.execute(
                text(
                    "INSERT INTO contracts (id, ocid, award_id, initial_value, currency, awarded_on, basis, "
                    "date_precision, latest_release_at, first_seen_at, last_seen_at) VALUES (:id, 'ocds-b5fd17-x', "
                    f":award_id, :value, 'GBP', '2025-01-17', 'official', 'day', :release_at, {seen}, {seen})"
                ),
                {"id": row_id, "award_id": award_id, "value": value, "release_at": release_at},
            )
            connection.execute(
                text(
                    "INSERT INTO contract_releases (contract_id, release_id, release_at, value, first_seen_at, "
                    f"last_seen_at) VALUES (:id, :release, :release_at, :value, {seen}, {seen})"
                ),
                {"id": row_id, "release": f"r{row_id}", "release_at": release_at, "value": value},
            )
            if award_id:
                connection.execute(text(
                    "INSERT INTO contract_suppliers (contract_id, supplier_id, first_seen_at, last_seen_at) "
                    f"VALUES (:id, 1, {seen}, {seen})"
                ), {"id": row_id})  # fmt: skip
        connection.execute(text(
            "INSERT INTO contracts (id, ocid, award_id, title, initial_value_gross, currency, basis, date_precision, "
            f"first_seen_at, last_seen_at) VALUES (4, 'ocds-b5fd17-y', '1', 'Highways Framework 2025-2029', 1200, "
            f"'GBP', 'official', 'day', {seen}, {seen})"
        ))  # fmt: skip
    db.upgrade(engine)
    with engine.connect() as connection:
        framework = connection.execute(text("SELECT value_gbp, is_framework FROM awards WHERE ocid = 'ocds-b5fd17-y'"))
        assert [(float(value), flag) for value, flag in framework] == [(1200.0, 1)]  # gross-only, framework by title
        marks = connection.execute(text("SELECT id, superseded_by, superseded_reason, suppliers_count FROM contracts "
                                        "WHERE id < 4 ORDER BY id")).all()  # fmt: skip
        assert [tuple(row) for row in marks] == [(1, 3, "awarded", None), (2, 3, "republished", 1), (3, None, None, 1)]
        assert connection.execute(text("SELECT award_id FROM awards WHERE ocid = 'ocds-b5fd17-x'")).scalars().all() == [
            "2"
        ]
        links = "SELECT (SELECT COUNT(*) FROM contract_suppliers), (SELECT COUNT(*) FROM contract_releases)"
        assert tuple(connection.execute(text(links)).one()) == (2, 3)  # the rebuilt table took none with it
        assert connection.execute(text("SELECT contracts_count FROM supplier_record")).scalars().all() == [1]
    db.downgrade(engine, "0005")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM contracts")).scalar() == 4
        assert connection.execute(text("SELECT contracts_count FROM supplier_record")).scalars().all() == [2]
    assert "awards" not in inspect(engine).get_view_names()
    engine.dispose()
