"""a crawl refused by its spider's lock is recorded on crawl_runs as skipped

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

EARLIER_STATUSES = ("running", "finished", "failed", "interrupted", "abandoned")
STATUSES = EARLIER_STATUSES + ("skipped",)
EARLIER_COMMENT = (
    "running; finished (everything asked for was read and stored); failed (errors counted); interrupted (stopped "
    "before the end: a signal, Ctrl-C); abandoned (killed: it stopped reporting progress while running, and a later "
    "run of its spider found it so)."
)
COMMENT = EARLIER_COMMENT.removesuffix(".") + (
    "; skipped (did not start: another crawl of its spider held the spider's lock on this database)."
)


def one_of(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def set_statuses(statuses: tuple[str, ...], comment: str, earlier_comment: str) -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=20),
            comment=comment,
            existing_comment=earlier_comment,
            existing_nullable=False,
        )
        batch_op.drop_constraint(batch_op.f("ck_crawl_runs_status"), type_="check")
        batch_op.create_check_constraint("status", one_of(statuses))


def upgrade() -> None:
    set_statuses(STATUSES, COMMENT, EARLIER_COMMENT)


def downgrade() -> None:
    # Before this revision a refused crawl left no row at all.
    op.execute("DELETE FROM crawl_runs WHERE status = 'skipped'")
    set_statuses(EARLIER_STATUSES, EARLIER_COMMENT, COMMENT)
