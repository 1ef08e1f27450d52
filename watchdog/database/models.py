"""The database schema: every table and column carries a comment, which docs/schema.md is built from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from watchdog.items import BASES, DATE_PRECISIONS, DOCUMENT_KINDS, ENFORCEMENT_KINDS, INCIDENT_KINDS

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CRAWL_STATUSES = ("running", "finished", "failed", "interrupted", "abandoned", "skipped")
CANDIDATE_STATUSES = ("open", "rejected")
DECISION_ACTIONS = ("merge", "split", "reject", "group", "ungroup")
SUPERSEDED_REASONS = ("awarded", "republished", "person")
CONTRACT_DECISION_ACTIONS = ("keep_both", "supersede")


class UTCDateTime(TypeDecorator):
    """A point in time, always stored in UTC (PostgreSQL timestamptz; SQLite ISO text without zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing a datetime without a time zone: {value!r}")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def bind_processor(self, dialect):
        """On SQLite, the text SQLAlchemy's DateTime stores, made in one step instead of three (a load binds
        millions of times)."""
        if dialect.name == "postgresql":
            return super().bind_processor(dialect)

        def to_text(value: datetime | None) -> str | None:
            value = self.process_bind_param(value, dialect)
            return None if value is None else value.isoformat(" ", "microseconds")

        return to_text

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


Money = Numeric(20, 2)


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, Decimal: Money, dict[str, Any]: JSON}


class Seen:
    """first_seen_at / last_seen_at, carried by every row a crawl can find again."""

    first_seen_at: Mapped[datetime] = mapped_column(comment="When a crawl first found this (UTC).")
    last_seen_at: Mapped[datetime] = mapped_column(comment="When a crawl last found this (UTC).")


class FoundByRun:
    """first_crawl_run_id / changed_crawl_run_id: which crawl run (or ingest) found a fact and which last changed it."""

    first_crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        index=True,
        comment="The crawl run (or ingest) that first found this (crawl_runs.id); empty when unknown: found before "
        "runs were recorded on rows (revision 0009), or, for a supplier, split off by a person or named by a groups "
        "file.",
    )
    changed_crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        index=True,
        comment="The crawl run (or ingest) that last changed what this row says (crawl_runs.id): first_crawl_run_id "
        "until a later run writes another value to one of its columns (a release seen again changes nothing); "
        "empty when unknown. A person's decisions are not runs: they are in supplier_decisions and "
        "contract_decisions.",
    )


