"""enforcement actions of the ICO and the courts: enforcement_notice, reprimand and judgment; a penalty reduced on
appeal keeps its first sum as fine_before_appeal

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

The CHECK constraints on enforcement_actions.kind and enforcement_amounts.kind accept the four new kinds. A
fine_before_appeal amount is kept beside the final fine and is never added to a record's penalties (supplier_record,
group_record, the supplier page's chart): the totals are worked out again here, as they now leave it out.
"""

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

EARLIER_KINDS = ("fine", "costs", "service_credit", "repayment", "dpa_penalty", "compensation", "other")
KINDS = EARLIER_KINDS + ("enforcement_notice", "reprimand", "judgment", "fine_before_appeal")
TABLES = ("enforcement_actions", "enforcement_amounts")
# The kind columns' comments (what psql's \d+ shows), before and after.
COMMENTS = {
    "enforcement_actions": (
        "fine, costs, service_credit (a deduction from payments), repayment, dpa_penalty, compensation, other.",
        "fine, costs, service_credit (a deduction from payments), repayment, dpa_penalty, compensation, "
        "enforcement_notice, reprimand, judgment, other.",
    ),
    "enforcement_amounts": (
        "What the money is: fine, costs, service_credit...",
        "What the money is: fine, costs, service_credit... fine_before_appeal is a fine as first imposed, "
        "kept beside the fine an appeal reduced it to, and never added to a record's penalties.",
    ),
}


def comment_kinds(new: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":  # SQLite keeps no comments
        return
    for table, (before, after) in COMMENTS.items():
        op.alter_column(
            table, "kind", existing_type=sa.String(20), existing_nullable=False,
            comment=after if new else before, existing_comment=before if new else after,
        )


def kind_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def replace_kind_checks(kinds: tuple[str, ...]) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_kind"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{table}_kind"), kind_check(kinds))


def upgrade() -> None:
    replace_kind_checks(KINDS)
    comment_kinds(new=True)
    from watchdog.database.totals import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    """The actions and amounts of the new kinds are deleted (the earlier revision cannot hold them)."""
    new_kinds = ", ".join(f"'{kind}'" for kind in KINDS if kind not in EARLIER_KINDS)
    new_actions = f"SELECT id FROM enforcement_actions WHERE kind IN ({new_kinds})"
    op.execute(
        f"DELETE FROM enforcement_amounts WHERE kind IN ({new_kinds}) OR enforcement_action_id IN ({new_actions})"
    )
    op.execute(f"DELETE FROM enforcement_action_sources WHERE enforcement_action_id IN ({new_actions})")
    op.execute(f"DELETE FROM enforcement_actions WHERE kind IN ({new_kinds})")
    replace_kind_checks(EARLIER_KINDS)
    comment_kinds(new=False)
    from watchdog.database.totals import rebuild_all

    rebuild_all(op.get_bind())
