"""The `watchdog` command as a person uses it: upgrade, export, query, supplier."""

import csv
import io
from decimal import Decimal

import pytest
import serco
from click.testing import CliRunner

from watchdog.cli import main
from watchdog.store import Store

REFUSED = [
    "DELETE FROM suppliers",
    "UPDATE suppliers SET name = 'x'",
    "DROP TABLE suppliers",
    "ATTACH DATABASE 'elsewhere.db' AS elsewhere",
    "SELECT 1; DELETE FROM suppliers",
    "SELECT 1 /* ; */; DROP TABLE suppliers",
    "select name from suppliers;\n-- harmless?\nDELETE FROM suppliers",
    "WITH gone AS (DELETE FROM suppliers RETURNING id) SELECT * FROM gone",
    "PRAGMA query_only = OFF",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "SELECT lo_creat(-1)",
    "INSERT INTO suppliers (name, name_key, first_seen_at, last_seen_at) VALUES ('a', 'a', '2020-01-01', '2020-01-01')",
]


def run(database_url, *args):
    return CliRunner().invoke(main, ["--db", database_url, *args], catch_exceptions=False)


@pytest.fixture
def serco_db(engine, database_url):
    Store(engine).write(serco.ALL_ITEMS)
    return database_url


def test_upgrade_creates_the_schema_and_export_prints_the_header(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WATCHDOG_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "watchdog.db").exists()
    current = runner.invoke(main, ["db", "current"])
    assert "up to date" in current.output
    exported = runner.invoke(main, ["export", "supplier_record", "-o", "-"])
    assert exported.exit_code == 0
    [header] = exported.output.splitlines()  # columns may be added to a view, at the end
    assert header.startswith(
        "supplier_id,supplier_name,company_number,group_id,group_name,contracts_count,contracts_value_gbp,"
        "enforcement_count,penalties_value_gbp,incidents_count,first_event_date,last_event_date"
    )


def test_export_a_view_as_csv(serco_db, tmp_path):
    target = tmp_path / "record.csv"
    assert run(serco_db, "export", "supplier_record", "-o", str(target), "--excel").exit_code == 0
    content = target.read_text(encoding="utf-8")
    assert content.startswith("\ufeffsupplier_id,")
    rows = {row["supplier_name"]: row for row in csv.DictReader(io.StringIO(content.lstrip("\ufeff")))}
    assert Decimal(rows["Serco Geografix Ltd"]["penalties_value_gbp"]) == Decimal("22900000")
    assert rows["SERCO LIMITED"]["company_number"] == "00242246"


def test_export_sql_streams_the_query(serco_db):
    result = run(serco_db, "export", "--sql", "SELECT name, company_number FROM suppliers ORDER BY name")
    assert result.output.splitlines() == [
        "name,company_number",
        "SERCO LIMITED,00242246",
        "Serco Geografix Ltd,",
        "Serco Group plc,02048608",
    ]


def test_export_refuses_an_unknown_table(serco_db):
    result = CliRunner().invoke(main, ["--db", serco_db, "export", "suppliers; DROP TABLE suppliers"])
    assert result.exit_code == 1
    assert "no table or view is called" in result.output


def test_query_prints_a_table(serco_db):
    result = run(serco_db, "query", "SELECT name FROM suppliers WHERE name LIKE '%Geo%'")
    assert result.exit_code == 0
    assert "Serco Geografix Ltd" in result.output
    assert "(1 rows)" in result.output


@pytest.mark.parametrize("statement", REFUSED)
@pytest.mark.parametrize("command", [["query"], ["export", "--sql"]])
def test_writing_statements_are_refused_and_nothing_changes(serco_db, engine, command, statement):
    with engine.connect() as connection:
        before = connection.exec_driver_sql("SELECT id, name FROM suppliers ORDER BY id").all()
    result = CliRunner().invoke(main, ["--db", serco_db, *command, statement])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, name FROM suppliers ORDER BY id").all() == before


def test_supplier_shows_the_record_and_timeline_with_sources(serco_db):
    result = run(serco_db, "supplier", "242246")
    assert result.exit_code == 0
    output = result.output
    assert output.startswith("SERCO LIMITED (company number 00242246)\nGroup: Serco Group plc (02048608), 3 entities")
    assert "£108,000,000" in output
    assert "£92,400,000" in output
    assert output.index("May 2020  contract: award") < output.index("December 2013  enforcement: repayment [reported]")
    assert "plus VAT £68,500,000 repayment" in output
    assert "source: https://sfo.example/cases/serco-geografix" in output


def test_supplier_prints_dates_as_exact_as_the_sources_wrote_them(serco_db):
    output = run(serco_db, "supplier", "Serco Ltd").output
    assert "\n2016-17  enforcement: service_credit [reported]\n" in output
    assert "\nMay 2020  incident: data_breach [reported]\n" in output
    assert "\nJuly 2019  enforcement: dpa_penalty\n" in output
    this_entity, whole_group = (line.split() for line in output.splitlines() if line.startswith(("This", "Whole")))
    assert this_entity[-3:] == ["2016-17", "May", "2020"]  # its first and last events
    assert whole_group[-4:] == ["December", "2013", "May", "2020"]
    for invented in ("2016-01-01", "2020-05-01", "2013-12-01", "2019-07-01"):
        assert invented not in output


def test_supplier_by_name_and_ambiguity(serco_db):
    assert run(serco_db, "supplier", "Serco", "Ltd").output.startswith("SERCO LIMITED")
    ambiguous = CliRunner().invoke(main, ["--db", serco_db, "supplier", "serco g"])
    assert ambiguous.exit_code == 1
    assert "2 suppliers match" in ambiguous.output
