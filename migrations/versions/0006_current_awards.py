"""one current row per award: superseded rows, shared awards and frameworks kept apart in totals, the awards view

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Adds to contracts: suppliers_count, is_framework, superseded_by and superseded_reason; the contract_decisions
table; and views that leave superseded rows out, keep sole awards' values apart from shared ones, cite an
authority before the news, and an `awards` view of current awards.

Data already stored is carried over in the same migration: suppliers_count is counted from the links, a
gross-only value in pounds gets its pounds figure, is_framework is read from titles (the releases' techniques
and procedure are not stored: a re-crawl or re-ingest sets them from the source), and which rows are
superseded is worked out by the rule itself (watchdog/database/awards.py), as it reads every row of a procurement.
"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# The public views are a stable contract for SQL users: columns may be added (at the end), never renamed or
# removed. Each statement runs unchanged on SQLite and PostgreSQL.
SHARED = "CASE WHEN c.is_framework OR COALESCE(c.suppliers_count, 1) > 1 THEN 1 ELSE 0 END"
VALUE = "COALESCE(c.initial_value, c.initial_value_gross)"
# An award that did not go ahead counts nowhere.
GOES_AHEAD = "COALESCE(LOWER(c.status), '') NOT IN ('cancelled', 'unsuccessful')"
VALUE_KIND = (
    "CASE WHEN c.initial_value IS NULL AND c.initial_value_gross IS NOT NULL "
    "THEN 'initial_value_gross' ELSE 'initial_value' END"
)


def cited_source(sources: str, fact_column: str, fact: str, column: str) -> str:
    """The source a fact cites: an authority's or buyer's document before a news report, then the newest."""
    return f"""(
        SELECT {column} FROM {sources} src JOIN documents d ON d.id = src.document_id
        WHERE src.{fact_column} = {fact}
        ORDER BY CASE WHEN d.kind = 'news' THEN 1 ELSE 0 END, src.last_seen_at DESC, src.id DESC LIMIT 1
    )"""


# What supplier_record and group_record total, over rows carrying event_type, event_id, basis, amount_gbp,
# event_date and shared_award.
EVENT_TOTALS = """
    COUNT(DISTINCT CASE WHEN event_type = 'contract' AND basis = 'official' THEN event_id END) AS contracts_count,
    ROUND(SUM(CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 0 THEN amount_gbp END), 2)
        AS contracts_value_gbp,
    COUNT(DISTINCT CASE WHEN event_type = 'enforcement' THEN event_id END) AS enforcement_count,
    ROUND(SUM(CASE WHEN event_type = 'enforcement' THEN amount_gbp END), 2) AS penalties_value_gbp,
    COUNT(DISTINCT CASE WHEN event_type = 'incident' THEN event_id END) AS incidents_count,
    MIN(event_date) AS first_event_date, MAX(event_date) AS last_event_date,
    COUNT(DISTINCT CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 1 THEN event_id END)
        AS shared_awards_count,
    ROUND(SUM(CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 1 THEN amount_gbp END), 2)
        AS shared_awards_ceiling_gbp
"""
TOTALS_OR_ZERO = """
    COALESCE(ev.contracts_count, 0) AS contracts_count,
    COALESCE(ev.contracts_value_gbp, 0) AS contracts_value_gbp,
    COALESCE(ev.enforcement_count, 0) AS enforcement_count,
    COALESCE(ev.penalties_value_gbp, 0) AS penalties_value_gbp,
    COALESCE(ev.incidents_count, 0) AS incidents_count,
    ev.first_event_date, ev.last_event_date,
    COALESCE(ev.shared_awards_count, 0) AS shared_awards_count,
    COALESCE(ev.shared_awards_ceiling_gbp, 0) AS shared_awards_ceiling_gbp
