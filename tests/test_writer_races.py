"""Several processes writing into one database at once: new supplier names, buyers and contracts they share are
stored once, as one process writing the same files one after another would store them."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pytest
from fake_portal import fixture
from postgres_server import only_postgresql, scratch_database
from sqlalchemy import text
from test_ingest import comparable_rows, plain

from watchdog.database.db import make_engine
from watchdog.identity.resolver import SupplierResolver
from watchdog.items import SupplierRef
from watchdog.normalise.dates import utcnow

WRITERS = 4
RELEASES_PER_FILE = 240
SHARED_RELEASES = 40  # the same releases (one ocid, one release id) in every file
SUPPLIERS = 90
NUMBERED = 30  # suppliers with a company number; a third of them named without it in some releases
BATCH = "10"  # small transactions, so the writers' transactions interleave many times

RECORD_ROWS = {
    "aliases": "SELECT s.name, a.name FROM supplier_aliases a JOIN suppliers s ON s.id = a.supplier_id "
    "ORDER BY s.name, a.name",
    "buyers": "SELECT name FROM buyers ORDER BY name",
    "record": "SELECT supplier_name, company_number, contracts_count, contracts_value_gbp, shared_awards_count, "
    "shared_awards_ceiling_gbp FROM supplier_record ORDER BY supplier_name",
}


def supplier_party(number: int, named_with_company_number: bool) -> dict:
    """A supplier no database has seen: one spelling everywhere; the first NUMBERED carry a company number."""
    party = {"id": f"GB-CFS-9{number:05d}", "name": f"Racecourse Facilities {number} Ltd", "roles": ["supplier"]}
    if number < NUMBERED and named_with_company_number:
        party["identifier"] = {"scheme": "GB-COH", "id": f"0{7700000 + number}"}
    return party


def award_release(template: dict, ocid: str, choose: random.Random) -> dict:
    """The template's buyer and notice, with its own ocid and one to three suppliers from the shared pool."""
    release = copy.deepcopy(template)
    release["ocid"], release["id"] = ocid, f"{ocid}-award"
    buyer = next(party for party in release["parties"] if "buyer" in party["roles"])
    chosen = choose.sample(range(SUPPLIERS), choose.randint(1, 3))
    parties = [supplier_party(n, n % 3 != 0 or choose.random() < 0.5) for n in chosen]
    release["parties"] = [buyer, *parties]
    award = release["awards"][0]
    award["id"] = f"{ocid}-1"
    award["value"] = {"amount": choose.randrange(10_000, 5_000_000), "currency": "GBP"}
    award["suppliers"] = [{"id": party["id"], "name": party["name"]} for party in parties]
    return release


def write_files(folder) -> list:
    """WRITERS release packages of real-shaped award releases (Contracts Finder's), each its own releases plus the
    shared ones, in an order of its own."""
    page = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
    templates = [release for release in page["releases"] if release.get("awards")]
    choose = random.Random(15)
    shared = [
        award_release(templates[i % len(templates)], f"ocds-b5fd17-race-shared-{i:03d}", choose)
        for i in range(SHARED_RELEASES)
    ]
    paths = []
    for writer in range(WRITERS):
        own = [
            award_release(templates[(writer + i) % len(templates)], f"ocds-b5fd17-race-{writer}-{i:04d}", choose)
            for i in range(RELEASES_PER_FILE - SHARED_RELEASES)
        ]
        releases = own + shared
        random.Random(writer).shuffle(releases)
        package = {key: page[key] for key in ("uri", "version", "publishedDate", "publisher")}
        path = folder / f"writer-{writer}.json"
        path.write_text(json.dumps({**package, "releases": releases}), encoding="utf-8")
        paths.append(path)
    return paths


def ingest_command(database_url: str, *paths) -> list[str]:
    return [sys.executable, "-m", "watchdog", "--db", database_url, "-q", "ingest", "--batch-size", BATCH, *paths]


def record(database_url: str) -> dict[str, list[tuple]]:
    engine = make_engine(database_url)
    try:
        rows = comparable_rows(engine)
        with engine.connect() as connection:
            for name, sql in RECORD_ROWS.items():
                rows[name] = [tuple(plain(value) for value in row) for row in connection.execute(text(sql))]
        return rows
    finally:
        engine.dispose()


