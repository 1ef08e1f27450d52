"""Writing facts to the database: batches of items upserted on their natural keys, with provenance."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from w3lib.url import canonicalize_url

from watchdog.database import totals
from watchdog.database.awards import refresh_awards
from watchdog.database.db import in_transaction
from watchdog.database.models import (
    Buyer,
    Contract,
    ContractRelease,
    ContractSource,
    ContractSupplier,
    CrawlRun,
    Document,
    EnforcementAction,
    EnforcementActionSource,
    EnforcementAmount,
    GroupMembership,
    Incident,
    IncidentFigure,
    IncidentSource,
)
from watchdog.database.upsert import LOOKUP_CHUNK, ids_by_key, matching, upsert, upsert_ids
from watchdog.identity.groups import join_group, record_past_membership
from watchdog.identity.resolver import SupplierResolver
from watchdog.items import (
    BuyerRef,
    ContractItem,
    EnforcementItem,
    FactItem,
    GroupMembershipItem,
    IncidentItem,
    SourceDocument,
    SupplierRef,
)
from watchdog.normalise.money import amount_in_gbp
from watchdog.normalise.names import name_key

logger = logging.getLogger(__name__)
SQLITE_ANALYSIS_LIMIT = 1000  # index rows ANALYZE samples per index

documents = Document.__table__
buyers = Buyer.__table__
contracts = Contract.__table__
crawl_runs = CrawlRun.__table__
memberships = GroupMembership.__table__
contract_releases = ContractRelease.__table__
contract_links = ContractSupplier.__table__
contract_sources = ContractSource.__table__


def utcnow() -> datetime:
    return datetime.now(UTC)


def year_of(item: ContractItem) -> int | None:
    """The year a contract's value is converted to pounds at: its award, else its release."""
    moment = item.awarded_on or item.release_at
    return moment.year if moment else None


def same_group(supplier_id: int):
    """The suppliers of a supplier's group: its parent and every current member, itself included."""
    current = memberships.c.ended_on.is_(None)
    group = select(func.coalesce(
        select(memberships.c.group_id).where(current, memberships.c.supplier_id == supplier_id).scalar_subquery(),
        supplier_id,
    )).scalar_subquery()  # fmt: skip
    members = select(memberships.c.supplier_id).where(current, memberships.c.group_id == group)
    return select(group).union(members)


def official_first(table: Table, incoming: Any):
    """An authority's own record replaces a report of it; a report never replaces an authority's record."""
    return or_(incoming.basis == "official", table.c.basis == "reported")


def release_is_newer(table: Table, incoming: Any):
    """A release replaces the stored contract row unless the stored one is from a later release; an undated
    release never replaces a dated one."""
    return or_(
        table.c.latest_release_at.is_(None),
        and_(incoming.latest_release_at.is_not(None), incoming.latest_release_at >= table.c.latest_release_at),
    )


def suppliers_count(item: ContractItem, batch: Batch) -> int | None:
    """How many suppliers share the award: the distinct ones it names (one firm listed under two spellings
    is one), and those it gives no name for."""
    named = len({batch.supplier_ids[id(ref)] for ref in item.suppliers})
    unnamed = (item.suppliers_count or 0) - len(item.suppliers)
    return (named + max(unnamed, 0)) or None


@dataclass
class Batch:
    """What the writers of one batch share: its time and crawl run, and the ids of its documents and suppliers."""

    now: datetime
    run_id: int | None
    document_ids: dict[str, int]
    supplier_ids: dict[int, int]
    counts: Counter[str]
    reports_of_official: set[str] = dataclasses.field(default_factory=set)

    @property
    def seen(self) -> dict[str, datetime]:
        return {"first_seen_at": self.now, "last_seen_at": self.now}

    @property
    def found(self) -> dict[str, int | None]:
        """A new fact's runs: this batch's found it and, so far, last changed it."""
        return {"first_crawl_run_id": self.run_id, "changed_crawl_run_id": self.run_id}

    def source_row(self, fact_column: str, fact_id: int, item: Any) -> dict[str, Any]:
        return {
            fact_column: fact_id,
            "document_id": self.document_ids[item.source.url],
            "evidence": item.evidence,
            "extraction_rule": item.extraction_rule,
            **self.seen,
        }


