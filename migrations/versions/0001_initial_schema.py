"""initial schema: suppliers, buyers, contracts, enforcement, incidents, sources, crawl runs, and the public views

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


# The public views are a stable contract for SQL users: columns may be added, never renamed or removed.
# Each statement runs unchanged on SQLite and PostgreSQL.
# What supplier_record and group_record total, over rows of supplier_events.
EVENT_TOTALS = """
    COUNT(DISTINCT CASE WHEN event_type = 'contract' AND basis = 'official' THEN event_id END) AS contracts_count,
    ROUND(SUM(CASE WHEN event_type = 'contract' AND basis = 'official' THEN amount_gbp END), 2)
        AS contracts_value_gbp,
    COUNT(DISTINCT CASE WHEN event_type = 'enforcement' THEN event_id END) AS enforcement_count,
    ROUND(SUM(CASE WHEN event_type = 'enforcement' THEN amount_gbp END), 2) AS penalties_value_gbp,
    COUNT(DISTINCT CASE WHEN event_type = 'incident' THEN event_id END) AS incidents_count,
    MIN(event_date) AS first_event_date, MAX(event_date) AS last_event_date
"""
TOTALS_OR_ZERO = """
    COALESCE(ev.contracts_count, 0) AS contracts_count,
    COALESCE(ev.contracts_value_gbp, 0) AS contracts_value_gbp,
    COALESCE(ev.enforcement_count, 0) AS enforcement_count,
    COALESCE(ev.penalties_value_gbp, 0) AS penalties_value_gbp,
    COALESCE(ev.incidents_count, 0) AS incidents_count,
    ev.first_event_date, ev.last_event_date
