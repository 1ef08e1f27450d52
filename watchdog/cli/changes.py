"""`watchdog changes`: what the last crawls found or changed, for a reporter who reads it each morning.

Every contract, enforcement action, incident and supplier records the crawl run that first found it
(`first_crawl_run_id`), and every release of a contract the run that stored it, so a correction of a value is
dated by the run that found the new value (the `contract_value_changes` view's `changed_crawl_run_id`); a sum of
an enforcement action records the run that changed it, and the sum it replaced. Merges are a person's doing, not a
run's: they are taken from `supplier_decisions` by the time they were decided. The runs of one `crawl --all` round
record when the round started (`crawl_runs.round_started_at`): the last crawl is what came after the round before.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import click
from sqlalchemy import Connection, Integer, Numeric, String, Table, column, func, not_, or_, select
from sqlalchemy import table as view
from tabulate import tabulate

from watchdog.console import table_cell_width, verbosity
from watchdog.database import db
from watchdog.database.models import (
    Contract,
    ContractRelease,
    ContractSource,
    ContractSupplier,
    CrawlRun,
    Document,
    EnforcementAction,
    EnforcementAmount,
    Incident,
    Supplier,
    SupplierDecision,
    UTCDateTime,
)
from watchdog.database.readonly import QueryStopped, read_only_connection
from watchdog.database.record import figure, money, shorten
from watchdog.database.upsert import LOOKUP_CHUNK

LAST_CRAWL = "last-crawl"
NEW_CONTRACT = "new contract"
VALUE_CHANGED = "value changed"
REPUBLISHED = "corrected by republication"
NEW_ENFORCEMENT = "new enforcement action"
AMOUNT_CHANGED = "amount changed"
NEW_INCIDENT = "new incident"
NEW_SUPPLIER = "new supplier"
MERGED = "merged"
KINDS = (NEW_CONTRACT, VALUE_CHANGED, REPUBLISHED, NEW_ENFORCEMENT, AMOUNT_CHANGED, NEW_INCIDENT, NEW_SUPPLIER, MERGED)
HEADERS = ["change", "when (UTC)", "run", "supplier", "what", "old value", "new value", "source"]
MONEY_COLUMNS = {"old value", "new value"}
# A run id that does not exist and is one of these is more likely a year, meant as a date.
YEARS = range(1900, 2200)
LARGEST_RUN_ID = 2**63 - 1  # the largest integer SQLite stores: no run id is larger

crawl_runs = CrawlRun.__table__
contracts = Contract.__table__
actions = EnforcementAction.__table__
amounts = EnforcementAmount.__table__
releases = ContractRelease.__table__
links = ContractSupplier.__table__
suppliers = Supplier.__table__
decisions = SupplierDecision.__table__
supplier_events = view(
    "supplier_events",
    column("event_type", String),
    column("event_id", Integer),
    column("event_kind", String),
    column("supplier_name", String),
    column("title", String),
    column("amount", Numeric),
    column("currency", String),
    column("amount_kind", String),
    column("basis", String),
    column("source_url", String),
)
value_changes = view(
    "contract_value_changes",
    column("contract_id", Integer),
    column("title", String),
    column("currency", String),
    column("change_kind", String),
    column("earlier_contract_id", Integer),
    column("previous_value", Numeric),
    column("latest_value", Numeric),
    column("changed_at", UTCDateTime()),
    column("changed_crawl_run_id", Integer),
)
SINCE_HELP = (
    "last-crawl (what every run after the `crawl --all` round before the last one found or changed: last night's "
    "round, the crawls and ingests since, and the night's round; every run when there was no round before), "
    "a date or time in UTC "
    "(2026-11-20, 2026-11-20T06:00:00Z: what was found or changed at or after it), or a crawl run id (42: what "
    "runs 42 and later found or changed)"
)


@dataclass(frozen=True)
class Since:
    """What --since asked for: the last crawl, a moment, or a crawl run and those after it."""

    moment: datetime | None = None
    run_id: int | None = None


class SinceType(click.ParamType):
    """--since as a person writes it: last-crawl, a date or time (UTC unless it says), or a crawl run id."""

    name = "last-crawl|DATE|RUN_ID"

    def convert(self, value: object, param: click.Parameter | None, context: click.Context | None) -> Since:
        if isinstance(value, Since):
            return value
        text = str(value).strip()
        if text == LAST_CRAWL:
            return Since()
        if re.fullmatch(r"[0-9]+", text):
            return Since(run_id=int(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is none of what it takes: {SINCE_HELP}", param, context)
        return Since(moment=moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC))


@dataclass(frozen=True)
class Window:
    """Which findings count as new: those of some crawl runs (`run_ids`), of a run and those after it
    (`first_run_id`), or those made at or after a moment (`moment`); and merges decided at or after
    `merges_since` (every merge when it is None)."""

    description: str
    run_ids: tuple[int, ...] = ()
    first_run_id: int | None = None
    moment: datetime | None = None
    merges_since: datetime | None = None

    def holds(self, run_column, time_column):
        """Whether a row, found by the run in `run_column` at the time in `time_column`, is in the window."""
        if self.moment is not None:
            return time_column >= self.moment
        if self.first_run_id is not None:
            return run_column >= self.first_run_id
        return run_column.in_(self.run_ids)

    def before(self, run_column, time_column):
        """Whether a row was found before the window (a row of no known run was)."""
        if self.moment is not None:
            return time_column < self.moment
        return or_(run_column.is_(None), not_(self.holds(run_column, time_column)))


@dataclass(frozen=True)
class Change:
    """One row of the report."""

    kind: str
    when: datetime
    run_id: int | None
    supplier: str
    what: str
    old_value: str = ""
    new_value: str = ""
    source_url: str = ""

    def sort_key(self) -> tuple:
        return KINDS.index(self.kind), self.when, *self.cells()

    def cells(self) -> list[str]:
        run = "" if self.run_id is None else str(self.run_id)
        return [self.kind, moment_text(self.when), run, self.supplier, self.what, self.old_value, self.new_value,
                self.source_url]  # fmt: skip


def moment_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def as_moment(value: datetime | str) -> datetime:
    """A time read from the database (SQLite gives a view's times as text) in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sum_text(value: Decimal | float | None, currency: str | None) -> str:
    """A sum to the penny: in pounds as the rest of the commands print them, else with its currency code (none
    when the source gave none)."""
    if currency == "GBP":
        return money(value)
    amount = figure(value)
    return f"{currency} {amount}" if amount and currency else amount


def run_text(run) -> str:
    return f"run {run.id} ({run.spider}, started {moment_text(run.started_at)})"


def run_end(run) -> datetime:
    return run.finished_at or run.last_progress_at or run.started_at


def runs_text(first_id: int, newest) -> str:
    """The runs from `first_id` up to the newest run."""
    if first_id > newest.id:
        return "no run"
    return run_text(newest) if first_id == newest.id else f"runs {first_id} to {run_text(newest)[4:]}"


def window_of(connection: Connection, since: Since) -> Window:
    """The window --since names; BadParameter for a crawl run that does not exist."""
    if since.moment is not None:
        return Window(f"{moment_text(since.moment)} UTC", moment=since.moment, merges_since=since.moment)
    columns = (crawl_runs.c.id, crawl_runs.c.spider, crawl_runs.c.started_at, crawl_runs.c.finished_at,
               crawl_runs.c.last_progress_at)  # fmt: skip
    if since.run_id is not None:
        query = select(*columns).where(crawl_runs.c.id == since.run_id)
        run = connection.execute(query).one_or_none() if since.run_id <= LARGEST_RUN_ID else None
        if run is None:
            if since.run_id in YEARS:
                raise click.BadParameter(
                    f"there is no crawl run {since.run_id}; for a date write {since.run_id}-01-01",
                    param_hint="'--since'",
                )
            newest = connection.scalar(select(func.max(crawl_runs.c.id)))
            known = f"the newest is {newest}" if newest else "no crawl or ingest has run on this database"
            raise click.BadParameter(f"there is no crawl run {since.run_id}: {known}", param_hint="'--since'")
        return Window(f"{run_text(run)} and the runs after it", first_run_id=run.id, merges_since=run.started_at)
    newest = connection.execute(select(*columns).order_by(crawl_runs.c.id.desc()).limit(1)).one_or_none()
    if newest is None:
        return Window("the last crawl: no crawl or ingest has run on this database")
    rounds = connection.execute(
        select(crawl_runs.c.round_started_at, func.max(crawl_runs.c.id).label("last_run_id"))
        .where(crawl_runs.c.round_started_at.is_not(None))
        .group_by(crawl_runs.c.round_started_at)
        .order_by(crawl_runs.c.round_started_at.desc())
        .limit(2)
    ).all()
    if len(rounds) < 2:
        return Window(
            f"the last crawl: every run up to {run_text(newest)}, as there is no earlier `crawl --all` round",
            first_run_id=0,
        )
    previous_round = rounds[1]
    last = connection.execute(select(*columns).where(crawl_runs.c.id == previous_round.last_run_id)).one()
    return Window(
        f"the last crawl: {runs_text(last.id + 1, newest)}; every run since the `crawl --all` round of "
        f"{moment_text(previous_round.round_started_at)} ended at {moment_text(run_end(last))}",
        first_run_id=last.id + 1,
        merges_since=run_end(last),
    )


def grouped_events(connection: Connection, event_type: str, ids: list[int]) -> dict[int, list]:
    """The supplier_events rows of these contracts, actions or incidents, by event id. The ids are given as values
    (not a subquery), so that the database reads those events alone."""
    events = defaultdict(list)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = select(supplier_events).where(
            supplier_events.c.event_type == event_type,
            supplier_events.c.event_id.in_(ids[start : start + LOOKUP_CHUNK]),
        )
        for row in connection.execute(query.order_by(supplier_events.c.supplier_name)):
            events[row.event_id].append(row)
    return events


def reported(row) -> str:
    return " [reported]" if row.basis == "reported" else ""


def names(rows) -> str:
    return "; ".join(dict.fromkeys(row.supplier_name for row in rows))


def new_contracts(connection: Connection, window: Window) -> list[Change]:
    """Awards found in the window, as supplier_events counts them; an award republished under a new id is a
    correction of one known before, not a new contract."""
    earlier = contracts.alias("earlier")
    republishing_known = select(earlier.c.superseded_by).where(
        earlier.c.superseded_by.is_not(None),
        earlier.c.superseded_reason.in_(("republished", "person")),
        window.before(earlier.c.first_crawl_run_id, earlier.c.first_seen_at),
    )
    found = select(contracts.c.id, contracts.c.first_seen_at, contracts.c.first_crawl_run_id).where(
        window.holds(contracts.c.first_crawl_run_id, contracts.c.first_seen_at),
        contracts.c.id.not_in(republishing_known),
    )
    rows = {row.id: row for row in connection.execute(found)}
    events = grouped_events(connection, "contract", sorted(rows))
    return [
        Change(NEW_CONTRACT, rows[event_id].first_seen_at, rows[event_id].first_crawl_run_id, names(group),
               f"{group[0].title or ''}{reported(group[0])}", new_value=sum_text(group[0].amount, group[0].currency),
               source_url=group[0].source_url or "")
        for event_id, group in events.items()
    ]  # fmt: skip


def amounts_text(rows, replaced: dict[str, Decimal | None] | None = None) -> str:
    """An action's sums: its own kind's first (the penalty), then the others by kind (costs...). With `replaced`,
    the sums as they were: the sum each kind in it replaced (None for a sum added since) instead of its own."""
    sums = [(replaced.get(row.amount_kind, row.amount) if replaced else row.amount, row) for row in rows]
    principal = [(amount, row) for amount, row in sums if amount is not None and row.amount_kind == row.event_kind]
    others = [(amount, row) for amount, row in sums if amount is not None and row.amount_kind != row.event_kind]
    parts = [sum_text(amount, row.currency) for amount, row in principal]
    parts += [f"{sum_text(amount, row.currency)} {row.amount_kind}" for amount, row in others]
    return " + ".join(parts)


def new_events(connection: Connection, window: Window, facts: Table, event_type: str, kind: str) -> list[Change]:
    """Enforcement actions or incidents found in the window."""
    found = select(facts.c.id, facts.c.first_seen_at, facts.c.first_crawl_run_id).where(
        window.holds(facts.c.first_crawl_run_id, facts.c.first_seen_at)
    )
    rows = {row.id: row for row in connection.execute(found)}
    events = grouped_events(connection, event_type, sorted(rows))
    return [
        Change(kind, rows[event_id].first_seen_at, rows[event_id].first_crawl_run_id, names(group),
               f"{group[0].event_kind}: {group[0].title or ''}{reported(group[0])}", new_value=amounts_text(group),
               source_url=group[0].source_url or "")
        for event_id, group in events.items()
    ]  # fmt: skip


def amount_changes(connection: Connection, window: Window) -> list[Change]:
    """Enforcement actions known before the window whose sums a run in it changed (or added to): each with its sums
    before and after, dated by the last of those changes."""
    changed = window.holds(amounts.c.changed_crawl_run_id, amounts.c.changed_at)
    query = (
        select(amounts.c.enforcement_action_id, amounts.c.kind, amounts.c.previous_amount, amounts.c.changed_at,
               amounts.c.changed_crawl_run_id)
        .join(actions, actions.c.id == amounts.c.enforcement_action_id)
        .where(changed, window.before(actions.c.first_crawl_run_id, actions.c.first_seen_at))
        .order_by(amounts.c.changed_at)
    )  # fmt: skip
    replaced, latest = defaultdict(dict), {}
    for row in connection.execute(query):
        replaced[row.enforcement_action_id][row.kind] = row.previous_amount
        latest[row.enforcement_action_id] = row
    events = grouped_events(connection, "enforcement", sorted(latest))
    return [
        Change(AMOUNT_CHANGED, as_moment(latest[event_id].changed_at), latest[event_id].changed_crawl_run_id,
               names(group), f"{group[0].event_kind}: {group[0].title or ''}{reported(group[0])}",
               amounts_text(group, replaced[event_id]), amounts_text(group), group[0].source_url or "")
        for event_id, group in events.items()
    ]  # fmt: skip


def contract_details(connection: Connection, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each contract's suppliers' names and where to read it: its notice, else the newest document it was read
    from."""
    sources, documents = ContractSource.__table__, Document.__table__
    newest_source = (
        select(documents.c.url)
        .join(sources, sources.c.document_id == documents.c.id)
        .where(sources.c.contract_id == contracts.c.id)
        .order_by(sources.c.last_seen_at.desc(), sources.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    located = select(contracts.c.id, func.coalesce(contracts.c.notice_url, newest_source))
    named = select(links.c.contract_id, suppliers.c.name).join(suppliers, suppliers.c.id == links.c.supplier_id)
    urls, winners = {}, defaultdict(list)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        urls.update(connection.execute(located.where(contracts.c.id.in_(chunk))).all())
        for contract_id, name in connection.execute(
            named.where(links.c.contract_id.in_(chunk)).order_by(suppliers.c.name)
        ):
            winners[contract_id].append(name)
    return {contract_id: ("; ".join(winners[contract_id]), urls.get(contract_id) or "") for contract_id in ids}


def ids_meeting(connection: Connection, id_column, ids: list[int], condition) -> set[int]:
    """Of these ids (of id_column's table), those whose rows meet the condition."""
    found: set[int] = set()
    for start in range(0, len(ids), LOOKUP_CHUNK):
        found.update(
            connection.scalars(select(id_column).where(id_column.in_(ids[start : start + LOOKUP_CHUNK]), condition))
        )
    return found


def value_changes_found(connection: Connection, window: Window) -> list[Change]:
    """Values of awards known before the window that changed in it (contract_value_changes): a new release with
    another value, or the award published again under a new id with another value. An award first found in the
    window is a new contract, with its latest value."""
    touched = (
        select(releases.c.contract_id)
        .where(window.holds(releases.c.first_crawl_run_id, releases.c.first_seen_at))
        .union(select(contracts.c.id).where(window.holds(contracts.c.first_crawl_run_id, contracts.c.first_seen_at)))
    )
    ids = sorted(connection.scalars(touched))
    rows = []
    for start in range(0, len(ids), LOOKUP_CHUNK):  # as values, so that the view is worked out for these alone
        query = select(value_changes).where(
            value_changes.c.contract_id.in_(ids[start : start + LOOKUP_CHUNK]),
            window.holds(value_changes.c.changed_crawl_run_id, value_changes.c.changed_at),
        )
        rows += connection.execute(query).all()
    # Known before the window: a release of the corrected award, or the row the republication replaced.
    corrected = ids_meeting(
        connection,
        releases.c.contract_id,
        sorted({row.contract_id for row in rows if row.change_kind == "corrected"}),
        window.before(releases.c.first_crawl_run_id, releases.c.first_seen_at),
    )
    replaced = ids_meeting(
        connection,
        contracts.c.id,
        sorted({row.earlier_contract_id for row in rows if row.change_kind == "republished"}),
        window.before(contracts.c.first_crawl_run_id, contracts.c.first_seen_at),
    )
    rows = [
        row
        for row in rows
        if (row.contract_id in corrected if row.change_kind == "corrected" else row.earlier_contract_id in replaced)
    ]
    details = contract_details(connection, sorted({row.contract_id for row in rows}))
    changes = []
    for row in rows:
        supplier_names, url = details[row.contract_id]
        if row.change_kind == "republished":
            kind, what = REPUBLISHED, f"#{row.earlier_contract_id} replaced by #{row.contract_id}: {row.title or ''}"
        else:
            kind, what = VALUE_CHANGED, row.title or ""
        changes.append(
            Change(kind, as_moment(row.changed_at), row.changed_crawl_run_id, supplier_names, what,
                   sum_text(row.previous_value, row.currency), sum_text(row.latest_value, row.currency), url)
        )  # fmt: skip
    return changes


def new_suppliers(connection: Connection, window: Window) -> list[Change]:
    """Suppliers first found in the window (those merged away since are gone: their merge says so)."""
    query = select(suppliers.c.name, suppliers.c.company_number, suppliers.c.first_seen_at,
                   suppliers.c.first_crawl_run_id).where(
        window.holds(suppliers.c.first_crawl_run_id, suppliers.c.first_seen_at)
    )  # fmt: skip
    return [
        Change(NEW_SUPPLIER, row.first_seen_at, row.first_crawl_run_id, row.name,
               f"company number {row.company_number}" if row.company_number else "no company number")
        for row in connection.execute(query)
    ]  # fmt: skip


def merges(connection: Connection, window: Window) -> list[Change]:
    """Suppliers merged into another by a person (or by watchdog applying a person's merge again)."""
    query = select(decisions).where(decisions.c.action == "merge")
    if window.merges_since is not None:
        query = query.where(decisions.c.decided_at >= window.merges_since)
    return [
        Change(MERGED, row.decided_at, None, row.supplier_name,
               f"{row.other_name} merged into it by {row.decided_by}" + (f": {row.reason}" if row.reason else ""))
        for row in connection.execute(query)
    ]  # fmt: skip


def changes_in(connection: Connection, window: Window) -> list[Change]:
    """Everything new or changed in the window, by kind of change, then oldest first."""
    if connection.dialect.name == "postgresql":
        # The views' subqueries make PostgreSQL's estimates large enough to compile each query first, which takes
        # a second or more; the queries read a few rows each and run in milliseconds without.
        connection.exec_driver_sql("SET LOCAL jit = off")
    found = [
        *new_contracts(connection, window),
        *value_changes_found(connection, window),
        *new_events(connection, window, actions, "enforcement", NEW_ENFORCEMENT),
        *amount_changes(connection, window),
        *new_events(connection, window, Incident.__table__, "incident", NEW_INCIDENT),
        *new_suppliers(connection, window),
        *merges(connection, window),
    ]
    return sorted(found, key=Change.sort_key)


@click.command("changes")
@click.option("--since", type=SinceType(), default=LAST_CRAWL, show_default=True, help=f"From when: {SINCE_HELP}.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="A table to read, or CSV (with a header) for a spreadsheet.",
)
@click.pass_obj
def changes_command(url: str, since: Since, output_format: str) -> None:
    """What is new or changed: contracts, values corrected, enforcement actions, incidents, suppliers, merges.

    \b
    Each row: the change, when it was found (UTC), the crawl run that found it, the supplier, what it is,
    the old and the new value, and where to read it. It only reads the database.
    """
    db.ready_engine(url, writing=False).dispose()
    try:
        with read_only_connection(url) as connection:
            window = window_of(connection, since)
            found = changes_in(connection, window)
    except QueryStopped as error:
        failure = click.ClickException(str(error))
        failure.exit_code = error.exit_status
        raise failure from error
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(HEADERS)
        writer.writerows(change.cells() for change in found)
        if not found and not verbosity.quiet:
            click.echo(f"Nothing new or changed since {window.description}.", err=True)
        return
    if not found:
        click.echo(f"Nothing new or changed since {window.description}.")
        return
    click.echo(f"Since {window.description}:\n")
    width = table_cell_width()
    rows = [
        [shorten(cell, width) if width and header in ("supplier", "what") else cell
         for header, cell in zip(HEADERS, change.cells(), strict=True)]
        for change in found
    ]  # fmt: skip
    alignment = ["right" if header in MONEY_COLUMNS else "left" for header in HEADERS]
    click.echo(tabulate(rows, headers=HEADERS, disable_numparse=True, colalign=alignment))
    click.echo(f"\n({len(found)} {'change' if len(found) == 1 else 'changes'})")
