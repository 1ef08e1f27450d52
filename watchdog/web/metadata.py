"""Datasette's metadata for the database, generated from what docs/schema.md is generated from: the models' comments
and the views' documentation (watchdog/database/views.py), so the front end and the data dictionary say the same."""

from __future__ import annotations

from typing import Any

from watchdog.database.models import Base
from watchdog.database.search import EVENT_TYPES, index_name
from watchdog.database.views import VIEWS
from watchdog.web.questions import QUESTIONS

TITLE = "Contract watchdog"
DESCRIPTION = (
    "Who wins UK public contracts, and what went wrong with them: contract awards published by buyers, fines, "
    "deductions, repayments and DPA penalties, incidents, and the news reports that tell of them, by supplier and "
    "by group. Find a supplier by name, or open the database for the questions (as forms) and the views: "
    "supplier_events (everything about a supplier, one row per fact, with its source), supplier_record and "
    "group_record (totals), awards and contract_value_changes. Money columns ending in _gbp are in pounds; a "
    "date's date_precision says whether its day, month or only year is known. Facts from the news have basis "
    "'reported'."
)
SOURCE = (
    "Contracts Finder, Find a Tender, Public Contracts Scotland, Sell2Wales, TED, the HSE's register of convictions, "
    "the Serious Fraud Office, the ICO, Find Case Law and news reports"
)
SOURCE_URL = "https://www.contractsfinder.service.gov.uk/"
LICENSE = (
    "Open Government Licence v3.0 (public sector data; Find Case Law's judgments under the Open Justice Licence); "
    "news sentences quoted as evidence"
)
LICENSE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

# Newest first: the first of these columns a table or view has is its default sort, descending.
NEWEST_FIRST = (
    "event_date", "awarded_on", "action_date", "incident_date", "latest_release_at", "decided_at", "changed_at",
    "started_at", "published_at", "fetched_at", "found_at", "first_seen_at",
)  # fmt: skip
FACETS = ("event_type", "event_kind", "basis", "buyer_or_authority", "buyer_name", "amount_kind", "change_kind")
# Counted by year (watchdog.web.plugin.YearFacet): the first of these dates a table or view has.
YEAR_OF = ("event_date", "awarded_on", "action_date", "incident_date")
# Each searched table and view, with its column holding the fact's id.
SEARCHABLE = {
    **{table: (index_name(table), "id") for table in EVENT_TYPES},
    "awards": (index_name("contracts"), "contract_id"),
}
# Machinery, not facts: listed under "hidden tables" on the database page, still open to SQL.
HIDDEN = ("alembic_version", "supplier_name_words", "supplier_name_group_members", "supplier_totals", "group_totals")


def described() -> dict[str, tuple[str, dict[str, str]]]:
    """Every view and table: its description and each column's, as the data dictionary gives them."""
    tables = {
        table.name: (table.comment, {column.name: column.comment for column in table.columns})
        for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name)
    }
    return {**VIEWS, **tables}


def table_metadata(name: str, description: str, columns: dict[str, str]) -> dict[str, Any]:
    """A table's or view's description, column descriptions, default sort, facets and search."""
    found: dict[str, Any] = {"description": description, "columns": dict(columns)}
    newest = next((column for column in NEWEST_FIRST if column in columns), None)
    if newest:
        found["sort_desc"] = newest
    facets: list[str | dict[str, str]] = [column for column in FACETS if column in columns]
    facets += [{"year": column} for column in YEAR_OF if column in columns][:1]
    if facets:
        found["facets"] = facets
    if name in SEARCHABLE:
        found["fts_table"], found["fts_pk"] = SEARCHABLE[name]
    return found


def metadata(database_name: str) -> dict[str, Any]:
    """The metadata `watchdog serve` gives Datasette for the database it serves under `database_name`."""
    tables = {name: table_metadata(name, *about) for name, about in described().items()}
    for name in HIDDEN:
        tables.setdefault(name, {})["hidden"] = True
    about = {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": SOURCE,
        "source_url": SOURCE_URL,
        "license": LICENSE,
        "license_url": LICENSE_URL,
    }
    database = {
        **about,
        "tables": tables,
        # The forms first: a reader who wants the SQL opens it with "Show SQL".
        "queries": {name: {**question, "hide_sql": True} for name, question in QUESTIONS.items()},
    }
    return {**about, "databases": {database_name: database}}
