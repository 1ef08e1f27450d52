"""The documented ways in (a supplier, a group, a buyer, the top of a record) reach the rows through indexes, so
the record views answer in milliseconds at a million contracts: checked with each backend's EXPLAIN."""

import json

import pytest
import serco
from sqlalchemy import text

from watchdog.database.models import Contract
from watchdog.database.upsert import lookups
from watchdog.storage.store import Store

GROUP = "Serco Group plc"
# Each question, and the tables a plan may read whole (small ones, or the one the question lists entirely).
QUESTIONS = {
    "supplier_record top 20": ("SELECT * FROM supplier_record ORDER BY contracts_value_gbp DESC LIMIT 20", set()),
    "group_record top 20": ("SELECT * FROM group_record ORDER BY contracts_value_gbp DESC LIMIT 20", set()),
    "every group": ("SELECT * FROM group_record", {"group_totals"}),
    "a group's record": (f"SELECT * FROM supplier_events WHERE group_name = '{GROUP}' ORDER BY event_date", set()),
    "a supplier's record": ("SELECT * FROM supplier_events WHERE supplier_id = 1", set()),
    "a supplier by name": (f"SELECT * FROM supplier_record WHERE supplier_name = '{GROUP}'", set()),
    "a buyer's awards": ("SELECT * FROM awards WHERE buyer_name = 'Department of Health and Social Care'", set()),
    "awards in a period": ("SELECT * FROM awards WHERE awarded_on BETWEEN '2020-01-01' AND '2020-12-31'", set()),
}
SQLITE_ALIASES = {"t": None, "g": "suppliers", "s": "suppliers", "c": "contracts", "cs": "contract_suppliers"}


@pytest.fixture
def sample(engine):
    Store(engine).write(serco.ALL_ITEMS)
    return engine


def sqlite_scans(connection, query: str) -> set[str]:
    """The tables (by alias) a SQLite plan reads from end to end; a record view's subquery run once per row too
    (supplier_events looks up each fact's cited source by index, which is fine)."""
    lines = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}"))]
    scans = {line.split()[1] for line in lines if line.startswith("SCAN ")} - {"supplier_events"}
    if "_record" in query:
        scans |= {line for line in lines if line.startswith("CORRELATED")}
    return scans


def postgresql_scans(connection, query: str) -> set[str]:
    """The tables a PostgreSQL plan reads end to end when an index path exists (sequential scans priced out)."""
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    plan = connection.execute(text(f"EXPLAIN (FORMAT JSON) {query}")).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: set[str] = set()

    def walk(node: dict) -> None:
        if node["Node Type"] == "Seq Scan":
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_documented_question_reads_through_indexes(sample, question):
    query, allowed = QUESTIONS[question]
    with sample.begin() as connection:
        if connection.dialect.name == "sqlite":
            scanned = sqlite_scans(connection, query)
            allowed = {alias for alias, table in SQLITE_ALIASES.items() if table is None or table in allowed}
            assert scanned <= allowed, scanned
        else:
            assert postgresql_scans(connection, query) <= allowed
        assert connection.execute(text(query)).first() is not None


def test_the_top_of_a_record_is_read_in_index_order_without_sorting(sample):
    with sample.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("the sort is the planner's choice on PostgreSQL's statistics")
        top_20 = QUESTIONS["supplier_record top 20"][0]
        lines = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {top_20}"))]
        assert lines[0] == "SCAN t USING INDEX ix_supplier_totals_contracts_value_gbp"
        assert not any("TEMP B-TREE" in line for line in lines)
        top = connection.execute(text(top_20)).mappings().first()
    assert (top["supplier_name"], top["group_name"], top["contracts_count"]) == ("SERCO LIMITED", GROUP, 1)


def test_the_write_paths_lookups_by_natural_key_search_the_index(sample):
    """Every batch reads ids back by natural key: a composite key too is one index search per key, not a scan."""
    with sample.begin() as connection:
        known = [tuple(row) for row in connection.execute(text("SELECT ocid, award_id FROM contracts"))]
        for sql, parameters in lookups(connection.dialect, Contract.__table__, ("ocid", "award_id"), known):
            if connection.dialect.name == "sqlite":
                plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]
                assert not [line for line in plan if line.startswith("SCAN stored")], plan
            found = {(ocid, award_id) for _, ocid, award_id in connection.exec_driver_sql(sql, parameters)}
            assert found == {key for key in known if key[1] is not None}
