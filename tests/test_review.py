"""Supplier identity as a person judges it: review, merge, split, reject, group; decisions outlast re-crawls."""

from decimal import Decimal

import pytest
from click.testing import CliRunner
from crawling import crawl
from fake_portal import FakePortal, fixture
from sqlalchemy import text

from watchdog.cli import main
from watchdog.identity.review import after_crawl
from watchdog.items import ContractItem, SourceDocument, SupplierRef
from watchdog.storage.store import Store

PAGE = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
WINDOW = ["from_date=2025-01-20", "until_date=2025-01-21"]


@pytest.fixture
def portal():
    """The real Contracts Finder page of 100 releases, in one window."""
    with FakePortal("https://www.contractsfinder.service.gov.uk", "/Published/Notices/OCDS/Search",
                    "publishedFrom", PAGE) as portal:  # fmt: skip
        portal.add("2025-01-20T00:00:00", None, portal.page(PAGE["releases"], "2025-01-20T00:00:00"))
        yield portal


def decide(database_url, *arguments):
    environment = {"WATCHDOG_USER": "a reporter"}
    result = CliRunner().invoke(main, ["--db", database_url, "suppliers", *arguments], env=environment)
    assert result.exit_code == 0, result.output
    return result.output


def scalar(engine, sql, **parameters):
    with engine.connect() as connection:
        return connection.execute(text(sql), parameters).scalar()


def offered(engine) -> set[tuple[frozenset[str], str]]:
    """The open review queue: the names of each pair's, or each name group's, suppliers, and why it is offered."""
    with engine.connect() as connection:
        pairs = connection.execute(text(
            "SELECT c.id, a.name, c.reason FROM supplier_match_candidates c JOIN suppliers a "
            "ON a.id IN (c.supplier_id, c.other_supplier_id) WHERE c.status = 'open'"
        )).all()  # fmt: skip
        groups = connection.execute(text(
            "SELECT c.id, s.name, c.reason FROM supplier_match_candidates c "
            "JOIN suppliers s ON s.name_key = c.name_key WHERE c.status = 'open'"
        )).all()  # fmt: skip
    names: dict[int, set[str]] = {}
    reasons = {}
    for item_id, name, reason in [*pairs, *groups]:
        names.setdefault(item_id, set()).add(name)
        reasons[item_id] = reason
    return {(frozenset(names[item_id]), reasons[item_id]) for item_id in names}


def test_a_merge_made_in_review_survives_the_next_crawl(portal, engine, database_url):
    crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    suppliers_before = scalar(engine, "SELECT COUNT(*) FROM suppliers")
    queue = decide(database_url, "review")
    assert "A1 Taxis (14783275), 1 contracts" in queue
    assert "BA Taxis Ltd (no company number), 1 contracts" in queue
    assert "both supplied: Welland Procurement Unit" in queue
    kept = scalar(engine, "SELECT id FROM suppliers WHERE company_number = '14783275'")
    merged = scalar(engine, "SELECT id FROM suppliers WHERE name = 'BA Taxis Ltd'")
    contracts_of_both = scalar(
        engine, "SELECT COUNT(DISTINCT contract_id) FROM contract_suppliers WHERE supplier_id IN (:a, :b)",
        a=kept, b=merged,
    )  # fmt: skip
    decide(database_url, "merge", f"#{kept}", f"#{merged}", "--reason", "same firm, checked at Companies House")

    crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    assert scalar(engine, "SELECT COUNT(*) FROM suppliers") == suppliers_before - 1
    assert scalar(engine, "SELECT COUNT(*) FROM suppliers WHERE name = 'BA Taxis Ltd'") == 0
    record = scalar(engine, "SELECT contracts_count FROM supplier_record WHERE company_number = '14783275'")
    assert record == contracts_of_both
    with engine.connect() as connection:
        logged = connection.execute(
            text("SELECT action, supplier_name, other_name, decided_by, reason FROM supplier_decisions")
        ).one()
    assert tuple(logged) == ("merge", "A1 Taxis", "BA Taxis Ltd", "a reporter", "same firm, checked at Companies House")
    assert "Nothing to review." in decide(database_url, "review")


def test_a_group_record_sums_its_members(portal, engine, database_url, tmp_path, monkeypatch):
    groups = tmp_path / "groups.yaml"
    groups.write_text("- group: Example Holdings plc\n  members: [Solirius Ltd, Matrix SCM Limited]\n")
    monkeypatch.setenv("WATCHDOG_GROUPS_FILE", str(groups))
    crawl(database_url, "contracts_finder", f"base_url={portal.url}", *WINDOW)
    with engine.connect() as connection:
        members = connection.execute(
            text("SELECT contracts_count, contracts_value_gbp FROM supplier_record WHERE group_name = :g"),
            {"g": "Example Holdings plc"},
        ).all()
        group = connection.execute(
            text("SELECT members_count, contracts_count, contracts_value_gbp FROM group_record WHERE group_name = :g"),
            {"g": "Example Holdings plc"},
        ).one()
    assert sorted(Decimal(str(value)) for _, value in members) == [0, 3_000_000, 60_000_000]
    assert (group.members_count, group.contracts_count, Decimal(str(group.contracts_value_gbp))) == (3, 2, 63_000_000)


