"""The fast write path: statements compiled once, COPY on PostgreSQL, bounded memories."""

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from crawling import last_run
from fake_portal import REALDATA, fixture
from postgres_server import only_postgresql, scratch_database
from sqlalchemy import Engine, event, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator
from test_ingest import comparable_rows

from watchdog.cli.crawl import project_settings
from watchdog.database import db, upsert
from watchdog.database.models import Supplier, SupplierIdentifier, UTCDateTime
from watchdog.identity.resolver import SupplierResolver
from watchdog.items import ContractItem, SourceDocument, SupplierRef
from watchdog.normalise.names import name_key
from watchdog.sources.ingest import Ingest
from watchdog.storage.contracts import RecentFingerprints
from watchdog.storage.store import Store

CONTRACTS_FINDER_PAGE = "cf_search_page_2025-01-20_to_2025-01-23_100releases.json"
FIND_A_TENDER_PAGE = "fts_release_package_2026-10-06_limit4.json"


def ingest(database_url, *paths, batch_size=1000):
    return Ingest(database_url, project_settings(database_url, {}), batch_size=batch_size).run(list(paths))


def republished(tmp_path):
    """The Contracts Finder page published again a day later, every award worth £1,000 more: each release is new
    (another fingerprint) and replaces the stored rows of its contracts."""
    page = fixture(CONTRACTS_FINDER_PAGE)
    for release in page["releases"]:
        release["date"] = (datetime.fromisoformat(release["date"]) + timedelta(days=1)).isoformat()
        for award in release.get("awards") or []:
            if (award.get("value") or {}).get("amount") is not None:
                award["value"]["amount"] += 1000
    path = tmp_path / "republished.json"
    path.write_text(json.dumps(page))
    return path


@pytest.fixture
def other_postgres_url(postgres_server_url):
    """A second empty database on the test server."""
    with scratch_database(postgres_server_url, f"watchdog_test_{os.getpid()}_copy") as url:
        yield url


def staged_upserts(database_url, monkeypatch, copy_from_rows, paths):
    """Ingest the files, upserting through COPY from `copy_from_rows` rows up; returns the rows stored, and how many
    upserts went through a staging table."""
    monkeypatch.setattr(upsert, "COPY_FROM_ROWS", copy_from_rows)
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    staged = []

    def count_staged(connection, cursor, statement, *rest):
        staged.append(statement.startswith("WITH staged"))

    event.listen(Engine, "before_cursor_execute", count_staged)
    try:
        for path in paths:
            assert ingest(database_url, path).errors == 0
    finally:
        event.remove(Engine, "before_cursor_execute", count_staged)
    return comparable_rows(engine), sum(staged)


@only_postgresql
def test_copy_gives_the_rows_executemany_gives(database_url, other_postgres_url, monkeypatch, tmp_path):
    files = [REALDATA / CONTRACTS_FINDER_PAGE, REALDATA / FIND_A_TENDER_PAGE, republished(tmp_path)]
    copied, staged = staged_upserts(database_url, monkeypatch, 1, files)
    executed, none_staged = staged_upserts(other_postgres_url, monkeypatch, 10**9, files)
    assert staged > 0 and none_staged == 0
    assert copied == executed
    assert (len(copied["contracts"]), len(copied["releases"]), len(copied["awards"])) == (99, 104, 73)
    assert dict(copied["awards"])["ocds-h6vhtk-06d285"] == "SWITCH UP C.I.C."
    value = {(ocid, award_id): initial_value for ocid, award_id, _, _, _, initial_value, *_ in copied["contracts"]}
    ocid = "ocds-b5fd17-e3b5f385-5989-4cf1-8849-01c247fc9c30"
    assert value[(ocid, f"{ocid}-1")] == Decimal(93007 + 1000)  # the later release won


@only_postgresql
def test_a_value_copy_refuses_rejects_its_item_alone(engine):
    """A batch the staging table refuses (a status longer than the column) is written item by item, as one that
    executemany refuses is: the item is rejected with the database's reason, the other 119 are stored."""
    items = [
        ContractItem(
            ocid=f"ocds-b5fd17-copy-{n}", award_id="1", status="x" * 50 if n == 7 else "active",
            source=SourceDocument(f"https://cf.example/copy-{n}", "procurement"), suppliers=[SupplierRef(f"Firm {n}")],
        )
        for n in range(120)
    ]  # fmt: skip
    rejected = Store(engine).write(items)
    assert [(refusal.item.ocid, refusal.database_unavailable) for refusal in rejected] == [
        ("ocds-b5fd17-copy-7", False)
    ]
    assert "value too long for type character varying(40)" in rejected[0].reason
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM contracts WHERE status = 'active'")) == 119


def test_batches_of_7_write_what_one_batch_writes(engine, database_url, tmp_path):
    """Small batches (statements reused batch after batch) give the rows of one batch of all the releases; a release
    read again in the next batch is this ingest's, written again rather than taken as seen before."""
    page = fixture(CONTRACTS_FINDER_PAGE)
    page["releases"].insert(8, page["releases"][3])  # the next batch of 7 repeats one of the first
    repeated = tmp_path / "repeated.json"
    repeated.write_text(json.dumps(page))
    small = ingest(database_url, repeated, batch_size=7)
    assert (small.releases, small.unchanged, small.stored, small.dropped, small.errors) == (101, 0, 101, 0, 0)
    rows = comparable_rows(db.make_engine(database_url))
    single_url = f"sqlite:///{tmp_path / 'single.db'}"
    db.upgrade(db.make_engine(single_url))
    assert ingest(single_url, repeated, batch_size=1000).stored == 101
    assert rows == comparable_rows(db.make_engine(single_url))
    assert len(rows["contracts"]) == 95 and len(rows["awards"]) == 70
    again = ingest(database_url, repeated, batch_size=7)
    assert (again.unchanged, again.stored) == (101, 0)
    assert last_run(db.make_engine(database_url)).stats["releases_unchanged"] == 101  # once in each batch


