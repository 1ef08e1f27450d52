"""`watchdog snapshot`: the public views of a PostgreSQL (or SQLite) database, copied into a SQLite file whose views
give the same rows, with search built in, that `watchdog serve` serves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import serco
from click.testing import CliRunner
from newsroom import fill_sample
from sqlalchemy import text
from test_serve import Server

from watchdog.cli import main
from watchdog.database import db
from watchdog.database.views import VIEWS
from watchdog.storage.store import Store
from watchdog.web.snapshot import snapshot


def comparable(value):
    """A value as both backends can agree on it: money to the penny, times to the second, in UTC, as text."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, float)) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T" and value[13] == ":":
        return value[:19].replace("T", " ")
    return value


def view_rows(engine, view: str) -> list[tuple]:
    """Every row of the view, each value comparable, sorted."""
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {view}")).all()
    return sorted((tuple(comparable(value) for value in row) for row in rows), key=repr)


@pytest.fixture
def sample(database_url, engine):
    fill_sample(database_url, engine)
    return engine


def test_the_snapshot_views_give_the_source_views_rows(sample, database_url, tmp_path):
    out = tmp_path / "newsroom.db"
    result = CliRunner().invoke(main, ["--db", database_url, "snapshot", str(out)])
    assert result.exit_code == 0, result.output
    copy = db.make_engine(f"sqlite:///{out}", writing=False)
    lines = result.stdout.splitlines()
    assert lines[0] == f"copied 999 rows of 19 tables into {out}"
    assert lines[1] == f"browse it with: watchdog --db sqlite:///{out} serve"
    for view in VIEWS:
        rows = view_rows(sample, view)
        assert rows, view
        assert view_rows(copy, view) == rows, view
    with copy.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM supplier_events")) == 93
        assert connection.scalar(text("SELECT COUNT(*) FROM supplier_match_candidates")) == 0  # the review's own
        assert connection.scalar(text("SELECT COUNT(*) FROM crawl_runs")) == 5
        legionella = "SELECT rowid FROM enforcement_actions_fts WHERE enforcement_actions_fts MATCH 'legionella'"
        assert len(connection.execute(text(legionella)).all()) == 1
    copy.dispose()
    assert not list(tmp_path.glob("newsroom.db?*")), "no -wal, -shm or partial file beside it"


def test_watchdog_serve_serves_a_snapshot(sample, database_url, tmp_path):
    (tmp_path / "snapshot").mkdir()
    out = tmp_path / "snapshot" / "watchdog.db"
    snapshot(database_url, out, chunk=7)
    running = Server(out, tmp_path)
    try:
        rows = running.rows("/watchdog/buyers_after_trouble", name="Serco", since="", until="")
        found = running.rows("/watchdog/search", words="deferred prosecution agreement")
    finally:
        running.stop()
    assert [(row["buyer_name"], row["awards_after"]) for row in rows] == [("Department of Health and Social Care", 1)]
    assert {row["supplier_name"] for row in found} == {"Serco Geografix Ltd", "G4S Care and Justice Services (UK) Ltd"}


def test_it_will_not_overwrite_a_file_nor_leave_a_part_of_one(engine, database_url, tmp_path):
    out = tmp_path / "taken.db"
    out.write_bytes(b"someone's notes")
    result = CliRunner().invoke(main, ["--db", database_url, "snapshot", str(out)])
    assert (result.exit_code, result.output) == (
        2,
        f"Error: {out} exists already: remove it, or give another file name\n",
    )
    assert out.read_bytes() == b"someone's notes"
    missing = tmp_path / "nowhere" / "copy.db"
    result = CliRunner().invoke(main, ["--db", database_url, "snapshot", str(missing)])
    assert result.exit_code == 2 and "the folder" in result.output and "does not exist" in result.output
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith("watchdog.db")) == ["taken.db"]


def test_the_reader_role_can_make_a_snapshot(engine, reader_url, tmp_path):
    """On PostgreSQL the role that may only read is enough: the copy reads through a read-only transaction."""
    Store(engine).write(serco.ALL_ITEMS)
    (tmp_path / "copies").mkdir()
    out = tmp_path / "copies" / "serco.db"
    counts = snapshot(reader_url, out, chunk=2)
    assert (counts["contracts"], counts["enforcement_actions"], counts["incidents"]) == (1, 3, 1)
    copy = db.make_engine(f"sqlite:///{out}", writing=False)
    with copy.connect() as connection:
        assert connection.scalar(text("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH 'tracers'")) == 1
    assert view_rows(copy, "group_record") == view_rows(engine, "group_record")
    copy.dispose()
