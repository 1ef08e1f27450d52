"""A person's judgement on supplier identity: merge, split, reject, group, and the review queue.

Every decision is logged in `supplier_decisions` with who, when and why. Decisions last: a merge moves the
merged supplier's names onto the one kept, so the resolver sends those names there on every later crawl;
a split moves names onto a new supplier the same way; a rejected pair is never offered again, and a rejected
name group (the suppliers sharing one name) only when a new supplier of that name appears. After every
crawl `after_crawl` applies the merges again (in case a crawl running at the same time brought a merged
name back), applies the groups file, and looks for what may be one supplier among the new suppliers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, Engine, Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from watchdog.database.awards import refresh_awards_of
from watchdog.database.db import in_transaction
from watchdog.database.models import (
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
    SupplierNameGroupMember,
    SupplierNameWord,
)
from watchdog.database.record import find_suppliers
from watchdog.database.totals import touch, touch_placement
from watchdog.database.upsert import LOOKUP_CHUNK, upsert
from watchdog.identity.groups import GROUPS_FILE, current_group, join_group, leave_group, read_groups_file
from watchdog.identity.matching import (
    DIFFERENT_NUMBERS,
    SAME_NAME,
    Entity,
    NameIndex,
    block_words,
    common_word_limit,
    full_key_of,
    name_words,
)
from watchdog.normalise.dates import utcnow
from watchdog.normalise.names import name_key

suppliers = Supplier.__table__
aliases = SupplierAlias.__table__
identifiers = SupplierIdentifier.__table__
candidates = SupplierMatchCandidate.__table__
group_members = SupplierNameGroupMember.__table__
supplier_words = SupplierNameWord.__table__
decisions = SupplierDecision.__table__
memberships = GroupMembership.__table__
links = ContractSupplier.__table__
GROUPS_FILE_VARIABLE = "WATCHDOG_GROUPS_FILE"
EXAMINED_CHUNK = 10_000  # suppliers examined at a time: their blocks, not every supplier, are what is in memory
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
    touch(connection, [keep.id])  # what the other won becomes the kept one's, and leaves the other's group
    touch_placement(connection, [current_group(connection, other.id)])
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
    new_key = name_key(spellings[0])
    holder = connection.scalar(
        select(suppliers.c.id).where(suppliers.c.name_key == new_key, suppliers.c.company_number.is_(None))
    )
    if holder is not None:
        raise DecisionRefused(f"{spellings[0]!r} is already the name of #{holder}: merge the names there instead")
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
    touch(connection, [source.id, new_id])
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


def reject_name_group(connection: Connection, reference: str, by: str, reason: str | None = None,
                      now: datetime | None = None) -> list[int]:  # fmt: skip
    """Record that the suppliers sharing a name (one of them, or the name) are all different entities: their name
    group is not offered again until another supplier of that name appears. Returns their ids."""
    now = now or utcnow()
    key = name_group_key(connection, reference)
    members = suppliers_named(connection, key)
    if len(members) < 2:
        raise DecisionRefused(f"no other supplier has the name of {reference!r}: to reject a pair, name both")
    offer_name_groups(connection, [key], now)  # lists every member, and offers the group if no run has yet
    connection.execute(update(candidates).where(candidates.c.name_key == key).values(status="rejected"))
    log(connection, "reject", supplier(connection, members[0]), None, by, reason, now,
        {"name_key": key, "suppliers": members})  # fmt: skip
    return members


def name_group_key(connection: Connection, reference: str) -> str:
    """The name key of a name group named on the command line: by one of its suppliers, or by the name."""
    if reference.startswith("#") and reference[1:].isdigit():
        return supplier(connection, int(reference[1:])).name_key
    try:
        return supplier(connection, resolve_reference(connection, reference)).name_key
    except DecisionRefused:  # a name several suppliers share
        return name_key(reference)


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
            touch(connection, [parent])
        joined += sum(
            join_group(connection, member, parent, now, note=f"groups file {path.name}") for member in members
        )
    return joined


def suppliers_to_examine(connection: Connection, since: datetime | None) -> list[int]:
    """Every supplier without `since`; with it, those first seen since then, and those above the highest one in
    the word index (made by a split, or by a run whose review failed)."""
    if since is None:
        return list(connection.scalars(select(suppliers.c.id).order_by(suppliers.c.id)))
    indexed_up_to = select(func.coalesce(func.max(supplier_words.c.supplier_id), 0)).scalar_subquery()
    new = select(suppliers.c.id).where(suppliers.c.first_seen_at >= since)
    not_indexed = select(suppliers.c.id).where(suppliers.c.id > indexed_up_to)
    return sorted(connection.scalars(new.union(not_indexed)))


def refresh_candidates(connection: Connection, now: datetime, since: datetime | None = None) -> int:
    """Offer for review what may be one supplier and was never offered, among the suppliers to examine: each
    name several suppliers share, as one name group, and pairs of alike names. Only those suppliers' blocks are
    read. Returns how many items are new or offered again."""
    examined = suppliers_to_examine(connection, since)
    if not examined:
        return 0
    for chunk in chunks(examined, EXAMINED_CHUNK):  # all are indexed first: they may be in each other's blocks
        index_words(connection, entities_of(connection, chunk))
    limit = common_word_limit(connection.scalar(select(func.count()).select_from(suppliers)))
    offered = 0
    for chunk in chunks(examined, EXAMINED_CHUNK):
        entities = entities_of(connection, chunk)
        for keys in chunks(sorted({entity.key for entity in entities}), LOOKUP_CHUNK):
            offered += offer_name_groups(connection, keys, now)
        offered += offer_similar_pairs(connection, entities, limit, now)
    return offered


def chunks(items: list, size: int) -> Iterator[list]:
    return (items[start : start + size] for start in range(0, len(items), size))


def entities_of(connection: Connection, ids: list[int]) -> list[Entity]:
    in_chunks = (suppliers.c.id.in_(chunk) for chunk in chunks(ids, LOOKUP_CHUNK))
    return [entity for condition in in_chunks for entity in entities_where(connection, condition)]


def entities_where(connection: Connection, condition: ColumnElement[bool]) -> list[Entity]:
    columns = (suppliers.c.id, suppliers.c.name, suppliers.c.name_key, suppliers.c.company_number)
    return [Entity(*row) for row in connection.execute(select(*columns).where(condition))]


def index_words(connection: Connection, entities: list[Entity]) -> None:
    rows = [{"word": word, "supplier_id": entity.supplier_id} for entity in entities
            for word in name_words(entity.key, full_key_of(entity.name, entity.key))]  # fmt: skip
    upsert(connection, supplier_words, rows, ["word", "supplier_id"])


def insert_new(connection: Connection, table: Table, rows: list[dict], key: list[str]) -> int:
    """Insert the rows whose key is not there yet, leaving the others to the database; how many were new."""
    if not rows:
        return 0
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=key).returning(table.c.id)
    return len(connection.execute(statement, rows).all())


def name_group_reason(numbers: list[str | None]) -> str:
    return DIFFERENT_NUMBERS if all(numbers) else SAME_NAME


def offer_name_groups(connection: Connection, keys: Collection[str], now: datetime) -> int:
    """Offer each of these names that several suppliers share as one name group, listing its members; a group
    a person rejected is offered again when a member it did not list has joined. Returns how many groups are new
    or offered again."""
    members: dict[str, list[tuple[int, str | None]]] = {}
    holders = select(suppliers.c.name_key, suppliers.c.id, suppliers.c.company_number)
    for key, supplier_id, number in connection.execute(holders.where(suppliers.c.name_key.in_(keys))):
        members.setdefault(key, []).append((supplier_id, number))
    shared = {key: group for key, group in members.items() if len(group) > 1}
    if not shared:
        return 0
    new_groups = [{"name_key": key, "score": 100.0, "reason": name_group_reason([n for _, n in group]),
                   "status": "open", "found_at": now} for key, group in shared.items()]  # fmt: skip
    offered = insert_new(connection, candidates, new_groups, ["name_key"])
    groups = connection.execute(
        select(candidates.c.id, candidates.c.name_key, candidates.c.status, candidates.c.reason).where(
            candidates.c.name_key.in_(shared)
        )
    ).all()
    listed = {
        tuple(row)
        for row in connection.execute(
            select(group_members.c.candidate_id, group_members.c.supplier_id).where(
                group_members.c.candidate_id.in_([group.id for group in groups])
            )
        )
    }
    joined = []
    for group in groups:
        joining = [supplier_id for supplier_id, _ in shared[group.name_key] if (group.id, supplier_id) not in listed]
        if not joining:
            continue
        joined += [{"candidate_id": group.id, "supplier_id": supplier_id} for supplier_id in joining]
        reason = name_group_reason([number for _, number in shared[group.name_key]])
        changes = {"reason": reason} if reason != group.reason else {}
        if group.status == "rejected":
            changes |= {"status": "open", "found_at": now}
            offered += 1
        if changes:
            connection.execute(update(candidates).where(candidates.c.id == group.id).values(**changes))
    upsert(connection, group_members, joined, ["candidate_id", "supplier_id"])
    return offered


def offer_similar_pairs(connection: Connection, entities: list[Entity], common_limit: int, now: datetime) -> int:
    """Offer the pairs of alike names these suppliers are in, scored against their blocks read from the word
    index; words in more than `common_limit` suppliers make no block. Returns how many pairs are new."""
    full_keys = {entity.supplier_id: full_key_of(entity.name, entity.key) for entity in entities}
    own_words = sorted({word for e in entities for word in name_words(e.key, full_keys[e.supplier_id])})
    word_column = supplier_words.c.word
    common = set()
    for chunk in chunks(own_words, LOOKUP_CHUNK):
        counted = select(word_column).where(word_column.in_(chunk)).group_by(word_column)
        common.update(connection.scalars(counted.having(func.count() > common_limit)))
    wanted = sorted({word for e in entities for word in block_words(f"{e.key} {full_keys[e.supplier_id]}", common)})
    block = {entity.supplier_id: entity for entity in entities}
    for chunk in chunks(wanted, LOOKUP_CHUNK):
        holders = select(supplier_words.c.supplier_id).where(word_column.in_(chunk))
        block.update((e.supplier_id, e) for e in entities_where(connection, suppliers.c.id.in_(holders)))
    index = NameIndex(block.values(), common)
    pairs = [{"supplier_id": pair.supplier_id, "other_supplier_id": pair.other_id, "score": pair.score,
              "reason": pair.reason, "status": "open", "found_at": now}
             for pair in index.candidate_pairs([e.supplier_id for e in entities], same_name=False)]  # fmt: skip
    return insert_new(connection, candidates, pairs, ["supplier_id", "other_supplier_id"])


def groups_files() -> list[Path]:
    own = os.environ.get(GROUPS_FILE_VARIABLE)
    return [GROUPS_FILE, *([Path(own)] if own else [])]


def after_crawl(engine: Engine, since: datetime | None = None) -> dict[str, int]:
    """What runs after every crawl and ingest: decisions applied again, groups files, and candidates for
    review among the suppliers first seen since the crawl started (`since`; all suppliers if None)."""
    now = utcnow()

    def apply(connection: Connection) -> dict[str, int]:
        counts = {"merged_again": apply_merges_again(connection)}
        counts["joined_groups"] = sum(apply_groups_file(connection, path, now) for path in groups_files())
        counts["new_candidates"] = refresh_candidates(connection, now, since)
        return counts

    return in_transaction(engine, apply)


def open_candidates(connection: Connection, limit: int) -> list[dict]:
    """The open review queue, most alike first: each pair, and each name group of several suppliers still, with
    the evidence for its suppliers (`members`) and the buyers more than one of them supplied."""
    holders = select(func.count()).where(suppliers.c.name_key == candidates.c.name_key).scalar_subquery()
    items = connection.execute(
        select(candidates).where(candidates.c.status == "open", or_(candidates.c.name_key.is_(None), holders > 1))
        .order_by(candidates.c.score.desc(), candidates.c.id).limit(limit)
    ).mappings().all()  # fmt: skip
    queue = []
    for item in items:
        ids = members_of(connection, item)
        members = [evidence(connection, supplier_id) for supplier_id in ids]
        queue.append(dict(item, members=members, shared_buyers=shared_buyers(connection, ids)))
    return queue


def members_of(connection: Connection, item) -> list[int]:
    """A pair's two suppliers, or the suppliers of a name group's name now."""
    if item["name_key"] is None:
        return [item["supplier_id"], item["other_supplier_id"]]
    return suppliers_named(connection, item["name_key"])


def suppliers_named(connection: Connection, key: str) -> list[int]:
    return list(connection.scalars(select(suppliers.c.id).where(suppliers.c.name_key == key).order_by(suppliers.c.id)))


def evidence(connection: Connection, supplier_id: int) -> dict:
    row = supplier(connection, supplier_id)
    schemes = connection.execute(
        select(identifiers.c.scheme, identifiers.c.identifier).where(identifiers.c.supplier_id == supplier_id)
    ).all()
    contracts = connection.scalar(select(func.count()).where(links.c.supplier_id == supplier_id))
    return {"id": row.id, "name": row.name, "company_number": row.company_number,
            "names": names_of(connection, supplier_id), "identifiers": [f"{s}-{i}" for s, i in schemes],
            "contracts": contracts}  # fmt: skip


def shared_buyers(connection: Connection, supplier_ids: list[int]) -> list[str]:
    """The buyers more than one of these suppliers supplied."""
    contracts, buyers = Contract.__table__, Buyer.__table__
    return list(
        connection.scalars(
            select(buyers.c.name)
            .join(contracts, contracts.c.buyer_id == buyers.c.id)
            .join(links, links.c.contract_id == contracts.c.id)
            .where(links.c.supplier_id.in_(supplier_ids))
            .group_by(buyers.c.name)
            .having(func.count(links.c.supplier_id.distinct()) > 1)
            .order_by(buyers.c.name)
        )
    )


def resolve_reference(connection: Connection, reference: str) -> int:
    """A supplier named on the command line: #id, a company number, or a name (exactly one must match)."""
    if reference.startswith("#") and reference[1:].isdigit():
        return supplier(connection, int(reference[1:])).id
    matches = find_suppliers(connection, reference)
    if len(matches) != 1:
        listing = "; ".join(f"#{m.supplier_id} {m.name}" for m in matches[:10]) or "none"
        raise DecisionRefused(f"{reference!r} names {len(matches)} suppliers ({listing}); use #id")
    return matches[0].supplier_id
