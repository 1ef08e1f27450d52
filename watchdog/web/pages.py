"""Datasette plugin: a page per supplier and group, with its record, timeline and chart, and a search by any name.

Pages live under Datasette's `/-/` namespace, which no database or table name can take: `/-/supplier/ID`,
`/-/group/ID` and `/-/suppliers?q=NAME`. They read the served database's public views (supplier_record,
group_record, supplier_events...) with parameterised SQL through indexed paths (a supplier's or a group's rows),
and never write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from watchdog.database.totals import PENALTY_AMOUNT
from watchdog.normalise.names import name_key
from watchdog.sources.ocds import web_address
from watchdog.web.chart import YearTotals, every_year, per_year_chart, pounds

TEMPLATES = Path(__file__).with_name("templates")
SUPPLIER_PATH = "/-/supplier/{}"
GROUP_PATH = "/-/group/{}"
SEARCH_PATH = "/-/suppliers"
TIMELINE_ROWS = 500  # rows of supplier_events on a page; the whole record is a link away
SEARCH_ROWS = 200
COMPANIES_HOUSE = "https://find-and-update.company-information.service.gov.uk/company/{}"
# The public views whose supplier and group names link to their pages (and any SQL query's, table None).
LINKED_VIEWS = {"supplier_groups", "supplier_events", "supplier_record", "group_record"}
LINKED_COLUMNS = {"supplier_name": ("supplier_id", SUPPLIER_PATH), "group_name": ("group_id", GROUP_PATH)}
KIND_LABELS = {
    "award": "Contract awarded",
    "fine": "Fine",
    "costs": "Costs",
    "service_credit": "Service credits (deducted from payments)",
    "repayment": "Repayment",
    "dpa_penalty": "Deferred prosecution agreement",
    "compensation": "Compensation",
    "data_breach": "Data breach",
    "death_or_injury": "Death or injury",
    "service_failure": "Service failure",
    "inspection_failure": "Inspection failure",
}
AMOUNT_LABELS = {
    "dpa_penalty": "penalty",
    "service_credit": "service credits",
    "initial_value_gross": "VAT included",
    "fine_before_appeal": "before an appeal reduced it",
}
MONTHS = "January February March April May June July August September October November December".split()

# One row per fact of the record's owner, as the totals count them: a contract two members won is one fact, and
# is the group's alone unless it names suppliers outside the group or sets up a framework (as database/totals.py).
YEARS_SQL = f"""
    SELECT substr(event_date, 1, 4) AS year, COUNT(DISTINCT event_type || ' ' || event_id) AS facts,
           ROUND(SUM(CASE WHEN event_type = 'contract' AND basis = 'official' AND shared_award = 0
                          THEN amount_gbp ELSE 0 END), 2) AS contracts_gbp,
           ROUND(SUM(CASE WHEN {PENALTY_AMOUNT} THEN amount_gbp ELSE 0 END), 2) AS penalties_gbp
    FROM (
        SELECT event_type, event_id, amount_kind, basis, MAX(amount_gbp) AS amount_gbp,
               MAX(event_date) AS event_date,
               CASE WHEN MAX(is_framework) = 1 OR MAX(suppliers_count) > COUNT(*) THEN 1 ELSE 0 END AS shared_award
        FROM supplier_events
        WHERE {{owner}} = :owner
        GROUP BY event_type, event_id, amount_kind, basis
    ) facts
    GROUP BY year
    ORDER BY year
"""
TIMELINE_SQL = """
    SELECT supplier_id, supplier_name, event_date, date_precision, date_text, event_type, event_id, event_kind,
           title, description, buyer_or_authority, amount, currency, amount_gbp, amount_kind, qualifier, basis,
           source_url, evidence, suppliers_count, is_framework
    FROM supplier_events
    WHERE {owner} = :owner
    ORDER BY event_date DESC, event_type, event_id, supplier_id, amount_kind
    LIMIT :limit
