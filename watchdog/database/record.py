"""A supplier's record, as the `watchdog supplier` command shows it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, or_, select, text
from tabulate import tabulate

from watchdog.database.models import Supplier, SupplierAlias
from watchdog.database.readonly import exact_money
from watchdog.normalise.dates import display_date
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


def figure(value) -> str:
    """A sum exact to the penny, pence shown only when there are some: 108,000,000 or 9,481,113.51."""
    exact = exact_money(value)
    if exact is None:
        return ""
    return f"{exact:,.0f}" if exact == exact.to_integral_value() else f"{exact:,.2f}"


def money(value) -> str:
    """A sum in pounds, or nothing when there is none."""
    pounds = figure(value)
    return f"£{pounds}" if pounds else ""


def amount_text(row) -> str:
    """An event's amount in its currency, with the words the source put beside it."""
    if row.amount is None:
        return ""
    symbol = "£" if row.currency == "GBP" else f"{row.currency} "
    qualifier = f"{row.qualifier} " if row.qualifier else ""
    return f"{qualifier}{symbol}{figure(row.amount)} {row.amount_kind}"


def shared_note(row) -> str:
    """For a shared award: that its value is a ceiling for all its suppliers, not this one's money."""
    if row.is_framework:
        return ", a framework: a ceiling for all its suppliers, not money paid"
    if row.shared_award:
        return f", shared by {row.suppliers_count} suppliers"
    return ""


def event_day(row) -> date | None:
    """The event's date as a date (SQLite gives it as text)."""
    value = row.event_date
    return value if isinstance(value, date) or value is None else date.fromisoformat(value)


def when(row) -> str:
    """The event's date at its precision: 2020-05-14, May 2020, 2016-17 or 2016."""
    return display_date(event_day(row), row.date_precision, row.date_text)


def first_and_last(events: list) -> tuple[str, str]:
    """The dates of the earliest and the latest of these events, each at its own precision."""
    dated = [event for event in events if event.event_date is not None]
    if not dated:
        return "", ""
    return when(min(dated, key=event_day)), when(max(dated, key=event_day))


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
    events = connection.execute(
        text(
            "SELECT * FROM supplier_events WHERE group_id = :group "
            "ORDER BY event_date DESC, event_type, event_id, amount_kind"
        ),
        {"group": entity.group_id},
    ).all()
    entity_events = [event for event in events if event.supplier_id == entity.supplier_id]
    totals = [("This entity", entity, entity_events)]
    if group.members_count > 1:
        totals.append(("Whole group", group, events))
    yield ""
    yield tabulate(
        [
            (
                label,
                r.contracts_count,
                money(r.contracts_value_gbp),
                f"{r.shared_awards_count} ({money(r.shared_awards_ceiling_gbp)})" if r.shared_awards_count else "",
                r.enforcement_count,
                money(r.penalties_value_gbp),
                r.incidents_count,
                *first_and_last(dated),
            )
            for label, r, dated in totals
        ],
        headers=[
            "",
            "contracts",
            "won alone £",
            "shared (ceiling £)",
            "enforcement",
            "penalties £",
            "incidents",
            "first",
            "last",
        ],  # fmt: skip
        disable_numparse=True,
    )
    yield ""
    yield f"Timeline, newest first ({len(events)} rows):" if events else "No contracts, enforcement or incidents yet."
    for event in events:
        reported = " [reported]" if event.basis == "reported" else ""
        yield ""
        yield f"{when(event)}  {event.event_type}: {event.event_kind}{reported}"
        yield f"    {event.supplier_name}" + (f" / {event.buyer_or_authority}" if event.buyer_or_authority else "")
        if event.amount is not None:
            yield f"    {amount_text(event)}{shared_note(event)}"
        if event.title:
            yield f"    {shorten(event.title)}"
        if event.evidence:
            yield f'    evidence: "{shorten(event.evidence, 2 * DESCRIPTION_WIDTH)}"'
        if event.source_url:
            yield f"    source: {event.source_url}"