@contextmanager
def new_database(database_url: str, suffix: str) -> Iterator[str]:
    """A second empty database beside the fixture's, on the same server (or in the same folder), migrated."""
    if database_url.startswith("sqlite"):
        database = nullcontext(database_url.replace("watchdog.db", f"watchdog-{suffix}.db"))
    else:
        database = scratch_database(database_url, database_url.rsplit("/", 1)[1] + f"_{suffix}")
    with database as url:
        subprocess.run(
            [sys.executable, "-m", "watchdog", "--db", url, "db", "upgrade"], check=True, capture_output=True
        )
        yield url


def test_writers_at_once_store_what_one_writer_stores(database_url, tmp_path):
    paths = write_files(tmp_path)
    with new_database(database_url, "together") as together, new_database(database_url, "alone") as alone:
        writers = [
            subprocess.Popen(ingest_command(together, path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for path in paths
        ]
        outcomes = [(writer.wait(timeout=600), writer.stderr.read()) for writer in writers]
        assert [status for status, _ in outcomes] == [0] * WRITERS, [errors for _, errors in outcomes]
        one = subprocess.run(ingest_command(alone, *paths), capture_output=True, text=True, timeout=600)
        assert one.returncode == 0, one.stderr
        stored, expected = record(together), record(alone)

    distinct_releases = WRITERS * (RELEASES_PER_FILE - SHARED_RELEASES) + SHARED_RELEASES
    assert len(expected["contracts"]) == distinct_releases
    assert len(expected["suppliers"]) == SUPPLIERS
    assert ("Racecourse Facilities 3 Ltd", "07700003") in expected["suppliers"]
    for table, rows in expected.items():
        assert stored[table] == rows, table


def resolve_while_another_writer_waits(engine, first: SupplierRef, second: SupplierRef) -> tuple[int, int]:
    """`first` resolved in a transaction left open while another writer resolves `second`, then committed: the
    supplier ids each got. Without a lock the second writer would not wait, and would not see the first's row."""
    now, resolved = utcnow(), {}
    with engine.connect() as connection:
        transaction = connection.begin()
        [resolved["first"]] = SupplierResolver().resolve(connection, [first], now)

        def second_writer() -> None:
            with engine.begin() as other:
                [resolved["second"]] = SupplierResolver().resolve(other, [second], now)

        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(timeout=1.5)
        assert writer.is_alive()  # it waits for the first writer's lock
        transaction.commit()
    writer.join(timeout=30)
    return resolved["first"], resolved["second"]


NUMBER, PPON = "01234567", {"GB-PPON": "PPON-1"}
RACES = {
    "one number, two name-only suppliers": (
        SupplierRef("Alpha Ltd", company_number=NUMBER),
        SupplierRef("Alpha Services Ltd", company_number=NUMBER),
    ),
    "one PPON, two new names": (
        SupplierRef("Beta One Ltd", identifiers=PPON),
        SupplierRef("Beta Two Ltd", identifiers=PPON),
    ),
    "a new name, then its number": (SupplierRef("Gamma Ltd"), SupplierRef("GAMMA LIMITED", company_number="07654321")),
}


@only_postgresql
@pytest.mark.parametrize("first, second", list(RACES.values()), ids=list(RACES))
def test_a_writer_meeting_what_another_is_making_waits_and_takes_its_supplier(engine, first, second):
    with engine.begin() as connection:  # name-only suppliers known before, as an earlier crawl would leave them
        SupplierResolver().resolve(connection, [SupplierRef("Alpha Ltd"), SupplierRef("Alpha Services Ltd")], utcnow())

    first_id, second_id = resolve_while_another_writer_waits(engine, first, second)

    assert second_id == first_id
    with engine.connect() as connection:
        owners = connection.execute(
            text("SELECT name, company_number FROM suppliers WHERE id = :id"), {"id": first_id}
        ).one()
        names = sorted(connection.scalars(text("SELECT name FROM suppliers")))
    assert owners == (first.name, first.company_number or second.company_number)
    assert names == sorted({"Alpha Ltd", "Alpha Services Ltd", first.name})
