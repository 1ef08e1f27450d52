"""crawl runs count warnings and retries and keep their stats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.Integer(), server_default='0', nullable=False, comment='Warnings: a page with nothing on it, a window that may be incomplete...'))
        batch_op.add_column(sa.Column('retries', sa.Integer(), server_default='0', nullable=False, comment='Requests tried again after a rate limit, a server error or a timeout.'))
        batch_op.add_column(sa.Column('stats', sa.JSON(), nullable=True, comment="Every counter the crawl kept (Scrapy's and ours), as JSON, for diagnosis."))


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_column('stats')
        batch_op.drop_column('retries')
        batch_op.drop_column('warnings')

