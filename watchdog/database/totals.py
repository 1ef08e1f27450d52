"""The totals behind supplier_record and group_record, kept current by the write path instead of added up on read.

`supplier_totals` holds one row per supplier (its totals and the group it is in), `group_totals` one row per group
(and per supplier in no group). Whatever changes what a supplier won or what went wrong, or which group it is in,
marks it with `touch` or `touch_placement` on its connection; just before that transaction commits, the rows of
the marked suppliers and of their groups are worked out again from the facts, in the same transaction. So a reader
never sees totals that disagree with the facts, and a rolled-back transaction changes neither.

Migrations do not touch: a migration that changes facts rebuilds the totals with `rebuild_all`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Table, bindparam, event, select, text
from sqlalchemy.engine import Engine

CHUNK = 500
TOUCHED = "watchdog_touched_suppliers"
PLACED = "watchdog_touched_placements"
MIGRATING = "watchdog_migrating"

# A contract's value is shared (a ceiling for several suppliers) when the award names several or sets up a framework.
SHARED = "CASE WHEN c.is_framework OR COALESCE(c.suppliers_count, 1) > 1 THEN 1 ELSE 0 END"
GOES_AHEAD = "COALESCE(LOWER(c.status), '') NOT IN ('cancelled', 'unsuccessful')"
VALUE_KIND = (
    "CASE WHEN c.initial_value IS NULL AND c.initial_value_gross IS NOT NULL "
    "THEN 'initial_value_gross' ELSE 'initial_value' END"
)
CURRENT_GROUP = """COALESCE((SELECT m.group_id FROM group_memberships m
                             WHERE m.supplier_id = {supplier} AND m.ended_on IS NULL), {supplier})"""


def facts(members: str) -> str:
    """One row per fact of each owner (a supplier, or a group) as supplier_events has them; `members` is a subquery
    of (supplier_id, owner_id) saying whose facts count for whom. Each arm starts from the members, so that the
    planner reaches the facts through the suppliers' indexes."""
    return f"""
        SELECT o.owner_id, 'contract' AS event_type, c.id AS event_id, {VALUE_KIND} AS amount_kind, c.basis,
               c.initial_value_gbp AS amount_gbp, COALESCE(c.awarded_on, date(c.published_at)) AS event_date,
               c.suppliers_count, CASE WHEN c.is_framework THEN 1 ELSE 0 END AS is_framework,
               {SHARED} AS shared_award
        FROM {members} o
        JOIN contract_suppliers cs ON cs.supplier_id = o.supplier_id
        JOIN contracts c ON c.id = cs.contract_id
        WHERE c.superseded_by IS NULL AND {GOES_AHEAD}
        UNION ALL
        SELECT o.owner_id, 'enforcement', e.id, a.kind, e.basis, a.amount_gbp, e.action_date, NULL, NULL, NULL
        FROM {members} o
        JOIN enforcement_actions e ON e.supplier_id = o.supplier_id
        LEFT JOIN enforcement_amounts a ON a.enforcement_action_id = e.id
        UNION ALL
        SELECT o.owner_id, 'incident', i.id, NULL, i.basis, NULL, i.incident_date, NULL, NULL, NULL
        FROM {members} o
        JOIN incidents i ON i.supplier_id = o.supplier_id
    """


# An amount kept for the record but never added up: a penalty's sum before an appeal reduced it (the final one is
# its `fine`).
NOT_TOTALLED = "'fine_before_appeal'"
PENALTY_AMOUNT = f"event_type = 'enforcement' AND COALESCE(amount_kind, '') NOT IN ({NOT_TOTALLED})"

# What a record totals, over fact rows of one owner.
EVENT_TOTALS = f"""
    COUNT(DISTINCT CASE WHEN event_type = 'contract' AND basis = 'official' THEN event_id END) AS contracts_count,
    ROUND(SUM(CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 0 THEN amount_gbp END), 2)
        AS contracts_value_gbp,
    COUNT(DISTINCT CASE WHEN event_type = 'enforcement' THEN event_id END) AS enforcement_count,
    ROUND(SUM(CASE WHEN {PENALTY_AMOUNT} THEN amount_gbp END), 2) AS penalties_value_gbp,
    COUNT(DISTINCT CASE WHEN event_type = 'incident' THEN event_id END) AS incidents_count,
    MIN(event_date) AS first_event_date, MAX(event_date) AS last_event_date,
    COUNT(DISTINCT CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 1 THEN event_id END)
        AS shared_awards_count,
    ROUND(SUM(CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 1 THEN amount_gbp END), 2)
        AS shared_awards_ceiling_gbp
"""
TOTAL_COLUMNS = (
    "contracts_count", "contracts_value_gbp", "enforcement_count", "penalties_value_gbp", "incidents_count",
    "first_event_date", "last_event_date", "shared_awards_count", "shared_awards_ceiling_gbp",
)  # fmt: skip
DATES = {"first_event_date", "last_event_date"}
TOTALS_OR_ZERO = ", ".join(f"ev.{name}" if name in DATES else f"COALESCE(ev.{name}, 0)" for name in TOTAL_COLUMNS)

