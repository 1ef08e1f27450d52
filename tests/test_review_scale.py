"""The review queue at scale: a name many suppliers share is one item, not a pair for every two of them, and the
refresh after a run reads only what the run's new suppliers touch."""

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import event, text

from watchdog.cli import main
from watchdog.database import db
from watchdog.identity import review
from watchdog.identity.matching import DIFFERENT_NUMBERS, SAME_NAME
from watchdog.identity.review import after_crawl, open_candidates, refresh_candidates
from watchdog.items import ContractItem, SourceDocument, SupplierRef
from watchdog.normalise.dates import utcnow
from watchdog.storage.store import Store

NAME_GROUPS = {"Acme Services Ltd": 40, "Beacon Care Limited": 5, "Crown Cleaning Ltd": 3, "Delta Haulage plc": 2}
OTHERS = ["Royal School for the Deaf Derby", "Hitachi Solutions Europe Ltd", "Friends of the Earth"]


def contract(ocid: str, name: str, number: str | None) -> ContractItem:
    return ContractItem(ocid=ocid, source=SourceDocument(f"https://cf.example/{ocid}", "procurement"),
                        suppliers=[SupplierRef(name, company_number=number)])  # fmt: skip


def published() -> list[ContractItem]:
    """50 suppliers in four name groups, each under its own company number, and three names of their own."""
    items, number = [], 10_000_000
    for name, size in NAME_GROUPS.items():
        for _ in range(size):
            number += 1
            items.append(contract(f"ocds-{number}", name, str(number)))
    return items + [contract(f"ocds-other-{i}", name, None) for i, name in enumerate(OTHERS)]


def run(engine, items: list[ContractItem]) -> dict[str, int]:
    """A run as a crawl makes one: its items written, then the review refreshed among what it brought."""
    started = utcnow()
    Store(engine).write(items)
    return after_crawl(engine, since=started)


def queue(engine) -> list[dict]:
    with engine.connect() as connection:
        return open_candidates(connection, limit=100)


