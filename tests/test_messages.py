"""Every mistake an operator can make ends in one line saying what is wrong and what to do, with its exit status:
2 when nothing was done (usage, configuration, a database to make, upgrade or reach), 1 when some work failed.
Never a traceback unless -v; a read never creates a database."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_server import only_postgresql
from sqlalchemy import make_url

REALDATA = Path(__file__).parent / "fixtures" / "realdata"
RELEASE = REALDATA / "cf_release_mod_kpmg_award.json"


def watchdog(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("WATCHDOG_")}
    environment.update(env or {})
    command = [sys.executable, "-m", "watchdog", *args]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


def assert_message(result: subprocess.CompletedProcess, status: int, *words: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == status, output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert error_lines, output
    for word in words:
        assert word in result.stderr, output


NO_DATABASE_READS = [
    ("query", "select 1"),
    ("export", "contracts"),
    ("export", "--sql", "select 1"),
    ("supplier", "Serco"),
    ("suppliers", "review"),
    ("suppliers", "merge", "#1", "#2"),
    ("contracts", "superseded"),
    ("db", "current"),
    ("changes",),
    ("status",),
]


@pytest.mark.parametrize("args", NO_DATABASE_READS, ids=" ".join)
def test_a_command_on_a_folder_without_a_database_says_so_and_creates_none(tmp_path, args):
    result = watchdog(*args, cwd=tmp_path)
    if args == ("status",):
        assert "Traceback" not in result.stdout + result.stderr
        assert result.returncode in (0, 2)
    else:
        assert_message(result, 2, "no database at watchdog.db", "watchdog db upgrade")
    assert list(tmp_path.iterdir()) == []


NEVER_UPGRADED = [
    ("supplier", "Serco"),
    ("suppliers", "review"),
    ("contracts", "superseded"),
    ("export", "contracts"),
    ("crawl", "contracts_finder"),
    ("ingest", str(RELEASE)),
]


@pytest.mark.parametrize("args", NEVER_UPGRADED, ids=" ".join)
def test_a_command_on_a_database_never_upgraded_says_to_upgrade(tmp_path, args):
    (tmp_path / "watchdog.db").touch()
    assert_message(watchdog(*args, cwd=tmp_path), 2, "watchdog db upgrade")


def test_a_sqlite_file_in_a_folder_that_does_not_exist(tmp_path):
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"
    assert_message(watchdog("--db", missing, "db", "current", cwd=tmp_path), 2, "no database at")
    assert_message(watchdog("--db", missing, "db", "upgrade", cwd=tmp_path), 2, "folder", "does not exist")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(
    "args",
    [("db", "upgrade"), ("db", "current"), ("supplier", "Serco"), ("crawl", "news"), ("ingest", str(RELEASE))],
    ids=" ".join,
)
def test_a_postgresql_server_that_is_not_running(tmp_path, args, refusing_address):
    url = f"postgresql://watchdog@{refusing_address}/watchdog"
    assert_message(watchdog("--db", url, *args, cwd=tmp_path), 2, "cannot connect to the database", "server running")


def test_a_postgresql_url_without_its_driver_says_which_extra_to_install(tmp_path):
    shim = tmp_path / "no_driver" / "psycopg"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    result = watchdog(
        "--db", "postgresql://localhost/watchdog", "db", "current", cwd=tmp_path, env={"PYTHONPATH": str(shim.parent)}
    )
    assert_message(result, 2, "pip install 'contract-watchdog[postgres]'")


@pytest.mark.parametrize(
    ("url", "words"),
    [("mysql://localhost/watchdog", "SQLite and PostgreSQL"), ("not a url", "database URL cannot be read")],
)
def test_a_database_url_watchdog_cannot_use(tmp_path, url, words):
    assert_message(watchdog("--db", url, "db", "current", cwd=tmp_path), 2, words)


@only_postgresql
@pytest.mark.parametrize(
    "args", [("db", "current"), ("supplier", "Serco"), ("crawl", "news"), ("query", "select 1")], ids=" ".join
)
def test_a_postgresql_database_that_does_not_exist(tmp_path, database_url, args):
    missing = make_url(database_url).set(database="no_such_watchdog").render_as_string(hide_password=False)
    assert_message(watchdog("--db", missing, *args, cwd=tmp_path), 2, "does not exist", "createdb")


@only_postgresql
@pytest.mark.parametrize("args", [("supplier", "Serco"), ("suppliers", "review"), ("crawl", "news")], ids=" ".join)
def test_a_postgresql_database_never_upgraded(tmp_path, database_url, args):
    assert_message(watchdog("--db", database_url, *args, cwd=tmp_path), 2, "watchdog db upgrade")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("export",), "give a table or view NAME"),
        (("export", "contracts", "--sql", "select 1"), "not both"),
        (("crawl", "no_such_spider"), "no spider called 'no_such_spider'"),
        (("crawl", "contracts_finder", "-a", "from_date=yesterday-ish"), "from_date"),
        (("query", "select 1", "--format", "xml"), "'xml' is not one of"),
        (("crawl", "contracts_finder", "-s", "DOWNLOAD_DELAY=x"), "DOWNLOAD_DELAY takes a number"),
        (("crawl", "contracts_finder", "-s", "ROBOTSTXT_OBEY=maybe"), "ROBOTSTXT_OBEY takes True or False"),
    ],
)
def test_usage_mistakes_exit_2_with_the_reason(tmp_path, args, words):
    assert watchdog("db", "upgrade", cwd=tmp_path).returncode == 0
    assert_message(watchdog(*args, cwd=tmp_path), 2, words)


def test_verbose_shows_the_traceback_behind_the_message(tmp_path, refusing_address):
    url = f"postgresql://watchdog@{refusing_address}/watchdog"
    result = watchdog("--db", url, "db", "current", "-v", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "Error: cannot connect to the database" in result.stderr


def test_an_ingest_says_nothing_of_alembic_unless_verbose(tmp_path):
    assert watchdog("db", "upgrade", cwd=tmp_path).returncode == 0
    quiet = watchdog("ingest", str(RELEASE), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "Context impl" not in quiet.stderr
    assert "1 new" in quiet.stdout
    verbose = watchdog("db", "upgrade", "-v", cwd=tmp_path)
    assert "Context impl" in verbose.stderr


def test_a_schedule_setting_of_the_wrong_kind_stops_crawl_all_before_any_spider(tmp_path):
    assert watchdog("db", "upgrade", cwd=tmp_path).returncode == 0
    schedule = tmp_path / "nightly.toml"
    schedule.write_text('[sfo_dpas]\ncases = "serco"\n[sfo_dpas.settings]\nDOWNLOAD_DELAY = "soon"\n')
    result = watchdog("crawl", "--all", "--schedule", str(schedule), cwd=tmp_path)
    assert_message(result, 2, f"the schedule {schedule} [sfo_dpas]", "DOWNLOAD_DELAY takes a number")
    assert "watchdog crawl sfo_dpas" not in result.stdout


READS = [
    ("db", "current"),
    ("query", "select count(*) from contracts"),
    ("export", "supplier_record"),
    ("supplier", "Serco"),
    ("suppliers", "review"),
    ("contracts", "superseded"),
    ("status",),
    ("changes",),
]


def test_reading_never_changes_the_database_file(tmp_path):
    """Not even its journal mode: a file someone keeps in rollback-journal mode stays so, byte for byte."""
    assert watchdog("db", "upgrade", cwd=tmp_path).returncode == 0
    database = tmp_path / "watchdog.db"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    for args in READS:
        result = watchdog(*args, cwd=tmp_path)
        assert "Traceback" not in result.stderr, (args, result.stderr)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["watchdog.db"]