"""

VIEWS = {
    "supplier_events": f"""
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               COALESCE(c.awarded_on, date(c.published_at)) AS event_date,
               CASE WHEN c.awarded_on IS NOT NULL THEN c.date_precision
                    WHEN c.published_at IS NOT NULL THEN 'day' ELSE 'unknown' END AS date_precision,
               'contract' AS event_type, c.id AS event_id, 'award' AS event_kind,
               c.title, c.description, b.name AS buyer_or_authority,
               {VALUE} AS amount, c.currency, c.initial_value_gbp AS amount_gbp,
               {VALUE_KIND} AS amount_kind, NULL AS qualifier, c.basis,
               COALESCE(c.notice_url, {cited_source('contract_sources', 'contract_id', 'c.id', 'd.url')}) AS source_url,
               {cited_source('contract_sources', 'contract_id', 'c.id', 'src.evidence')} AS evidence,
               cs.first_seen_at, cs.last_seen_at,
               CAST(NULL AS TEXT) AS date_text,
               c.suppliers_count,
               CASE WHEN c.is_framework THEN 1 ELSE 0 END AS is_framework,
               {SHARED} AS shared_award
        FROM contract_suppliers cs
        JOIN contracts c ON c.id = cs.contract_id
        JOIN supplier_groups sg ON sg.supplier_id = cs.supplier_id
        LEFT JOIN buyers b ON b.id = c.buyer_id
        WHERE c.superseded_by IS NULL AND {GOES_AHEAD}
        UNION ALL
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               e.action_date, e.date_precision,
               'enforcement', e.id, e.kind,
               e.title, e.description, e.authority,
               a.amount, a.currency, a.amount_gbp, a.kind, a.qualifier, e.basis,
               {cited_source('enforcement_action_sources', 'enforcement_action_id', 'e.id', 'd.url')},
               {cited_source('enforcement_action_sources', 'enforcement_action_id', 'e.id', 'src.evidence')},
               e.first_seen_at, e.last_seen_at,
               e.date_text, NULL, NULL, NULL
        FROM enforcement_actions e
        JOIN supplier_groups sg ON sg.supplier_id = e.supplier_id
        LEFT JOIN enforcement_amounts a ON a.enforcement_action_id = e.id
        UNION ALL
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               i.incident_date, i.date_precision,
               'incident', i.id, i.kind,
               i.title, i.description, NULL,
               NULL, NULL, NULL, NULL, NULL, i.basis,
               {cited_source('incident_sources', 'incident_id', 'i.id', 'd.url')},
               {cited_source('incident_sources', 'incident_id', 'i.id', 'src.evidence')},
               i.first_seen_at, i.last_seen_at,
               i.date_text, NULL, NULL, NULL
        FROM incidents i
        JOIN supplier_groups sg ON sg.supplier_id = i.supplier_id
    """,
    "supplier_record": f"""
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               {TOTALS_OR_ZERO}
        FROM supplier_groups sg
        LEFT JOIN (
            SELECT supplier_id,
                   {EVENT_TOTALS}
            FROM supplier_events
            GROUP BY supplier_id
        ) ev ON ev.supplier_id = sg.supplier_id
    """,
    "group_record": f"""
        SELECT g.id AS group_id, g.name AS group_name, g.company_number,
               (SELECT COUNT(*) FROM supplier_groups m WHERE m.group_id = g.id) AS members_count,
               {TOTALS_OR_ZERO}
        FROM suppliers g
        LEFT JOIN (
            SELECT group_id,
                   {EVENT_TOTALS}
            FROM (
                -- one row per fact of the group: a contract won by two members counts once, and is the group's
                -- alone unless it names suppliers outside the group or sets up a framework
                SELECT group_id, event_type, event_id, amount_kind, basis,
                       MAX(amount_gbp) AS amount_gbp, MAX(event_date) AS event_date,
                       CASE WHEN MAX(is_framework) = 1 OR MAX(suppliers_count) > COUNT(*) THEN 1 ELSE 0 END
                           AS shared_award
                FROM supplier_events
                GROUP BY group_id, event_type, event_id, amount_kind, basis
            ) group_events
            GROUP BY group_id
        ) ev ON ev.group_id = g.id
        WHERE NOT EXISTS (SELECT 1 FROM group_memberships m WHERE m.supplier_id = g.id AND m.ended_on IS NULL)
    """,
    "contract_value_changes": """
        SELECT contract_id, ocid, award_id, title, buyer_name, currency, releases_count,
               first_value, latest_value, latest_value - first_value AS value_change,
               first_release_at, latest_release_at, change_kind, earlier_contract_id, earlier_award_id
        FROM (
            SELECT c.id AS contract_id, c.ocid, c.award_id, c.title, b.name AS buyer_name, c.currency,
                   (SELECT COUNT(*) FROM contract_releases r WHERE r.contract_id = c.id) AS releases_count,
                   (SELECT COALESCE(r.value, r.value_gross) FROM contract_releases r
                    WHERE r.contract_id = c.id AND COALESCE(r.value, r.value_gross) IS NOT NULL
                      AND r.release_at IS NOT NULL
                    ORDER BY r.release_at, r.id LIMIT 1) AS first_value,
                   (SELECT COALESCE(r.value, r.value_gross) FROM contract_releases r
                    WHERE r.contract_id = c.id AND COALESCE(r.value, r.value_gross) IS NOT NULL
                      AND r.release_at IS NOT NULL
                    ORDER BY r.release_at DESC, r.id DESC LIMIT 1) AS latest_value,
                   (SELECT MIN(r.release_at) FROM contract_releases r WHERE r.contract_id = c.id) AS first_release_at,
                   c.latest_release_at,
                   'corrected' AS change_kind, CAST(NULL AS INTEGER) AS earlier_contract_id,
                   CAST(NULL AS TEXT) AS earlier_award_id
            FROM contracts c
            LEFT JOIN buyers b ON b.id = c.buyer_id
            WHERE (SELECT COUNT(DISTINCT COALESCE(r.value, r.value_gross)) FROM contract_releases r
                   WHERE r.contract_id = c.id) > 1
            UNION ALL
            SELECT c.id, c.ocid, c.award_id, c.title, b.name, c.currency,
                   (SELECT COUNT(*) FROM contract_releases r WHERE r.contract_id IN (o.id, c.id)),
                   COALESCE(o.initial_value, o.initial_value_gross),
                   COALESCE(c.initial_value, c.initial_value_gross),
                   (SELECT MIN(r.release_at) FROM contract_releases r WHERE r.contract_id = o.id),
                   c.latest_release_at,
                   'republished', o.id, o.award_id
            FROM contracts o
            JOIN contracts c ON c.id = o.superseded_by
            LEFT JOIN buyers b ON b.id = c.buyer_id
            WHERE o.superseded_reason IN ('republished', 'person')
              AND COALESCE(o.initial_value, o.initial_value_gross) <> COALESCE(c.initial_value, c.initial_value_gross)
        ) changed
    """,
    "awards": f"""
        SELECT c.id AS contract_id, c.ocid, c.award_id, c.notice_id, c.title, c.buyer_id, b.name AS buyer_name,
               c.awarded_on, c.date_precision, c.status,
               c.initial_value AS value, c.initial_value_gross AS value_gross, c.currency,
               c.initial_value_gbp AS value_gbp,
               CASE WHEN c.initial_value IS NULL AND c.initial_value_gross IS NOT NULL THEN 1 ELSE 0 END
                   AS value_gbp_includes_vat,
               c.maximum_value, c.suppliers_count,
               CASE WHEN c.is_framework THEN 1 ELSE 0 END AS is_framework,
               {SHARED} AS shared,
               c.start_on, c.end_on, c.notice_url, c.first_seen_at, c.last_seen_at
        FROM contracts c
        LEFT JOIN buyers b ON b.id = c.buyer_id
        WHERE c.award_id <> '' AND c.superseded_by IS NULL AND c.basis = 'official' AND {GOES_AHEAD}
    """,
}
# Dropped first, recreated after the columns are in place (SQLite rebuilds the contracts table).
REPLACED_VIEWS = ("contract_value_changes", "group_record", "supplier_record", "supplier_events")


def initial_views() -> dict[str, str]:
    """The views as revision 0001 made them, for the downgrade."""
    path = Path(__file__).with_name("0001_initial_schema.py")
    spec = importlib.util.spec_from_file_location("initial_schema", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEWS


def upgrade() -> None:
    for name in ("awards", *REPLACED_VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.create_table('contract_decisions',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('action', sa.String(length=10), nullable=False, comment='keep_both (two awards, not one republished) or supersede (contract_id is replaced by other_contract_id).'),
    sa.Column('contract_id', sa.Integer(), nullable=False, comment='One award row (the earlier one).'),
    sa.Column('other_contract_id', sa.Integer(), nullable=False, comment='The other award row.'),
    sa.Column('decided_by', sa.String(length=100), nullable=False, comment='Who decided.'),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False, comment='When (UTC).'),
    sa.Column('reason', sa.Text(), nullable=True, comment="Why, in the person's words."),
    sa.CheckConstraint("action IN ('keep_both', 'supersede')", name=op.f('ck_contract_decisions_action')),
    sa.CheckConstraint('contract_id <> other_contract_id', name=op.f('ck_contract_decisions_two_contracts')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_decisions_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_contract_id'], ['contracts.id'], name=op.f('fk_contract_decisions_other_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_decisions')),
    comment="A person's word on two award rows of one procurement, applied whenever awards are compared."
    )
    with op.batch_alter_table('contract_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_decisions_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_decisions_other_contract_id'), ['other_contract_id'], unique=False)

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suppliers_count', sa.Integer(), nullable=True, comment='How many suppliers the award names (one firm listed twice is one; a supplier the notice gives no name for is counted); more than one means its value is shared, not each supplier\'s. Empty before award.'))
        batch_op.add_column(sa.Column('is_framework', sa.Boolean(), server_default=sa.text('false'), nullable=False, comment="The award sets up a framework agreement or dynamic purchasing system: its value is a ceiling that the suppliers' call-offs may reach, not money paid. From OCDS tender.techniques, else procurementMethodDetails, else the title's words."))
        batch_op.add_column(sa.Column('superseded_by', sa.Integer(), nullable=True, comment='The row that replaces this one, which is then left out of every total and of supplier_events: the procurement\'s award (for a row made before award), or a republication of the same award.'))
        batch_op.add_column(sa.Column('superseded_reason', sa.String(length=20), nullable=True, comment="Why it was replaced: awarded (a pre-award row, once the procurement has an award), republished (the same award published again under a new award id), or person (a person's decision)."))
        batch_op.alter_column('initial_value_gbp',
               existing_type=sa.Numeric(precision=20, scale=2),
               comment="initial_value in pounds sterling; initial_value_gross's when the award gives only a value including VAT.",
               existing_comment='initial_value in pounds sterling.',
               existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_contracts_superseded_by'), ['superseded_by'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_contracts_superseded_by_contracts'), 'contracts', ['superseded_by'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('superseded_reason', "superseded_reason IN ('awarded', 'republished', 'person')")

    op.execute(
        "UPDATE contracts SET suppliers_count = "
        "(SELECT COUNT(*) FROM contract_suppliers cs WHERE cs.contract_id = contracts.id) WHERE award_id <> ''"
    )
    op.execute(
        "UPDATE contracts SET initial_value_gbp = initial_value_gross WHERE initial_value IS NULL "
        "AND initial_value_gross IS NOT NULL AND initial_value_gbp IS NULL AND currency = 'GBP'"
    )
    carry_over(op.get_bind())
    for name, select in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select}")


def carry_over(connection) -> None:
    """The rules that need Python, applied to the rows already stored: a framework by its title (the same rule
    a crawl uses when a release gives nothing better), and which rows are superseded."""
    from watchdog.database.awards import refresh_awards
    from watchdog.sources.ocds import sets_up_framework

    titled = connection.execute(sa.text("SELECT id, title FROM contracts WHERE award_id <> '' AND title IS NOT NULL"))
    frameworks = [{"row_id": row_id} for row_id, title in titled if sets_up_framework({"title": title})]
    if frameworks:
        connection.execute(sa.text("UPDATE contracts SET is_framework = true WHERE id = :row_id"), frameworks)
    refresh_awards(connection)


def downgrade() -> None:
    for name in ("awards", *REPLACED_VIEWS):
        op.execute(f"DROP VIEW {name}")
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contracts_superseded_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_contracts_superseded_by_contracts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contracts_superseded_by'))
        batch_op.alter_column('initial_value_gbp',
               existing_type=sa.Numeric(precision=20, scale=2),
               comment='initial_value in pounds sterling.',
               existing_comment="initial_value in pounds sterling; initial_value_gross's when the award gives only a value including VAT.",
               existing_nullable=True)
        batch_op.drop_column('superseded_reason')
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('is_framework')
        batch_op.drop_column('suppliers_count')
    with op.batch_alter_table('contract_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_decisions_other_contract_id'))
        batch_op.drop_index(batch_op.f('ix_contract_decisions_contract_id'))
    op.drop_table('contract_decisions')
    initial = initial_views()
    for name in reversed(REPLACED_VIEWS):
        op.execute(f"CREATE VIEW {name} AS {initial[name]}")