def in_rounds(rows: list[dict[str, Any]], key: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Split rows so no key repeats within a round: one statement may not update a row twice."""
    rounds: list[list[dict[str, Any]]] = []
    occurrences: dict[tuple, int] = {}
    for row in rows:
        value = tuple(row[name] for name in key)
        index = occurrences.get(value, 0)
        occurrences[value] = index + 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(row)
    return rounds


@dataclass(frozen=True)
class EventTables:
    """Where one kind of event is written: its table, its details (amounts or figures) and its sources."""

    facts: Table
    fields: tuple[str, ...]
    details: Table
    detail_key: tuple[str, ...]
    detail_rows: Callable[[Any, int], list[dict[str, Any]]]
    sources: Table
    fact_column: str


def amount_rows(item: EnforcementItem, action_id: int) -> list[dict[str, Any]]:
    return [
        {
            "enforcement_action_id": action_id,
            "kind": money.kind,
            "amount": money.amount,
            "currency": money.currency,
            "amount_gbp": amount_in_gbp(money.amount, money.currency, item.action_date and item.action_date.year),
            "qualifier": money.qualifier,
            "amount_text": money.text,
            # A change of the sum is marked by mark_changed_amounts; an empty value keeps the stored one.
            "previous_amount": None,
            "changed_crawl_run_id": None,
            "changed_at": None,
        }
        for money in item.amounts
    ]


def figure_rows(item: IncidentItem, incident_id: int) -> list[dict[str, Any]]:
    return [
        {
            "incident_id": incident_id,
            "value": figure.value,
            "unit": figure.unit,
            "qualifier": figure.qualifier,
            "figure_text": figure.text,
        }
        for figure in item.figures
    ]


EVENT_FIELDS = ("kind", "date_precision", "date_text", "title", "description", "basis")
ENFORCEMENT = EventTables(
    facts=EnforcementAction.__table__,
    fields=(*EVENT_FIELDS, "authority", "action_date", "case_reference"),
    details=EnforcementAmount.__table__,
    detail_key=("enforcement_action_id", "kind"),
    detail_rows=amount_rows,
    sources=EnforcementActionSource.__table__,
    fact_column="enforcement_action_id",
)
INCIDENTS = EventTables(
    facts=Incident.__table__,
    fields=(*EVENT_FIELDS, "incident_date"),
    details=IncidentFigure.__table__,
    detail_key=("incident_id", "unit", "figure_text"),
    detail_rows=figure_rows,
    sources=IncidentSource.__table__,
    fact_column="incident_id",
)


def mark_changed_amounts(connection: Connection, rows: list[dict[str, Any]], batch: Batch) -> None:
    """Before the sums of enforcement actions are written: a sum that differs from the one stored, or a sum of a
    kind an action found before this batch did not have, is marked changed by this batch's run, with the sum it
    replaces; so is its action."""
    actions, amounts = EnforcementAction.__table__, EnforcementAmount.__table__
    ids = sorted({row["enforcement_action_id"] for row in rows})
    known, stored = set(), {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        known.update(
            connection.scalars(select(actions.c.id).where(actions.c.id.in_(chunk), actions.c.first_seen_at < batch.now))
        )
        query = select(amounts.c.enforcement_action_id, amounts.c.kind, amounts.c.amount)
        stored.update(
            ((action_id, kind), amount)
            for action_id, kind, amount in connection.execute(query.where(amounts.c.enforcement_action_id.in_(chunk)))
        )
    changed = set()
    for row in rows:
        previous = stored.get((row["enforcement_action_id"], row["kind"]))
        if row["enforcement_action_id"] in known and previous != row["amount"]:
            row.update(previous_amount=previous, changed_crawl_run_id=batch.run_id, changed_at=batch.now)
            changed.add(row["enforcement_action_id"])
    if changed:
        connection.execute(update(actions).where(actions.c.id.in_(changed)).values(changed_crawl_run_id=batch.run_id))


# A run still `running` that has reported no progress for this many progress intervals was killed.
SILENT_INTERVALS_ABANDONED = 10
# How many of the release fingerprints it wrote a store remembers: far more than one release's items ever span.
FINGERPRINTS_REMEMBERED = 20_000


class RecentFingerprints:
    """The fingerprints of the releases a crawl wrote last, at most `limit` of them, so that memory stays flat over a
    crawl of any length."""

    def __init__(self, limit: int = FINGERPRINTS_REMEMBERED) -> None:
        self.limit = limit
        self.fingerprints: OrderedDict[str, None] = OrderedDict()

    def add(self, fingerprints: Iterable[str]) -> None:
        for fingerprint in fingerprints:
            self.fingerprints[fingerprint] = None
            self.fingerprints.move_to_end(fingerprint)
        while len(self.fingerprints) > self.limit:
            self.fingerprints.popitem(last=False)

    def not_among(self, fingerprints: Iterable[str]) -> set[str]:
        """Those of `fingerprints` not remembered."""
        return {fingerprint for fingerprint in fingerprints if fingerprint not in self.fingerprints}


@dataclass
class Rejected:
    """An item the database did not store, and why. When the database itself could not write (locked by another
    program, unreachable, full), the item is not at fault and may be stored by trying again later."""

    item: FactItem
    reason: str
    database_unavailable: bool = False


def database_reason(error: SQLAlchemyError) -> str:
    return str(error.orig if hasattr(error, "orig") else error).splitlines()[0]


class Store:
    """Writes items to one database. Keep one per crawl: it remembers the suppliers it resolved. What it writes is
    marked as found (or changed) by `run_id`, the crawl run it writes for: the run it started, or one set on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.run_id: int | None = None
        self.resolver = SupplierResolver()
        self.counts: Counter[str] = Counter()
        self.fingerprints_written = RecentFingerprints()

    def write(self, items: Sequence[FactItem], now: datetime | None = None) -> list[Rejected]:
        """Write items in one transaction; if the database refuses the batch, write them one by one,
        so a bad item is rejected alone. Returns the rejected items with the database's reason.
        If the database cannot write at all (OperationalError: locked, unreachable, full), the whole batch is
        returned as not stored at once: trying each item would only wait out the same lock again."""
        now = now or utcnow()
        try:
            self.counts.update(self._write_in_one_transaction(items, now))
            self.fingerprints_written.add(
                item.release_fingerprint
                for item in items
                if isinstance(item, ContractItem) and item.release_fingerprint
            )
            return []
        except OperationalError as error:
            self.resolver.forget()
            return [Rejected(item, database_reason(error), database_unavailable=True) for item in items]
        except SQLAlchemyError as error:
            self.resolver.forget()
            if len(items) == 1:
                return [Rejected(items[0], database_reason(error))]
        logger.warning("a batch of %d items failed; writing them one at a time", len(items))
        return [rejected for item in items for rejected in self.write([item], now)]

    def _write_in_one_transaction(self, items: Sequence[FactItem], now: datetime) -> Counter[str]:
        """Write the batch in one transaction, again if it clashed with another writer's (see in_transaction)."""

        def write_batch(connection: Connection) -> Counter[str]:
            counts: Counter[str] = Counter()
            self._write_batch(connection, items, now, counts)
            return counts

        return in_transaction(self.engine, write_batch, rolled_back=self.resolver.forget)

    def _write_batch(
        self, connection: Connection, items: Sequence[FactItem], now: datetime, counts: Counter[str]
    ) -> None:
        document_ids = self._write_documents(
            connection, [item.source for item in items if not isinstance(item, GroupMembershipItem)], now
        )
        refs: list[SupplierRef] = []
        for item in items:
            if isinstance(item, ContractItem):
                refs.extend(item.suppliers)
            elif isinstance(item, GroupMembershipItem):
                refs.extend((item.member, item.group))
            elif isinstance(item, EnforcementItem | IncidentItem):
                refs.append(item.supplier)
        resolved = iter(self.resolver.resolve(connection, refs, now, self.run_id) if refs else [])
        batch = Batch(now, self.run_id, document_ids, {id(ref): next(resolved) for ref in refs}, counts)

        procurements = {item.ocid for item in items if isinstance(item, ContractItem)}
        totals.touch_procurements(connection, procurements)  # the suppliers they named before this batch
        self._write_contracts(connection, [i for i in items if isinstance(i, ContractItem)], batch)
        self._write_events(connection, [i for i in items if isinstance(i, EnforcementItem)], batch, ENFORCEMENT)
        self._write_events(connection, [i for i in items if isinstance(i, IncidentItem)], batch, INCIDENTS)
        totals.touch(connection, batch.supplier_ids.values())
        for item in items:
            if isinstance(item, GroupMembershipItem):
                member_id, group_id = batch.supplier_ids[id(item.member)], batch.supplier_ids[id(item.group)]
                if item.ended_on is None:
                    join_group(connection, member_id, group_id, now, item.started_on, item.note)
                else:
                    record_past_membership(
                        connection, member_id, group_id, item.started_on, item.ended_on, item.note, now
                    )

    @staticmethod
    def _drop_replaced_suppliers(
        connection: Connection, items: list[ContractItem], contract_ids: dict, latest: dict, batch: Batch
    ) -> None:
        """Unlink a supplier an earlier release named as winner and the latest release does not."""
        links = ContractSupplier.__table__
        counts: dict[int, int] = {}
        for linked in matching(connection, links.c.contract_id, set(contract_ids.values())):
            query = select(links.c.contract_id, func.count()).where(linked).group_by(links.c.contract_id)
            counts.update(connection.execute(query).all())
        for item in items:
            contract_id = contract_ids[(item.ocid, item.award_id)]
            winners = {batch.supplier_ids[id(ref)] for ref in item.suppliers}
            if winners and item.release_at == latest[contract_id] and counts.get(contract_id, 0) > len(winners):
                connection.execute(
                    delete(links).where(links.c.contract_id == contract_id, links.c.supplier_id.not_in(winners))
                )

    def _as_known_action(self, connection: Connection, item: EnforcementItem, batch: Batch) -> EnforcementItem:
        """One outcome reported by several outlets and by its authority is one action with several sources:
        the same kind and principal sum (within 1%), in the same year when both give one, against the same
        supplier or another of its group ("Serco" in the press, Serco Geografix Ltd in the SFO's record). A
        report joins the action already known, adding only a source to an authority's record; an authority's
        record takes over a report's action. Two authorities' records are two actions."""
        principal = next((money for money in item.amounts if money.kind == item.kind), None)
        if principal is None:
            return item
        actions, amounts = EnforcementAction.__table__, EnforcementAmount.__table__
        query = (
            select(actions.c.id, actions.c.fact_key, actions.c.basis, actions.c.action_date)
            .join(amounts, amounts.c.enforcement_action_id == actions.c.id)
            .where(
                actions.c.supplier_id.in_(same_group(batch.supplier_ids[id(item.supplier)])),
                actions.c.kind == item.kind,
                amounts.c.kind == item.kind,
                amounts.c.amount.between(principal.amount * Decimal("0.99"), principal.amount * Decimal("1.01")),
                actions.c.fact_key != item.fact_key,
            )
            .order_by(actions.c.basis, actions.c.id)  # an authority's record ("official") first
        )
        for action_id, fact_key, basis, action_date in connection.execute(query):
            if item.action_date and action_date and item.action_date.year != action_date.year:
                continue
            if item.basis == "official" and basis == "official":
                continue
            if item.basis == "official":
                connection.execute(update(actions).where(actions.c.id == action_id).values(fact_key=item.fact_key))
                return item
            joined = dataclasses.replace(item, fact_key=fact_key)
            if basis == "official":
                batch.reports_of_official.add(fact_key)
            return joined
        return item

    def _write_documents(self, connection: Connection, sources: list[SourceDocument], now: datetime) -> dict[str, int]:
        rows = {
            source.url: {
                "url": source.url,
                "kind": source.kind,
                "publisher": source.publisher,
                "title": source.title,
                "published_at": source.published_at,
                "fetched_at": source.fetched_at,
                "content_sha256": source.content_sha256,
                "content_type": source.content_type,
                "etag": source.etag,
                "last_modified": source.last_modified,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for source in sources
        }
        updated = ["kind", "publisher", "title", "published_at", "fetched_at", "content_sha256", "content_type", "etag",
                   "last_modified"]  # fmt: skip
        return upsert_ids(connection, documents, list(rows.values()), ["url"], update=updated)

    def _write_buyers(self, connection: Connection, refs: list[BuyerRef], now: datetime) -> dict[str, int]:
        rows = {
            name_key(ref.name): {
                "name": ref.name.strip(),
                "name_key": name_key(ref.name),
                "identifier": ref.identifier,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for ref in refs
        }
        return upsert_ids(connection, buyers, list(rows.values()), ["name_key"], update=["name", "identifier"])

    def _write_contracts(self, connection: Connection, items: list[ContractItem], batch: Batch) -> None:
        if not items:
            return
        now = batch.now
        buyer_ids = self._write_buyers(connection, [item.buyer for item in items if item.buyer], now)
        rows = []
        for item in items:
            rows.append(
                {
                    "ocid": item.ocid,
                    "award_id": item.award_id,
                    "notice_id": item.notice_id,
                    "title": item.title,
                    "description": item.description,
                    "buyer_id": buyer_ids[name_key(item.buyer.name)] if item.buyer else None,
                    "status": item.status,
                    "published_at": item.published_at,
                    "awarded_on": item.awarded_on,
                    "date_precision": item.date_precision,
                    "start_on": item.start_on,
                    "end_on": item.end_on,
                    "initial_value": item.initial_value,
                    "initial_value_gross": item.initial_value_gross,
                    "maximum_value": item.maximum_value,
                    "currency": item.currency,
                    "initial_value_gbp": amount_in_gbp(
                        item.initial_value if item.initial_value is not None else item.initial_value_gross,
                        item.currency,
                        year_of(item),
                    ),
                    "cpv_codes": ",".join(item.cpv_codes) or None,
                    "notice_url": item.notice_url,
                    "latest_release_at": item.release_at,
                    "basis": item.basis,
                    "suppliers_count": suppliers_count(item, batch),
                    "is_framework": item.is_framework,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    **batch.found,
                }
            )
        # Several releases of one contract in a batch are applied oldest first, one round each.
        rows.sort(key=lambda row: row["latest_release_at"] or now)
        keys = {(item.ocid, item.award_id) for item in items}
        known = ids_by_key(connection, contracts, ["ocid", "award_id"], keys)
        batch.counts.update(contracts_new=len(keys) - len(known), contracts_updated=len(known))
        kept_first = {"id", "ocid", "award_id", "published_at", "first_seen_at", "last_seen_at"}
        kept_first |= {"superseded_by", "superseded_reason"}  # derived below, from all of a procurement's rows
        kept_first |= set(batch.found)  # the run that found it stays; the one that changed it is set by upsert
        updated = [column.name for column in contracts.c if column.name not in kept_first]
        contract_ids: dict[tuple[str, str], int] = {}
        for round_rows in in_rounds(rows, ["ocid", "award_id"]):
            contract_ids |= upsert_ids(
                connection,
                contracts,
                round_rows,
                ["ocid", "award_id"],
                update=updated,
                keep=["published_at"],
                is_newer=release_is_newer,
                changed_by="changed_crawl_run_id",
            )

        seen = batch.seen
        links, releases, sources = {}, {}, {}
        latest = {}
        for wanted in matching(connection, contracts.c.id, set(contract_ids.values())):
            latest.update(connection.execute(select(contracts.c.id, contracts.c.latest_release_at).where(wanted)).all())
        for item in items:
            contract_id = contract_ids[(item.ocid, item.award_id)]
            # Who won is what the latest release says; an older release seen again names nobody.
            for ref in item.suppliers if item.release_at == latest[contract_id] else ():
                supplier_id = batch.supplier_ids[id(ref)]
                links[(contract_id, supplier_id)] = {
                    "contract_id": contract_id,
                    "supplier_id": supplier_id,
                    "name_as_published": ref.name,
                    **seen,
                }
            if item.release_id:
                releases[(contract_id, item.release_id)] = {
                    "contract_id": contract_id,
                    "release_id": item.release_id,
                    "fingerprint": item.release_fingerprint,
                    "release_at": item.release_at,
                    "tags": ",".join(item.release_tags) or None,
                    "value": item.initial_value,
                    "value_gross": item.initial_value_gross,
                    "currency": item.currency,
                    "first_crawl_run_id": batch.run_id,
                    **seen,
                }
            sources[(contract_id, item.source.url)] = batch.source_row("contract_id", contract_id, item)
        upsert(connection, ContractSupplier.__table__, list(links.values()), ["contract_id", "supplier_id"])
        self._drop_replaced_suppliers(connection, items, contract_ids, latest, batch)
        release_columns = ["fingerprint", "release_at", "tags", "value", "value_gross", "currency"]
        upsert(
            connection,
            ContractRelease.__table__,
            list(releases.values()),
            ["contract_id", "release_id"],
            update=release_columns,
        )
        upsert(
            connection,
            ContractSource.__table__,
            list(sources.values()),
            ["contract_id", "document_id"],
            update=["evidence", "extraction_rule"],
        )
        batch.counts.update(superseded_changed=refresh_awards(connection, {item.ocid for item in items}))

    def _write_events(
        self,
        connection: Connection,
        items: list[EnforcementItem] | list[IncidentItem],
        batch: Batch,
        tables: EventTables,
    ) -> None:
        """Enforcement actions or incidents, with their amounts or figures and their sources."""
        if not items:
            return
        if tables is ENFORCEMENT:
            items = [self._as_known_action(connection, item, batch) for item in items]
        rows = {
            item.fact_key: {
                "fact_key": item.fact_key,
                "supplier_id": batch.supplier_ids[id(item.supplier)],
                **{name: getattr(item, name) for name in tables.fields},
                **batch.seen,
                **batch.found,
            }
            for item in items
        }
        totals.touch_facts(connection, tables.facts, rows)  # whom they were against before
        fact_ids = upsert_ids(connection, tables.facts, list(rows.values()), ["fact_key"],
                              update=["supplier_id", *tables.fields], is_newer=official_first,
                              changed_by="changed_crawl_run_id")  # fmt: skip
        details, sources = {}, {}
        for item in items:
            fact_id = fact_ids[item.fact_key]
            if item.fact_key in batch.reports_of_official and item.basis == "reported":
                pass  # the authority's sums stand; the report adds a source
            else:
                for row in tables.detail_rows(item, fact_id):
                    details[tuple(row[name] for name in tables.detail_key)] = row
            sources[(fact_id, item.source.url)] = batch.source_row(tables.fact_column, fact_id, item)
        if tables is ENFORCEMENT:
            mark_changed_amounts(connection, list(details.values()), batch)
        refreshed = [c.name for c in tables.details.c if c.name not in {"id", *tables.detail_key}]
        upsert(connection, tables.details, list(details.values()), tables.detail_key, update=refreshed)
        upsert(
            connection,
            tables.sources,
            list(sources.values()),
            [tables.fact_column, "document_id"],
            update=["evidence", "extraction_rule"],
        )

    def start_run(
        self, spider: str, arguments: dict[str, Any] | None = None, round_started_at: datetime | None = None
    ) -> int:
        """Open a crawl_runs row (of the `crawl --all` round started at `round_started_at`, if any); what this store
        writes from now on is marked as that run's."""
        with self.engine.begin() as connection:
            self.run_id = connection.execute(
                insert(crawl_runs)
                .values(
                    spider=spider,
                    arguments=arguments or None,
                    started_at=utcnow(),
                    status="running",
                    round_started_at=round_started_at,
                )
                .returning(crawl_runs.c.id)
            ).scalar_one()
        return self.run_id

    def seen_before(self, fingerprints: Iterable[str | None]) -> set[str]:
        """The release fingerprints stored by an earlier crawl: those releases have nothing new to write.
        A release this crawl wrote lately (its awards may span two batches) is never taken as seen."""
        wanted = sorted(self.fingerprints_written.not_among({f for f in fingerprints if f}))
        found: set[str] = set()
        with self.engine.connect() as connection:
            for stored in matching(connection, contract_releases.c.fingerprint, wanted):
                found.update(connection.scalars(select(contract_releases.c.fingerprint).where(stored)))
        return found

    def touch_releases(self, fingerprints: Iterable[str], now: datetime | None = None) -> None:
        """Mark releases stored before, and the contracts they belong to, as seen again."""
        now = now or utcnow()
        ids = sorted(set(fingerprints))
        if not ids:
            return

        def touch(connection: Connection) -> None:
            contract_ids: set[int] = set()
            for releases in matching(connection, contract_releases.c.fingerprint, ids):
                contract_ids.update(connection.scalars(select(contract_releases.c.contract_id).where(releases)))
                connection.execute(update(contract_releases).where(releases).values(last_seen_at=now))
            touched = sorted(contract_ids)
            for contract_id in (contracts.c.id, contract_links.c.contract_id, contract_sources.c.contract_id):
                for rows in matching(connection, contract_id, touched):
                    connection.execute(update(contract_id.table).where(rows).values(last_seen_at=now))

        in_transaction(self.engine, touch)  # it can deadlock with another writer's batch as a batch can
        self.counts.update(releases_unchanged=len(ids))

    def news_memory(self) -> tuple[set[str], dict[str, tuple[str | None, str | None]]]:
        """What a news crawl needs to know: the canonical URLs of the articles stored, and each feed's ETag and
        Last-Modified."""
        with self.engine.connect() as connection:
            urls = {
                canonicalize_url(url)
                for url in connection.scalars(select(documents.c.url).where(documents.c.kind == "news"))
            }
            validators = connection.execute(
                select(documents.c.url, documents.c.etag, documents.c.last_modified).where(documents.c.kind == "other")
            )
            return urls, {url: (etag, modified) for url, etag, modified in validators}

    def analyze(self) -> None:
        """Refresh the query planner's statistics, as a large load leaves them stale."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "sqlite":  # sampled: seconds at a million contracts, not minutes
                connection.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
            connection.exec_driver_sql("ANALYZE")

    def last_watermark(self, spider: str) -> datetime | None:
        """The watermark of the spider's most recently finished crawl that recorded one."""
        with self.engine.connect() as connection:
            return connection.scalar(
                select(crawl_runs.c.watermark)
                .where(
                    crawl_runs.c.spider == spider,
                    crawl_runs.c.finished_at.is_not(None),
                    crawl_runs.c.watermark.is_not(None),
                )
                .order_by(crawl_runs.c.finished_at.desc())
                .limit(1)
            )

    def record_progress(self, run_id: int, **counts: Any) -> None:
        """Write a running crawl's counts and watermark so far. A run another found silent, and marked abandoned,
        is running again when it reports."""
        with self.engine.begin() as connection:
            connection.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run_id)
                .values(status="running", finished_at=None, last_progress_at=utcnow(), **counts)
            )

    def finish_run(self, run_id: int, **counts: Any) -> None:
        now = utcnow()
        with self.engine.begin() as connection:
            connection.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run_id)
                .values(finished_at=now, last_progress_at=now, **counts)
            )

    def abandon_silent_runs(self, spider: str, silent_since: datetime) -> list[tuple[int, datetime]]:
        """Mark abandoned the spider's runs still `running` that have reported no progress since `silent_since`
        (a killed process reports none): each ends when it last reported. Returns their ids and those times."""
        last_heard = func.coalesce(crawl_runs.c.last_progress_at, crawl_runs.c.started_at)
        with self.engine.begin() as connection:
            silent = connection.execute(
                select(crawl_runs.c.id, last_heard).where(
                    crawl_runs.c.spider == spider, crawl_runs.c.status == "running", last_heard < silent_since
                )
            ).all()
            for run_id, heard_at in silent:
                connection.execute(
                    update(crawl_runs)
                    .where(crawl_runs.c.id == run_id, crawl_runs.c.status == "running")
                    .values(status="abandoned", finished_at=heard_at)
                )
        return [(run_id, heard_at) for run_id, heard_at in silent]
