"""supplier_record and group_record read totals kept by the write path: after random writes, merges, splits and
regroups they equal the totals added up afresh from the facts by the views' former definitions."""

import importlib.util
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import serco
from click.testing import CliRunner
from sqlalchemy import text

from watchdog.cli import main
from watchdog.database.totals import rebuild_all
from watchdog.identity import review
from watchdog.items import (
    BuyerRef,
    ContractItem,
    EnforcementItem,
    GroupMembershipItem,
    IncidentItem,
    Money,
    SourceDocument,
    SupplierRef,
)
from watchdog.storage.store import Store

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
NAMES = ["Acme Care Ltd", "Brill Facilities Limited", "Corvin Transport Ltd", "Delta Health Services",
         "Eagle Security Ltd", "Fenwick Catering", "Granite Builders Ltd", "Harbour IT Limited"]  # fmt: skip
NUMBERS = [None, None, "01234567", "07654321", "11223344"]
BUYER = BuyerRef("Testshire County Council")


def views_of(revision_file: str) -> dict[str, str]:
    path = MIGRATIONS / revision_file
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEWS


def recomputed(connection, view: str, key: str) -> dict:
    """The view's rows as its definition before revision 0011 adds them up, on every read, from the facts and from
    group_memberships (not from the totals tables)."""
    initial, current = views_of("0001_initial_schema.py"), views_of("0006_current_awards.py")
    groups = f"({initial['supplier_groups']})"
    events = f"({current['supplier_events'].replace('supplier_groups', groups)})"
    select = current[view].replace("supplier_events", f"{events} all_events")
    select = select.replace("FROM supplier_groups", f"FROM {groups}").replace("JOIN supplier_groups", f"JOIN {groups}")
    return rows_by(connection, f"SELECT * FROM ({select}) recomputed", key)


def rows_by(connection, select: str, key: str) -> dict:
    rows = {}
    for row in connection.execute(text(select)).mappings():
        rows[row[key]] = {name: normal(value) for name, value in row.items()}
    return rows


def normal(value):
    """Values as both backends and both paths give them: money to the penny, dates as ISO text, counts as ints."""
    if isinstance(value, float | Decimal):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(value, date | datetime):
        return value.isoformat()[:10]
    return value


def assert_summary_matches(engine):
    with engine.connect() as connection:
        for view, key in (("supplier_record", "supplier_id"), ("group_record", "group_id")):
            stored = rows_by(connection, f"SELECT * FROM {view}", key)
            assert stored == recomputed(connection, view, key), view
        return rows_by(connection, "SELECT * FROM supplier_record", "supplier_id")


def source(number: int) -> SourceDocument:
    return SourceDocument(url=f"https://portal.example/notice/{number}", kind="procurement", publisher="Portal")


def random_contract(chance: random.Random, number: int) -> ContractItem:
    ocid = f"ocds-test-{chance.randrange(40)}"
    tender = chance.random() < 0.15
    winners = [] if tender else [
        SupplierRef(chance.choice(NAMES), company_number=chance.choice(NUMBERS))
        for _ in range(chance.choice([1, 1, 1, 2, 3]))
    ]  # fmt: skip
    released = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=chance.randrange(1500))
    return ContractItem(
        ocid=ocid,
        award_id="" if tender else str(chance.randrange(3)),
        release_id=f"release-{number}",
        release_at=released,
        title=f"Contract {number}",
        buyer=BUYER,
        suppliers=winners,
        is_framework=chance.random() < 0.1,
        status=chance.choice(["active", "active", "active", "cancelled", "pending"]),
        awarded_on=None if tender else released.date() - timedelta(days=chance.randrange(30)),
        initial_value=Decimal(chance.randrange(1, 10_000_000)) / 100 if chance.random() < 0.9 else None,
        initial_value_gross=Decimal(chance.randrange(1, 1_000_000)) if chance.random() < 0.2 else None,
        currency="GBP",
        basis="official" if chance.random() < 0.9 else "reported",
        source=source(number),
    )


