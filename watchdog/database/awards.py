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

from sqlalchemy import Connection, bindparam, func, select, update

from watchdog.database.models import Contract, ContractDecision, ContractRelease, ContractSupplier
from watchdog.database.readonly import exact_money
from watchdog.database.totals import touch
from watchdog.database.upsert import LOOKUP_CHUNK

contracts = Contract.__table__
releases = ContractRelease.__table__
links = ContractSupplier.__table__
decisions = ContractDecision.__table__

REPUBLISHED_WITHIN = timedelta(days=1)
CLOSED_STATUSES = ("cancelled", "unsuccessful")  # an award that did not go ahead is no award to count


@dataclass
class AwardRow:
    id: int
    award_id: str
    awarded_on: date | None
    value: Decimal | None
    first_published: datetime | None
    suppliers: frozenset[int]
    release_ids: frozenset[str]


def same_sum_or_slipped_point(first: Decimal | None, second: Decimal | None) -> bool:
    """Equal sums, or one a power of ten of the other (4,512,650 for 45,126.50); two missing values are no
    evidence either way, so never the same."""
    if first is None or second is None or first <= 0 or second <= 0:
        return False
    return first.normalize().as_tuple().digits == second.normalize().as_tuple().digits


def republishes(later: AwardRow, earlier: AwardRow) -> bool:
    """Whether `later` is the same award as `earlier` published again under a new id."""
    return (
        bool(earlier.suppliers)
        and later.suppliers >= earlier.suppliers
        and earlier.awarded_on is not None
        and later.awarded_on == earlier.awarded_on
        and earlier.first_published is not None
        and later.first_published is not None
        and later.first_published - earlier.first_published <= REPUBLISHED_WITHIN
        and not (later.release_ids & earlier.release_ids)
        and same_sum_or_slipped_point(later.value, earlier.value)
    )


def publication_order(row: AwardRow) -> tuple:
    return (row.first_published is None, row.first_published or datetime.max, row.id)


def replacements(rows: list[AwardRow], vouched: set[int], said: dict[int, int]) -> dict[int, tuple]:
    """Each replaced award row's (replacement id, reason): a person's word first, then the rule, the earliest
    later publication replacing; a row a person vouched for (kept, or named as the replacement) is never
    replaced by the rule."""
    found: dict[int, tuple] = {old: (new, "person") for old, new in said.items()}
    ordered = sorted(rows, key=publication_order)
    for position, earlier in enumerate(ordered):
        if earlier.id in found or earlier.id in vouched or earlier.first_published is None:
            continue
        for later in ordered[position + 1 :]:
            if later.first_published is None or later.first_published - earlier.first_published > REPUBLISHED_WITHIN:
                break  # in publication order: nothing later can be within a day
            if republishes(later, earlier):
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
            func.coalesce(contracts.c.initial_value, contracts.c.initial_value_gross).label("value"),
            contracts.c.published_at,
            contracts.c.superseded_by, contracts.c.superseded_reason, contracts.c.status,
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
    vouched, said = person_decisions(connection, ids)

    by_ocid: dict[str, list] = defaultdict(list)
    for row in rows:
        by_ocid[row.ocid].append(row)
    wanted: dict[int, tuple] = {}
    for group in by_ocid.values():
        awards = [
            AwardRow(
                row.id, row.award_id, row.awarded_on, exact_money(row.value),
                first_release.get(row.id) or row.published_at, frozenset(suppliers[row.id]),
                frozenset(release_ids[row.id]),
            )
            for row in group
            if row.award_id and row.basis == "official" and (row.status or "").lower() not in CLOSED_STATUSES
        ]  # fmt: skip
        replaced = replacements(awards, vouched, said)
        wanted.update(replaced)
        current = sorted(award.id for award in awards if award.id not in replaced)
        for row in group:
            if not row.award_id and row.basis == "official" and current:
                wanted[row.id] = (current[0], "awarded")
    changes = [
        {"row_id": row.id, "by": target[0], "reason": target[1]}
        for row in rows
        if (row.superseded_by, row.superseded_reason) != (target := wanted.get(row.id, (None, None)))
    ]
    if changes:
        touch(connection, {supplier for change in changes for supplier in suppliers[change["row_id"]]})
        statement = (
            update(contracts)
            .where(contracts.c.id == bindparam("row_id"))
            .values(superseded_by=bindparam("by"), superseded_reason=bindparam("reason"))
        )
        connection.execute(statement, changes)
    return len(changes)


def person_decisions(connection: Connection, ids: list[int]) -> tuple[set[int], dict[int, int]]:
    """What people said of these rows, the latest word on each pair (in either order) standing: the rows they
    vouched for as real awards (kept both, or named as the replacement), and the rows they said another
    replaces."""
    latest: dict[frozenset[int], tuple[str, int, int]] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        query = select(decisions.c.decided_at, decisions.c.id, decisions.c.action, decisions.c.contract_id,
                       decisions.c.other_contract_id).where(decisions.c.contract_id.in_(chunk))  # fmt: skip
        for decided_at, decision_id, action, first, second in connection.execute(query):
            pair = frozenset((first, second))
            if pair not in latest or (decided_at, decision_id) > latest[pair][0]:
                latest[pair] = ((decided_at, decision_id), action, first, second)
    vouched: set[int] = set()
    said: dict[int, int] = {}
    for _, action, first, second in latest.values():
        if action == "keep_both":
            vouched |= {first, second}
        else:
            said[first] = second
            vouched.add(second)
    for old in [old for old in said if old in vouched]:  # a row vouched for elsewhere stays current
        del said[old]
    return vouched, said


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


def standing(connection: Connection, ids: list[int]) -> list[tuple[int, int | None]]:
    """Each row and the row that replaces it, if any."""
    query = select(contracts.c.id, contracts.c.superseded_by).where(contracts.c.id.in_(ids)).order_by(contracts.c.id)
    return [tuple(row) for row in connection.execute(query)]


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