class Document(Seen, Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(one_of("kind", DOCUMENT_KINDS), name="kind"),
        {"comment": "A source: a notice, register page or article that facts were read from."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    url: Mapped[str] = mapped_column(Text, unique=True, comment="Where the source can be read.")
    kind: Mapped[str] = mapped_column(String(20), comment="procurement (a contract notice), regulator, news or other.")
    publisher: Mapped[str | None] = mapped_column(
        Text, comment="Who published it: a portal, a regulator or a news outlet."
    )
    title: Mapped[str | None] = mapped_column(Text, comment="The source's own title or headline.")
    published_at: Mapped[datetime | None] = mapped_column(comment="When the source says it was published (UTC).")
    fetched_at: Mapped[datetime | None] = mapped_column(comment="When we last downloaded it (UTC).")
    content_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the body we last downloaded, to prove what we read."
    )
    content_type: Mapped[str | None] = mapped_column(String(100), comment="Media type of that body.")
    etag: Mapped[str | None] = mapped_column(
        Text, comment="The ETag the server gave, sent back next time so an unchanged feed is not downloaded."
    )
    last_modified: Mapped[str | None] = mapped_column(
        Text, comment="The Last-Modified header the server gave, sent back the same way."
    )


class Supplier(Seen, FoundByRun, Base):
    __tablename__ = "suppliers"
    __table_args__ = (
        Index(
            "uq_suppliers_name_key_unregistered",
            "name_key",
            unique=True,
            sqlite_where=text("company_number IS NULL"),
            postgresql_where=text("company_number IS NULL"),
        ),
        {"comment": "A legal entity that sells to the public sector (or a group's parent company)."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    name: Mapped[str] = mapped_column(Text, index=True, comment="The name shown for this entity.")
    name_key: Mapped[str] = mapped_column(
        Text, index=True, comment="The name normalised for matching: lower case, no legal form or punctuation."
    )
    company_number: Mapped[str | None] = mapped_column(
        String(8), unique=True, comment="Companies House number, padded to 8 characters; empty when unknown."
    )
    country: Mapped[str | None] = mapped_column(String(100), comment="Country of registration as published.")


class SupplierAlias(Seen, Base):
    __tablename__ = "supplier_aliases"
    __table_args__ = (
        UniqueConstraint("supplier_id", "name"),
        {"comment": "Every spelling of a supplier's name seen in a source."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True, comment="The supplier this name belongs to."
    )
    name: Mapped[str] = mapped_column(Text, comment="The name exactly as a source wrote it.")
    name_key: Mapped[str] = mapped_column(Text, index=True, comment="The name normalised for matching.")


class SupplierIdentifier(Seen, Base):
    __tablename__ = "supplier_identifiers"
    __table_args__ = (
        UniqueConstraint("scheme", "identifier"),
        {"comment": "Identifiers other than the company number (PPON, charity number...) that name a supplier."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True, comment="The supplier it identifies."
    )
    scheme: Mapped[str] = mapped_column(String(40), comment="The register, as an org-id prefix: GB-PPON, GB-CHC...")
    identifier: Mapped[str] = mapped_column(String(100), comment="The identifier within that register.")


class GroupMembership(Base):
    __tablename__ = "group_memberships"
    __table_args__ = (
        CheckConstraint("supplier_id <> group_id", name="not_self"),
        Index(
            "uq_group_memberships_supplier_id_current",
            "supplier_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
        {"comment": "Which group (parent company) a supplier belongs to; the row with no ended_on is current."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), comment="The member entity."
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True, comment="The group's parent entity."
    )
    started_on: Mapped[date | None] = mapped_column(comment="When the membership began, if known.")
    ended_on: Mapped[date | None] = mapped_column(comment="When it ended; empty while it lasts.")
    note: Mapped[str | None] = mapped_column(Text, comment="Where the membership comes from, or why it was set.")
    created_at: Mapped[datetime] = mapped_column(comment="When this row was written (UTC).")


class SupplierMatchCandidate(Base):
    __tablename__ = "supplier_match_candidates"
    __table_args__ = (
        UniqueConstraint("supplier_id", "other_supplier_id"),
        CheckConstraint("supplier_id < other_supplier_id", name="ordered"),
        CheckConstraint(
            "(name_key IS NULL AND supplier_id IS NOT NULL AND other_supplier_id IS NOT NULL) OR "
            "(name_key IS NOT NULL AND supplier_id IS NULL AND other_supplier_id IS NULL)",
            name="pair_or_name_group",
        ),
        CheckConstraint(one_of("status", CANDIDATE_STATUSES), name="status"),
        {
            "comment": "What may be one entity, waiting for a person (`watchdog suppliers review`): a pair of "
            "suppliers with alike names, or a name group: all the suppliers sharing one normalised name (kept apart "
            "by their different company numbers), as one item."
        },
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"),
        comment="A pair's one supplier (the lower id); empty for a name group.",
    )
    other_supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"),
        index=True,
        comment="A pair's other supplier; empty for a name group.",
    )
    name_key: Mapped[str | None] = mapped_column(
        Text,
        unique=True,
        comment="A name group's name, normalised (suppliers.name_key): its members are the suppliers of that "
        "name_key; empty for a pair.",
    )
    score: Mapped[float] = mapped_column(comment="How alike the names are, 0 to 100 (100 for a name group).")
    reason: Mapped[str] = mapped_column(Text, comment="Why they were offered and not merged automatically.")
    status: Mapped[str] = mapped_column(
        String(10),
        server_default="open",
        comment="open, or rejected by a person: a pair's two suppliers are different entities, and so are the "
        "members a name group listed (supplier_name_group_members); a name group is open again when a new member "
        "joins. A merged pair is gone: one supplier is left.",
    )
    found_at: Mapped[datetime] = mapped_column(
        comment="When it was first offered (UTC); for a name group offered again, when a new member joined."
    )


class SupplierNameGroupMember(Base):
    __tablename__ = "supplier_name_group_members"
    __table_args__ = {
        "comment": "The suppliers each name group of supplier_match_candidates has listed for review: rejecting the "
        "group says these are different entities; a supplier of that name not listed here offers the group again."
    }

    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("supplier_match_candidates.id", ondelete="CASCADE"),
        primary_key=True,
        comment="The name group (supplier_match_candidates.id).",
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True, index=True, comment="A member listed."
    )


class SupplierNameWord(Base):
    __tablename__ = "supplier_name_words"
    __table_args__ = {
        "comment": "Each word of each supplier's name (with its bracketed and trading-as names), so that the "
        "review reads only the suppliers sharing a rare word with a new one, not every supplier."
    }

    word: Mapped[str] = mapped_column(
        Text, primary_key=True, comment="A word of two letters or more of the name, normalised."
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True, index=True, comment="The supplier."
    )


# The review examines the suppliers first seen since a run started: found through this index, not by reading all.
Index("ix_suppliers_first_seen_at", Supplier.first_seen_at)


class SupplierDecision(Base):
    __tablename__ = "supplier_decisions"
    __table_args__ = (
        CheckConstraint(one_of("action", DECISION_ACTIONS), name="action"),
        {"comment": "Every identity decision a person made, with who, when and why; re-applied after crawls."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    action: Mapped[str] = mapped_column(String(10), comment="merge, split, reject (not the same), group or ungroup.")
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="SET NULL"),
        comment="The supplier kept (merge), split from, compared, or put in a group.",
    )
    other_supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="SET NULL"),
        comment="The supplier merged away, split off, compared with, or the group's parent.",
    )
    supplier_name: Mapped[str] = mapped_column(Text, comment="supplier_id's name at the time.")
    other_name: Mapped[str | None] = mapped_column(Text, comment="other_supplier_id's name at the time.")
    names: Mapped[dict[str, Any] | None] = mapped_column(
        comment="The names and company number that moved, as JSON, so the decision can be applied again."
    )
    decided_by: Mapped[str] = mapped_column(String(100), comment="Who decided.")
    decided_at: Mapped[datetime] = mapped_column(comment="When (UTC).")
    reason: Mapped[str | None] = mapped_column(Text, comment="Why, in the person's words.")


class Buyer(Seen, Base):
    __tablename__ = "buyers"
    __table_args__ = {"comment": "A public body that buys: a department, council, NHS trust..."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    name: Mapped[str] = mapped_column(Text, index=True, comment="The buyer's name as last published.")
    name_key: Mapped[str] = mapped_column(Text, unique=True, comment="The name normalised for matching.")
    identifier: Mapped[str | None] = mapped_column(
        String(100), comment="The buyer's identifier in the source, e.g. GB-GOR-D2."
    )


class Contract(Seen, FoundByRun, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("ocid", "award_id"),
        CheckConstraint(one_of("date_precision", DATE_PRECISIONS), name="date_precision"),
        CheckConstraint(one_of("basis", BASES), name="basis"),
        CheckConstraint(one_of("superseded_reason", SUPERSEDED_REASONS), name="superseded_reason"),
        Index(  # most rows are current: an index of them all would only mislead the planner
            "ix_contracts_superseded_by",
            "superseded_by",
            sqlite_where=text("superseded_by IS NOT NULL"),
            postgresql_where=text("superseded_by IS NOT NULL"),
        ),
        {"comment": "One award of a procurement (or the procurement itself before any award), as last published."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    ocid: Mapped[str] = mapped_column(String(200), comment="Open Contracting id of the procurement.")
    award_id: Mapped[str] = mapped_column(
        String(200), server_default="", comment="The award's id within the procurement; empty before award."
    )
    notice_id: Mapped[str | None] = mapped_column(String(200), comment="The portal's notice number.")
    title: Mapped[str | None] = mapped_column(Text, comment="Title of the procurement.")
    description: Mapped[str | None] = mapped_column(Text, comment="Description of what is bought.")
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("buyers.id"), index=True, comment="The public body that awarded it."
    )
    status: Mapped[str | None] = mapped_column(String(40), comment="Status as published: active, complete...")
    published_at: Mapped[datetime | None] = mapped_column(comment="When the notice was first published (UTC).")
    awarded_on: Mapped[date | None] = mapped_column(index=True, comment="Date of the award decision.")
    date_precision: Mapped[str] = mapped_column(
        String(10), server_default="day", comment="How much of awarded_on is known: day, month, year or unknown."
    )
    start_on: Mapped[date | None] = mapped_column(comment="Contract start date.")
    end_on: Mapped[date | None] = mapped_column(comment="Contract end date.")
    initial_value: Mapped[Decimal | None] = mapped_column(comment="The value awarded, net of VAT where stated.")
    initial_value_gross: Mapped[Decimal | None] = mapped_column(comment="The value awarded including VAT, if given.")
    maximum_value: Mapped[Decimal | None] = mapped_column(
        comment="The most it can be worth (extensions, call-offs), if given."
    )
    currency: Mapped[str | None] = mapped_column(String(3), comment="ISO 4217 currency of the values.")
    initial_value_gbp: Mapped[Decimal | None] = mapped_column(
        comment="initial_value in pounds sterling; initial_value_gross's when the award gives only a value "
        "including VAT."
    )
    cpv_codes: Mapped[str | None] = mapped_column(Text, comment="Common Procurement Vocabulary codes, comma-separated.")
    notice_url: Mapped[str | None] = mapped_column(Text, comment="The notice as a person reads it on the portal.")
    latest_release_at: Mapped[datetime | None] = mapped_column(
        comment="Date of the release this row shows; a later release replaces it (UTC)."
    )
    basis: Mapped[str] = mapped_column(
        String(10), server_default="official", comment="official (published by the buyer) or reported (news)."
    )
    suppliers_count: Mapped[int | None] = mapped_column(
        Integer,
        comment="How many suppliers the award names (one firm listed twice is one; a supplier the notice gives no "
        "name for is counted); more than one means its value is shared, not each supplier's. Empty before award.",
    )
    is_framework: Mapped[bool] = mapped_column(
        Boolean,
        server_default=text("false"),
        comment="The award sets up a framework agreement or dynamic purchasing system: its value is a ceiling "
        "that the suppliers' call-offs may reach, not money paid. From OCDS tender.techniques, else "
        "procurementMethodDetails, else the title's words.",
    )
    superseded_by: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="SET NULL"),
        comment="The row that replaces this one, which is then left out of every total and of supplier_events: "
        "the procurement's award (for a row made before award), or a republication of the same award.",
    )
    superseded_reason: Mapped[str | None] = mapped_column(
        String(20),
        comment="Why it was replaced: awarded (a pre-award row, once the procurement has an award), "
        "republished (the same award published again under a new award id), or person (a person's decision).",
    )


class ContractDecision(Base):
    __tablename__ = "contract_decisions"
    __table_args__ = (
        CheckConstraint(one_of("action", CONTRACT_DECISION_ACTIONS), name="action"),
        CheckConstraint("contract_id <> other_contract_id", name="two_contracts"),
        {"comment": "A person's word on two award rows of one procurement, applied whenever awards are compared."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    action: Mapped[str] = mapped_column(
        String(10),
        comment="keep_both (two awards, not one republished) or supersede (contract_id is replaced by "
        "other_contract_id).",
    )
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True, comment="One award row (the earlier one)."
    )
    other_contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True, comment="The other award row."
    )
    decided_by: Mapped[str] = mapped_column(String(100), comment="Who decided.")
    decided_at: Mapped[datetime] = mapped_column(comment="When (UTC).")
    reason: Mapped[str | None] = mapped_column(Text, comment="Why, in the person's words.")


class ContractSupplier(Seen, Base):
    __tablename__ = "contract_suppliers"
    __table_args__ = (
        UniqueConstraint("contract_id", "supplier_id"),
        {"comment": "Which suppliers won which contract."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), comment="The contract.")
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True, comment="A supplier it was awarded to."
    )
    name_as_published: Mapped[str | None] = mapped_column(Text, comment="The supplier's name on the notice.")


class ContractRelease(Seen, Base):
    __tablename__ = "contract_releases"
    __table_args__ = (
        UniqueConstraint("contract_id", "release_id"),
        {"comment": "Every published version (OCDS release) of a contract, so changes of value stay visible."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), comment="The contract.")
    release_id: Mapped[str] = mapped_column(String(200), comment="The release's id in the source.")
    fingerprint: Mapped[str | None] = mapped_column(
        String(32), index=True, comment="A hash of the release as read, so a re-crawl can skip what it already has."
    )
    release_at: Mapped[datetime | None] = mapped_column(comment="When the release was published (UTC).")
    tags: Mapped[str | None] = mapped_column(
        String(200), comment="OCDS release tags, comma-separated: tender, award, awardUpdate..."
    )
    value: Mapped[Decimal | None] = mapped_column(comment="The value this release gave.")
    value_gross: Mapped[Decimal | None] = mapped_column(comment="The value including VAT, if given.")
    currency: Mapped[str | None] = mapped_column(String(3), comment="ISO 4217 currency.")
    first_crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        index=True,
        comment="The crawl run (or ingest) that first stored this release (crawl_runs.id), so a new value is dated "
        "by the run that found it; empty when unknown (stored before revision 0009).",
    )