def random_event(chance: random.Random, number: int) -> EnforcementItem | IncidentItem:
    supplier = SupplierRef(chance.choice(NAMES), company_number=chance.choice(NUMBERS))
    happened = date(2019, 1, 1) + timedelta(days=chance.randrange(2000))
    document = SourceDocument(url=f"https://regulator.example/{number}", kind="regulator", publisher="Regulator")
    if chance.random() < 0.6:
        amounts = [Money(Decimal(chance.randrange(1000, 900_000)), "fine")]
        if chance.random() < 0.5:
            amounts.append(Money(Decimal(chance.randrange(100, 9000)), "costs"))
        return EnforcementItem(
            fact_key=f"regulator/{chance.randrange(30)}", supplier=supplier, kind="fine", action_date=happened,
            amounts=amounts, basis="official", source=document, title=f"Fine {number}",
        )  # fmt: skip
    return IncidentItem(
        fact_key=f"incident/{chance.randrange(30)}", supplier=supplier, kind="data_breach", incident_date=happened,
        source=document, title=f"Breach {number}",
    )  # fmt: skip


def supplier_ids(engine, where: str = "1 = 1") -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(text(f"SELECT id FROM suppliers WHERE {where} ORDER BY id")))


def random_decision(chance: random.Random, engine, number: int) -> None:
    """A person's merge, split, group or ungroup of random suppliers; one that would make the data wrong is refused
    and changes nothing."""
    ids = supplier_ids(engine)
    first, second = chance.sample(ids, 2)
    action = chance.choice(["merge", "split", "group", "group", "ungroup"])
    try:
        with engine.begin() as connection:
            if action == "merge":  # of a name-only supplier, as company numbers that differ are refused
                name_only = supplier_ids(engine, "company_number IS NULL")
                review.merge(connection, first, chance.choice(name_only), by="test")
            elif action == "group":
                review.group(connection, first, second, by="test")
            elif action == "ungroup":
                review.ungroup(connection, first, by="test")
            else:
                names = review.names_of(connection, first)
                own = review.supplier(connection, first).name
                others = [name for name in names if review.name_key(name) != review.name_key(own)]
                if not others:
                    raise review.DecisionRefused("nothing to split")
                review.split(connection, first, [chance.choice(others)], by="test")
    except review.DecisionRefused:
        pass


@pytest.mark.parametrize("seed", [1, 2])
def test_the_totals_kept_by_writes_equal_the_totals_added_up_afresh(engine, seed):
    chance = random.Random(seed)
    store = Store(engine)
    for step in range(12):
        items = [random_contract(chance, step * 100 + n) for n in range(chance.randrange(5, 25))]
        items += [random_event(chance, step * 100 + 50 + n) for n in range(chance.randrange(0, 4))]
        if chance.random() < 0.3:
            member, parent = chance.sample(NAMES, 2)
            items.append(GroupMembershipItem(SupplierRef(member), SupplierRef(parent)))
        assert store.write(items) == []
        assert_summary_matches(engine)
        for decision in range(chance.randrange(1, 4)):
            random_decision(chance, engine, step * 10 + decision)
            assert_summary_matches(engine)
    records = assert_summary_matches(engine)
    assert sum(row["contracts_count"] for row in records.values()) > 20
    assert any(row["group_id"] != row["supplier_id"] for row in records.values())
    with engine.connect() as connection:
        decided = set(connection.scalars(text("SELECT DISTINCT action FROM supplier_decisions")))
        superseded = connection.scalar(text("SELECT COUNT(*) FROM contracts WHERE superseded_by IS NOT NULL"))
    assert {"merge", "group"} <= decided
    assert superseded > 0


def test_a_rebuild_gives_the_totals_the_writes_kept(engine):
    chance = random.Random(3)
    Store(engine).write([random_contract(chance, n) for n in range(60)] + [random_event(chance, n) for n in range(9)])
    before = assert_summary_matches(engine)
    with engine.begin() as connection:
        rebuild_all(connection)
    assert assert_summary_matches(engine) == before
    assert len(before) == len(supplier_ids(engine))


def test_refresh_totals_catches_up_with_a_change_made_by_hand(engine, database_url):
    Store(engine).write(serco.ALL_ITEMS)
    with engine.begin() as connection:
        connection.execute(text("UPDATE contracts SET initial_value_gbp = 1000 WHERE ocid LIKE '%test-and-trace'"))
    with engine.connect() as connection:
        stale = rows_by(connection, "SELECT * FROM supplier_record", "supplier_id")
        assert stale != recomputed(connection, "supplier_record", "supplier_id")
    result = CliRunner().invoke(main, ["--db", database_url, "db", "refresh-totals"])
    assert result.exit_code == 0, result.output
    assert "totals worked out again for 3 suppliers and 1 group" in result.output
    records = {row["supplier_name"]: row for row in assert_summary_matches(engine).values()}
    assert records["SERCO LIMITED"]["contracts_value_gbp"] == Decimal("1000.00")
