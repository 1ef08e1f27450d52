"""A query that would never end stops: at its time limit, on Ctrl-C or SIGTERM, and on the server if its client dies."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from postgres_server import only_postgresql
from sqlalchemy import make_url, text

from watchdog.cli import main

# Queries that never end; PostgreSQL's takes a moment over each row, so that the rows it keeps stay few.
FOREVER = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    "postgresql": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE (SELECT count(*) FROM generate_series(1, 100000 + i % 2)) > 0) SELECT count(*) FROM n",
}
STARTS_WITHIN = 60
STOPS_WITHIN = 5


def running_reader_queries(engine) -> list[str]:
    """What the reader role's sessions on the test database are running now."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT query FROM pg_stat_activity WHERE state = 'active' "
                    "AND usename = :reader AND datname = current_database()"
                ),
                {"reader": make_url(os.environ["WATCHDOG_READER_URL"]).username},
            ).scalars()
        )


def wait_until(condition, seconds: float) -> float:
    """Seconds until `condition()` held; fails the test if it did not within `seconds`."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, f"{condition.__doc__} did not happen within {seconds}s"
        time.sleep(0.05)
    return time.monotonic() - start


def open_files(pid: int) -> set[Path]:
    """The files a process has open; one it closes while they are listed is left out."""
    found = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(Path(os.readlink(descriptor)))
        except FileNotFoundError:
            continue  # closed between the listing and the reading of its link
    return found


def start_query(engine, database_url: str, *command: str) -> subprocess.Popen:
    """`watchdog query FOREVER` in a process of its own, once its query is running."""
    sql = FOREVER[engine.dialect.name]
    process = subprocess.Popen(
        [sys.executable, "-m", "watchdog", "--db", database_url, *command, sql],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def query_runs() -> bool:
        """The query started"""
        assert process.poll() is None, process.communicate()
        if engine.dialect.name == "postgresql":
            return bool(running_reader_queries(engine))
        database = Path(make_url(database_url).database).resolve()
        return database in open_files(process.pid)

    wait_until(query_runs, STARTS_WITHIN)
    time.sleep(0.3)
    return process


@pytest.mark.parametrize("command", [["query", "--timeout", "1s"], ["export", "--timeout", "1s", "--sql"]])
def test_a_query_stops_at_its_time_limit(engine, reader_url, database_url, command):
    start = time.monotonic()
    result = CliRunner().invoke(main, ["--db", database_url, *command, FOREVER[engine.dialect.name]])
    took = time.monotonic() - start
    assert result.exit_code == 1
    assert "Error: the query was stopped after 1s, its time limit (--timeout gives another)" in result.output
    assert took < 1 + STOPS_WITHIN, f"took {took:.1f}s"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches the query's process through /proc")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_query_with_a_message(engine, reader_url, database_url, stop):
    process = start_query(engine, database_url, "query")
    start = time.monotonic()
    process.send_signal(stop)
    _, errors = process.communicate(timeout=30)
    took = time.monotonic() - start
    assert process.returncode == 128 + stop
    assert errors == f"Error: the query was stopped by {stop.name}; nothing was changed\n"
    assert took < STOPS_WITHIN, f"took {took:.1f}s"
    if engine.dialect.name == "postgresql":
        assert running_reader_queries(engine) == []


@only_postgresql
def test_the_server_ends_the_query_of_a_killed_client(engine, reader_url, database_url):
    process = start_query(engine, database_url, "query")
    process.kill()
    process.wait()

    def query_ended() -> bool:
        """The server ended the query"""
        return not running_reader_queries(engine)

    took = wait_until(query_ended, STOPS_WITHIN)
    print(f"the server ended the query {took:.1f}s after its client was killed")
