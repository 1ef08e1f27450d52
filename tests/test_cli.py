"""The `watchdog` command as a person uses it: upgrade, export, query, supplier."""

import csv
import io
from decimal import Decimal

import pytest
import serco
from click.testing import CliRunner
from postgres_server import only_postgresql
from sqlalchemy import create_engine, make_url, text

from watchdog.cli import main
from watchdog.database.reader import READER_URL_VARIABLE
from watchdog.storage.store import Store

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
    # A server function's name quoted, split by a comment, escaped, or its call given as text to run.
    """select "pg_read_file"('/etc/passwd', 0, 40)""",
    "select pg_read_file/* a comment */('/etc/passwd', 0, 40)",
    """select pg_catalog . "pg_read_file" ( -- a comment
    '/etc/passwd', 0, 40)""",
    """select U&"\\0070g_read_file"('/etc/passwd', 0, 40)""",
    """select U&"!0070g_read_file" /* */ UESCAPE '!' ('/etc/passwd', 0, 40)""",
    "select query_to_xml('select pg_read_'||'file(''/etc/passwd'', 0, 40)', true, false, '')",
    """select "lo_import"('/etc/passwd')""",
    "select pg_stat_file('/etc/passwd')",
    """select "pg_terminate_backend"(pid) from pg_stat_activity where usename = current_user""",
]


def run(database_url, *args):
    return CliRunner().invoke(main, ["--db", database_url, *args], catch_exceptions=False)


@pytest.fixture
def serco_db(engine, database_url, reader_url):
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


@only_postgresql
@pytest.mark.parametrize("command", [["query"], ["export", "--sql"]])
def test_sql_is_not_run_as_a_superuser(serco_db, monkeypatch, command):
    monkeypatch.delenv(READER_URL_VARIABLE)
    result = CliRunner().invoke(main, ["--db", serco_db, *command, "SELECT name FROM suppliers"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: queries are not run as postgres, which is a superuser: make a reader role with "
        "`watchdog db create-reader` and give its URL in $WATCHDOG_READER_URL or --reader-url\n"
    )


@pytest.fixture
def owner_url(postgres_server_url, database_url):
    """The database owned by a role that is no superuser (the crawl's, say), and migrated by it."""
    database = make_url(database_url).database
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE ROLE watchdog_test_owner LOGIN"))
        connection.execute(text(f'ALTER DATABASE "{database}" OWNER TO watchdog_test_owner'))
    url = make_url(database_url).set(username="watchdog_test_owner").render_as_string(hide_password=False)
    assert run(url, "db", "upgrade").exit_code == 0
    yield url
    with create_engine(database_url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text("REASSIGN OWNED BY watchdog_test_owner TO postgres"))
        connection.execute(text("DROP OWNED BY watchdog_test_owner"))
    with admin.connect() as connection:
        connection.execute(text("DROP ROLE watchdog_test_owner"))
    admin.dispose()


@only_postgresql
def test_sql_is_not_run_as_the_owner_of_the_tables(owner_url, monkeypatch):
    monkeypatch.delenv(READER_URL_VARIABLE, raising=False)
    result = CliRunner().invoke(main, ["--db", owner_url, "query", "SELECT name FROM suppliers"])
    assert result.exit_code == 1
    assert "not run as watchdog_test_owner, which is the owner of the tables: make a reader role" in result.output


def test_create_reader_makes_the_role_and_can_run_again(engine, database_url):
    first = run(database_url, "db", "create-reader", "--name", "watchdog_test_new_reader", "--password", "it's")
    second = run(database_url, "db", "create-reader", "--name", "watchdog_test_new_reader")
    assert first.exit_code == second.exit_code == 0
    if engine.dialect.name == "sqlite":
        assert first.output == "Nothing to do: SQLite has no roles, and `query` opens it read-only already.\n"
        return
    reader_url = make_url(database_url).set(username="watchdog_test_new_reader", password="it's")
    assert first.output.splitlines()[-1] == f"export WATCHDOG_READER_URL={reader_url.render_as_string()}"
    assert "***@" in first.output
    with engine.connect() as connection:
        role = connection.execute(
            text("SELECT rolcanlogin, rolsuper, rolinherit FROM pg_roles WHERE rolname = 'watchdog_test_new_reader'")
        ).one()
        tables = connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE has_table_privilege('watchdog_test_new_reader', c.oid, 'SELECT')), "
                "count(*) FILTER (WHERE has_table_privilege('watchdog_test_new_reader', c.oid, "
                "'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')), count(*) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')"
            )
        ).one()
    assert tuple(role) == (True, False, False)
    readable, writable, total = tables
    assert (readable, writable) == (total, 0)
    assert total > 20


@only_postgresql
def test_create_reader_refuses_to_make_the_owner_a_reader(engine, database_url):
    result = CliRunner().invoke(main, ["--db", database_url, "db", "create-reader", "--name", "postgres"])
    assert result.exit_code == 1
    assert "postgres creates or owns the tables; the reader must be another role" in result.output
