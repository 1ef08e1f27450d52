"""Which award rows are current: one row per real award, so no total counts a procurement twice.

Rows are never deleted (history is evidence); a row that another replaces is marked `superseded_by`, with
the reason, and every total and supplier_events leave it out. Two kinds of row are replaced:

- awarded: the row a procurement gets from its tender notice, once any award of it is known;
- republished: an award published again under a new award id, as buyers on Contracts Finder do minutes after
  the first notice: the same procurement, the same suppliers (or the same and more), the same award date,
  first published within a day of each other, a value equal or a power of ten apart (a misplaced decimal
  point), and never named side by side in one release (two lots of one notice are two awards). The later
  publication replaces the earlier.

OCDS merges awards by id across a procurement's releases, and a release names only its own notice's awards,
so an award that a later release does not mention has not gone away: nothing here reads its absence.
A person's decisions (contract_decisions: keep_both, supersede) override the rule for their pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, select, update

from watchdog.models import Contract, ContractDecision, ContractRelease, ContractSupplier
from watchdog.upsert import LOOKUP_CHUNK

contracts = Contract.__table__
releases = ContractRelease.__table__
links = ContractSupplier.__table__
decisions = ContractDecision.__table__

REPUBLISHED_WITHIN = timedelta(days=1)
DECIMAL_SLIPS = tuple(Decimal(10) ** power for power in range(1, 10))


@dataclass
class AwardRow:
    id: int
    award_id: str
    awarded_on: date | None
    value: Decimal | None
    first_published: datetime | None
    suppliers: frozenset[int]
    release_ids: frozenset[str]


def penny(value) -> Decimal | None:
    """A stored value as an exact sum (SQLite hands back floats)."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def same_sum_or_slipped_point(first: Decimal | None, second: Decimal | None) -> bool:
    if first is None or second is None:
        return first is None and second is None
    if first == second:
        return True
    low, high = sorted((first, second))
    return low > 0 and any(low * factor == high for factor in DECIMAL_SLIPS)


def republishes(later: AwardRow, earlier: AwardRow) -> bool:
    """Whether `later` is the same award as `earlier` published again under a new id."""
    return (
        bool(earlier.suppliers)
        and later.suppliers >= earlier.suppliers
        and earlier.awarded_on is not None
        and later.awarded_on == earlier.awarded_on
        and earlier.first_published is not None
        and later.first_published is not None
        and abs(later.first_published - earlier.first_published) <= REPUBLISHED_WITHIN
        and not (later.release_ids & earlier.release_ids)
        and same_sum_or_slipped_point(later.value, earlier.value)
    )


def publication_order(row: AwardRow) -> tuple:
    return (row.first_published is None, row.first_published or datetime.max, row.id)


def replacements(rows: list[AwardRow], kept_apart: set[frozenset[int]], said: dict[int, int]) -> dict[int, tuple]:
    """Each replaced award row's (replacement id, reason): a person's word first, then the rule, the earliest
    later publication replacing."""
    found: dict[int, tuple] = {old: (new, "person") for old, new in said.items()}
    ordered = sorted(rows, key=publication_order)
    for position, earlier in enumerate(ordered):
        if earlier.id in found:
            continue
        for later in ordered[position + 1 :]:
            if frozenset((earlier.id, later.id)) not in kept_apart and republishes(later, earlier):
                found[earlier.id] = (later.id, "republished")
                break
    return found


def refresh_awards(connection: Connection, ocids: Iterable[str] | None = None) -> int:
    """Mark which rows of these procurements (all, if None) are superseded, and by what. Returns how many
    rows changed."""
    if ocids is None:
        wanted = list(connection.scalars(select(contracts.c.ocid).distinct().order_by(contracts.c.ocid)))
    else:
        wanted = sorted(set(ocids))
    changed = 0
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        changed += refresh_chunk(connection, wanted[start : start + LOOKUP_CHUNK])
    return changed


