"""A supplier's record, as the `watchdog supplier` command shows it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select, text
from tabulate import tabulate

from watchdog.models import Supplier, SupplierAlias
from watchdog.normalise.names import company_number, name_key

suppliers = Supplier.__table__
aliases = SupplierAlias.__table__
DESCRIPTION_WIDTH = 70


@dataclass
class Match:
    supplier_id: int
    name: str
    company_number: str | None


def find_suppliers(connection: Connection, wanted: str) -> list[Match]:
    """Suppliers meant by a company number, an exact name (any alias), or else a part of a name."""
    columns = (suppliers.c.id, suppliers.c.name, suppliers.c.company_number)
    number = company_number(wanted)
    if number:
        rows = connection.execute(select(*columns).where(suppliers.c.company_number == number)).all()
        if rows:
            return [Match(*row) for row in rows]
    key = name_key(wanted)
    exact = select(*columns).where(
        or_(
            suppliers.c.name_key == key,
            suppliers.c.id.in_(select(aliases.c.supplier_id).where(aliases.c.name_key == key)),
        )
    )
    rows = connection.execute(exact.order_by(suppliers.c.id)).all()
    if not rows:
        pattern = f"%{wanted.strip().lower()}%"
        partial = select(*columns).where(
            or_(
                func.lower(suppliers.c.name).like(pattern),
                suppliers.c.id.in_(select(aliases.c.supplier_id).where(func.lower(aliases.c.name).like(pattern))),
            )
        )
        rows = connection.execute(partial.order_by(suppliers.c.name).limit(50)).all()
    return [Match(*row) for row in rows]


def money(value) -> str:
    return f"£{value:,.0f}" if value is not None else ""


def amount_text(row) -> str:
    if row.amount is None:
        return ""
    symbol = "£" if row.currency == "GBP" else f"{row.currency} "
    qualifier = f"{row.qualifier} " if row.qualifier else ""
    return f"{qualifier}{symbol}{row.amount:,.0f} {row.amount_kind}"


def shorten(value: str | None, width: int = DESCRIPTION_WIDTH) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


def record_lines(connection: Connection, supplier_id: int) -> Iterator[str]:
    """The supplier's figures, its group's, and the timeline of the whole group, newest first."""
    entity = connection.execute(
        text("SELECT * FROM supplier_record WHERE supplier_id = :id"), {"id": supplier_id}
    ).one()
    group = connection.execute(text("SELECT * FROM group_record WHERE group_id = :id"), {"id": entity.group_id}).one()
    number = f" (company number {entity.company_number})" if entity.company_number else ""
    yield f"{entity.supplier_name}{number}"
    if group.members_count > 1:
        group_number = f" ({group.company_number})" if group.company_number else ""
        yield f"Group: {group.group_name}{group_number}, {group.members_count} entities"
    yield ""
    figures = [("This entity", entity)] + ([("Whole group", group)] if group.members_count > 1 else [])
    yield tabulate(
        [
            (
                label,
                r.contracts_count,
                money(r.contracts_value_gbp),
                r.enforcement_count,
                money(r.penalties_value_gbp),
                r.incidents_count,
                r.first_event_date or "",
                r.last_event_date or "",
            )
            for label, r in figures
        ],
        headers=["", "contracts", "contracts £", "enforcement", "penalties £", "incidents", "first", "last"],
        disable_numparse=True,
    )
    events = connection.execute(
        text(
            "SELECT * FROM supplier_events WHERE group_id = :group "
            "ORDER BY event_date DESC, event_type, event_id, amount_kind"
        ),
        {"group": entity.group_id},
    ).all()
    yield ""
    yield f"Timeline, newest first ({len(events)} rows):" if events else "No contracts, enforcement or incidents yet."
    for event in events:
        reported = " [reported]" if event.basis == "reported" else ""
        yield ""
        yield f"{event.event_date or 'date unknown'}  {event.event_type}: {event.event_kind}{reported}"
        yield f"    {event.supplier_name}" + (f" / {event.buyer_or_authority}" if event.buyer_or_authority else "")
        if event.amount is not None:
            yield f"    {amount_text(event)}"
        if event.title:
            yield f"    {shorten(event.title)}"
        if event.evidence:
            yield f'    evidence: "{shorten(event.evidence, 2 * DESCRIPTION_WIDTH)}"'
        if event.source_url:
            yield f"    source: {event.source_url}"
