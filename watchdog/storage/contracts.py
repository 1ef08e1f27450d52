"""Contracts and their buyers, winners, releases and sources; and the releases a crawl has stored before."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, or_, select, update

from watchdog.database.awards import refresh_awards
from watchdog.database.models import Buyer, Contract, ContractRelease, ContractSource, ContractSupplier
from watchdog.database.upsert import ids_by_key, matching, upsert, upsert_ids
from watchdog.items import BuyerRef, ContractItem
from watchdog.normalise.money import amount_in_gbp
from watchdog.normalise.names import name_key
from watchdog.storage.batch import Batch, in_rounds

buyers = Buyer.__table__
contracts = Contract.__table__
contract_releases = ContractRelease.__table__
contract_links = ContractSupplier.__table__
contract_sources = ContractSource.__table__


def year_of(item: ContractItem) -> int | None:
    """The year a contract's value is converted to pounds at: its award, else its release."""
    moment = item.awarded_on or item.release_at
    return moment.year if moment else None


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


def drop_replaced_suppliers(
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


def write_buyers(connection: Connection, refs: list[BuyerRef], now: datetime) -> dict[str, int]:
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


def write_contracts(connection: Connection, items: list[ContractItem], batch: Batch) -> None:
    if not items:
        return
    now = batch.now
    buyer_ids = write_buyers(connection, [item.buyer for item in items if item.buyer], now)
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
    drop_replaced_suppliers(connection, items, contract_ids, latest, batch)
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


def stored_fingerprints(connection: Connection, wanted: list[str]) -> set[str]:
    """Those of the release fingerprints a crawl stored before."""
    found: set[str] = set()
    for stored in matching(connection, contract_releases.c.fingerprint, wanted):
        found.update(connection.scalars(select(contract_releases.c.fingerprint).where(stored)))
    return found


def touch_releases(connection: Connection, fingerprints: list[str], now: datetime) -> None:
    """Mark releases stored before, and the contracts they belong to, as seen again."""
    contract_ids: set[int] = set()
    for releases in matching(connection, contract_releases.c.fingerprint, fingerprints):
        contract_ids.update(connection.scalars(select(contract_releases.c.contract_id).where(releases)))
        connection.execute(update(contract_releases).where(releases).values(last_seen_at=now))
    touched = sorted(contract_ids)
    for contract_id in (contracts.c.id, contract_links.c.contract_id, contract_sources.c.contract_id):
        for rows in matching(connection, contract_id, touched):
            connection.execute(update(contract_id.table).where(rows).values(last_seen_at=now))