def cli(database_url, *arguments) -> str:
    result = CliRunner().invoke(
        main, ["--db", database_url, "suppliers", *arguments], env={"WATCHDOG_USER": "a reporter"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def ids_named(engine, name_key: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.scalars(text("SELECT id FROM suppliers WHERE name_key = :k ORDER BY id"), {"k": name_key})
        )


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_each_name_shared_by_many_suppliers_is_one_item_naming_them_all(engine, database_url):
    assert run(engine, published())["new_candidates"] == 4
    items = queue(engine)
    assert sorted((item["name_key"], len(item["members"]), item["reason"]) for item in items) == [
        ("acme services", 40, DIFFERENT_NUMBERS),
        ("beacon care", 5, DIFFERENT_NUMBERS),
        ("crown cleaning", 3, DIFFERENT_NUMBERS),
        ("delta haulage", 2, DIFFERENT_NUMBERS),
    ]
    acme = next(item for item in items if item["name_key"] == "acme services")
    assert [member["id"] for member in acme["members"]] == ids_named(engine, "acme services")
    assert {member["company_number"] for member in acme["members"]} == {f"{10_000_001 + i:08d}" for i in range(40)}
    assert count(engine, "supplier_match_candidates") == 4  # not 780 + 10 + 3 + 1 pairs
    assert count(engine, "supplier_name_group_members") == 50

    shown = cli(database_url, "review", "--limit", "50")
    first, second = ids_named(engine, "acme services")[:2]
    assert "40 suppliers share the name 'acme services':" in shown
    assert all(f"#{supplier_id:<6} Acme Services Ltd (" in shown for supplier_id in ids_named(engine, "acme services"))
    assert f"one group: watchdog suppliers group #{second} #{first}" in shown
    assert f"not same:  watchdog suppliers reject #{first}   (all 40 are different)" in shown


def test_a_second_refresh_with_nothing_new_reads_only_the_new_suppliers_index(engine):
    run(engine, published())
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *arguments: statements.append(arguments[2]))
    with engine.begin() as connection:
        assert refresh_candidates(connection, utcnow(), since=utcnow()) == 0
    assert len(statements) == 1  # which suppliers are new, through indexes: none, so nothing else is read
    assert "first_seen_at" in statements[0] and "supplier_name_words" in statements[0]
    assert count(engine, "supplier_match_candidates") == 4


def test_a_new_supplier_like_an_old_one_is_offered_as_a_pair_from_its_block_alone(engine, monkeypatch):
    run(engine, published())
    indexed = []

    class RecordedIndex(review.NameIndex):
        def __init__(self, entities, common=None):
            super().__init__(entities, common)
            indexed.append(sorted(entity.name for entity in self.entities.values()))

    monkeypatch.setattr(review, "NameIndex", RecordedIndex)
    assert run(engine, [contract("ocds-new", "Royal School of the Deaf (Derby)", None)])["new_candidates"] == 1
    # the suppliers sharing a rare word with the new one ("of" and "the" are rare among 54 names), not all 54
    assert indexed == [["Friends of the Earth", "Royal School for the Deaf Derby", "Royal School of the Deaf (Derby)"]]
    pairs = [item for item in queue(engine) if item["name_key"] is None]
    assert [([m["name"] for m in pair["members"]], pair["reason"]) for pair in pairs] == [
        (["Royal School for the Deaf Derby", "Royal School of the Deaf (Derby)"], "similar names")
    ]


def test_the_suppliers_of_a_run_whose_review_failed_are_examined_by_the_next_run(engine):
    run(engine, published())
    Store(engine).write([contract("ocds-lost", "Royal School of the Deaf (Derby)", None)])  # no review after it
    assert run(engine, [contract("ocds-next", "Friends of the Earth", None)])["new_candidates"] == 1
    [pair] = [item for item in queue(engine) if item["name_key"] is None]
    assert [member["name"] for member in pair["members"]] == [
        "Royal School for the Deaf Derby",
        "Royal School of the Deaf (Derby)",
    ]


def test_a_rejected_name_group_stays_rejected_until_a_new_member_joins(engine, database_url):
    run(engine, published())
    acme = ids_named(engine, "acme services")
    said = cli(database_url, "reject", f"#{acme[0]}", "--reason", "forty different firms")
    assert said.startswith(f"the 40 suppliers named as #{acme[0]} (#{acme[0]} #{acme[1]} ")
    assert "acme services" not in {item["name_key"] for item in queue(engine)}

    assert run(engine, published())["new_candidates"] == 0  # the same forty, published again
    assert "acme services" not in {item["name_key"] for item in queue(engine)}

    assert run(engine, [contract("ocds-41", "ACME SERVICES LIMITED", "20000041")])["new_candidates"] == 1
    [again] = [item for item in queue(engine) if item["name_key"] == "acme services"]
    assert len(again["members"]) == 41 and again["members"][-1]["company_number"] == "20000041"
    with engine.connect() as connection:
        logged = connection.execute(
            text("SELECT action, supplier_id, other_supplier_id, decided_by, reason FROM supplier_decisions")
        ).one()
    assert tuple(logged) == ("reject", acme[0], None, "a reporter", "forty different firms")


def test_a_name_several_suppliers_share_published_without_a_number_joins_their_group_and_can_be_merged(
    engine, database_url
):
    run(engine, published())
    run(engine, [contract("ocds-unnumbered", "Delta Haulage", None)])  # which of the two? a name-only entity
    first, second, unnumbered = ids_named(engine, "delta haulage")
    [delta] = [item for item in queue(engine) if item["name_key"] == "delta haulage"]
    assert (len(delta["members"]), delta["reason"]) == (3, SAME_NAME)
    shown = cli(database_url, "review", "--limit", "50")
    assert f"same:      watchdog suppliers merge #{first} #{unnumbered}" in shown

    cli(database_url, "merge", f"#{first}", f"#{unnumbered}")
    [delta] = [item for item in queue(engine) if item["name_key"] == "delta haulage"]
    assert [member["id"] for member in delta["members"]] == [first, second]
    assert "Delta Haulage" in delta["members"][0]["names"]


def test_rejecting_a_name_nobody_shares_is_refused(engine, database_url):
    run(engine, published())
    result = CliRunner().invoke(main, ["--db", database_url, "suppliers", "reject", "Friends of the Earth"])
    assert result.exit_code == 1
    assert "no other supplier has the name of 'Friends of the Earth': to reject a pair, name both" in result.output


def test_the_upgrade_folds_same_name_pairs_into_name_groups_and_the_downgrade_spells_them_out(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine, "0009")
    seen = utcnow() - timedelta(days=1)
    suppliers = [(1, "Acme Services Ltd", "acme services", "00000001"), (2, "ACME SERVICES LIMITED", "acme services",
                 "00000002"), (3, "Acme Services", "acme services", "00000003"), (4, "Beacon Care Ltd", "beacon care",
                 "00000004"), (5, "Beacon Care", "beacon care", "00000005"),
                 (6, "Royal School for the Deaf Derby", "royal school for the deaf derby", None),
                 (7, "Royal School of the Deaf (Derby)", "royal school of the deaf", None)]  # fmt: skip
    pairs = [(1, 2, "open"), (1, 3, "open"), (2, 3, "rejected"), (4, 5, "rejected"), (6, 7, "open")]
    with engine.begin() as connection:
        for row in suppliers:
            connection.execute(
                text("INSERT INTO suppliers (id, name, name_key, company_number, first_seen_at, last_seen_at) "
                     "VALUES (:id, :name, :key, :number, :seen, :seen)"),
                dict(zip(("id", "name", "key", "number"), row, strict=True), seen=seen),
            )  # fmt: skip
        for first, second, status in pairs:
            connection.execute(
                text("INSERT INTO supplier_match_candidates (supplier_id, other_supplier_id, score, reason, status, "
                     "found_at) VALUES (:first, :second, 100, 'then', :status, :seen)"),
                {"first": first, "second": second, "status": status, "seen": seen},
            )  # fmt: skip
    db.upgrade(engine, "0010")
    with engine.connect() as connection:
        items = connection.execute(text(
            "SELECT c.name_key, c.supplier_id, c.other_supplier_id, c.status, c.reason, "
            "(SELECT COUNT(*) FROM supplier_name_group_members m WHERE m.candidate_id = c.id) "
            "FROM supplier_match_candidates c ORDER BY c.name_key, c.supplier_id"
        )).all()  # fmt: skip
        words = connection.execute(text("SELECT word FROM supplier_name_words WHERE supplier_id = 7")).scalars().all()
    assert sorted(map(tuple, items), key=str) == sorted([
        ("acme services", None, None, "open", DIFFERENT_NUMBERS, 3),
        ("beacon care", None, None, "rejected", DIFFERENT_NUMBERS, 2),
        (None, 6, 7, "open", "then", 0),
    ], key=str)  # fmt: skip
    assert sorted(words) == ["deaf", "derby", "of", "royal", "school", "the"]

    db.downgrade(engine, "0009")
    with engine.connect() as connection:
        back = connection.execute(text(
            "SELECT supplier_id, other_supplier_id, status FROM supplier_match_candidates ORDER BY supplier_id, "
            "other_supplier_id"
        )).all()  # fmt: skip
    assert [tuple(row) for row in back] == [(1, 2, "open"), (1, 3, "open"), (2, 3, "open"), (4, 5, "rejected"),
                                            (6, 7, "open")]  # fmt: skip
    engine.dispose()
