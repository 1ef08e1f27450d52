"""What `query`, `export` and `supplier` print: dates at their precision, money to the penny on both backends."""

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from watchdog.cli import main
from watchdog.database.readonly import is_money_column, output_value
from watchdog.items import BuyerRef, ContractItem, EnforcementItem, Money, SourceDocument, SupplierRef
from watchdog.normalise.dates import display_date, parse_date
from watchdog.storage.store import Store

PENNIES = re.compile(r"\d+\.\d\d")
TRANSPORT = SupplierRef("Northway Transport Ltd", company_number="04142000")
CLEANING = SupplierRef("Brightside Cleaning Ltd", company_number="08522643")


def contract(number: int, supplier: SupplierRef, value: str) -> ContractItem:
    url = f"https://www.contractsfinder.service.gov.uk/Notice/penny-{number}"
    return ContractItem(
        ocid=f"ocds-b5fd17-penny-{number}",
        award_id="1",
        title=f"Contract {number}",
        buyer=BuyerRef("Department for Transport"),
        suppliers=[supplier],
        awarded_on=date(2024, 3, number),
        initial_value=Decimal(value),
        currency="GBP",
        notice_url=url,
        source=SourceDocument(url=url, kind="procurement", publisher="Contracts Finder"),
    )


FINE = EnforcementItem(
    fact_key="orr/northway/2024",
    supplier=TRANSPORT,
    kind="fine",
    authority="Office of Rail and Road",
    action_date=date(2024, 6, 12),
    title="Fine for safety failings",
    amounts=[Money(Decimal("1234567.89"), "fine"), Money(Decimal("98765.43"), "costs")],
    source=SourceDocument(
        url="https://regulator.example/northway", kind="regulator", fetched_at=datetime(2024, 7, 1, tzinfo=UTC)
    ),
)


@pytest.fixture
def pennies_db(engine, database_url, reader_url):
    Store(engine).write([contract(1, TRANSPORT, "9481113.51"), contract(2, CLEANING, "25755000"), FINE])
    return database_url


def run(database_url, *args):
    result = CliRunner().invoke(main, ["--db", database_url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("text", "shown"),
    [("14 May 2020", "2020-05-14"), ("2020-05-14T23:30:00+01:00", "2020-05-14"), ("May 2020", "May 2020"),
     ("December 2013", "December 2013"), ("2016-17", "2016-17"), ("2016/17", "2016-17"), ("2016-2017", "2016-17"),
     ("1999-00", "1999-00"), ("2019", "2019"), ("soon", "date unknown"), ("", "date unknown")],
)  # fmt: skip
def test_a_date_is_shown_at_its_precision(text, shown):
    reported = parse_date(text)
    assert display_date(reported.value, reported.precision, reported.text) == shown


def test_a_year_is_a_financial_year_only_when_written_as_one():
    assert display_date(date(2016, 1, 1), "year") == "2016"
    assert display_date(date(2016, 1, 1), "year", "the year to March 2017") == "2016"
    assert display_date(date(2016, 1, 1), "unknown", "2016-17") == "date unknown"
    assert display_date(None, "day") == "date unknown"


def test_money_columns_come_from_the_models_and_the_views():
    for name in ("initial_value", "maximum_value", "amount", "amount_gbp", "contracts_value_gbp", "value_change"):
        assert is_money_column(name)
    assert is_money_column("total_gbp")
    for name in ("contracts_count", "supplier_id", "releases_count", "total"):
        assert not is_money_column(name)


@pytest.mark.parametrize(
    ("value", "money", "printed"),
    [(25755000.0, True, "25755000.00"), (25755000, True, "25755000.00"), (Decimal("25755000.00"), True, "25755000.00"),
     (9481113.510000002, True, "9481113.51"), (2.675, True, "2.68"), (None, True, None), ("n/a", True, "n/a"),
     (9481113.510000002, False, "9481113.51"), (25755000.0, False, "25755000"), (0.1 + 0.2, False, "0.3"),
     (1e-7, False, "0.0000001"), (12345678901234567890, False, 12345678901234567890), (7, False, 7),
     (Decimal("25755000.00"), False, "25755000"), (Decimal("1.50"), False, "1.5"),
     (Decimal("12345.6666666666666667"), False, "12345.6666666667"), (12345.666666666666, False, "12345.6666666667"),
     (date(2020, 5, 1), False, "2020-05-01")],
)  # fmt: skip
def test_values_print_without_float_noise(value, money, printed):
    assert output_value(value, money) == printed


def test_export_writes_money_to_the_penny(pennies_db):
    events = csv_rows(run(pennies_db, "export", "supplier_events"))
    assert sorted(row["amount"] for row in events) == ["1234567.89", "25755000.00", "9481113.51", "98765.43"]
    assert all(PENNIES.fullmatch(row["amount_gbp"]) for row in events)
    record = {row["supplier_name"]: row for row in csv_rows(run(pennies_db, "export", "supplier_record"))}
    transport, cleaning = record["Northway Transport Ltd"], record["Brightside Cleaning Ltd"]
    assert (transport["contracts_value_gbp"], transport["penalties_value_gbp"]) == ("9481113.51", "1333333.32")
    assert (cleaning["contracts_value_gbp"], cleaning["penalties_value_gbp"]) == ("25755000.00", "0.00")
    assert cleaning["contracts_count"] == "1"


def test_sums_in_a_query_are_exact_and_the_same_on_both_backends(pennies_db):
    sums = run(
        pennies_db,
        "query",
        "SELECT supplier_name, SUM(amount_gbp) AS amount_gbp, COUNT(*) AS rows_count FROM supplier_events "
        "GROUP BY supplier_name ORDER BY supplier_name",
    )
    assert sums.splitlines() == [
        "supplier_name              amount_gbp  rows_count",
        "-----------------------  ------------  ------------",
        "Brightside Cleaning Ltd   25755000.00  1",
        "Northway Transport Ltd    10814446.83  3",
        "(2 rows)",
    ]
    not_named_as_money = (
        "SELECT SUM(amount) AS total, AVG(amount) AS average, "
        "SUM(CASE WHEN event_type = 'enforcement' THEN amount END) AS penalties FROM supplier_events"
    )
    assert run(pennies_db, "export", "--sql", not_named_as_money).splitlines() == [
        "total,average,penalties",
        "36569446.83,9142361.7075,1333333.32",
    ]


def test_supplier_prints_pounds_to_the_penny(pennies_db):
    output = run(pennies_db, "supplier", "04142000")
    totals = next(line for line in output.splitlines() if line.startswith("This entity"))
    assert totals.split()[2:7] == ["1", "£9,481,113.51", "1", "£1,333,333.32", "0"]
    assert "    £1,234,567.89 fine\n" in output
    assert "    £98,765.43 costs\n" in output
    assert "2024-06-12  enforcement: fine\n" in output
    assert "£25,755,000 " in run(pennies_db, "supplier", "Brightside Cleaning")
