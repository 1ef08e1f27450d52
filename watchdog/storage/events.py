"""Enforcement actions and incidents, with their amounts or figures and their sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, func, or_, select, update

from watchdog.database import totals
from watchdog.database.models import (
    EnforcementAction,
    EnforcementActionSource,
    EnforcementAmount,
    GroupMembership,
    Incident,
    IncidentFigure,
    IncidentSource,
)
from watchdog.database.upsert import LOOKUP_CHUNK, upsert, upsert_ids
from watchdog.items import EnforcementItem, IncidentItem
from watchdog.normalise.money import amount_in_gbp
from watchdog.storage.batch import Batch

memberships = GroupMembership.__table__


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


def as_known_action(connection: Connection, item: EnforcementItem, batch: Batch) -> EnforcementItem:
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


def write_events(
    connection: Connection,
    items: list[EnforcementItem] | list[IncidentItem],
    batch: Batch,
    tables: EventTables,
) -> None:
    """Enforcement actions or incidents, with their amounts or figures and their sources."""
    if not items:
        return
    if tables is ENFORCEMENT:
        items = [as_known_action(connection, item, batch) for item in items]
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
