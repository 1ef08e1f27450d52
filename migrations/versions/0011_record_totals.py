"""the record views read totals kept current by the write path: supplier_totals and group_totals

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28

supplier_record and group_record added up every fact of every supplier on each read (minutes for every group at
50,000 releases). Their totals are now kept in two tables, worked out again by each write for the suppliers and
groups it touched, in its own transaction (watchdog/database/totals.py), and the views read them: same columns, same
meaning. supplier_totals also holds each supplier's current group, so supplier_groups (and supplier_events, which
is built on it) finds a group's members through an index. Indexes on suppliers.name and buyers.name serve the
questions asked by name.

The totals of data already stored are worked out in this migration.
"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TOTALS = ("contracts_count", "contracts_value_gbp", "enforcement_count", "penalties_value_gbp", "incidents_count",
          "first_event_date", "last_event_date", "shared_awards_count", "shared_awards_ceiling_gbp")
NAMES = """s.id AS supplier_id, s.name AS supplier_name, s.company_number,
               g.id AS group_id, g.name AS group_name"""
PLACED = """FROM supplier_totals t
        JOIN suppliers s ON s.id = t.supplier_id
        JOIN suppliers g ON g.id = t.group_id"""

# The public views are a stable contract for SQL users: columns may be added (at the end), never renamed or
# removed. Each statement runs unchanged on SQLite and PostgreSQL.
VIEWS = {
    "supplier_groups": f"""
        SELECT {NAMES}, g.company_number AS group_company_number
        {PLACED}
    """,
    "supplier_record": f"""
        SELECT {NAMES}, {", ".join(f"t.{name}" for name in TOTALS)}
        {PLACED}
    """,
    "group_record": f"""
        SELECT g.id AS group_id, g.name AS group_name, g.company_number, t.members_count,
               {", ".join(f"t.{name}" for name in TOTALS)}
        FROM group_totals t
        JOIN suppliers g ON g.id = t.group_id
    """,
}
# In the order they are made: supplier_events reads supplier_groups.
REMADE = ("supplier_groups", "supplier_events", "supplier_record", "group_record")


def views_of(revision_file: str) -> dict[str, str]:
    """The views as an earlier revision made them."""
    path = Path(__file__).with_name(revision_file)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEWS


def totals_columns() -> list[sa.Column]:
    money = sa.Numeric(precision=20, scale=2)
    comments = {
        "contracts_count": (sa.Integer(), "Current official awards it won (shared ones included)."),
        "contracts_value_gbp": (money, "Sum in pounds of the awards it won alone (not shared, not frameworks)."),
        "enforcement_count": (sa.Integer(), "Enforcement actions against it."),
        "penalties_value_gbp": (money, "Sum in pounds of every amount of those actions."),
        "incidents_count": (sa.Integer(), "Incidents it was responsible for."),
        "first_event_date": (sa.Date(), "Date of its earliest contract, action or incident."),
        "last_event_date": (sa.Date(), "Date of its latest one."),
        "shared_awards_count": (sa.Integer(), "Of contracts_count, the shared awards and frameworks."),
        "shared_awards_ceiling_gbp": (money, "Sum in pounds of those shared awards' whole values (a ceiling, not money paid)."),
    }
    return [sa.Column(name, kind, nullable=name.endswith("_date"), comment=comment)
            for name, (kind, comment) in comments.items()]


def upgrade() -> None:
    for name in reversed(REMADE):
        op.execute(f"DROP VIEW {name}")
    op.create_table('supplier_totals',
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The supplier (suppliers.id).'),
    sa.Column('group_id', sa.Integer(), nullable=False, comment="The group it is in now (the group's parent, suppliers.id), itself if none: group_memberships' current row, copied here so a group's members are found through an index."),
    *totals_columns(),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_totals_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_supplier_totals')),
    comment='One row per supplier: the totals supplier_record shows, and its current group, kept current by every write (read supplier_record rather than this table).'
    )
    op.create_index(op.f('ix_supplier_totals_group_id'), 'supplier_totals', ['group_id'], unique=False)
    op.create_index(op.f('ix_supplier_totals_contracts_value_gbp'), 'supplier_totals', ['contracts_value_gbp'], unique=False)
    op.create_table('group_totals',
    sa.Column('group_id', sa.Integer(), nullable=False, comment="The group's parent (suppliers.id)."),
    sa.Column('members_count', sa.Integer(), nullable=False, comment='Entities in the group, the parent included.'),
    *totals_columns(),
    sa.ForeignKeyConstraint(['group_id'], ['suppliers.id'], name=op.f('fk_group_totals_group_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_group_totals')),
    comment='One row per group (and per supplier in no group): the totals group_record shows, kept current by every write (read group_record rather than this table).'
    )
    op.create_index(op.f('ix_group_totals_contracts_value_gbp'), 'group_totals', ['contracts_value_gbp'], unique=False)
    op.create_index(op.f('ix_suppliers_name'), 'suppliers', ['name'], unique=False)
    op.create_index(op.f('ix_buyers_name'), 'buyers', ['name'], unique=False)
    op.drop_index('ix_contracts_superseded_by', table_name='contracts')
    op.create_index('ix_contracts_superseded_by', 'contracts', ['superseded_by'], unique=False,
                    sqlite_where=sa.text('superseded_by IS NOT NULL'), postgresql_where=sa.text('superseded_by IS NOT NULL'))

    from watchdog.database.totals import rebuild_all
    rebuild_all(op.get_bind())
    earlier = views_of("0006_current_awards.py")
    for name in REMADE:
        op.execute(f"CREATE VIEW {name} AS {VIEWS.get(name) or earlier[name]}")


def downgrade() -> None:
    for name in reversed(REMADE):
        op.execute(f"DROP VIEW {name}")
    op.drop_index(op.f('ix_buyers_name'), table_name='buyers')
    op.drop_index('ix_contracts_superseded_by', table_name='contracts')
    op.create_index('ix_contracts_superseded_by', 'contracts', ['superseded_by'], unique=False)
    op.drop_index(op.f('ix_suppliers_name'), table_name='suppliers')
    op.drop_index(op.f('ix_group_totals_contracts_value_gbp'), table_name='group_totals')
    op.drop_table('group_totals')
    op.drop_index(op.f('ix_supplier_totals_contracts_value_gbp'), table_name='supplier_totals')
    op.drop_index(op.f('ix_supplier_totals_group_id'), table_name='supplier_totals')
    op.drop_table('supplier_totals')
    earlier = {**views_of("0006_current_awards.py"), "supplier_groups": views_of("0001_initial_schema.py")["supplier_groups"]}
    for name in REMADE:
        op.execute(f"CREATE VIEW {name} AS {earlier[name]}")
