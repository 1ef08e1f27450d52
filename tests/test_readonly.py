"""The database itself refuses writes on a read-only connection, even past the statement check."""

import pytest
from sqlalchemy.exc import DBAPIError

from watchdog.readonly import StatementRefused, read_only_connection, single_select


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
