"""documents keep the ETag and Last-Modified a server gave, for conditional GET of news feeds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('etag', sa.Text(), nullable=True, comment='The ETag the server gave, sent back next time so an unchanged feed is not downloaded.'))
        batch_op.add_column(sa.Column('last_modified', sa.Text(), nullable=True, comment='The Last-Modified header the server gave, sent back the same way.'))


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('last_modified')
        batch_op.drop_column('etag')

