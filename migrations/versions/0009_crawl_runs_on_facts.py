"""each fact records the crawl run that first found it and the run that last changed it; contract_value_changes
says which run found each correction, and the value it replaced

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Adds first_crawl_run_id and changed_crawl_run_id to contracts, enforcement_actions, incidents and suppliers, and
first_crawl_run_id to contract_releases (so a new value is dated by the run that found it), previous_amount,
changed_crawl_run_id and changed_at to enforcement_amounts (so a corrected sum is dated, with the one it replaced),
and round_started_at to crawl_runs (which `crawl --all` round a run was part of). Rows stored before
this revision get no run: which run wrote them was not recorded, and guessing it from first_seen_at would be
wrong whenever two runs overlapped. `watchdog changes --since DATE` still reads them by first_seen_at.

contract_value_changes gains three columns at its end: previous_value (the value the latest one replaced),
changed_at and changed_crawl_run_id (when, and by which run, the release that brought the latest value, or the
row that republished the award, was first found).
"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FACT_TABLES = ('contracts', 'enforcement_actions', 'incidents', 'suppliers')
FIRST_RUN = 'The crawl run (or ingest) that first found this (crawl_runs.id); empty when unknown: found before runs were recorded on rows (revision 0009), or, for a supplier, split off by a person or named by a groups file.'
CHANGED_RUN = "The crawl run (or ingest) that last changed what this row says (crawl_runs.id): first_crawl_run_id until a later run writes another value to one of its columns (a release seen again changes nothing); empty when unknown. A person's decisions are not runs: they are in supplier_decisions and contract_decisions."
RELEASE_RUN = 'The crawl run (or ingest) that first stored this release (crawl_runs.id), so a new value is dated by the run that found it; empty when unknown (stored before revision 0009).'
PREVIOUS_AMOUNT = 'The sum this one replaced, when a later crawl found another; empty if it never changed, or if a later crawl added it to an action known before.'
AMOUNT_RUN = 'The crawl run (or ingest) that last changed this sum, or added it to an action known before (crawl_runs.id); empty if the sum is as the action was first found with.'
AMOUNT_CHANGED_AT = 'When that run wrote it (UTC); empty if the sum is as the action was first found with.'
ROUND_STARTED_AT = 'When the `crawl --all` round this run was part of started (UTC); empty for a crawl or ingest run on its own.'

# A release's value, and the condition that it has one and a date (the releases the view orders by date).
VALUE = "COALESCE({0}.value, {0}.value_gross)"
DATED_VALUE = "{0}.release_at IS NOT NULL AND COALESCE({0}.value, {0}.value_gross) IS NOT NULL"
LATEST_VALUE = f"""(SELECT {VALUE.format('l')} FROM contract_releases l
                    WHERE l.contract_id = c.id AND {DATED_VALUE.format('l')}
                    ORDER BY l.release_at DESC, l.id DESC LIMIT 1)"""
# The release that brought the latest value: of the releases with it that no release with another value follows, the
# one first found (a release published earlier but found later, carrying the same value, brought nothing new).
BROUGHT_LATEST = f"""(SELECT r.id FROM contract_releases r
                      WHERE r.contract_id = c.id AND {DATED_VALUE.format('r')} AND {VALUE.format('r')} = {LATEST_VALUE}
                        AND NOT EXISTS (
                            SELECT 1 FROM contract_releases p
                            WHERE p.contract_id = c.id AND {DATED_VALUE.format('p')}
                              AND {VALUE.format('p')} <> {VALUE.format('r')}
                              AND (p.release_at > r.release_at OR (p.release_at = r.release_at AND p.id > r.id))
                        )
                      ORDER BY r.first_seen_at, r.id LIMIT 1)"""

# The public views are a stable contract for SQL users: columns may be added (at the end), never renamed or
# removed. This statement runs unchanged on SQLite and PostgreSQL; every value is a subquery of its row, so that
# a condition on contract_id reaches the tables (SQLite flattens the view) rather than reading every correction.
CONTRACT_VALUE_CHANGES = f"""
    SELECT contract_id, ocid, award_id, title, buyer_name, currency, releases_count,
           first_value, latest_value, latest_value - first_value AS value_change,
           first_release_at, latest_release_at, change_kind, earlier_contract_id, earlier_award_id,
           previous_value, changed_at, changed_crawl_run_id
    FROM (
        SELECT c.id AS contract_id, c.ocid, c.award_id, c.title, b.name AS buyer_name, c.currency,
               (SELECT COUNT(*) FROM contract_releases r WHERE r.contract_id = c.id) AS releases_count,
               (SELECT {VALUE.format('r')} FROM contract_releases r
                WHERE r.contract_id = c.id AND {DATED_VALUE.format('r')}
                ORDER BY r.release_at, r.id LIMIT 1) AS first_value,
               {LATEST_VALUE} AS latest_value,
               (SELECT MIN(r.release_at) FROM contract_releases r WHERE r.contract_id = c.id) AS first_release_at,
               c.latest_release_at,
               'corrected' AS change_kind, CAST(NULL AS INTEGER) AS earlier_contract_id,
               CAST(NULL AS TEXT) AS earlier_award_id,
               (SELECT {VALUE.format('p')} FROM contract_releases p
                WHERE p.contract_id = c.id AND {DATED_VALUE.format('p')} AND {VALUE.format('p')} <> {LATEST_VALUE}
                ORDER BY p.release_at DESC, p.id DESC LIMIT 1) AS previous_value,
               (SELECT x.first_seen_at FROM contract_releases x WHERE x.id = {BROUGHT_LATEST}) AS changed_at,
               (SELECT x.first_crawl_run_id FROM contract_releases x WHERE x.id = {BROUGHT_LATEST})
                   AS changed_crawl_run_id
        FROM contracts c
        LEFT JOIN buyers b ON b.id = c.buyer_id
        WHERE (SELECT COUNT(DISTINCT {VALUE.format('r')}) FROM contract_releases r WHERE r.contract_id = c.id) > 1
        UNION ALL
        SELECT c.id, c.ocid, c.award_id, c.title, b.name, c.currency,
               (SELECT COUNT(*) FROM contract_releases r WHERE r.contract_id IN (o.id, c.id)),
               COALESCE(o.initial_value, o.initial_value_gross),
               COALESCE(c.initial_value, c.initial_value_gross),
               (SELECT MIN(r.release_at) FROM contract_releases r WHERE r.contract_id = o.id),
               c.latest_release_at,
               'republished', o.id, o.award_id,
               COALESCE(o.initial_value, o.initial_value_gross), c.first_seen_at, c.first_crawl_run_id
        FROM contracts o
        JOIN contracts c ON c.id = o.superseded_by
        LEFT JOIN buyers b ON b.id = c.buyer_id
        WHERE o.superseded_reason IN ('republished', 'person')
          AND COALESCE(o.initial_value, o.initial_value_gross) <> COALESCE(c.initial_value, c.initial_value_gross)
    ) changed
