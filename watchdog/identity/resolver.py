"""Which supplier row a name in a source means.

The order is: Companies House number, then another identifier (PPON, charity number...), then the
exact normalised name. Two different company numbers are never merged: a name shared by several
suppliers is ambiguous, so it gets a name-only entity of its own rather than a guess, and
`watchdog suppliers review` offers the pair to a person (watchdog/identity/review.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, union, update
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER

from watchdog.database.models import Supplier, SupplierAlias, SupplierIdentifier
from watchdog.database.upsert import ids_by_key, matching, upsert, upsert_ids
from watchdog.items import SupplierRef
from watchdog.normalise.names import company_number, name_key

suppliers = Supplier.__table__
aliases = SupplierAlias.__table__
identifiers = SupplierIdentifier.__table__
UNREGISTERED = suppliers.c.company_number.is_(None)
# Entries of each of a resolver's memories kept from batch to batch: beyond them, a name or number is looked up again.
REMEMBERED = 10_000
# Writers on PostgreSQL take a transaction advisory lock (two numbers: what it guards, and a hash of the value) on a
# name, company number or other identifier before making a supplier of it.
NAMES, NUMBERS, IDENTIFIERS = 1, 2, 3
LOCK_NEW = text(
    "SELECT pg_advisory_xact_lock(lock.space, lock.hash) FROM unnest(:spaces, :hashes) AS lock(space, hash)"
).bindparams(bindparam("spaces", type_=ARRAY(INTEGER)), bindparam("hashes", type_=ARRAY(INTEGER)))


def lock_hash(value: str) -> int:
    """A value as the signed 32-bit second half of its advisory lock: the same in every process."""
    return zlib.crc32(value.encode()) - 2**31


def lock_new(
    connection: Connection,
    names: Iterable[str] = (),
    numbers: Iterable[str] = (),
    identifiers: Iterable[tuple[str, str]] = (),
) -> None:
    """Before making suppliers of these names, company numbers or identifiers, wait for any other writer making a
    supplier of one of them to commit, so the lookup that follows sees its row (PostgreSQL, where writers run at
    once; on SQLite a writer has the file to itself). The locks are taken in one order in every process, in one
    statement, and held to the end of the transaction."""
    if connection.dialect.name != "postgresql":
        return
    locks = sorted(
        {(NAMES, lock_hash(key)) for key in names}
        | {(NUMBERS, lock_hash(number)) for number in numbers}
        | {(IDENTIFIERS, lock_hash(f"{scheme} {value}")) for scheme, value in identifiers}
    )
    if locks:
        spaces, hashes = zip(*locks, strict=True)
        connection.execute(LOCK_NEW, {"spaces": list(spaces), "hashes": list(hashes)}).all()


class RecentlyUsed:
    """A resolver's memory of one kind, bounded so that a crawl of any length takes flat memory: the entries used
    lately, in two generations. An entry used or written joins the new one; at the end of a batch, a new generation
    of `limit` entries becomes the old one, and the old one is forgotten. Nothing is forgotten during a batch."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.new: dict[Hashable, Any] = {}
        self.old: dict[Hashable, Any] = {}

    def __contains__(self, key: Hashable) -> bool:
        if key in self.new:
            return True
        if key in self.old:
            self.new[key] = self.old.pop(key)
            return True
        return False

    def __getitem__(self, key: Hashable) -> Any:
        if key not in self:
            raise KeyError(key)
        return self.new[key]

    def __len__(self) -> int:
        return len(self.new) + len(self.old)

    def update(self, entries: Mapping[Hashable, Any]) -> None:
        for key, value in entries.items():
            self.old.pop(key, None)
            self.new[key] = value

    def end_batch(self) -> None:
        if len(self.new) >= self.limit:
            self.old, self.new = self.new, {}


def other_identifiers(ref: SupplierRef) -> list[tuple[str, str]]:
    return [(scheme, value) for scheme, value in ref.identifiers.items() if scheme != "GB-COH" and value]