def refresh_chunk(connection: Connection, ocids: list[str]) -> int:
    rows = connection.execute(
        select(
            contracts.c.id, contracts.c.ocid, contracts.c.award_id, contracts.c.awarded_on, contracts.c.basis,
            contracts.c.initial_value, contracts.c.initial_value_gross, contracts.c.published_at,
            contracts.c.superseded_by, contracts.c.superseded_reason,
        ).where(contracts.c.ocid.in_(ocids))
    ).all()  # fmt: skip
    ids = [row.id for row in rows]
    suppliers, release_ids, first_release = defaultdict(set), defaultdict(set), {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        for contract_id, supplier_id in connection.execute(
            select(links.c.contract_id, links.c.supplier_id).where(links.c.contract_id.in_(chunk))
        ):
            suppliers[contract_id].add(supplier_id)
        for contract_id, release_id, release_at in connection.execute(
            select(releases.c.contract_id, releases.c.release_id, releases.c.release_at).where(
                releases.c.contract_id.in_(chunk)
            )
        ):
            release_ids[contract_id].add(release_id)
            if release_at is not None and (contract_id not in first_release or release_at < first_release[contract_id]):
                first_release[contract_id] = release_at
    kept_apart, said = person_decisions(connection, ids)

    by_ocid: dict[str, list] = defaultdict(list)
    for row in rows:
        by_ocid[row.ocid].append(row)
    wanted: dict[int, tuple] = {}
    for group in by_ocid.values():
        awards = [
            AwardRow(
                row.id, row.award_id, row.awarded_on, penny(coalesce(row.initial_value, row.initial_value_gross)),
                first_release.get(row.id) or row.published_at, frozenset(suppliers[row.id]),
                frozenset(release_ids[row.id]),
            )
            for row in group if row.award_id and row.basis == "official"
        ]  # fmt: skip
        replaced = replacements(awards, kept_apart, said)
        wanted.update(replaced)
        current = sorted(award.id for award in awards if award.id not in replaced)
        for row in group:
            if not row.award_id and row.basis == "official" and current:
                wanted[row.id] = (current[0], "awarded")
    changed = 0
    for row in rows:
        target = wanted.get(row.id, (None, None))
        if (row.superseded_by, row.superseded_reason) != target:
            connection.execute(
                update(contracts)
                .where(contracts.c.id == row.id)
                .values(superseded_by=target[0], superseded_reason=target[1])
            )
            changed += 1
    return changed


def coalesce(*values):
    return next((value for value in values if value is not None), None)


def person_decisions(connection: Connection, ids: list[int]) -> tuple[set[frozenset[int]], dict[int, int]]:
    """The pairs a person kept apart, and the rows a person said another replaces (the latest word on a pair
    counts)."""
    kept_apart: set[frozenset[int]] = set()
    said: dict[int, int] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        query = (
            select(decisions.c.action, decisions.c.contract_id, decisions.c.other_contract_id)
            .where(decisions.c.contract_id.in_(chunk))
            .order_by(decisions.c.decided_at, decisions.c.id)
        )
        for action, first, second in connection.execute(query):
            pair = frozenset((first, second))
            if action == "keep_both":
                kept_apart.add(pair)
                if said.get(first) == second:
                    del said[first]
            else:
                kept_apart.discard(pair)
                said[first] = second
    return kept_apart, said


class ContractDecisionRefused(ValueError):
    """A decision on two award rows that cannot stand, with the reason."""


def decide(
    connection: Connection, action: str, contract_id: int, other_id: int, *, by: str, reason: str | None, now: datetime
) -> None:
    """Log a person's word on two award rows of one procurement (keep_both, or supersede: `contract_id` is
    replaced by `other_id`) and apply it at once."""
    rows = {
        row.id: row
        for row in connection.execute(
            select(contracts.c.id, contracts.c.ocid, contracts.c.award_id).where(
                contracts.c.id.in_((contract_id, other_id))
            )
        )
    }
    for wanted in (contract_id, other_id):
        if wanted not in rows:
            raise ContractDecisionRefused(f"there is no contract #{wanted}")
    if contract_id == other_id:
        raise ContractDecisionRefused("a contract cannot replace itself")
    if rows[contract_id].ocid != rows[other_id].ocid:
        raise ContractDecisionRefused("the two rows are awards of different procurements: they were never one award")
    if not (rows[contract_id].award_id and rows[other_id].award_id):
        raise ContractDecisionRefused("a row made before award is replaced by its procurement's award, not by hand")
    connection.execute(
        decisions.insert().values(
            action=action, contract_id=contract_id, other_contract_id=other_id, decided_by=by, decided_at=now,
            reason=reason,
        )
    )  # fmt: skip
    refresh_awards(connection, [rows[contract_id].ocid])


def superseded_rows(connection: Connection, limit: int) -> list[dict]:
    """Award rows replaced by a republication or a person, newest first, beside the rows that replaced them."""
    new = contracts.alias("new")
    query = (
        select(
            contracts.c.id, contracts.c.ocid, contracts.c.award_id, contracts.c.initial_value,
            contracts.c.superseded_reason, new.c.id.label("by_id"), new.c.award_id.label("by_award_id"),
            new.c.initial_value.label("by_value"), contracts.c.currency, contracts.c.awarded_on,
        )
        .join(new, new.c.id == contracts.c.superseded_by)
        .where(contracts.c.superseded_reason != "awarded")
        .order_by(contracts.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [dict(row) for row in connection.execute(query).mappings()]


def refresh_awards_of(connection: Connection, supplier_ids: Iterable[int]) -> int:
    """Work out again which rows are current in the procurements these suppliers won: a merge or a split
    changes who won what, and so which awards are one award published twice."""
    won = select(contracts.c.ocid).join(links, links.c.contract_id == contracts.c.id)
    ocids = connection.scalars(won.where(links.c.supplier_id.in_(list(supplier_ids))).distinct()).all()
    return refresh_awards(connection, ocids)