def item(ocid, name, number):
    return ContractItem(ocid=ocid, source=SourceDocument(f"https://cf.example/{ocid}", "procurement"),
                        suppliers=[SupplierRef(name, company_number=number)])  # fmt: skip


def test_the_same_name_under_two_company_numbers_stays_apart_and_is_offered(engine, database_url):
    Store(engine).write([item("ocds-1", "Serco Limited", "242246"), item("ocds-2", "SERCO LIMITED", "99999999")])
    after_crawl(engine)
    assert scalar(engine, "SELECT COUNT(*) FROM suppliers") == 2
    queue = decide(database_url, "review")
    assert "different company numbers: separate legal entities" in queue
    refused = CliRunner().invoke(main, ["--db", database_url, "suppliers", "merge", "242246", "99999999"])
    assert refused.exit_code == 1
    assert "different company numbers (00242246, 99999999)" in refused.output


def test_a_rejected_pair_is_not_offered_again(engine, database_url):
    Store(engine).write([item("ocds-1", "A1 Taxis", "14783275"), item("ocds-2", "BA Taxis Ltd", None)])
    after_crawl(engine)
    decide(database_url, "reject", "14783275", "BA Taxis Ltd", "--reason", "different owners")
    Store(engine).write([item("ocds-3", "BA Taxis Ltd", None)])
    after_crawl(engine)
    assert "Nothing to review." in decide(database_url, "review")
    assert scalar(engine, "SELECT status FROM supplier_match_candidates") == "rejected"


def test_a_split_moves_a_name_and_its_contracts_for_good(engine, database_url):
    store = Store(engine)
    store.write([item("ocds-1", "Capita Business Services Ltd", "02299747"),
                 item("ocds-2", "Capita Resourcing Ltd", None)])  # fmt: skip
    decide(database_url, "merge", "02299747", "Capita Resourcing Ltd")
    assert scalar(engine, "SELECT COUNT(*) FROM suppliers") == 1
    output = decide(database_url, "split", "02299747", "Capita Resourcing Ltd", "--reason", "a separate company")
    Store(engine).write([item("ocds-3", "Capita Resourcing Ltd", None)])
    after_crawl(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.name, COUNT(*) FROM contract_suppliers cs JOIN suppliers s ON s.id = cs.supplier_id "
                "GROUP BY s.name ORDER BY s.name"
            )  # fmt: skip
        ).all()
    assert [tuple(r) for r in rows] == [("Capita Business Services Ltd", 1), ("Capita Resourcing Ltd", 2)]
    assert output.startswith("split Capita Resourcing Ltd from 02299747 into #")


def test_the_queue_offers_trading_as_spellings_and_bracketed_places_and_merges_neither(engine, database_url):
    Store(engine).write([
        item("ocds-1", "Smith Ltd TA Jones Cleaning", "09876543"),
        item("ocds-2", "Smith Ltd T/A Jones Cleaning", "08765432"),
        item("ocds-3", "Royal School for the Deaf Derby", None),
        item("ocds-4", "Royal School of the Deaf (Derby)", None),
        item("ocds-5", "Zurich Insurance Company t/a Zurich Municipal", None),
        item("ocds-6", "Zurich Insurance Company TA Zurich Municipal", None),
    ])  # fmt: skip
    after_crawl(engine)
    with engine.connect() as connection:
        zurich_names = connection.execute(
            text("SELECT COUNT(DISTINCT supplier_id), COUNT(*) FROM supplier_aliases WHERE name LIKE 'Zurich%'")
        ).one()
    assert offered(engine) == {
        (frozenset(("Royal School for the Deaf Derby", "Royal School of the Deaf (Derby)")), "similar names"),
        (frozenset(("Smith Ltd TA Jones Cleaning", "Smith Ltd T/A Jones Cleaning")),
         "different company numbers: separate legal entities unless a person says otherwise"),
    }  # fmt: skip
    assert tuple(zurich_names) == (1, 2)  # "t/a" and "TA" give one key: one supplier, known by both spellings
    assert scalar(engine, "SELECT COUNT(*) FROM suppliers") == 5
    queue = decide(database_url, "review")
    assert "Royal School of the Deaf (Derby) (no company number), 1 contracts" in queue
    assert "Smith Ltd T/A Jones Cleaning (08765432), 1 contracts" in queue
    refused = CliRunner().invoke(main, ["--db", database_url, "suppliers", "merge", "09876543", "08765432"])
    assert refused.exit_code == 1
    assert "different company numbers (09876543, 08765432)" in refused.output