"""
# Every spelling is matched in full and in its normalised form ("serco ltd" finds SERCO LIMITED), anywhere in the
# name; the name shown for a supplier counts too (a group's parent may have no alias).
SEARCH_SQL = """
    SELECT r.supplier_id, r.supplier_name, r.company_number, r.group_id, r.group_name, gt.members_count,
           r.contracts_count, r.enforcement_count, r.incidents_count, names.name AS matched_name,
           CASE WHEN lower(names.name) = lower(:query) OR names.name_key = :key THEN 0
                WHEN names.name LIKE :starts ESCAPE '\\' OR names.name_key LIKE :key_starts ESCAPE '\\' THEN 1
                ELSE 2 END AS rank
    FROM (
        SELECT supplier_id, name, name_key FROM supplier_aliases
        WHERE name LIKE :contains ESCAPE '\\' OR name_key LIKE :key_contains ESCAPE '\\'
        UNION
        SELECT id, name, name_key FROM suppliers
        WHERE name LIKE :contains ESCAPE '\\' OR name_key LIKE :key_contains ESCAPE '\\'
    ) names
    JOIN supplier_record r ON r.supplier_id = names.supplier_id
    LEFT JOIN group_totals gt ON gt.group_id = r.group_id
    ORDER BY rank, r.supplier_name, r.supplier_id, names.name
    LIMIT :limit
"""


@dataclass
class Amount:
    kind: str
    label: str
    words: str


@dataclass
class TimelineEntry:
    """One contract, action or incident: a fact's rows of supplier_events (its amounts, its suppliers) as one."""

    when: str
    event_type: str
    kind: str
    title: str
    description: str
    buyer_or_authority: str | None
    basis: str
    source_url: str | None
    source_host: str
    evidence: str | None
    note: str | None
    suppliers: dict[int, str] = field(default_factory=dict)
    amounts: list[Amount] = field(default_factory=list)


