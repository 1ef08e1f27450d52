"""The database itself refuses writes on a read-only connection and to a reader role, even past the statement check;
the statement check reads names as PostgreSQL does."""

import pytest
from postgres_server import only_postgresql
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from watchdog.database.readonly import StatementRefused, read_only_connection, single_select

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.mark.parametrize(
    "sql", ["DELETE FROM suppliers", "CREATE TABLE t (x INTEGER)", "UPDATE suppliers SET name = 'x'"]
)
def test_the_connection_cannot_write(engine, database_url, sql):
    with read_only_connection(database_url) as connection:
        with pytest.raises(DBAPIError):
            connection.exec_driver_sql(sql)


def test_single_select_accepts_reading_queries():
    assert single_select("  WITH x AS (SELECT 1 AS n) SELECT n FROM x; ") == "WITH x AS (SELECT 1 AS n) SELECT n FROM x"
    assert (
        single_select("-- the record\nSELECT * FROM supplier_record") == "-- the record\nSELECT * FROM supplier_record"
    )


@pytest.mark.parametrize("sql", ["", "  ;  ", "-- nothing"])
def test_single_select_refuses_nothing(sql):
    with pytest.raises(StatementRefused, match="no SQL statement"):
        single_select(sql)


@pytest.mark.parametrize(
    "sql",
    [
        """select "pg_read_file"('/etc/passwd', 0, 40)""",
        """select "PG_READ_FILE"('/etc/passwd')""",
        "select pg_read_file/* a /* nested */ comment */('/etc/passwd', 0, 40)",
        "select pg_read_file -- a comment\n('/etc/passwd', 0, 40)",
        """select pg_catalog."pg_read_file"('/etc/passwd')""",
        r"""select U&"\0070g_read_file"('/etc/passwd')""",
        r"""select U&"\+000070g_read_file"('/etc/passwd')""",
        """select U&"!0070g_read_file" /* */ UESCAPE '!' ('/etc/passwd')""",
        "select query_to_xml('select pg_read_'||'file(''/etc/passwd'')', true, false, '')",
        "select query_to_xml_and_xmlschema('select 1', true, false, '')",
        "select table_to_xml('suppliers', true, false, '')",
        "select ts_stat('select to_tsvector(pg_read_file(''/etc/passwd''))')",
        """select "lo_import"('/etc/passwd')""",
        "select loread(lo_open(1, 262144), 10)",
        "select pg_stat_file('/etc/passwd')",
        "select pg_ls_dir('.')",
        """select "pg_terminate_backend"(pid) from pg_stat_activity where usename = current_user""",
        r"select E'\'', pg_read_file('/etc/passwd') -- '",
        "select 'a -- not a comment', pg_read_file('/etc/passwd')",
        "select $$ a string $$, pg_read_file('/etc/passwd')",
    ],
)
def test_server_functions_are_refused_however_their_names_are_written(sql):
    with pytest.raises(StatementRefused, match="acts on the database server"):
        single_select(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "select 'pg_read_file(1)' as text_only",
        "select name from suppliers -- pg_sleep(10)",
        "select /* lo_import('x') */ name from suppliers",
        "select $tag$ pg_read_file('x') $tag$",
        r"select E'\' pg_read_file(1) '",
        'select name as "lo_import is only a column name here" from suppliers',
    ],
)
def test_names_in_strings_and_comments_are_not_calls(sql):
    assert single_select(sql) == sql


@pytest.mark.parametrize("sql", ["select 'open", 'select "open', "select /* open /* */", "select $a$ open"])
def test_a_quote_or_comment_that_does_not_end_is_refused(sql):
    with pytest.raises(StatementRefused, match="does not end"):
        single_select(sql)


@only_postgresql
def test_the_reader_can_read_the_tables_and_views_and_nothing_else(postgres_server_url, engine, reader_url):
    """As the reader role, whatever the SQL and with no read-only transaction, no file, session or table is touched."""
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE ROLE watchdog_test_crawler LOGIN"))
    crawler = create_engine(make_url(engine.url).set(username="watchdog_test_crawler"), poolclass=NullPool)
    reader = create_engine(reader_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with crawler.connect() as crawl_session:
            crawl_pid = crawl_session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            for sql in [
                "SELECT pg_read_file('/etc/passwd', 0, 40)",
                "SELECT pg_read_binary_file('/etc/passwd')",
                "SELECT pg_stat_file('/etc/passwd')",
                "SELECT pg_ls_dir('.')",
                "SELECT lo_import('/etc/passwd')",
                "COPY (SELECT 1) TO '/tmp/watchdog_test_copy'",
                f"SELECT pg_terminate_backend({crawl_pid})",
                f"SELECT pg_cancel_backend({crawl_pid})",
                "INSERT INTO suppliers (name, name_key, first_seen_at, last_seen_at) VALUES ('a', 'a', now(), now())",
                "UPDATE suppliers SET name = 'x'",
                "DELETE FROM suppliers",
                "TRUNCATE suppliers",
                "CREATE TABLE public.planted (x integer)",
                "CREATE SCHEMA planted",
                "CREATE VIEW public.planted AS SELECT 1",
                "SELECT nextval('suppliers_id_seq')",
            ]:
                with reader.connect() as connection:
                    connection.exec_driver_sql("SET default_transaction_read_only = off")
                    with pytest.raises(DBAPIError) as refused:
                        connection.exec_driver_sql(sql)
                    assert refused.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE, sql
            assert crawl_session.execute(text("SELECT 1")).scalar_one() == 1
        with reader.connect() as connection:
            readable = inspect(connection).get_table_names() + inspect(connection).get_view_names()
            assert {"suppliers", "contracts", "supplier_record", "supplier_events"} <= set(readable)
            for name in readable:
                connection.exec_driver_sql(f'SELECT * FROM "{name}" LIMIT 1').all()
    finally:
        reader.dispose()
        crawler.dispose()
        with admin.connect() as connection:
            connection.execute(text("DROP ROLE watchdog_test_crawler"))
        admin.dispose()