# A group's facts: a contract won by two members counts once, and is the group's alone unless it names suppliers
# outside the group or sets up a framework.
GROUP_FACTS = """
    SELECT owner_id, event_type, event_id, amount_kind, basis,
           MAX(amount_gbp) AS amount_gbp, MAX(event_date) AS event_date,
           CASE WHEN MAX(is_framework) = 1 OR MAX(suppliers_count) > COUNT(*) THEN 1 ELSE 0 END AS shared_award
    FROM ({}) group_member_facts
    GROUP BY owner_id, event_type, event_id, amount_kind, basis
"""


def replaced(key: str, columns: tuple[str, ...]) -> str:
    """The end of an INSERT ... SELECT that replaces the rows already there (both backends say it so)."""
    return f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in columns)}"


def supplier_rows_statement(where: str) -> str:
    """Write the supplier_totals rows of the suppliers `where` selects (over suppliers s)."""
    members = f"(SELECT s.id AS supplier_id, s.id AS owner_id FROM suppliers s WHERE {where})"
    return f"""
        INSERT INTO supplier_totals (supplier_id, group_id, {", ".join(TOTAL_COLUMNS)})
        SELECT s.id, {CURRENT_GROUP.format(supplier="s.id")}, {TOTALS_OR_ZERO}
        FROM suppliers s
        LEFT JOIN (SELECT owner_id, {EVENT_TOTALS} FROM ({facts(members)}) supplier_facts GROUP BY owner_id) ev
            ON ev.owner_id = s.id
        WHERE {where}
        {replaced("supplier_id", ("group_id", *TOTAL_COLUMNS))}
    """


def group_rows_statement(where: str) -> str:
    """Write the group_totals rows of the groups `where` selects (over suppliers g; a supplier in another group
    gets none), counting the members placed in supplier_totals."""
    in_no_group = "NOT EXISTS (SELECT 1 FROM group_memberships m WHERE m.supplier_id = g.id AND m.ended_on IS NULL)"
    placed = where.replace("g.id", "t.group_id")
    members = f"(SELECT t.supplier_id, t.group_id AS owner_id FROM supplier_totals t WHERE {placed})"
    return f"""
        INSERT INTO group_totals (group_id, members_count, {", ".join(TOTAL_COLUMNS)})
        SELECT g.id, COALESCE(mc.members_count, 0), {TOTALS_OR_ZERO}
        FROM suppliers g
        LEFT JOIN (SELECT t.group_id AS owner_id, COUNT(*) AS members_count FROM supplier_totals t WHERE {placed}
                   GROUP BY t.group_id) mc ON mc.owner_id = g.id
        LEFT JOIN (SELECT owner_id, {EVENT_TOTALS} FROM ({GROUP_FACTS.format(facts(members))}) group_facts
                   GROUP BY owner_id) ev ON ev.owner_id = g.id
        WHERE {where} AND {in_no_group}
        {replaced("group_id", ("members_count", *TOTAL_COLUMNS))}
    """