class SupplierResolver:
    """Resolves supplier references to row ids, batch by batch, remembering what it resolved lately (RecentlyUsed):
    what it forgot is looked up again, to the same supplier."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self.remembered = remembered
        self.forget()

    def forget(self) -> None:
        """Drop everything remembered: the transaction it came from was rolled back."""
        self.by_number = RecentlyUsed(self.remembered)  # company number: supplier id
        self.by_identifier = RecentlyUsed(self.remembered)  # (scheme, identifier): supplier id
        self.by_name = RecentlyUsed(self.remembered)  # name key: supplier id
        self.aliases_written = RecentlyUsed(self.remembered)  # (supplier id, name): its name key

    def resolve(
        self, connection: Connection, refs: Sequence[SupplierRef], now: datetime, run_id: int | None = None
    ) -> list[int]:
        """The supplier id each reference means; a supplier made, or given its company number, is marked as
        `run_id`'s doing (the crawl run resolving them)."""
        numbers = [company_number(ref.company_number or ref.identifiers.get("GB-COH")) for ref in refs]
        keys = [name_key(ref.name) or ref.name.strip().lower() for ref in refs]
        first_ref = {}
        for ref, key in zip(refs, keys, strict=False):
            first_ref.setdefault(key, ref)

        ref_of_number = {number: refs[i] for i, number in reversed(list(enumerate(numbers))) if number}
        self._resolve_numbers(connection, {n: keys[i] for i, n in enumerate(numbers) if n}, ref_of_number, now, run_id)
        unnumbered = [i for i, n in enumerate(numbers) if not n]
        self._resolve_identifiers(connection, [pair for i in unnumbered for pair in other_identifiers(refs[i])])
        ids: list[int | None] = [self.by_number[n] if n else None for n in numbers]
        for i in unnumbered:
            ids[i] = self._known_by_identifier(refs[i])
        unknown = [pair for i in unnumbered if ids[i] is None for pair in other_identifiers(refs[i])]
        if unknown:  # another writer may be making a supplier of one of them: wait for it, and look again
            lock_new(connection, identifiers=unknown)
            self._resolve_identifiers(connection, unknown)
            for i in unnumbered:
                ids[i] = ids[i] or self._known_by_identifier(refs[i])
        self._resolve_names(connection, {keys[i] for i in unnumbered if ids[i] is None}, first_ref, now, run_id)
        resolved = [found if found is not None else self.by_name[keys[i]] for i, found in enumerate(ids)]
        self._record_names_and_identifiers(connection, refs, keys, resolved, now)
        for memory in (self.by_number, self.by_identifier, self.by_name, self.aliases_written):
            memory.end_batch()
        return resolved

    def _known_by_identifier(self, ref: SupplierRef) -> int | None:
        return next((self.by_identifier[pair] for pair in other_identifiers(ref) if pair in self.by_identifier), None)

    def _resolve_numbers(
        self, connection: Connection, key_by_number: dict[str, str], ref_of_number: dict[str, SupplierRef],
        now: datetime, run_id: int | None,
    ) -> None:  # fmt: skip
        wanted = [n for n in key_by_number if n not in self.by_number]
        if not wanted:
            return
        self.by_number.update(ids_by_key(connection, suppliers, ["company_number"], wanted))
        missing = [n for n in wanted if n not in self.by_number]
        if missing:
            lock_new(connection, names=(key_by_number[number] for number in missing), numbers=missing)
            self.by_number.update(ids_by_key(connection, suppliers, ["company_number"], missing))
            missing = [n for n in missing if n not in self.by_number]
        # A name-only entity with exactly this name is taken to be the one the number identifies, unless a
        # company with a number already goes by that name: then the name-only entity stands for the doubt.
        keys = sorted({key_by_number[number] for number in missing})
        held = set(
            connection.scalars(
                select(suppliers.c.name_key).where(~UNREGISTERED, suppliers.c.name_key.in_(keys)).union(
                    select(aliases.c.name_key).join(suppliers, suppliers.c.id == aliases.c.supplier_id)
                    .where(~UNREGISTERED, aliases.c.name_key.in_(keys))
                )
            )
        )  # fmt: skip
        claimable = dict(
            connection.execute(
                select(suppliers.c.name_key, suppliers.c.id).where(
                    UNREGISTERED, suppliers.c.name_key.in_([key for key in keys if key not in held])
                )
            ).all()
        )
        for number in missing:
            if key_by_number[number] in claimable:
                supplier_id = claimable.pop(key_by_number[number])
                connection.execute(
                    update(suppliers)
                    .where(suppliers.c.id == supplier_id, UNREGISTERED)
                    .values(company_number=number, last_seen_at=now, changed_crawl_run_id=run_id)
                )
        rows = [self._new_row(ref_of_number[n], key_by_number[n], n, now, run_id) for n in missing]
        self.by_number.update(upsert_ids(connection, suppliers, rows, ["company_number"]))

    def _resolve_identifiers(self, connection: Connection, pairs: list[tuple[str, str]]) -> None:
        wanted = [pair for pair in pairs if pair not in self.by_identifier]
        if wanted:
            found = ids_by_key(connection, identifiers, ["scheme", "identifier"], wanted)
            supplier_of = dict(
                connection.execute(
                    select(identifiers.c.id, identifiers.c.supplier_id).where(identifiers.c.id.in_(found.values()))
                ).all()
            )
            self.by_identifier.update({pair: supplier_of[row_id] for pair, row_id in found.items()})

    def _resolve_names(
        self, connection: Connection, keys: set[str], first_ref: dict[str, SupplierRef], now: datetime,
        run_id: int | None,
    ) -> None:  # fmt: skip
        """A name means the one supplier known by it (its own name or an alias, which is how a person's merge
        or split is honoured); a name several suppliers share gets a name-only entity of its own."""
        wanted = [key for key in keys if key not in self.by_name]
        if not wanted:
            return
        unmatched = self._look_up_names(connection, wanted)
        if unmatched:
            lock_new(connection, names=unmatched)
            unmatched = self._look_up_names(connection, unmatched)
        rows = [self._new_row(first_ref[key], key, None, now, run_id) for key in unmatched]
        upsert(connection, suppliers, rows, ["name_key"], key_where=UNREGISTERED)
        name_only = connection.execute(
            select(suppliers.c.name_key, suppliers.c.id).where(UNREGISTERED, suppliers.c.name_key.in_(unmatched))
        )
        self.by_name.update(dict(name_only.all()))

    def _look_up_names(self, connection: Connection, wanted: list[str]) -> list[str]:
        """Remember the supplier each name key means where exactly one is known by it; the keys left unmatched."""
        known_as = union(
            select(suppliers.c.name_key.label("name_key"), suppliers.c.id.label("supplier_id")).where(
                suppliers.c.name_key.in_(wanted)
            ),
            select(aliases.c.name_key, aliases.c.supplier_id).where(aliases.c.name_key.in_(wanted)),
        )
        holders: dict[str, set[int]] = {}
        for key, supplier_id in connection.execute(known_as):
            holders.setdefault(key, set()).add(supplier_id)
        self.by_name.update({key: found.pop() for key, found in holders.items() if len(found) == 1})
        return [key for key in wanted if key not in self.by_name]

    def _record_names_and_identifiers(
        self, connection: Connection, refs: Sequence[SupplierRef], keys: list[str], ids: list[int], now: datetime
    ) -> None:
        seen = {"first_seen_at": now, "last_seen_at": now}
        new_aliases = {
            (supplier_id, ref.name.strip()): key
            for ref, key, supplier_id in zip(refs, keys, ids, strict=False)
            if (supplier_id, ref.name.strip()) not in self.aliases_written
        }
        upsert(
            connection,
            aliases,
            [{"supplier_id": s, "name": name, "name_key": key, **seen} for (s, name), key in new_aliases.items()],
            ["supplier_id", "name"],
        )
        self.aliases_written.update(new_aliases)
        new_identifiers = {
            pair: supplier_id
            for ref, supplier_id in zip(refs, ids, strict=False)
            for pair in other_identifiers(ref)
            if pair not in self.by_identifier
        }
        upsert(
            connection,
            identifiers,
            [{"scheme": s, "identifier": i, "supplier_id": sid, **seen} for (s, i), sid in new_identifiers.items()],
            ["scheme", "identifier"],
        )
        self._resolve_identifiers(connection, list(new_identifiers))
        for touched in matching(connection, suppliers.c.id, sorted(set(ids))):
            connection.execute(update(suppliers).where(touched).values(last_seen_at=now))

    @staticmethod
    def _new_row(ref: SupplierRef, key: str, number: str | None, now: datetime, run_id: int | None) -> dict:
        return {
            "name": ref.name.strip(),
            "name_key": key,
            "company_number": number,
            "country": ref.country,
            "first_seen_at": now,
            "last_seen_at": now,
            "first_crawl_run_id": run_id,
            "changed_crawl_run_id": run_id,
        }
