"""Fixtures: every database test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import socket

import pytest
from postgres_server import PostgresServer, find_bindir
from sqlalchemy import create_engine, make_url, text

from watchdog.database import db
from watchdog.database.reader import READER_URL_VARIABLE, create_reader

POSTGRES_URL_VARIABLE = "WATCHDOG_TEST_POSTGRES_URL"
READER_NAME = "watchdog_test_reader"
database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server_url():
    """A PostgreSQL server for the session: $WATCHDOG_TEST_POSTGRES_URL, or one started from the system's binaries.

    Without either, PostgreSQL tests skip on a developer's machine and fail under CI.
    """
    if os.environ.get(POSTGRES_URL_VARIABLE):
        yield db.database_url(os.environ[POSTGRES_URL_VARIABLE])
        return
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bindir)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database, one per test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'watchdog.db'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    name = f"watchdog_test_{os.getpid()}_{next(database_numbers)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(database_url):
    """A database brought to the newest schema by the migrations."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def reader_url(database_url, engine, monkeypatch):
    """The URL `query` and `export --sql` run people's SQL with, also set in $WATCHDOG_READER_URL: on PostgreSQL a
    reader role made as `watchdog db create-reader` makes it (grants are per database), on SQLite the database's."""
    if engine.dialect.name != "postgresql":
        return database_url
    with engine.begin() as connection:
        create_reader(connection, READER_NAME, password=None)
    url = make_url(database_url).set(username=READER_NAME).render_as_string(hide_password=False)
    monkeypatch.setenv(READER_URL_VARIABLE, url)
    return url


@pytest.fixture
def refusing_address():
    """An address on 127.0.0.1 that refuses connections: its port is bound, and nothing listens."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{bound.getsockname()[1]}"