"""


def views_of_revision_0006() -> dict[str, str]:
    """The views as revision 0006 made them, for the downgrade."""
    path = Path(__file__).with_name("0006_current_awards.py")
    spec = importlib.util.spec_from_file_location("current_awards", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEWS


def upgrade() -> None:
    op.execute("DROP VIEW contract_value_changes")
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_started_at', sa.DateTime(timezone=True), nullable=True, comment=ROUND_STARTED_AT))
    with op.batch_alter_table('contract_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_crawl_run_id', sa.Integer(), nullable=True, comment=RELEASE_RUN))
        batch_op.create_index(batch_op.f('ix_contract_releases_first_crawl_run_id'), ['first_crawl_run_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_contract_releases_first_crawl_run_id_crawl_runs'), 'crawl_runs', ['first_crawl_run_id'], ['id'], ondelete='SET NULL')
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('first_crawl_run_id', sa.Integer(), nullable=True, comment=FIRST_RUN))
            batch_op.add_column(sa.Column('changed_crawl_run_id', sa.Integer(), nullable=True, comment=CHANGED_RUN))
            for column in ('first_crawl_run_id', 'changed_crawl_run_id'):
                batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
                batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{column}_crawl_runs'), 'crawl_runs', [column], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('enforcement_amounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_amount', sa.Numeric(precision=20, scale=2), nullable=True, comment=PREVIOUS_AMOUNT))
        batch_op.add_column(sa.Column('changed_crawl_run_id', sa.Integer(), nullable=True, comment=AMOUNT_RUN))
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True, comment=AMOUNT_CHANGED_AT))
        batch_op.create_index(batch_op.f('ix_enforcement_amounts_changed_crawl_run_id'), ['changed_crawl_run_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enforcement_amounts_changed_crawl_run_id_crawl_runs'), 'crawl_runs', ['changed_crawl_run_id'], ['id'], ondelete='SET NULL')
    op.execute(f"CREATE VIEW contract_value_changes AS {CONTRACT_VALUE_CHANGES}")


def downgrade() -> None:
    op.execute("DROP VIEW contract_value_changes")
    with op.batch_alter_table('enforcement_amounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enforcement_amounts_changed_crawl_run_id_crawl_runs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enforcement_amounts_changed_crawl_run_id'))
        batch_op.drop_column('changed_at')
        batch_op.drop_column('changed_crawl_run_id')
        batch_op.drop_column('previous_amount')
    for table in reversed(FACT_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ('changed_crawl_run_id', 'first_crawl_run_id'):
                batch_op.drop_constraint(batch_op.f(f'fk_{table}_{column}_crawl_runs'), type_='foreignkey')
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
                batch_op.drop_column(column)
    with op.batch_alter_table('contract_releases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contract_releases_first_crawl_run_id_crawl_runs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contract_releases_first_crawl_run_id'))
        batch_op.drop_column('first_crawl_run_id')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_column('round_started_at')
    op.execute(f"CREATE VIEW contract_value_changes AS {views_of_revision_0006()['contract_value_changes']}")
