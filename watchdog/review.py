"""A person's judgement on supplier identity: merge, split, reject, group, and the review queue.

Every decision is logged in `supplier_decisions` with who, when and why. Decisions last: a merge moves the
merged supplier's names onto the one kept, so the resolver sends those names there on every later crawl;
a split moves names onto a new supplier the same way; a rejected pair is never offered again. After every
crawl `after_crawl` applies the merges again (in case a crawl running at the same time brought a merged
name back), applies the groups file, and looks for new candidate pairs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from watchdog.awards import refresh_awards_of
from watchdog.groups import GROUPS_FILE, current_group, join_group, leave_group, read_groups_file
from watchdog.matching import Entity, NameIndex
from watchdog.models import (
    Buyer,
    Contract,
    ContractSupplier,
    EnforcementAction,
    GroupMembership,
    Incident,
    Supplier,
    SupplierAlias,
    SupplierDecision,
    SupplierIdentifier,
    SupplierMatchCandidate,
)
from watchdog.normalise.names import name_key
from watchdog.record import find_suppliers
from watchdog.store import utcnow
from watchdog.upsert import upsert

suppliers = Supplier.__table__
aliases = SupplierAlias.__table__
identifiers = SupplierIdentifier.__table__
candidates = SupplierMatchCandidate.__table__
decisions = SupplierDecision.__table__
memberships = GroupMembership.__table__
links = ContractSupplier.__table__
GROUPS_FILE_VARIABLE = "WATCHDOG_GROUPS_FILE"
logger = logging.getLogger(__name__)


class DecisionRefused(ValueError):
    """A decision that would make the data wrong, with the reason."""


@dataclass(frozen=True)
class SupplierRow:
    id: int
    name: str
    name_key: str
    company_number: str | None


def supplier(connection: Connection, supplier_id: int) -> SupplierRow:
    row = connection.execute(
        select(suppliers.c.id, suppliers.c.name, suppliers.c.name_key, suppliers.c.company_number).where(
            suppliers.c.id == supplier_id
        )
    ).one_or_none()
    if row is None:
        raise DecisionRefused(f"there is no supplier #{supplier_id}")
    return SupplierRow(*row)


def names_of(connection: Connection, supplier_id: int) -> list[str]:
    return list(connection.scalars(select(aliases.c.name).where(aliases.c.supplier_id == supplier_id)))


def log(connection: Connection, action: str, first: SupplierRow, second: SupplierRow | None, by: str,
        reason: str | None, now: datetime, names: dict | None = None, keep_second_id: bool = True) -> None:  # fmt: skip
    connection.execute(
        insert(decisions).values(
            action=action,
            supplier_id=first.id,
            other_supplier_id=second.id if second and keep_second_id else None,
            supplier_name=first.name,
            other_name=second.name if second else None,
            names=names,
            decided_by=by,
            decided_at=now,
            reason=reason,
        )
    )


def set_pair_status(connection: Connection, first: int, second: int, status: str, reason: str, now: datetime) -> None:
    low, high = sorted((first, second))
    row = {"supplier_id": low, "other_supplier_id": high, "score": 0.0, "reason": reason, "status": status,
           "found_at": now}  # fmt: skip
    upsert(connection, candidates, [row], ["supplier_id", "other_supplier_id"], update=["status"])


def merge(connection: Connection, keep_id: int, other_id: int, by: str, reason: str | None = None,
          now: datetime | None = None) -> None:  # fmt: skip
    """Fold `other_id` into `keep_id`: its names, identifiers, contracts, actions and incidents move over."""
    now = now or utcnow()
    keep, other = supplier(connection, keep_id), supplier(connection, other_id)
    if keep.id == other.id:
        raise DecisionRefused("a supplier cannot be merged with itself")
    if keep.company_number and other.company_number and keep.company_number != other.company_number:
        raise DecisionRefused(
            f"#{keep.id} and #{other.id} have different company numbers ({keep.company_number}, "
            f"{other.company_number}): they are separate legal entities. To read them together, put them in "
            f"one group: watchdog suppliers group #{other.id} #{keep.id}"
        )
    if other.id in (current_group(connection, keep.id), keep.id) or keep.id == current_group(connection, other.id):
        raise DecisionRefused("a supplier cannot be merged with its own group's parent: ungroup it first")
    moved_names = sorted({other.name, *names_of(connection, other.id)})
    kept_names = select(aliases.c.name).where(aliases.c.supplier_id == keep.id)
    connection.execute(
        update(aliases).where(aliases.c.supplier_id == other.id, aliases.c.name.not_in(kept_names))
        .values(supplier_id=keep.id)
    )  # fmt: skip
    connection.execute(update(identifiers).where(identifiers.c.supplier_id == other.id).values(supplier_id=keep.id))
    kept_contracts = select(links.c.contract_id).where(links.c.supplier_id == keep.id)
    both_won = select(links.c.contract_id).where(
        links.c.supplier_id == other.id, links.c.contract_id.in_(kept_contracts)
    )
    contracts = Contract.__table__  # an award that named both now names one supplier fewer
    connection.execute(
        update(contracts).where(contracts.c.id.in_(both_won), contracts.c.suppliers_count > 1)
        .values(suppliers_count=contracts.c.suppliers_count - 1)
    )  # fmt: skip
    connection.execute(
        update(links).where(links.c.supplier_id == other.id, links.c.contract_id.not_in(kept_contracts))
        .values(supplier_id=keep.id)
    )  # fmt: skip
    for table in (EnforcementAction.__table__, Incident.__table__):
        connection.execute(update(table).where(table.c.supplier_id == other.id).values(supplier_id=keep.id))
    if current_group(connection, keep.id) is None and (group := current_group(connection, other.id)):
        join_group(connection, keep.id, group, now, note=f"from #{other.id}, merged")
    members = select(memberships.c.supplier_id).where(
        memberships.c.group_id == other.id, memberships.c.ended_on.is_(None)
    )
    for member in connection.scalars(members).all():
        leave_group(connection, member, now.date())
        join_group(connection, member, keep.id, now, note=f"member of #{other.id}, merged")
    rejected = connection.execute(
        select(candidates.c.supplier_id, candidates.c.other_supplier_id).where(
            candidates.c.status == "rejected",
            (candidates.c.supplier_id == other.id) | (candidates.c.other_supplier_id == other.id),
        )
    ).all()
    for pair in rejected:
        third = pair.other_supplier_id if pair.supplier_id == other.id else pair.supplier_id
        if third != keep.id:  # "not the same as X" still holds for the supplier kept
            set_pair_status(connection, keep.id, third, "rejected", f"rejected before #{other.id} was merged", now)
    connection.execute(delete(suppliers).where(suppliers.c.id == other.id))
    if other.company_number and not keep.company_number:
        connection.execute(
            update(suppliers).where(suppliers.c.id == keep.id).values(company_number=other.company_number)
        )
    names = {"names": moved_names, "company_number": other.company_number}
    log(connection, "merge", keep, other, by, reason, now, names, keep_second_id=False)
    refresh_awards_of(connection, [keep.id])


def split(connection: Connection, supplier_id: int, names: list[str], by: str, reason: str | None = None,
          now: datetime | None = None) -> int:  # fmt: skip
    """Move names (and every spelling of them) and the contracts published under them to a new supplier."""
    now = now or utcnow()
    source = supplier(connection, supplier_id)
    keys = {name_key(name) for name in names}
    if source.name_key in keys:
        raise DecisionRefused(f"{source.name!r} is #{source.id}'s own name: split off its other names instead")
    spellings = [n for n in names_of(connection, source.id) if name_key(n) in keys]
    if not spellings:
        raise DecisionRefused(f"#{source.id} is known by no such name; its names: {names_of(connection, source.id)}")
    new_id = connection.execute(
        insert(suppliers)
        .values(name=spellings[0], name_key=name_key(spellings[0]), first_seen_at=now, last_seen_at=now)
        .returning(suppliers.c.id)
    ).scalar_one()
    connection.execute(
        update(aliases)
        .where(aliases.c.supplier_id == source.id, aliases.c.name.in_(spellings))
        .values(supplier_id=new_id)
    )
    connection.execute(
        update(links).where(links.c.supplier_id == source.id, links.c.name_as_published.in_(spellings))
        .values(supplier_id=new_id)
    )  # fmt: skip
    new = supplier(connection, new_id)
    set_pair_status(connection, source.id, new.id, "rejected", "split by a person", now)
    log(connection, "split", source, new, by, reason, now, {"names": spellings})
    refresh_awards_of(connection, [source.id, new_id])
    return new_id


def reject(connection: Connection, first_id: int, second_id: int, by: str, reason: str | None = None,
           now: datetime | None = None) -> None:  # fmt: skip
    """Record that two suppliers are not the same, so they are never offered together again."""
    now = now or utcnow()
    first, second = supplier(connection, first_id), supplier(connection, second_id)
    set_pair_status(connection, first.id, second.id, "rejected", "rejected by a person", now)
    log(connection, "reject", first, second, by, reason, now)


def group(connection: Connection, child_id: int, parent_id: int, by: str, reason: str | None = None,
          now: datetime | None = None) -> None:  # fmt: skip
    now = now or utcnow()
    child, parent = supplier(connection, child_id), supplier(connection, parent_id)
    if not join_group(connection, child.id, parent.id, now, note=f"by {by}"):
        raise DecisionRefused(f"{child.name} is already in {parent.name}'s group (or is its parent)")
    log(connection, "group", child, parent, by, reason, now)


def ungroup(connection: Connection, child_id: int, by: str, reason: str | None = None,
            now: datetime | None = None) -> None:  # fmt: skip
    now = now or utcnow()
    child = supplier(connection, child_id)
    parent_id = current_group(connection, child.id)
    if parent_id is None:
        raise DecisionRefused(f"{child.name} is in no group")
    leave_group(connection, child.id, now.date())
    log(connection, "ungroup", child, supplier(connection, parent_id), by, reason, now)


def holders_of(connection: Connection, keys: set[str]) -> set[int]:
    """Suppliers known by any of these name keys, as their own name or an alias."""
    own = select(suppliers.c.id).where(suppliers.c.name_key.in_(keys))
    aliased = select(aliases.c.supplier_id).where(aliases.c.name_key.in_(keys))
    return set(connection.scalars(own.union(aliased)))


def apply_merges_again(connection: Connection) -> int:
    """Merge again any supplier a crawl created under a name a person had merged away (and not split off
    since). Returns how many."""
    again = 0
    rows = connection.execute(
        select(decisions.c.id, decisions.c.action, decisions.c.supplier_id, decisions.c.names)
        .where(decisions.c.action.in_(("merge", "split")))
        .order_by(decisions.c.id)
    ).all()
    for position, (decision_id, action, keep_id, moved) in enumerate(rows):
        if action != "merge" or keep_id is None:
            continue
        split_later = {name_key(n) for later in rows[position + 1 :] if later.action == "split"
                       for n in (later.names or {}).get("names", [])}  # fmt: skip
        keys = {name_key(name) for name in (moved or {}).get("names", [])} - split_later
        for stray in sorted(holders_of(connection, keys) - {keep_id}):
            if supplier(connection, stray).company_number in (None, (moved or {}).get("company_number")):
                merge(connection, keep_id, stray, by=f"watchdog, applying decision {decision_id} again")
                again += 1
    return again


def find_by_name(connection: Connection, name: str) -> int | None:
    found = holders_of(connection, {name_key(name)})
    return found.pop() if len(found) == 1 else None


def apply_groups_file(connection: Connection, path: Path, now: datetime) -> int:
    """Put the suppliers named in a groups file in their groups; the parent is created if never seen."""
    joined = 0
    for entry in read_groups_file(path):
        members = [m for m in (find_by_name(connection, name) for name in entry.members) if m is not None]
        if not members:
            continue
        holders = holders_of(connection, {name_key(entry.parent)})
        if len(holders) > 1:
            logger.warning(
                "groups file %s: %r names %d suppliers; that group is skipped", path, entry.parent, len(holders)
            )
            continue
        parent = holders.pop() if holders else None
        if parent is None:
            parent = connection.execute(
                insert(suppliers)
                .values(name=entry.parent, name_key=name_key(entry.parent), first_seen_at=now, last_seen_at=now)
                .returning(suppliers.c.id)
            ).scalar_one()
        joined += sum(
            join_group(connection, member, parent, now, note=f"groups file {path.name}") for member in members
        )
    return joined


def refresh_candidates(connection: Connection, now: datetime, since: datetime | None = None) -> int:
    """Offer for review every pair that may be one supplier and was never offered; with `since`, only pairs
    with a supplier first seen since then. Returns how many pairs are new."""
    columns = (suppliers.c.id, suppliers.c.name, suppliers.c.name_key, suppliers.c.company_number)
    index = NameIndex(Entity(*row) for row in connection.execute(select(*columns)))
    among = None
    if since is not None:
        among = set(connection.scalars(select(suppliers.c.id).where(suppliers.c.first_seen_at >= since)))
    known = {tuple(row) for row in connection.execute(select(candidates.c.supplier_id, candidates.c.other_supplier_id))}
    fresh = {
        (pair.supplier_id, pair.other_id): {
            "supplier_id": pair.supplier_id,
            "other_supplier_id": pair.other_id,
            "score": pair.score,
            "reason": pair.reason,
            "status": "open",
            "found_at": now,
        }
        for pair in index.candidate_pairs(among)
        if (pair.supplier_id, pair.other_id) not in known
    }
    upsert(connection, candidates, list(fresh.values()), ["supplier_id", "other_supplier_id"])
    return len(fresh)


def groups_files() -> list[Path]:
    own = os.environ.get(GROUPS_FILE_VARIABLE)
    return [GROUPS_FILE, *([Path(own)] if own else [])]


def after_crawl(engine: Engine, since: datetime | None = None) -> dict[str, int]:
    """What runs after every crawl and ingest: decisions applied again, groups files, and candidates for
    review among the suppliers first seen since the crawl started (`since`; all suppliers if None)."""
    now = utcnow()
    with engine.begin() as connection:
        counts = {"merged_again": apply_merges_again(connection)}
        counts["joined_groups"] = sum(apply_groups_file(connection, path, now) for path in groups_files())
        counts["new_candidates"] = refresh_candidates(connection, now, since)
    return counts


def open_candidates(connection: Connection, limit: int) -> list[dict]:
    """The open review queue, most alike first, with the evidence for each pair."""
    pairs = connection.execute(
        select(candidates).where(candidates.c.status == "open")
        .order_by(candidates.c.score.desc(), candidates.c.id).limit(limit)
    ).mappings().all()  # fmt: skip
    return [dict(pair, first=evidence(connection, pair["supplier_id"]),
                 second=evidence(connection, pair["other_supplier_id"]),
                 shared_buyers=shared_buyers(connection, pair["supplier_id"], pair["other_supplier_id"]))
            for pair in pairs]  # fmt: skip


def evidence(connection: Connection, supplier_id: int) -> dict:
    row = supplier(connection, supplier_id)
    schemes = connection.execute(
        select(identifiers.c.scheme, identifiers.c.identifier).where(identifiers.c.supplier_id == supplier_id)
    ).all()
    contracts = connection.scalar(select(func.count()).where(links.c.supplier_id == supplier_id))
    return {"id": row.id, "name": row.name, "company_number": row.company_number,
            "names": names_of(connection, supplier_id), "identifiers": [f"{s}-{i}" for s, i in schemes],
            "contracts": contracts}  # fmt: skip


def shared_buyers(connection: Connection, first: int, second: int) -> list[str]:
    contracts, buyers = Contract.__table__, Buyer.__table__

    def buyers_of(supplier_id: int):
        return (
            select(buyers.c.name)
            .join(contracts, contracts.c.buyer_id == buyers.c.id)
            .join(links, links.c.contract_id == contracts.c.id)
            .where(links.c.supplier_id == supplier_id)
        )

    return sorted(connection.scalars(buyers_of(first).intersect(buyers_of(second))))


def resolve_reference(connection: Connection, reference: str) -> int:
    """A supplier named on the command line: #id, a company number, or a name (exactly one must match)."""
    if reference.startswith("#") and reference[1:].isdigit():
        return supplier(connection, int(reference[1:])).id
    matches = find_suppliers(connection, reference)
    if len(matches) != 1:
        listing = "; ".join(f"#{m.supplier_id} {m.name}" for m in matches[:10]) or "none"
        raise DecisionRefused(f"{reference!r} names {len(matches)} suppliers ({listing}); use #id")
    return matches[0].supplier_id
