"""contract releases keep a fingerprint of their content, so a re-crawl or re-ingest skips what it has

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=32), nullable=True, comment='A hash of the release as read, so a re-crawl can skip what it already has.'))
        batch_op.create_index(batch_op.f('ix_contract_releases_fingerprint'), ['fingerprint'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contract_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_releases_fingerprint'))
        batch_op.drop_column('fingerprint')