def readable_kind(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", (kind or "other").replace("_", " ").capitalize())


def when(event_date: str | None, precision: str | None, date_text: str | None) -> str:
    """A date to the precision known ("May 2020", "2016"), with the source's own words when they say more."""
    if not event_date:
        shown = "Date unknown"
    else:
        day = date.fromisoformat(event_date[:10])
        shown = {
            "year": str(day.year),
            "month": f"{MONTHS[day.month - 1]} {day.year}",
            "day": f"{day.day} {MONTHS[day.month - 1]} {day.year}",
        }.get(precision or "", f"{day.isoformat()} (precision unknown)")
    return f"{shown} (as written: {date_text})" if date_text and date_text != shown else shown


def amount_words(row) -> str:
    """The sum in pounds with the source's words beside it: "just over £1,000,000", "£68,500,000 plus VAT"."""
    if row["amount_gbp"] is not None:
        sum_words = pounds(row["amount_gbp"])
    else:
        sum_words = f"{row['amount']:,} {row['currency']} (no pounds figure)"
    qualifier = row["qualifier"]
    if not qualifier:
        return sum_words
    return f"{sum_words} {qualifier}" if qualifier.startswith("plus") else f"{qualifier} {sum_words}"


def contract_note(row, owners: int, whose: str) -> str | None:
    """What a reader must know before adding up a contract's value, on the record (`whose`) of `owners` of its
    suppliers (one, or a group's members): an award a group's members won together is the group's alone, as the
    totals count it."""
    if row["basis"] != "official":
        return "Known from the news only: not counted in the totals."
    if row["is_framework"]:
        return "Framework or dynamic purchasing system: its value is a ceiling on call-offs, not money paid."
    if (row["suppliers_count"] or 0) > owners:
        return f"Shared by {row['suppliers_count']} suppliers: its value is a ceiling for all of them, not {whose}."
    return None


def timeline(rows, whose: str) -> list[TimelineEntry]:
    """The rows of supplier_events, newest first, one entry per fact, on the record `whose` ("this group's")."""
    entries: dict[tuple[str, int], TimelineEntry] = {}
    contract_rows = {}
    for row in rows:
        entry = entries.get((row["event_type"], row["event_id"]))
        if entry is None:
            if row["event_type"] == "contract":
                contract_rows[(row["event_type"], row["event_id"])] = row
            entry = entries[(row["event_type"], row["event_id"])] = TimelineEntry(
                when=when(row["event_date"], row["date_precision"], row["date_text"]),
                event_type=row["event_type"],
                kind=readable_kind(row["event_kind"]),
                title=row["title"] or readable_kind(row["event_kind"]),
                description="" if row["description"] in (row["title"], row["evidence"]) else row["description"] or "",
                buyer_or_authority=row["buyer_or_authority"],
                basis=row["basis"],
                source_url=web_address(row["source_url"]),  # never a javascript: link, whatever was stored
                source_host=urlsplit(web_address(row["source_url"]) or "").hostname or "",
                evidence=row["evidence"],
                note=None,
            )
        entry.suppliers[row["supplier_id"]] = row["supplier_name"]
        kind = row["amount_kind"]
        if (row["amount"] is not None or row["amount_gbp"] is not None) and kind not in {a.kind for a in entry.amounts}:
            label = AMOUNT_LABELS.get(kind, (kind or "").replace("_", " "))
            entry.amounts.append(Amount(kind, label, amount_words(row)))
    for key, row in contract_rows.items():  # once every owner naming it is known
        entries[key].note = contract_note(row, len(entries[key].suppliers), whose)
    for entry in entries.values():
        # The penalty first, its costs after, and last the sum before appeal, which is in no total.
        entry.amounts.sort(key=lambda amount: (amount.kind == "fine_before_appeal", amount.kind == "costs"))
    return list(entries.values())


def year_totals(rows) -> tuple[list[YearTotals], int]:
    """Every year of the record with its contract value and penalties, and how many facts have no date."""
    dated = [
        YearTotals(int(row["year"]), Decimal(str(row["contracts_gbp"])), Decimal(str(row["penalties_gbp"])))
        for row in rows
        if row["year"]
    ]
    undated = sum(row["facts"] for row in rows if not row["year"])
    return every_year(dated), undated


def like_pattern(text: str, anywhere: bool) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%" if anywhere else f"{escaped}%"


async def watchdog_database(datasette):
    """The served database that holds the watchdog's views (the first, if several do)."""
    for name, database in datasette.databases.items():
        if name != "_internal" and "supplier_events" in await database.view_names():
            return name, database
    raise NotFound("No contract-watchdog database is being served here.")


async def owner_page(datasette, database_name: str, database, record: dict, owner: str) -> dict:
    """What a supplier's and a group's pages both show: the timeline, the chart and its figures."""
    owner_id = record["supplier_id"] if owner == "supplier_id" else record["group_id"]
    name = record["supplier_name"] if owner == "supplier_id" else record["group_name"]
    rows = (await database.execute(TIMELINE_SQL.format(owner=owner), {"owner": owner_id, "limit": TIMELINE_ROWS})).rows
    entries = timeline(rows, "this one's" if owner == "supplier_id" else "this group's")
    if len(rows) == TIMELINE_ROWS:
        entries = entries[:-1]  # its rows may go on past the limit
    years, undated = year_totals((await database.execute(YEARS_SQL.format(owner=owner), {"owner": owner_id})).rows)
    whole_record = (
        datasette.urls.table(database_name, "supplier_events")
        + "?"
        + urlencode({owner: owner_id, "_sort_desc": "event_date"})
    )
    return {
        "database": database_name,
        "entries": entries,
        "timeline_cut": len(rows) == TIMELINE_ROWS,
        "whole_record_url": whole_record,
        "years": years,
        "undated": undated,
        "chart": per_year_chart(f"{name}: contract value and penalties per year", years) if years else None,
        "companies_house": COMPANIES_HOUSE.format(record["company_number"]) if record["company_number"] else None,
    }


async def supplier_page(datasette, request):
    database_name, database = await watchdog_database(datasette)
    supplier_id = int(request.url_vars["supplier_id"])
    found = await database.execute("SELECT * FROM supplier_record WHERE supplier_id = :id", {"id": supplier_id})
    if not found.rows:
        raise NotFound(f"No supplier number {supplier_id}.")
    record = dict(found.rows[0])
    group = await database.execute("SELECT members_count FROM group_record WHERE group_id = :id", {"id": supplier_id})
    names = await database.execute(
        "SELECT name FROM supplier_aliases WHERE supplier_id = :id ORDER BY name", {"id": supplier_id}
    )
    context = await owner_page(datasette, database_name, database, record, "supplier_id")
    context.update(
        kind="supplier",
        record=record,
        names=[row["name"] for row in names.rows],
        heads_group=bool(group.rows) and group.rows[0]["members_count"] > 1,
        group_url=datasette.urls.path(GROUP_PATH.format(record["group_id"])),
    )
    return Response.html(await datasette.render_template("watchdog_record.html", context, request=request))


async def group_page(datasette, request):
    database_name, database = await watchdog_database(datasette)
    group_id = int(request.url_vars["group_id"])
    found = await database.execute("SELECT * FROM group_record WHERE group_id = :id", {"id": group_id})
    if not found.rows or found.rows[0]["members_count"] <= 1:
        member = await database.execute("SELECT 1 FROM suppliers WHERE id = :id", {"id": group_id})
        if member.rows:  # a supplier, in someone else's group or in none: its own page says which
            return Response.redirect(datasette.urls.path(SUPPLIER_PATH.format(group_id)))
        raise NotFound(f"No group number {group_id}.")
    record = dict(found.rows[0])
    members = await database.execute(
        "SELECT * FROM supplier_record WHERE group_id = :id ORDER BY supplier_id <> :id, supplier_name",
        {"id": group_id},
    )
    names = await database.execute(
        """SELECT a.supplier_id, a.name FROM supplier_totals t JOIN supplier_aliases a ON a.supplier_id = t.supplier_id
           WHERE t.group_id = :id ORDER BY a.name""",
        {"id": group_id},
    )
    names_by_member: dict[int, list[str]] = {}
    for row in names.rows:
        names_by_member.setdefault(row["supplier_id"], []).append(row["name"])
    context = await owner_page(datasette, database_name, database, record, "group_id")
    context.update(
        kind="group",
        record={**record, "supplier_id": group_id, "supplier_name": record["group_name"]},
        members=[dict(row) for row in members.rows],
        names_by_member=names_by_member,
    )
    return Response.html(await datasette.render_template("watchdog_record.html", context, request=request))


async def search_page(datasette, request):
    query = " ".join(request.args.get("q", "").split())
    matches: dict[int, dict] = {}
    more = False
    if query:
        _, database = await watchdog_database(datasette)
        key = name_key(query)
        rows = (
            await database.execute(
                SEARCH_SQL,
                {
                    "query": query,
                    "key": key or None,
                    "contains": like_pattern(query, anywhere=True),
                    "starts": like_pattern(query, anywhere=False),
                    "key_contains": like_pattern(key, anywhere=True) if key else None,
                    "key_starts": like_pattern(key, anywhere=False) if key else None,
                    "limit": SEARCH_ROWS,
                },
            )
        ).rows
        more = len(rows) == SEARCH_ROWS
        for row in rows:
            match = matches.setdefault(row["supplier_id"], {**dict(row), "matched_names": []})
            if row["matched_name"] not in match["matched_names"]:
                match["matched_names"].append(row["matched_name"])
    context = {"supplier_query": query, "matches": list(matches.values()), "more": more}
    return Response.html(await datasette.render_template("watchdog_search.html", context, request=request))


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/supplier/(?P<supplier_id>\d{1,18})$", supplier_page),
        (r"^/-/group/(?P<group_id>\d{1,18})$", group_page),
        (r"^/-/suppliers$", search_page),
    ]


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """Our templates come first: the pages', and the home and database pages with a search box added."""
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])
    env.filters["pounds"] = pounds


@hookimpl
def menu_links(datasette, actor, request):
    return [{"href": datasette.urls.path(SEARCH_PATH), "label": "Find a supplier"}]


@hookimpl
def render_cell(row, value, column, table, datasette):
    """Supplier and group names in the record views (and in queries) link to their pages."""
    if column not in LINKED_COLUMNS or value is None or (table is not None and table not in LINKED_VIEWS):
        return None
    id_column, path = LINKED_COLUMNS[column]
    if id_column not in row.keys() or row[id_column] is None:
        return None
    return Markup(f'<a href="{escape(datasette.urls.path(path.format(int(row[id_column]))))}">{escape(value)}</a>')
