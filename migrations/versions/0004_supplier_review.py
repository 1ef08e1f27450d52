"""supplier review: candidate pairs for a person to judge, and the log of their decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supplier_decisions',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('action', sa.String(length=10), nullable=False, comment='merge, split, reject (not the same), group or ungroup.'),
    sa.Column('supplier_id', sa.Integer(), nullable=True, comment='The supplier kept (merge), split from, compared, or put in a group.'),
    sa.Column('other_supplier_id', sa.Integer(), nullable=True, comment="The supplier merged away, split off, compared with, or the group's parent."),
    sa.Column('supplier_name', sa.Text(), nullable=False, comment="supplier_id's name at the time."),
    sa.Column('other_name', sa.Text(), nullable=True, comment="other_supplier_id's name at the time."),
    sa.Column('names', sa.JSON(), nullable=True, comment='The names and company number that moved, as JSON, so the decision can be applied again.'),
    sa.Column('decided_by', sa.String(length=100), nullable=False, comment='Who decided.'),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False, comment='When (UTC).'),
    sa.Column('reason', sa.Text(), nullable=True, comment="Why, in the person's words."),
    sa.CheckConstraint("action IN ('merge', 'split', 'reject', 'group', 'ungroup')", name=op.f('ck_supplier_decisions_action')),
    sa.ForeignKeyConstraint(['other_supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_decisions_other_supplier_id_suppliers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_decisions_supplier_id_suppliers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_decisions')),
    comment='Every identity decision a person made, with who, when and why; re-applied after crawls.'
    )
    op.create_table('supplier_match_candidates',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='One supplier (the lower id).'),
    sa.Column('other_supplier_id', sa.Integer(), nullable=False, comment='The other supplier.'),
    sa.Column('score', sa.Double(), nullable=False, comment='How alike the names are, 0 to 100.'),
    sa.Column('reason', sa.Text(), nullable=False, comment='Why they were offered and not merged automatically.'),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False, comment='open, or rejected by a person (a merged pair is gone: one supplier is left).'),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False, comment='When the pair was first offered (UTC).'),
    sa.CheckConstraint("status IN ('open', 'rejected')", name=op.f('ck_supplier_match_candidates_status')),
    sa.CheckConstraint('supplier_id < other_supplier_id', name=op.f('ck_supplier_match_candidates_ordered')),
    sa.ForeignKeyConstraint(['other_supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_match_candidates_other_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_match_candidates_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_match_candidates')),
    sa.UniqueConstraint('supplier_id', 'other_supplier_id', name=op.f('uq_supplier_match_candidates_supplier_id_other_supplier_id')),
    comment='Pairs of suppliers that may be one entity, waiting for a person: `watchdog suppliers review`.'
    )
    with op.batch_alter_table('supplier_match_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_match_candidates_other_supplier_id'), ['other_supplier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supplier_match_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_match_candidates_other_supplier_id'))

    op.drop_table('supplier_match_candidates')
    op.drop_table('supplier_decisions')