def test_a_bounded_resolver_finds_in_batch_50_the_supplier_of_batch_1(engine):
    resolver = SupplierResolver(remembered=10)
    first = [
        SupplierRef("Welland Works Ltd"),
        SupplierRef("Marstons Trading Limited", company_number="01234567"),
        SupplierRef("Ouse Care CIC", identifiers={"GB-CHC": "1099999"}),
    ]
    now = datetime(2026, 11, 28, tzinfo=UTC)
    with engine.begin() as connection:
        first_ids = resolver.resolve(connection, first, now)
    for batch in range(2, 50):
        refs = [
            SupplierRef(f"Firm {batch}-{n} Ltd", company_number=f"{batch:02d}{n:06d}" if n % 2 else None,
                        identifiers={"GB-CHC": f"{batch}-{n}"} if n % 4 == 0 else {})
            for n in range(20)
        ]  # fmt: skip
        with engine.begin() as connection:
            resolver.resolve(connection, refs, now)
        memories = (resolver.by_name, resolver.by_number, resolver.by_identifier, resolver.aliases_written)
        assert all(len(memory) <= 2 * 10 + 20 for memory in memories)
    remembered = [key for memory in memories for key in [*memory.new, *memory.old]]
    assert name_key("Welland Works Ltd") not in remembered
    assert "01234567" not in remembered and ("GB-CHC", "1099999") not in remembered
    fiftieth = [
        SupplierRef("WELLAND WORKS LIMITED"),
        SupplierRef("Marstons", company_number="1234567"),
        SupplierRef("Ouse Care", identifiers={"GB-CHC": "1099999"}),
    ]
    with engine.begin() as connection:
        assert resolver.resolve(connection, fiftieth, now) == first_ids
        assert connection.scalar(text("SELECT COUNT(*) FROM suppliers")) == 3 + 48 * 20
        assert connection.scalar(text("SELECT COUNT(*) FROM supplier_aliases")) == 6 + 48 * 20


def test_recent_fingerprints_are_bounded():
    written = RecentFingerprints(limit=3)
    written.add(["a", "b", "c"])
    written.add(["d", "b"])
    assert written.not_among(["a", "b", "c", "d", "e"]) == {"a", "e"}


def test_an_upsert_of_thousands_of_rows_reads_back_each_id(engine):
    """Through COPY on PostgreSQL, executemany on SQLite; ids read back by composite key, in chunks on SQLite."""
    now = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    seen = {"first_seen_at": now, "last_seen_at": now}
    with engine.begin() as connection:
        supplier_id = connection.execute(
            Supplier.__table__.insert().values(name="Welland Works Ltd", name_key="welland works", **seen)
        ).inserted_primary_key[0]
        rows = [
            {"scheme": "GB-PPON", "identifier": f"P{n:05d}", "supplier_id": supplier_id, **seen} for n in range(2500)
        ]
        upsert.upsert(connection, SupplierIdentifier.__table__, rows, ["scheme", "identifier"])
        upsert.upsert(connection, SupplierIdentifier.__table__, rows[:3], ["scheme", "identifier"])
        keys = [("GB-PPON", f"P{n:05d}") for n in range(2500)]
        ids = upsert.ids_by_key(connection, SupplierIdentifier.__table__, ["scheme", "identifier"], keys)
        stored = dict(connection.execute(text("SELECT id, identifier FROM supplier_identifiers")).all())
        times = connection.scalars(select(SupplierIdentifier.last_seen_at).distinct()).all()
    assert len(ids) == 2500 and len(stored) == 2500
    assert all(stored[row_id] == identifier for (_, identifier), row_id in ids.items())
    assert times == [now]
    later = {"first_seen_at": now + timedelta(days=1), "last_seen_at": now + timedelta(days=1)}
    again = [{**row, **later} for row in rows[2400:]]  # 100 stored, 50 new, returned by the upsert on PostgreSQL
    again += [{**row, "identifier": f"Q{n:05d}", **later} for n, row in enumerate(rows[:50])]
    with engine.begin() as connection:
        returned = upsert.upsert_ids(connection, SupplierIdentifier.__table__, again, ["scheme", "identifier"])
        keys = [("GB-PPON", row["identifier"]) for row in again]
        assert returned == upsert.ids_by_key(connection, SupplierIdentifier.__table__, ["scheme", "identifier"], keys)
    assert len(returned) == 150 and all(returned[key] == row_id for key, row_id in ids.items() if key in returned)


def test_utc_times_are_bound_as_sqlalchemy_would_store_them():
    """UTCDateTime's one-step conversion for SQLite gives the text of SQLAlchemy's own three steps."""
    dialect = sqlite.dialect()
    type_ = UTCDateTime().dialect_impl(dialect)
    fast, generic = type_.bind_processor(dialect), TypeDecorator.bind_processor(type_, dialect)
    moments = [
        datetime(2025, 1, 23, 22, 10, 19, tzinfo=UTC),
        datetime(2025, 1, 23, 22, 10, 19, 120034, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(987, 6, 5, 4, 3, 2, 1, tzinfo=UTC),
        None,
    ]
    assert [fast(moment) for moment in moments] == [generic(moment) for moment in moments]
    assert fast(moments[1]) == "2025-01-23 16:40:19.120034"
    with pytest.raises(ValueError, match="without a time zone"):
        fast(datetime(2025, 1, 23))
