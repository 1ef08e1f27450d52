"""Writing facts to the database: batches of items upserted on their natural keys, with provenance.

A batch is one transaction (its items resolved to suppliers first); the writers of each family of facts are
in documents.py, contracts.py and events.py, over the Batch they share (batch.py); a crawl's own record in runs.py.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from watchdog.database import totals
from watchdog.database.db import in_transaction
from watchdog.identity.groups import join_group, record_past_membership
from watchdog.identity.resolver import SupplierResolver
from watchdog.items import ContractItem, EnforcementItem, FactItem, GroupMembershipItem, IncidentItem, SupplierRef
from watchdog.normalise.dates import utcnow
from watchdog.storage.batch import Batch
from watchdog.storage.contracts import RecentFingerprints, stored_fingerprints, touch_releases, write_contracts
from watchdog.storage.documents import write_documents
from watchdog.storage.events import ENFORCEMENT, INCIDENTS, write_events
from watchdog.storage.runs import start_run

logger = logging.getLogger(__name__)
SQLITE_ANALYSIS_LIMIT = 1000  # index rows ANALYZE samples per index


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
        document_ids = write_documents(
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
        write_contracts(connection, [i for i in items if isinstance(i, ContractItem)], batch)
        write_events(connection, [i for i in items if isinstance(i, EnforcementItem)], batch, ENFORCEMENT)
        write_events(connection, [i for i in items if isinstance(i, IncidentItem)], batch, INCIDENTS)
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

    def start_run(
        self, spider: str, arguments: dict[str, Any] | None = None, round_started_at: datetime | None = None
    ) -> int:
        """Open a crawl_runs row (see runs.start_run); what this store writes from now on is marked as that run's."""
        self.run_id = start_run(self.engine, spider, arguments, round_started_at)
        return self.run_id

    def seen_before(self, fingerprints: Iterable[str | None]) -> set[str]:
        """The release fingerprints stored by an earlier crawl: those releases have nothing new to write.
        A release this crawl wrote lately (its awards may span two batches) is never taken as seen."""
        wanted = sorted(self.fingerprints_written.not_among({f for f in fingerprints if f}))
        with self.engine.connect() as connection:
            return stored_fingerprints(connection, wanted)

    def touch_releases(self, fingerprints: Iterable[str], now: datetime | None = None) -> None:
        """Mark releases stored before, and the contracts they belong to, as seen again."""
        now = now or utcnow()
        ids = sorted(set(fingerprints))
        if ids:  # it can deadlock with another writer's batch as a batch can
            in_transaction(self.engine, lambda connection: touch_releases(connection, ids, now))
            self.counts.update(releases_unchanged=len(ids))

    def analyze(self) -> None:
        """Refresh the query planner's statistics, as a large load leaves them stale."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "sqlite":  # sampled: seconds at a million contracts, not minutes
                connection.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
            connection.exec_driver_sql("ANALYZE")
