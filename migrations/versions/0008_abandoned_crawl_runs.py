"""a crawl run reports its progress while it runs, and a killed one is marked abandoned by the next

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FINISHED_AT = 'When it ended (UTC); empty while running.'
STATUS = 'running, finished (no errors), failed (errors counted) or interrupted.'


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_progress_at', sa.DateTime(timezone=True), nullable=True, comment='When its counts and watermark were last written (UTC): every WATCHDOG_PROGRESS_INTERVAL seconds while it runs, and at its end.'))
        batch_op.alter_column('finished_at',
               existing_type=sa.DateTime(timezone=True),
               comment='When it ended (UTC); empty while running. For an abandoned run, the last time it reported progress.',
               existing_comment=FINISHED_AT,
               existing_nullable=True)
        batch_op.alter_column('status',
               existing_type=sa.String(length=20),
               comment='running; finished (everything asked for was read and stored); failed (errors counted); interrupted (stopped before the end: a signal, Ctrl-C); abandoned (killed: it stopped reporting progress while running, and a later run of its spider found it so).',
               existing_comment=STATUS,
               existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('ck_crawl_runs_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('running', 'finished', 'failed', 'interrupted', 'abandoned')")
    op.execute("UPDATE crawl_runs SET last_progress_at = finished_at")


def downgrade() -> None:
    # Before this revision there is no word for a killed run; it did stop before the end.
    op.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'abandoned'")
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_crawl_runs_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('running', 'finished', 'failed', 'interrupted')")
        batch_op.alter_column('status',
               existing_type=sa.String(length=20),
               comment=STATUS,
               existing_comment='running; finished (everything asked for was read and stored); failed (errors counted); interrupted (stopped before the end: a signal, Ctrl-C); abandoned (killed: it stopped reporting progress while running, and a later run of its spider found it so).',
               existing_nullable=False)
        batch_op.alter_column('finished_at',
               existing_type=sa.DateTime(timezone=True),
               comment=FINISHED_AT,
               existing_comment='When it ended (UTC); empty while running. For an abandoned run, the last time it reported progress.',
               existing_nullable=True)
        batch_op.drop_column('last_progress_at')