class EnforcementAction(Seen, FoundByRun, Base):
    __tablename__ = "enforcement_actions"
    __table_args__ = (
        CheckConstraint(one_of("kind", ENFORCEMENT_KINDS), name="kind"),
        CheckConstraint(one_of("date_precision", DATE_PRECISIONS), name="date_precision"),
        CheckConstraint(one_of("basis", BASES), name="basis"),
        {"comment": "An outcome against a supplier: a fine, deduction, repayment, DPA penalty, compensation..."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    fact_key: Mapped[str] = mapped_column(
        String(300), unique=True, comment="Stable identity of this action, so a re-crawl updates it."
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id"), index=True, comment="The entity it was imposed on."
    )
    authority: Mapped[str | None] = mapped_column(
        Text, comment="Who imposed it: a regulator, court, department or buyer."
    )
    kind: Mapped[str] = mapped_column(
        String(20),
        comment="fine, costs, service_credit (a deduction from payments), repayment, dpa_penalty, compensation, "
        "enforcement_notice, reprimand, judgment, other.",
    )
    action_date: Mapped[date | None] = mapped_column(index=True, comment="When it was imposed or agreed.")
    date_precision: Mapped[str] = mapped_column(
        String(10), server_default="day", comment="How much of action_date is known: day, month, year or unknown."
    )
    date_text: Mapped[str | None] = mapped_column(Text, comment="The date as the source wrote it.")
    case_reference: Mapped[str | None] = mapped_column(String(200), comment="The authority's case number.")
    title: Mapped[str | None] = mapped_column(Text, comment="A short headline for the action.")
    description: Mapped[str | None] = mapped_column(Text, comment="What it was for.")
    basis: Mapped[str] = mapped_column(
        String(10), server_default="official", comment="official (from the authority) or reported (news)."
    )


class EnforcementAmount(Base):
    __tablename__ = "enforcement_amounts"
    __table_args__ = (
        UniqueConstraint("enforcement_action_id", "kind"),
        CheckConstraint(one_of("kind", ENFORCEMENT_KINDS), name="kind"),
        {"comment": "The sums of an enforcement action, one row per kind (a penalty and its costs are two rows)."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    enforcement_action_id: Mapped[int] = mapped_column(
        ForeignKey("enforcement_actions.id", ondelete="CASCADE"), comment="The action."
    )
    kind: Mapped[str] = mapped_column(
        String(20),
        comment="What the money is: fine, costs, service_credit... fine_before_appeal is a fine as first imposed, "
        "kept beside the fine an appeal reduced it to, and never added to a record's penalties.",
    )
    amount: Mapped[Decimal] = mapped_column(comment="The sum, in currency.")
    currency: Mapped[str] = mapped_column(String(3), comment="ISO 4217 currency.")
    amount_gbp: Mapped[Decimal | None] = mapped_column(comment="The sum in pounds sterling.")
    qualifier: Mapped[str | None] = mapped_column(
        String(40), comment="As written beside the sum: up to, over, almost, just over, plus VAT."
    )
    amount_text: Mapped[str | None] = mapped_column(Text, comment="The sum exactly as the source wrote it.")
    previous_amount: Mapped[Decimal | None] = mapped_column(
        comment="The sum this one replaced, when a later crawl found another; empty if it never changed, or if a later "
        "crawl added it to an action known before."
    )
    changed_crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"),
        index=True,
        comment="The crawl run (or ingest) that last changed this sum, or added it to an action known before "
        "(crawl_runs.id); empty if the sum is as the action was first found with.",
    )
    changed_at: Mapped[datetime | None] = mapped_column(
        comment="When that run wrote it (UTC); empty if the sum is as the action was first found with."
    )


class Incident(Seen, FoundByRun, Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(one_of("kind", INCIDENT_KINDS), name="kind"),
        CheckConstraint(one_of("date_precision", DATE_PRECISIONS), name="date_precision"),
        CheckConstraint(one_of("basis", BASES), name="basis"),
        {"comment": "Something that went wrong in delivery: a data breach, a death or injury, a failure."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    fact_key: Mapped[str] = mapped_column(
        String(300), unique=True, comment="Stable identity of this incident, so a re-crawl updates it."
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True, comment="The entity responsible.")
    kind: Mapped[str] = mapped_column(
        String(20), comment="data_breach, death_or_injury, service_failure, inspection_failure or other."
    )
    incident_date: Mapped[date | None] = mapped_column(index=True, comment="When it happened.")
    date_precision: Mapped[str] = mapped_column(
        String(10), server_default="day", comment="How much of incident_date is known: day, month, year or unknown."
    )
    date_text: Mapped[str | None] = mapped_column(Text, comment="The date as the source wrote it.")
    title: Mapped[str | None] = mapped_column(Text, comment="A short headline for the incident.")
    description: Mapped[str | None] = mapped_column(Text, comment="What happened.")
    basis: Mapped[str] = mapped_column(
        String(10), server_default="reported", comment="official (a regulator's finding) or reported (news)."
    )


class IncidentFigure(Base):
    __tablename__ = "incident_figures"
    __table_args__ = (
        UniqueConstraint("incident_id", "unit", "figure_text"),
        {"comment": "Numbers reported about an incident (people affected...), kept as each source wrote them."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), comment="The incident.")
    value: Mapped[Decimal | None] = mapped_column(comment="The number, when it can be read as one.")
    unit: Mapped[str] = mapped_column(Text, comment="What was counted, e.g. contact tracers' e-mail addresses.")
    qualifier: Mapped[str | None] = mapped_column(String(40), comment="As written: almost, over, about...")
    figure_text: Mapped[str] = mapped_column(Text, comment="The figure exactly as the source wrote it.")


class SourceLink(Seen):
    """The columns shared by the tables that link a fact to its source documents."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1, comment="Row number.")
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True, comment="The source document."
    )
    evidence: Mapped[str | None] = mapped_column(
        Text, comment="The sentence or passage of the document that states the fact."
    )
    extraction_rule: Mapped[str | None] = mapped_column(
        String(100),
        comment="For a fact read from the news: the name of the extraction rule that read it.",
    )


class ContractSource(SourceLink, Base):
    __tablename__ = "contract_sources"
    __table_args__ = (
        UniqueConstraint("contract_id", "document_id"),
        {"comment": "Which documents each contract was read from."},
    )

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), comment="The contract.")


class EnforcementActionSource(SourceLink, Base):
    __tablename__ = "enforcement_action_sources"
    __table_args__ = (
        UniqueConstraint("enforcement_action_id", "document_id"),
        {"comment": "Which documents each enforcement action was read from."},
    )

    enforcement_action_id: Mapped[int] = mapped_column(
        ForeignKey("enforcement_actions.id", ondelete="CASCADE"), comment="The enforcement action."
    )


class IncidentSource(SourceLink, Base):
    __tablename__ = "incident_sources"
    __table_args__ = (
        UniqueConstraint("incident_id", "document_id"),
        {"comment": "Which documents each incident was read from."},
    )

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), comment="The incident.")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", CRAWL_STATUSES), name="status"),
        {"comment": "One run of a spider or ingest: what it asked for, what it stored, what went wrong."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Row number.")
    spider: Mapped[str] = mapped_column(String(100), index=True, comment="Which spider (or ingest) ran.")
    arguments: Mapped[dict[str, Any] | None] = mapped_column(comment="The arguments it was given, as JSON.")
    started_at: Mapped[datetime] = mapped_column(comment="When it started (UTC).")
    finished_at: Mapped[datetime | None] = mapped_column(
        comment="When it ended (UTC); empty while running. For an abandoned run, the last time it reported progress."
    )
    last_progress_at: Mapped[datetime | None] = mapped_column(
        comment="When its counts and watermark were last written (UTC): every WATCHDOG_PROGRESS_INTERVAL seconds "
        "while it runs, and at its end."
    )
    status: Mapped[str] = mapped_column(
        String(20),
        comment="running; finished (everything asked for was read and stored); failed (errors counted); "
        "interrupted (stopped before the end: a signal, Ctrl-C); abandoned (killed: it stopped reporting progress "
        "while running, and a later run of its spider found it so); skipped (did not start: another crawl of its "
        "spider held the spider's lock on this database).",
    )
    finish_reason: Mapped[str | None] = mapped_column(String(100), comment="Scrapy's reason for closing.")
    requests: Mapped[int] = mapped_column(Integer, server_default="0", comment="HTTP requests made.")
    items_stored: Mapped[int] = mapped_column(Integer, server_default="0", comment="Facts written or refreshed.")
    items_dropped: Mapped[int] = mapped_column(Integer, server_default="0", comment="Facts refused as invalid.")
    errors: Mapped[int] = mapped_column(
        Integer, server_default="0", comment="Failed requests, unreadable pages and other errors."
    )
    warnings: Mapped[int] = mapped_column(
        Integer, server_default="0", comment="Warnings: a page with nothing on it, a window that may be incomplete..."
    )
    retries: Mapped[int] = mapped_column(
        Integer, server_default="0", comment="Requests tried again after a rate limit, a server error or a timeout."
    )
    error_summary: Mapped[str | None] = mapped_column(Text, comment="The first errors, one per line.")
    stats: Mapped[dict[str, Any] | None] = mapped_column(
        comment="Every counter the crawl kept (Scrapy's and ours), as JSON, for diagnosis."
    )
    watermark: Mapped[datetime | None] = mapped_column(
        comment="The newest source date covered; the next incremental crawl starts from here (UTC)."
    )
    round_started_at: Mapped[datetime | None] = mapped_column(
        comment="When the `crawl --all` round this run was part of started (UTC); empty for a crawl or ingest run "
        "on its own."
    )


class TotalsColumns:
    """The totals a supplier's or a group's record shows, kept current by the write path (database/totals.py)."""

    contracts_count: Mapped[int] = mapped_column(comment="Current official awards it won (shared ones included).")
    contracts_value_gbp: Mapped[Decimal] = mapped_column(
        index=True, comment="Sum in pounds of the awards it won alone (not shared, not frameworks)."
    )
    enforcement_count: Mapped[int] = mapped_column(comment="Enforcement actions against it.")
    penalties_value_gbp: Mapped[Decimal] = mapped_column(comment="Sum in pounds of every amount of those actions.")
    incidents_count: Mapped[int] = mapped_column(comment="Incidents it was responsible for.")
    first_event_date: Mapped[date | None] = mapped_column(comment="Date of its earliest contract, action or incident.")
    last_event_date: Mapped[date | None] = mapped_column(comment="Date of its latest one.")
    shared_awards_count: Mapped[int] = mapped_column(comment="Of contracts_count, the shared awards and frameworks.")
    shared_awards_ceiling_gbp: Mapped[Decimal] = mapped_column(
        comment="Sum in pounds of those shared awards' whole values (a ceiling, not money paid)."
    )


class SupplierTotals(TotalsColumns, Base):
    __tablename__ = "supplier_totals"
    __table_args__ = {
        "comment": "One row per supplier: the totals supplier_record shows, and its current group, kept current by "
        "every write (read supplier_record rather than this table)."
    }

    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True, comment="The supplier (suppliers.id)."
    )
    group_id: Mapped[int] = mapped_column(
        index=True,
        comment="The group it is in now (the group's parent, suppliers.id), itself if none: group_memberships' "
        "current row, copied here so a group's members are found through an index.",
    )


class GroupTotals(TotalsColumns, Base):
    __tablename__ = "group_totals"
    __table_args__ = {
        "comment": "One row per group (and per supplier in no group): the totals group_record shows, kept current by "
        "every write (read group_record rather than this table)."
    }

    group_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True, comment="The group's parent (suppliers.id)."
    )
    members_count: Mapped[int] = mapped_column(comment="Entities in the group, the parent included.")
