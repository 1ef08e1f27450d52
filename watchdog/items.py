"""What spiders yield: one typed item per kind of fact, each naming the document it was read from.

Spiders only build these; the storage pipeline validates, resolves identities and writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

# The vocabulary of facts, which the database's CHECK constraints enforce too (database/models.py).
# fine_before_appeal is the sum of a penalty a tribunal or court later reduced: kept beside the final `fine`, and left
# out of every total (totals.NOT_TOTALLED). enforcement_notice, reprimand and judgment are actions, mostly with no sum.
ENFORCEMENT_KINDS = (
    "fine", "costs", "service_credit", "repayment", "dpa_penalty", "compensation", "other",
    "enforcement_notice", "reprimand", "judgment", "fine_before_appeal",
)  # fmt: skip
INCIDENT_KINDS = ("data_breach", "death_or_injury", "service_failure", "inspection_failure", "other")
DATE_PRECISIONS = ("day", "month", "year", "unknown")
BASES = ("official", "reported")
DOCUMENT_KINDS = ("procurement", "regulator", "news", "other")


class InvalidItem(ValueError):
    """An item that cannot be stored, with the reason in its message."""


def require(condition: object, reason: str) -> None:
    if not condition:
        raise InvalidItem(reason)


def check_aware(value: datetime | None, name: str) -> None:
    require(value is None or value.tzinfo is not None, f"{name} has no time zone: {value!r}")


def check_currency(code: str | None, name: str = "currency") -> None:
    require(code is None or re.fullmatch(r"[A-Z]{3}", code), f"{name} is not an ISO 4217 code: {code!r}")


ABSURD_AMOUNT = Decimal(10) ** 13  # ten trillion: more than any public contract or penalty


def check_amount(amount: Decimal | None, name: str) -> None:
    require(amount is None or (amount.is_finite() and amount >= 0), f"{name} is not a non-negative sum: {amount!r}")
    require(amount is None or amount < ABSURD_AMOUNT, f"{name} is absurdly large: {amount!r}")


@dataclass
class SourceDocument:
    """The page, notice or article a fact was read from."""

    url: str
    kind: str
    publisher: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    content_sha256: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    def validate(self) -> None:
        require(re.match(r"https?://\S+$", self.url or ""), f"source url is not an http(s) URL: {self.url!r}")
        require(self.kind in DOCUMENT_KINDS, f"source kind must be one of {DOCUMENT_KINDS}: {self.kind!r}")
        check_aware(self.published_at, "source published_at")
        check_aware(self.fetched_at, "source fetched_at")


@dataclass
class SupplierRef:
    """A supplier as a source names it: a name, and identifiers where the source gives them."""

    name: str
    company_number: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    country: str | None = None

    def validate(self) -> None:
        require(self.name and self.name.strip(), "supplier has no name")


@dataclass
class BuyerRef:
    name: str
    identifier: str | None = None

    def validate(self) -> None:
        require(self.name and self.name.strip(), "buyer has no name")


@dataclass
class Money:
    """A sum of money, typed by what it is, with the words around it as written."""

    amount: Decimal
    kind: str
    currency: str = "GBP"
    qualifier: str | None = None
    text: str | None = None

    def validate(self) -> None:
        require(self.amount is not None, f"{self.kind} has no amount")
        check_amount(self.amount, f"{self.kind} amount")
        check_currency(self.currency)


@dataclass
class Figure:
    """A number reported about an incident, kept as written ("296", "almost 300")."""

    unit: str
    text: str
    value: Decimal | None = None
    qualifier: str | None = None

    def validate(self) -> None:
        require(self.unit and self.text, "figure needs what was counted and the figure as written")


@dataclass
class ContractItem:
    """One award of a procurement (or the procurement before award), as one release published it."""

    ocid: str
    source: SourceDocument
    award_id: str = ""
    release_id: str | None = None
    release_fingerprint: str | None = None
    release_at: datetime | None = None
    release_tags: list[str] = field(default_factory=list)
    notice_id: str | None = None
    title: str | None = None
    description: str | None = None
    buyer: BuyerRef | None = None
    suppliers: list[SupplierRef] = field(default_factory=list)
    suppliers_count: int | None = None  # as the award lists them, nameless ones included
    is_framework: bool = False
    status: str | None = None
    published_at: datetime | None = None
    awarded_on: date | None = None
    date_precision: str = "day"
    start_on: date | None = None
    end_on: date | None = None
    initial_value: Decimal | None = None
    initial_value_gross: Decimal | None = None
    maximum_value: Decimal | None = None
    currency: str | None = None
    cpv_codes: list[str] = field(default_factory=list)
    notice_url: str | None = None
    basis: str = "official"
    evidence: str | None = None
    extraction_rule: str | None = None

    def validate(self) -> None:
        require(self.ocid and self.ocid.strip(), "contract has no ocid")
        self.source.validate()
        for supplier in self.suppliers:
            supplier.validate()
        if self.buyer:
            self.buyer.validate()
        for name in ("initial_value", "initial_value_gross", "maximum_value"):
            check_amount(getattr(self, name), name)
        require(
            self.currency
            or all(getattr(self, n) is None for n in ("initial_value", "initial_value_gross", "maximum_value")),
            "contract has a value but no currency",
        )
        check_currency(self.currency)
        check_aware(self.release_at, "release_at")
        check_aware(self.published_at, "published_at")
        require(self.date_precision in DATE_PRECISIONS, f"date_precision must be one of {DATE_PRECISIONS}")
        require(self.basis in BASES, f"basis must be one of {BASES}: {self.basis!r}")
        require(
            self.suppliers_count is None or self.suppliers_count >= len(self.suppliers),
            f"suppliers_count {self.suppliers_count} is less than the {len(self.suppliers)} suppliers named",
        )


@dataclass(kw_only=True)
class EventItem:
    """What enforcement actions and incidents share: a supplier, a kind, a date as exact as known, a source."""

    kinds: ClassVar[tuple[str, ...]]
    label: ClassVar[str]

    fact_key: str
    supplier: SupplierRef
    kind: str
    source: SourceDocument
    date_precision: str = "day"
    date_text: str | None = None
    title: str | None = None
    description: str | None = None
    basis: str = "official"
    evidence: str | None = None
    extraction_rule: str | None = None

    def validate(self) -> None:
        require(self.fact_key, f"{self.label} has no fact_key")
        self.supplier.validate()
        self.source.validate()
        require(self.kind in self.kinds, f"{self.label} kind must be one of {self.kinds}: {self.kind!r}")
        require(self.date_precision in DATE_PRECISIONS, f"date_precision must be one of {DATE_PRECISIONS}")
        require(self.basis in BASES, f"basis must be one of {BASES}: {self.basis!r}")


@dataclass(kw_only=True)
class EnforcementItem(EventItem):
    """An outcome imposed on a supplier: a fine, deduction, repayment, DPA penalty..."""

    kinds = ENFORCEMENT_KINDS
    label = "enforcement action"

    authority: str | None = None
    action_date: date | None = None
    case_reference: str | None = None
    amounts: list[Money] = field(default_factory=list)

    def validate(self) -> None:
        super().validate()
        kinds = [money.kind for money in self.amounts]
        require(len(kinds) == len(set(kinds)), f"enforcement action has two amounts of one kind: {kinds}")
        for money in self.amounts:
            require(money.kind in ENFORCEMENT_KINDS, f"amount kind must be one of {ENFORCEMENT_KINDS}")
            money.validate()


@dataclass(kw_only=True)
class IncidentItem(EventItem):
    """Something that went wrong when a supplier delivered."""

    kinds = INCIDENT_KINDS
    label = "incident"

    incident_date: date | None = None
    figures: list[Figure] = field(default_factory=list)
    basis: str = "reported"

    def validate(self) -> None:
        super().validate()
        for figure in self.figures:
            figure.validate()


@dataclass
class GroupMembershipItem:
    """A supplier's membership of a group: `member` belongs to the group whose parent is `group`."""

    member: SupplierRef
    group: SupplierRef
    started_on: date | None = None
    ended_on: date | None = None
    note: str | None = None

    def validate(self) -> None:
        self.member.validate()
        self.group.validate()


@dataclass
class FeedItem:
    """A news feed that was read: kept as a document so the next crawl can ask only for what changed."""

    source: SourceDocument

    def validate(self) -> None:
        self.source.validate()


@dataclass
class ArticleItem:
    """A news article's main text; the storage pipeline reads the facts in it about known suppliers."""

    source: SourceDocument
    text: str

    def validate(self) -> None:
        self.source.validate()
        require(self.text and self.text.strip(), "article has no text")


FactItem = ContractItem | EnforcementItem | IncidentItem | GroupMembershipItem | FeedItem | ArticleItem
