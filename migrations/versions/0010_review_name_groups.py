"""review name groups: the suppliers sharing a name are one review item, and the review reads words, not everyone

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

supplier_match_candidates holds, beside pairs of alike names, name groups: one row per name shared by several
suppliers (name_key set, no supplier ids), whose members supplier_name_group_members lists. N suppliers of one
name were N(N-1)/2 pairs; they are now one item. supplier_name_words holds each supplier's words, so that the
review after a run reads the blocks of the suppliers new since the run started, found through a new index on
suppliers.first_seen_at, rather than every supplier.

Data already stored is carried over: the pairs of two suppliers of the same name are folded into one name group
per name, open if any of its pairs was open (then a pair rejected within it is asked again, as part of the group),
rejected if all were, listing the suppliers of those pairs; the words of every supplier are worked out here
(watchdog/identity/matching.py). The downgrade spells each name group out as pairs again among the suppliers of its name:
rejected where the group was rejected and listed both, open otherwise.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLE_COMMENT = 'What may be one entity, waiting for a person (`watchdog suppliers review`): a pair of suppliers with alike names, or a name group: all the suppliers sharing one normalised name (kept apart by their different company numbers), as one item.'
OLD_TABLE_COMMENT = 'Pairs of suppliers that may be one entity, waiting for a person: `watchdog suppliers review`.'
COMMENTS = {  # column: (type, new comment, old comment)
    'supplier_id': (sa.Integer(), "A pair's one supplier (the lower id); empty for a name group.", 'One supplier (the lower id).'),
    'other_supplier_id': (sa.Integer(), "A pair's other supplier; empty for a name group.", 'The other supplier.'),
    'score': (sa.Double(), 'How alike the names are, 0 to 100 (100 for a name group).', 'How alike the names are, 0 to 100.'),
    'status': (sa.String(length=10), "open, or rejected by a person: a pair's two suppliers are different entities, and so are the members a name group listed (supplier_name_group_members); a name group is open again when a new member joins. A merged pair is gone: one supplier is left.", 'open, or rejected by a person (a merged pair is gone: one supplier is left).'),
    'found_at': (sa.DateTime(timezone=True), 'When it was first offered (UTC); for a name group offered again, when a new member joined.', 'When the pair was first offered (UTC).'),
}
PAIR_COLUMNS = ('supplier_id', 'other_supplier_id')  # empty for a name group
SERVER_DEFAULTS = {'status': sa.text("'open'")}
NAME_KEY = "A name group's name, normalised (suppliers.name_key): its members are the suppliers of that name_key; empty for a pair."
PAIR_OR_NAME_GROUP = ("(name_key IS NULL AND supplier_id IS NOT NULL AND other_supplier_id IS NOT NULL) OR "
                      "(name_key IS NOT NULL AND supplier_id IS NULL AND other_supplier_id IS NULL)")
# The reasons watchdog/identity/matching.py and watchdog/identity/review.py give.
DIFFERENT_NUMBERS = 'different company numbers: separate legal entities unless a person says otherwise'
SAME_NAME = 'the same name once normalised'
SAME_NAME_PAIRS = """
    FROM supplier_match_candidates c
    JOIN suppliers a ON a.id = c.supplier_id
    JOIN suppliers b ON b.id = c.other_supplier_id
    WHERE a.name_key = b.name_key"""
WORDS_CHUNK = 5000


def upgrade() -> None:
    with op.batch_alter_table('supplier_match_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.Text(), nullable=True, comment=NAME_KEY))
        for column, (kind, comment, old_comment) in COMMENTS.items():
            batch_op.alter_column(column, existing_type=kind, existing_nullable=False,
                                  nullable=True if column in PAIR_COLUMNS else None,
                                  existing_server_default=SERVER_DEFAULTS.get(column),
                                  comment=comment, existing_comment=old_comment)
        batch_op.create_unique_constraint(batch_op.f('uq_supplier_match_candidates_name_key'), ['name_key'])
        batch_op.create_check_constraint('pair_or_name_group', PAIR_OR_NAME_GROUP)
        batch_op.create_table_comment(TABLE_COMMENT, existing_comment=OLD_TABLE_COMMENT)
    op.create_table('supplier_name_group_members',
    sa.Column('candidate_id', sa.Integer(), nullable=False, comment='The name group (supplier_match_candidates.id).'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='A member listed.'),
    sa.ForeignKeyConstraint(['candidate_id'], ['supplier_match_candidates.id'], name=op.f('fk_supplier_name_group_members_candidate_id_supplier_match_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_name_group_members_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'supplier_id', name=op.f('pk_supplier_name_group_members')),
    comment='The suppliers each name group of supplier_match_candidates has listed for review: rejecting the group says these are different entities; a supplier of that name not listed here offers the group again.'
    )
    op.create_index(op.f('ix_supplier_name_group_members_supplier_id'), 'supplier_name_group_members', ['supplier_id'], unique=False)
    op.create_table('supplier_name_words',
    sa.Column('word', sa.Text(), nullable=False, comment='A word of two letters or more of the name, normalised.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The supplier.'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_name_words_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('word', 'supplier_id', name=op.f('pk_supplier_name_words')),
    comment="Each word of each supplier's name (with its bracketed and trading-as names), so that the review reads only the suppliers sharing a rare word with a new one, not every supplier."
    )
    op.create_index(op.f('ix_supplier_name_words_supplier_id'), 'supplier_name_words', ['supplier_id'], unique=False)
    op.create_index(op.f('ix_suppliers_first_seen_at'), 'suppliers', ['first_seen_at'], unique=False)
    fold_same_name_pairs()
    fill_words()


def fold_same_name_pairs() -> None:
    """One name group per name that pairs of its suppliers were offered under; the pairs go."""
    op.execute(sa.text(f"""
        INSERT INTO supplier_match_candidates (name_key, score, reason, status, found_at)
        SELECT a.name_key, 100,
               CASE WHEN EXISTS (SELECT 1 FROM suppliers s WHERE s.name_key = a.name_key AND s.company_number IS NULL)
                    THEN :same_name ELSE :different_numbers END,
               CASE WHEN MAX(CASE WHEN c.status = 'open' THEN 1 ELSE 0 END) = 1 THEN 'open' ELSE 'rejected' END,
               MIN(c.found_at)
        {SAME_NAME_PAIRS}
        GROUP BY a.name_key
    """).bindparams(same_name=SAME_NAME, different_numbers=DIFFERENT_NUMBERS))
    op.execute(f"""
        INSERT INTO supplier_name_group_members (candidate_id, supplier_id)
        SELECT g.id, m.supplier_id
        FROM supplier_match_candidates g
        JOIN (SELECT a.name_key, c.supplier_id {SAME_NAME_PAIRS}
              UNION SELECT a.name_key, c.other_supplier_id {SAME_NAME_PAIRS}) m ON m.name_key = g.name_key
    """)
    op.execute("""
        DELETE FROM supplier_match_candidates
        WHERE EXISTS (SELECT 1 FROM suppliers a, suppliers b
                      WHERE a.id = supplier_match_candidates.supplier_id
                        AND b.id = supplier_match_candidates.other_supplier_id AND a.name_key = b.name_key)
    """)


def fill_words() -> None:
    from watchdog.identity.matching import full_key_of, name_words

    connection = op.get_bind()
    words = sa.table('supplier_name_words', sa.column('word'), sa.column('supplier_id'))
    after = 0
    while True:
        suppliers = connection.execute(
            sa.text("SELECT id, name, name_key FROM suppliers WHERE id > :after ORDER BY id LIMIT :chunk"),
            {"after": after, "chunk": WORDS_CHUNK},
        ).all()
        if not suppliers:
            return
        rows = [{"word": word, "supplier_id": supplier_id} for supplier_id, name, key in suppliers
                for word in name_words(key, full_key_of(name, key))]
        if rows:
            connection.execute(words.insert(), rows)
        after = suppliers[-1].id


def downgrade() -> None:
    op.execute(sa.text("""
        INSERT INTO supplier_match_candidates (supplier_id, other_supplier_id, score, reason, status, found_at)
        SELECT a.id, b.id, 100,
               CASE WHEN a.company_number IS NOT NULL AND b.company_number IS NOT NULL
                    THEN :different_numbers ELSE :same_name END,
               CASE WHEN g.status = 'rejected'
                         AND EXISTS (SELECT 1 FROM supplier_name_group_members m
                                     WHERE m.candidate_id = g.id AND m.supplier_id = a.id)
                         AND EXISTS (SELECT 1 FROM supplier_name_group_members m
                                     WHERE m.candidate_id = g.id AND m.supplier_id = b.id)
                    THEN 'rejected' ELSE 'open' END,
               g.found_at
        FROM supplier_match_candidates g
        JOIN suppliers a ON a.name_key = g.name_key
        JOIN suppliers b ON b.name_key = g.name_key AND a.id < b.id
        WHERE NOT EXISTS (SELECT 1 FROM supplier_match_candidates p
                          WHERE p.supplier_id = a.id AND p.other_supplier_id = b.id)
    """).bindparams(same_name=SAME_NAME, different_numbers=DIFFERENT_NUMBERS))
    op.drop_index(op.f('ix_suppliers_first_seen_at'), table_name='suppliers')
    op.drop_index(op.f('ix_supplier_name_words_supplier_id'), table_name='supplier_name_words')
    op.drop_table('supplier_name_words')
    op.drop_index(op.f('ix_supplier_name_group_members_supplier_id'), table_name='supplier_name_group_members')
    op.drop_table('supplier_name_group_members')
    op.execute("DELETE FROM supplier_match_candidates WHERE name_key IS NOT NULL")
    with op.batch_alter_table('supplier_match_candidates', schema=None) as batch_op:
        batch_op.create_table_comment(OLD_TABLE_COMMENT, existing_comment=TABLE_COMMENT)
        batch_op.drop_constraint(batch_op.f('ck_supplier_match_candidates_pair_or_name_group'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_supplier_match_candidates_name_key'), type_='unique')
        for column, (kind, comment, old_comment) in COMMENTS.items():
            batch_op.alter_column(column, existing_type=kind, existing_nullable=column in PAIR_COLUMNS,
                                  nullable=False if column in PAIR_COLUMNS else None,
                                  existing_server_default=SERVER_DEFAULTS.get(column),
                                  comment=old_comment, existing_comment=comment)
        batch_op.drop_column('name_key')
