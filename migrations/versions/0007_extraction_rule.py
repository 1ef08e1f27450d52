"""a fact read from the news keeps the extraction rule that read it, beside its evidence passage

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SOURCE_TABLES = ('contract_sources', 'enforcement_action_sources', 'incident_sources')


def upgrade() -> None:
    for table in SOURCE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('extraction_rule', sa.String(length=100), nullable=True, comment='For a fact read from the news: the extraction rule that read it (watchdog/extraction_rules.py).'))


def downgrade() -> None:
    for table in SOURCE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('extraction_rule')