CHOSEN = "{}.id IN :ids"
REFRESH_SUPPLIERS = text(supplier_rows_statement(CHOSEN.format("s"))).bindparams(bindparam("ids", expanding=True))
REFRESH_GROUPS = (  # a supplier that joined a group has no row of its own any more
    text(
        "DELETE FROM group_totals WHERE group_id IN :ids AND EXISTS (SELECT 1 FROM group_memberships m "
        "WHERE m.supplier_id = group_totals.group_id AND m.ended_on IS NULL)"
    ).bindparams(bindparam("ids", expanding=True)),
    text(group_rows_statement(CHOSEN.format("g"))).bindparams(bindparam("ids", expanding=True)),
)
# Writers on PostgreSQL work out totals one at a time, each after the one before committed: two transactions adding
# facts of one supplier at once would otherwise each write totals that miss the other's facts.
ONE_AT_A_TIME = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=0x7761746368646F67)
PLACE = text(
    f"UPDATE supplier_totals SET group_id = {CURRENT_GROUP.format(supplier='supplier_totals.supplier_id')} "
    "WHERE supplier_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
GROUPS_OF = text("SELECT DISTINCT group_id FROM supplier_totals WHERE supplier_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
MEMBERS_OF = text("SELECT supplier_id FROM group_memberships WHERE ended_on IS NULL AND group_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
SUPPLIERS_OF_PROCUREMENTS = text(
    "SELECT DISTINCT cs.supplier_id FROM contract_suppliers cs JOIN contracts c ON c.id = cs.contract_id "
    "WHERE c.ocid IN :ocids"
).bindparams(bindparam("ocids", expanding=True))


def touch(connection: Connection, supplier_ids: Iterable[int | None]) -> None:
    """What these suppliers won or what went wrong may have changed: their totals and their groups' are worked
    out again before the transaction commits."""
    connection.info.setdefault(TOUCHED, set()).update(i for i in supplier_ids if i is not None)


def touch_placement(connection: Connection, supplier_ids: Iterable[int | None]) -> None:
    """These suppliers, or groups, may have gained or lost members (or joined or left a group)."""
    connection.info.setdefault(PLACED, set()).update(i for i in supplier_ids if i is not None)


def touch_procurements(connection: Connection, ocids: Iterable[str]) -> None:
    """Touch every supplier of these procurements' rows."""
    wanted = sorted(set(ocids))
    for start in range(0, len(wanted), CHUNK):
        touch(connection, connection.scalars(SUPPLIERS_OF_PROCUREMENTS, {"ocids": wanted[start : start + CHUNK]}))


def in_chunks(connection: Connection, statement, ids: Iterable[int]) -> list:
    wanted, found = sorted(set(ids)), []
    for start in range(0, len(wanted), CHUNK):
        result = connection.execute(statement, {"ids": wanted[start : start + CHUNK]})
        if result.returns_rows:
            found += result.scalars().all()
    return found


def refresh_touched(connection: Connection) -> None:
    """Work out again the totals of the suppliers and groups touched on this connection."""
    suppliers, placed = connection.info.pop(TOUCHED, set()), connection.info.pop(PLACED, set())
    if not suppliers and not placed:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(ONE_AT_A_TIME)
    placed |= set(in_chunks(connection, MEMBERS_OF, placed))
    groups = set(in_chunks(connection, GROUPS_OF, suppliers | placed))  # the groups they were in
    in_chunks(connection, REFRESH_SUPPLIERS, suppliers)
    in_chunks(connection, PLACE, placed - suppliers)
    groups |= placed | set(in_chunks(connection, GROUPS_OF, suppliers | placed))  # and the groups they are in
    for statement in REFRESH_GROUPS:
        in_chunks(connection, statement, groups)


def rebuild_all(connection: Connection) -> None:
    """Every supplier's and group's totals, from nothing."""
    connection.execute(text("DELETE FROM group_totals"))
    connection.execute(text("DELETE FROM supplier_totals"))
    connection.execute(text(supplier_rows_statement("1 = 1")))
    connection.execute(text(group_rows_statement("1 = 1")))


def forget_touched(connection: Connection) -> None:
    connection.info.pop(TOUCHED, None)
    connection.info.pop(PLACED, None)


@event.listens_for(Engine, "commit")
def refresh_before_commit(connection: Connection) -> None:
    if connection.info.get(MIGRATING):
        forget_touched(connection)
    else:
        refresh_touched(connection)


@event.listens_for(Engine, "rollback")
def forget_on_rollback(connection: Connection) -> None:
    if not connection.invalidated:  # an invalidated connection's DBAPI connection, marks and all, is thrown away
        forget_touched(connection)


def touch_facts(connection: Connection, facts: Table, fact_keys: Iterable[str]) -> None:
    """Touch the suppliers that enforcement actions or incidents (by fact_key) are against now."""
    wanted = sorted(set(fact_keys))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        touch(connection, connection.scalars(select(facts.c.supplier_id).where(facts.c.fact_key.in_(chunk))))
