"""the extraction_rule columns' comment names no file of the code, which moves

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SOURCE_TABLES = ("contract_sources", "enforcement_action_sources", "incident_sources")
EARLIER_COMMENT = "For a fact read from the news: the extraction rule that read it (watchdog/extraction_rules.py)."
COMMENT = "For a fact read from the news: the name of the extraction rule that read it."


def set_comment(comment: str, earlier_comment: str) -> None:
    # Column comments are stored by PostgreSQL only; SQLite keeps none.
    if op.get_context().dialect.name != "postgresql":
        return
    for table in SOURCE_TABLES:
        op.alter_column(
            table,
            "extraction_rule",
            existing_type=sa.String(length=100),
            existing_nullable=True,
            comment=comment,
            existing_comment=earlier_comment,
        )


def upgrade() -> None:
    set_comment(COMMENT, EARLIER_COMMENT)


def downgrade() -> None:
    set_comment(EARLIER_COMMENT, COMMENT)