"""

VIEWS = {
    "supplier_groups": """
        SELECT s.id AS supplier_id, s.name AS supplier_name, s.company_number,
               g.id AS group_id, g.name AS group_name, g.company_number AS group_company_number
        FROM suppliers s
        LEFT JOIN group_memberships m ON m.supplier_id = s.id AND m.ended_on IS NULL
        JOIN suppliers g ON g.id = COALESCE(m.group_id, s.id)
    """,
    "supplier_events": """
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               COALESCE(c.awarded_on, date(c.published_at)) AS event_date,
               CASE WHEN c.awarded_on IS NOT NULL THEN c.date_precision
                    WHEN c.published_at IS NOT NULL THEN 'day' ELSE 'unknown' END AS date_precision,
               'contract' AS event_type, c.id AS event_id, 'award' AS event_kind,
               c.title, c.description, b.name AS buyer_or_authority,
               c.initial_value AS amount, c.currency, c.initial_value_gbp AS amount_gbp,
               'initial_value' AS amount_kind, NULL AS qualifier, c.basis,
               COALESCE(c.notice_url, (
                   SELECT d.url FROM contract_sources src JOIN documents d ON d.id = src.document_id
                   WHERE src.contract_id = c.id ORDER BY src.last_seen_at DESC, d.id DESC LIMIT 1
               )) AS source_url,
               (
                   SELECT src.evidence FROM contract_sources src WHERE src.contract_id = c.id
                   ORDER BY src.last_seen_at DESC, src.id DESC LIMIT 1
               ) AS evidence,
               cs.first_seen_at, cs.last_seen_at
        FROM contract_suppliers cs
        JOIN contracts c ON c.id = cs.contract_id
        JOIN supplier_groups sg ON sg.supplier_id = cs.supplier_id
        LEFT JOIN buyers b ON b.id = c.buyer_id
        UNION ALL
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               e.action_date, e.date_precision,
               'enforcement', e.id, e.kind,
               e.title, e.description, e.authority,
               a.amount, a.currency, a.amount_gbp, a.kind, a.qualifier, e.basis,
               (
                   SELECT d.url FROM enforcement_action_sources src JOIN documents d ON d.id = src.document_id
                   WHERE src.enforcement_action_id = e.id ORDER BY src.last_seen_at DESC, d.id DESC LIMIT 1
               ),
               (
                   SELECT src.evidence FROM enforcement_action_sources src WHERE src.enforcement_action_id = e.id
                   ORDER BY src.last_seen_at DESC, src.id DESC LIMIT 1
               ),
               e.first_seen_at, e.last_seen_at
        FROM enforcement_actions e
        JOIN supplier_groups sg ON sg.supplier_id = e.supplier_id
        LEFT JOIN enforcement_amounts a ON a.enforcement_action_id = e.id
        UNION ALL
        SELECT sg.supplier_id, sg.supplier_name, sg.company_number, sg.group_id, sg.group_name,
               i.incident_date, i.date_precision,
               'incident', i.id, i.kind,
               i.title, i.description, NULL,
               NULL, NULL, NULL, NULL, NULL, i.basis,
               (
                   SELECT d.url FROM incident_sources src JOIN documents d ON d.id = src.document_id
                   WHERE src.incident_id = i.id ORDER BY src.last_seen_at DESC, d.id DESC LIMIT 1
               ),
               (
                   SELECT src.evidence FROM incident_sources src WHERE src.incident_id = i.id
                   ORDER BY src.last_seen_at DESC, src.id DESC LIMIT 1
               ),
               i.first_seen_at, i.last_seen_at
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
                -- a contract won by two members of one group counts once for the group
                SELECT DISTINCT group_id, event_type, event_id, amount_kind, amount_gbp, event_date, basis
                FROM supplier_events
            ) group_events
            GROUP BY group_id
        ) ev ON ev.group_id = g.id
        WHERE NOT EXISTS (SELECT 1 FROM group_memberships m WHERE m.supplier_id = g.id AND m.ended_on IS NULL)
    """,
    "contract_value_changes": """
        SELECT contract_id, ocid, award_id, title, buyer_name, currency, releases_count,
               first_value, latest_value, latest_value - first_value AS value_change,
               first_release_at, latest_release_at
        FROM (
            SELECT c.id AS contract_id, c.ocid, c.award_id, c.title, b.name AS buyer_name, c.currency,
                   (SELECT COUNT(*) FROM contract_releases r WHERE r.contract_id = c.id) AS releases_count,
                   (SELECT r.value FROM contract_releases r
                    WHERE r.contract_id = c.id AND r.value IS NOT NULL AND r.release_at IS NOT NULL
                    ORDER BY r.release_at, r.id LIMIT 1) AS first_value,
                   (SELECT r.value FROM contract_releases r
                    WHERE r.contract_id = c.id AND r.value IS NOT NULL AND r.release_at IS NOT NULL
                    ORDER BY r.release_at DESC, r.id DESC LIMIT 1) AS latest_value,
                   (SELECT MIN(r.release_at) FROM contract_releases r WHERE r.contract_id = c.id) AS first_release_at,
                   c.latest_release_at
            FROM contracts c
            LEFT JOIN buyers b ON b.id = c.buyer_id
            WHERE (SELECT COUNT(DISTINCT r.value) FROM contract_releases r WHERE r.contract_id = c.id) > 1
        ) changed
    """,
}


def upgrade() -> None:
    op.create_table('buyers',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('name', sa.Text(), nullable=False, comment="The buyer's name as last published."),
    sa.Column('name_key', sa.Text(), nullable=False, comment='The name normalised for matching.'),
    sa.Column('identifier', sa.String(length=100), nullable=True, comment="The buyer's identifier in the source, e.g. GB-GOR-D2."),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyers')),
    sa.UniqueConstraint('name_key', name=op.f('uq_buyers_name_key')),
    comment='A public body that buys: a department, council, NHS trust...'
    )
    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('spider', sa.String(length=100), nullable=False, comment='Which spider (or ingest) ran.'),
    sa.Column('arguments', sa.JSON(), nullable=True, comment='The arguments it was given, as JSON.'),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False, comment='When it started (UTC).'),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True, comment='When it ended (UTC); empty while running.'),
    sa.Column('status', sa.String(length=20), nullable=False, comment='running, finished (no errors), failed (errors counted) or interrupted.'),
    sa.Column('finish_reason', sa.String(length=100), nullable=True, comment="Scrapy's reason for closing."),
    sa.Column('requests', sa.Integer(), server_default='0', nullable=False, comment='HTTP requests made.'),
    sa.Column('items_stored', sa.Integer(), server_default='0', nullable=False, comment='Facts written or refreshed.'),
    sa.Column('items_dropped', sa.Integer(), server_default='0', nullable=False, comment='Facts refused as invalid.'),
    sa.Column('errors', sa.Integer(), server_default='0', nullable=False, comment='Failed requests, unreadable pages and other errors.'),
    sa.Column('error_summary', sa.Text(), nullable=True, comment='The first errors, one per line.'),
    sa.Column('watermark', sa.DateTime(timezone=True), nullable=True, comment='The newest source date covered; the next incremental crawl starts from here (UTC).'),
    sa.CheckConstraint("status IN ('running', 'finished', 'failed', 'interrupted')", name=op.f('ck_crawl_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_runs')),
    comment='One run of a spider or ingest: what it asked for, what it stored, what went wrong.'
    )
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_runs_spider'), ['spider'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('url', sa.Text(), nullable=False, comment='Where the source can be read.'),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='procurement (a contract notice), regulator, news or other.'),
    sa.Column('publisher', sa.Text(), nullable=True, comment='Who published it: a portal, a regulator or a news outlet.'),
    sa.Column('title', sa.Text(), nullable=True, comment="The source's own title or headline."),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True, comment='When the source says it was published (UTC).'),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True, comment='When we last downloaded it (UTC).'),
    sa.Column('content_sha256', sa.String(length=64), nullable=True, comment='SHA-256 of the body we last downloaded, to prove what we read.'),
    sa.Column('content_type', sa.String(length=100), nullable=True, comment='Media type of that body.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.CheckConstraint("kind IN ('procurement', 'regulator', 'news', 'other')", name=op.f('ck_documents_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('url', name=op.f('uq_documents_url')),
    comment='A source: a notice, register page or article that facts were read from.'
    )
    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('name', sa.Text(), nullable=False, comment='The name shown for this entity.'),
    sa.Column('name_key', sa.Text(), nullable=False, comment='The name normalised for matching: lower case, no legal form or punctuation.'),
    sa.Column('company_number', sa.String(length=8), nullable=True, comment='Companies House number, padded to 8 characters; empty when unknown.'),
    sa.Column('country', sa.String(length=100), nullable=True, comment='Country of registration as published.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers')),
    sa.UniqueConstraint('company_number', name=op.f('uq_suppliers_company_number')),
    comment="A legal entity that sells to the public sector (or a group's parent company)."
    )
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppliers_name_key'), ['name_key'], unique=False)
        batch_op.create_index('uq_suppliers_name_key_unregistered', ['name_key'], unique=True, sqlite_where=sa.text('company_number IS NULL'), postgresql_where=sa.text('company_number IS NULL'))

    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('ocid', sa.String(length=200), nullable=False, comment='Open Contracting id of the procurement.'),
    sa.Column('award_id', sa.String(length=200), server_default='', nullable=False, comment="The award's id within the procurement; empty before award."),
    sa.Column('notice_id', sa.String(length=200), nullable=True, comment="The portal's notice number."),
    sa.Column('title', sa.Text(), nullable=True, comment='Title of the procurement.'),
    sa.Column('description', sa.Text(), nullable=True, comment='Description of what is bought.'),
    sa.Column('buyer_id', sa.Integer(), nullable=True, comment='The public body that awarded it.'),
    sa.Column('status', sa.String(length=40), nullable=True, comment='Status as published: active, complete...'),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True, comment='When the notice was first published (UTC).'),
    sa.Column('awarded_on', sa.Date(), nullable=True, comment='Date of the award decision.'),
    sa.Column('date_precision', sa.String(length=10), server_default='day', nullable=False, comment='How much of awarded_on is known: day, month, year or unknown.'),
    sa.Column('start_on', sa.Date(), nullable=True, comment='Contract start date.'),
    sa.Column('end_on', sa.Date(), nullable=True, comment='Contract end date.'),
    sa.Column('initial_value', sa.Numeric(precision=20, scale=2), nullable=True, comment='The value awarded, net of VAT where stated.'),
    sa.Column('initial_value_gross', sa.Numeric(precision=20, scale=2), nullable=True, comment='The value awarded including VAT, if given.'),
    sa.Column('maximum_value', sa.Numeric(precision=20, scale=2), nullable=True, comment='The most it can be worth (extensions, call-offs), if given.'),
    sa.Column('currency', sa.String(length=3), nullable=True, comment='ISO 4217 currency of the values.'),
    sa.Column('initial_value_gbp', sa.Numeric(precision=20, scale=2), nullable=True, comment='initial_value in pounds sterling.'),
    sa.Column('cpv_codes', sa.Text(), nullable=True, comment='Common Procurement Vocabulary codes, comma-separated.'),
    sa.Column('notice_url', sa.Text(), nullable=True, comment='The notice as a person reads it on the portal.'),
    sa.Column('latest_release_at', sa.DateTime(timezone=True), nullable=True, comment='Date of the release this row shows; a later release replaces it (UTC).'),
    sa.Column('basis', sa.String(length=10), server_default='official', nullable=False, comment='official (published by the buyer) or reported (news).'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.CheckConstraint("basis IN ('official', 'reported')", name=op.f('ck_contracts_basis')),
    sa.CheckConstraint("date_precision IN ('day', 'month', 'year', 'unknown')", name=op.f('ck_contracts_date_precision')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_contracts_buyer_id_buyers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('ocid', 'award_id', name=op.f('uq_contracts_ocid_award_id')),
    comment='One award of a procurement (or the procurement itself before any award), as last published.'
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_awarded_on'), ['awarded_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_buyer_id'), ['buyer_id'], unique=False)

    op.create_table('enforcement_actions',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('fact_key', sa.String(length=300), nullable=False, comment='Stable identity of this action, so a re-crawl updates it.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The entity it was imposed on.'),
    sa.Column('authority', sa.Text(), nullable=True, comment='Who imposed it: a regulator, court, department or buyer.'),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='fine, costs, service_credit (a deduction from payments), repayment, dpa_penalty, compensation, other.'),
    sa.Column('action_date', sa.Date(), nullable=True, comment='When it was imposed or agreed.'),
    sa.Column('date_precision', sa.String(length=10), server_default='day', nullable=False, comment='How much of action_date is known: day, month, year or unknown.'),
    sa.Column('date_text', sa.Text(), nullable=True, comment='The date as the source wrote it.'),
    sa.Column('case_reference', sa.String(length=200), nullable=True, comment="The authority's case number."),
    sa.Column('title', sa.Text(), nullable=True, comment='A short headline for the action.'),
    sa.Column('description', sa.Text(), nullable=True, comment='What it was for.'),
    sa.Column('basis', sa.String(length=10), server_default='official', nullable=False, comment='official (from the authority) or reported (news).'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.CheckConstraint("basis IN ('official', 'reported')", name=op.f('ck_enforcement_actions_basis')),
    sa.CheckConstraint("date_precision IN ('day', 'month', 'year', 'unknown')", name=op.f('ck_enforcement_actions_date_precision')),
    sa.CheckConstraint("kind IN ('fine', 'costs', 'service_credit', 'repayment', 'dpa_penalty', 'compensation', 'other')", name=op.f('ck_enforcement_actions_kind')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_enforcement_actions_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_actions')),
    sa.UniqueConstraint('fact_key', name=op.f('uq_enforcement_actions_fact_key')),
    comment='An outcome against a supplier: a fine, deduction, repayment, DPA penalty, compensation...'
    )
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enforcement_actions_action_date'), ['action_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_enforcement_actions_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('group_memberships',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The member entity.'),
    sa.Column('group_id', sa.Integer(), nullable=False, comment="The group's parent entity."),
    sa.Column('started_on', sa.Date(), nullable=True, comment='When the membership began, if known.'),
    sa.Column('ended_on', sa.Date(), nullable=True, comment='When it ended; empty while it lasts.'),
    sa.Column('note', sa.Text(), nullable=True, comment='Where the membership comes from, or why it was set.'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='When this row was written (UTC).'),
    sa.CheckConstraint('supplier_id <> group_id', name=op.f('ck_group_memberships_not_self')),
    sa.ForeignKeyConstraint(['group_id'], ['suppliers.id'], name=op.f('fk_group_memberships_group_id_suppliers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_group_memberships_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_memberships')),
    comment='Which group (parent company) a supplier belongs to; the row with no ended_on is current.'
    )
    with op.batch_alter_table('group_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_memberships_group_id'), ['group_id'], unique=False)
        batch_op.create_index('uq_group_memberships_supplier_id_current', ['supplier_id'], unique=True, sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('fact_key', sa.String(length=300), nullable=False, comment='Stable identity of this incident, so a re-crawl updates it.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The entity responsible.'),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='data_breach, death_or_injury, service_failure, inspection_failure or other.'),
    sa.Column('incident_date', sa.Date(), nullable=True, comment='When it happened.'),
    sa.Column('date_precision', sa.String(length=10), server_default='day', nullable=False, comment='How much of incident_date is known: day, month, year or unknown.'),
    sa.Column('date_text', sa.Text(), nullable=True, comment='The date as the source wrote it.'),
    sa.Column('title', sa.Text(), nullable=True, comment='A short headline for the incident.'),
    sa.Column('description', sa.Text(), nullable=True, comment='What happened.'),
    sa.Column('basis', sa.String(length=10), server_default='reported', nullable=False, comment="official (a regulator's finding) or reported (news)."),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.CheckConstraint("basis IN ('official', 'reported')", name=op.f('ck_incidents_basis')),
    sa.CheckConstraint("date_precision IN ('day', 'month', 'year', 'unknown')", name=op.f('ck_incidents_date_precision')),
    sa.CheckConstraint("kind IN ('data_breach', 'death_or_injury', 'service_failure', 'inspection_failure', 'other')", name=op.f('ck_incidents_kind')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_incidents_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('fact_key', name=op.f('uq_incidents_fact_key')),
    comment='Something that went wrong in delivery: a data breach, a death or injury, a failure.'
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_incident_date'), ['incident_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_aliases',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The supplier this name belongs to.'),
    sa.Column('name', sa.Text(), nullable=False, comment='The name exactly as a source wrote it.'),
    sa.Column('name_key', sa.Text(), nullable=False, comment='The name normalised for matching.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_aliases_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_aliases')),
    sa.UniqueConstraint('supplier_id', 'name', name=op.f('uq_supplier_aliases_supplier_id_name')),
    comment="Every spelling of a supplier's name seen in a source."
    )
    with op.batch_alter_table('supplier_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_aliases_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_aliases_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_identifiers',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='The supplier it identifies.'),
    sa.Column('scheme', sa.String(length=40), nullable=False, comment='The register, as an org-id prefix: GB-PPON, GB-CHC...'),
    sa.Column('identifier', sa.String(length=100), nullable=False, comment='The identifier within that register.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_identifiers_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_identifiers')),
    sa.UniqueConstraint('scheme', 'identifier', name=op.f('uq_supplier_identifiers_scheme_identifier')),
    comment='Identifiers other than the company number (PPON, charity number...) that name a supplier.'
    )
    with op.batch_alter_table('supplier_identifiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_identifiers_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('contract_releases',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('contract_id', sa.Integer(), nullable=False, comment='The contract.'),
    sa.Column('release_id', sa.String(length=200), nullable=False, comment="The release's id in the source."),
    sa.Column('release_at', sa.DateTime(timezone=True), nullable=True, comment='When the release was published (UTC).'),
    sa.Column('tags', sa.String(length=200), nullable=True, comment='OCDS release tags, comma-separated: tender, award, awardUpdate...'),
    sa.Column('value', sa.Numeric(precision=20, scale=2), nullable=True, comment='The value this release gave.'),
    sa.Column('value_gross', sa.Numeric(precision=20, scale=2), nullable=True, comment='The value including VAT, if given.'),
    sa.Column('currency', sa.String(length=3), nullable=True, comment='ISO 4217 currency.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_releases_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_releases')),
    sa.UniqueConstraint('contract_id', 'release_id', name=op.f('uq_contract_releases_contract_id_release_id')),
    comment='Every published version (OCDS release) of a contract, so changes of value stay visible.'
    )
    op.create_table('contract_sources',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('contract_id', sa.Integer(), nullable=False, comment='The contract.'),
    sa.Column('document_id', sa.Integer(), nullable=False, comment='The source document.'),
    sa.Column('evidence', sa.Text(), nullable=True, comment='The sentence or passage of the document that states the fact.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_sources_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_contract_sources_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_sources')),
    sa.UniqueConstraint('contract_id', 'document_id', name=op.f('uq_contract_sources_contract_id_document_id')),
    comment='Which documents each contract was read from.'
    )
    with op.batch_alter_table('contract_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_sources_document_id'), ['document_id'], unique=False)

    op.create_table('contract_suppliers',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('contract_id', sa.Integer(), nullable=False, comment='The contract.'),
    sa.Column('supplier_id', sa.Integer(), nullable=False, comment='A supplier it was awarded to.'),
    sa.Column('name_as_published', sa.Text(), nullable=True, comment="The supplier's name on the notice."),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_suppliers_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_contract_suppliers_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_suppliers')),
    sa.UniqueConstraint('contract_id', 'supplier_id', name=op.f('uq_contract_suppliers_contract_id_supplier_id')),
    comment='Which suppliers won which contract.'
    )
    with op.batch_alter_table('contract_suppliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_suppliers_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('enforcement_action_sources',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('enforcement_action_id', sa.Integer(), nullable=False, comment='The enforcement action.'),
    sa.Column('document_id', sa.Integer(), nullable=False, comment='The source document.'),
    sa.Column('evidence', sa.Text(), nullable=True, comment='The sentence or passage of the document that states the fact.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_enforcement_action_sources_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enforcement_action_id'], ['enforcement_actions.id'], name=op.f('fk_enforcement_action_sources_enforcement_action_id_enforcement_actions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_action_sources')),
    sa.UniqueConstraint('enforcement_action_id', 'document_id', name=op.f('uq_enforcement_action_sources_enforcement_action_id_document_id')),
    comment='Which documents each enforcement action was read from.'
    )
    with op.batch_alter_table('enforcement_action_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enforcement_action_sources_document_id'), ['document_id'], unique=False)

    op.create_table('enforcement_amounts',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('enforcement_action_id', sa.Integer(), nullable=False, comment='The action.'),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='What the money is: fine, costs, service_credit...'),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False, comment='The sum, in currency.'),
    sa.Column('currency', sa.String(length=3), nullable=False, comment='ISO 4217 currency.'),
    sa.Column('amount_gbp', sa.Numeric(precision=20, scale=2), nullable=True, comment='The sum in pounds sterling.'),
    sa.Column('qualifier', sa.String(length=40), nullable=True, comment='As written beside the sum: up to, over, almost, just over, plus VAT.'),
    sa.Column('amount_text', sa.Text(), nullable=True, comment='The sum exactly as the source wrote it.'),
    sa.CheckConstraint("kind IN ('fine', 'costs', 'service_credit', 'repayment', 'dpa_penalty', 'compensation', 'other')", name=op.f('ck_enforcement_amounts_kind')),
    sa.ForeignKeyConstraint(['enforcement_action_id'], ['enforcement_actions.id'], name=op.f('fk_enforcement_amounts_enforcement_action_id_enforcement_actions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_amounts')),
    sa.UniqueConstraint('enforcement_action_id', 'kind', name=op.f('uq_enforcement_amounts_enforcement_action_id_kind')),
    comment='The sums of an enforcement action, one row per kind (a penalty and its costs are two rows).'
    )
    op.create_table('incident_figures',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('incident_id', sa.Integer(), nullable=False, comment='The incident.'),
    sa.Column('value', sa.Numeric(precision=20, scale=2), nullable=True, comment='The number, when it can be read as one.'),
    sa.Column('unit', sa.Text(), nullable=False, comment="What was counted, e.g. contact tracers' e-mail addresses."),
    sa.Column('qualifier', sa.String(length=40), nullable=True, comment='As written: almost, over, about...'),
    sa.Column('figure_text', sa.Text(), nullable=False, comment='The figure exactly as the source wrote it.'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_figures_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_figures')),
    sa.UniqueConstraint('incident_id', 'unit', 'figure_text', name=op.f('uq_incident_figures_incident_id_unit_figure_text')),
    comment='Numbers reported about an incident (people affected...), kept as each source wrote them.'
    )
    op.create_table('incident_sources',
    sa.Column('id', sa.Integer(), nullable=False, comment='Row number.'),
    sa.Column('incident_id', sa.Integer(), nullable=False, comment='The incident.'),
    sa.Column('document_id', sa.Integer(), nullable=False, comment='The source document.'),
    sa.Column('evidence', sa.Text(), nullable=True, comment='The sentence or passage of the document that states the fact.'),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl first found this (UTC).'),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, comment='When a crawl last found this (UTC).'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_incident_sources_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_sources_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_sources')),
    sa.UniqueConstraint('incident_id', 'document_id', name=op.f('uq_incident_sources_incident_id_document_id')),
    comment='Which documents each incident was read from.'
    )
    with op.batch_alter_table('incident_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_sources_document_id'), ['document_id'], unique=False)

    for name, select in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
    with op.batch_alter_table('incident_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_sources_document_id'))

    op.drop_table('incident_sources')
    op.drop_table('incident_figures')
    op.drop_table('enforcement_amounts')
    with op.batch_alter_table('enforcement_action_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enforcement_action_sources_document_id'))

    op.drop_table('enforcement_action_sources')
    with op.batch_alter_table('contract_suppliers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_suppliers_supplier_id'))

    op.drop_table('contract_suppliers')
    with op.batch_alter_table('contract_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_sources_document_id'))

    op.drop_table('contract_sources')
    op.drop_table('contract_releases')
    with op.batch_alter_table('supplier_identifiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_identifiers_supplier_id'))

    op.drop_table('supplier_identifiers')
    with op.batch_alter_table('supplier_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_aliases_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_supplier_aliases_name_key'))

    op.drop_table('supplier_aliases')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_incident_date'))

    op.drop_table('incidents')
    with op.batch_alter_table('group_memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_group_memberships_supplier_id_current', sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
        batch_op.drop_index(batch_op.f('ix_group_memberships_group_id'))

    op.drop_table('group_memberships')
    with op.batch_alter_table('enforcement_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_enforcement_actions_action_date'))

    op.drop_table('enforcement_actions')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_awarded_on'))

    op.drop_table('contracts')
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.drop_index('uq_suppliers_name_key_unregistered', sqlite_where=sa.text('company_number IS NULL'), postgresql_where=sa.text('company_number IS NULL'))
        batch_op.drop_index(batch_op.f('ix_suppliers_name_key'))

    op.drop_table('suppliers')
    op.drop_table('documents')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_runs_spider'))

    op.drop_table('crawl_runs')
    op.drop_table('buyers')
