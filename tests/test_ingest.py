"""`watchdog ingest`: bulk OCDS files in every shape publishers offer, streamed through the same storage."""

import gzip
import json
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

from crawling import last_run
from fake_portal import REALDATA, fixture
from sqlalchemy import text

from watchdog.database.db import make_engine

CONTRACT_ROWS = (
    "SELECT c.ocid, c.award_id, c.title, b.name, c.status, c.initial_value, c.initial_value_gross, c.maximum_value, "
    "c.currency, c.awarded_on, c.start_on, c.end_on, c.cpv_codes, c.notice_url, c.latest_release_at "
    "FROM contracts c LEFT JOIN buyers b ON b.id = c.buyer_id ORDER BY c.ocid, c.award_id"
)


def plain(value):
    """A value as the same Python type whichever backend returned it."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return value[:19]
    return value


def comparable_rows(engine) -> dict[str, list[tuple]]:
    """What a crawl and an ingest of the same data must agree on (row ids and seen-at times aside)."""
    queries = {
        "contracts": CONTRACT_ROWS,
        "releases": "SELECT c.ocid, r.release_id, r.value, r.tags FROM contract_releases r "
        "JOIN contracts c ON c.id = r.contract_id ORDER BY r.release_id",
        "suppliers": "SELECT name, company_number FROM suppliers ORDER BY name, company_number",
        "awards": "SELECT c.ocid, s.name FROM contract_suppliers cs JOIN contracts c ON c.id = cs.contract_id "
        "JOIN suppliers s ON s.id = cs.supplier_id ORDER BY c.ocid, s.name",
        "identifiers": "SELECT scheme, identifier FROM supplier_identifiers ORDER BY scheme, identifier",
    }
    with engine.connect() as connection:
        return {
            name: [tuple(plain(value) for value in row) for row in connection.execute(text(sql))]
            for name, sql in queries.items()
        }


def ingest(database_url, *paths):
    command = [sys.executable, "-m", "watchdog", "--db", database_url]
    subprocess.run([*command, "db", "upgrade"], check=True, capture_output=True)
    return subprocess.run([*command, "ingest", *map(str, paths)], capture_output=True, text=True, timeout=300)


def ingest_files(database_url, names):
    result = ingest(database_url, *(REALDATA / name for name in names))
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_every_file_shape_gives_the_same_rows(tmp_path):
    page = fixture("fts_release_package_2026-10-06_limit4.json")
    shapes = {
        "package.json": json.dumps(page),
        "releases.jsonl": "\n".join(json.dumps(release) for release in page["releases"]) + "\n",
        "records.json": json.dumps({"records": [{"ocid": r["ocid"], "releases": [r]} for r in page["releases"]]}),
        "compiled.json": json.dumps({"records": [{"ocid": r["ocid"], "compiledRelease": r} for r in page["releases"]]}),
    }
    results = []
    for name, content in shapes.items():
        path = tmp_path / f"{name}.gz"
        path.write_bytes(gzip.compress(content.encode()))
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        outcome = ingest(url, path)
        assert outcome.returncode == 0, outcome.stderr[-2000:]
        assert "ingest: 4 releases from 1 files" in outcome.stdout
        results.append(comparable_rows(make_engine(url)))
    assert all(result == results[0] for result in results)
    awards = dict(results[0]["awards"])
    assert awards["ocds-h6vhtk-06d285"] == "SWITCH UP C.I.C."
    switch_up = next(row for row in results[0]["contracts"] if row[0] == "ocds-h6vhtk-06d285")
    assert switch_up[5:7] == (Decimal(211232), Decimal(253478))
    assert switch_up[13] == "https://www.find-tender.service.gov.uk/Notice/094474-2026"
    assert ("SWITCH UP C.I.C.", "08522643") in results[0]["suppliers"]
    assert ("GB-PPON", "PNXT-9936-XCTQ") in results[0]["identifiers"]


def test_a_broken_file_is_an_error_and_the_rest_is_stored(tmp_path):
    broken = tmp_path / "broken.json"
    text_of_page = (REALDATA / "cf_search_page_2025-01-20_to_2025-01-23_100releases.json").read_text()
    broken.write_text(text_of_page[: len(text_of_page) // 2])
    url = f"sqlite:///{tmp_path / 'w.db'}"
    outcome = ingest(url, broken, REALDATA / "fts_release_package_2026-10-06_limit4.json")
    assert outcome.returncode == 1
    assert "broken.json: cannot be read past byte" in outcome.stderr
    with make_engine(url).connect() as connection:
        ocids = connection.scalars(text("SELECT DISTINCT ocid FROM contracts")).all()
    assert sum(o.startswith("ocds-h6vhtk-") for o in ocids) == 4
    assert sum(o.startswith("ocds-b5fd17-") for o in ocids) > 30  # the releases before the break


def stored_ocids(database_url) -> set[str]:
    with make_engine(database_url).connect() as connection:
        return set(connection.scalars(text("SELECT DISTINCT ocid FROM contracts")))


def test_a_truncated_gzip_stores_what_was_read_and_closes_the_run_failed(database_url, tmp_path):
    releases = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")["releases"]
    lines = [json.dumps(release).encode() + b"\n" for release in releases]
    compressed = gzip.compress(b"".join(lines))
    cut = tmp_path / "releases.jsonl.gz"
    cut.write_bytes(compressed[: len(compressed) // 2])
    readable = zlib.decompressobj(wbits=31).decompress(cut.read_bytes())
    whole_lines = readable.count(b"\n")
    offset = sum(map(len, lines[:whole_lines]))
    outcome = ingest(database_url, cut)
    assert outcome.returncode == 1
    assert f"{cut}: cannot be read past byte {offset} of its uncompressed content" in outcome.stderr
    assert "Compressed file ended before the end-of-stream marker was reached" in outcome.stderr
    assert "Traceback" not in outcome.stderr and "Aborted!" not in outcome.stderr
    assert f"ingest: {whole_lines} releases from 1 files" in outcome.stdout
    assert stored_ocids(database_url) == {release["ocid"] for release in releases[:whole_lines]}
    assert 40 < whole_lines < 60
    run = last_run(make_engine(database_url))
    assert (run.spider, run.status, run.errors) == ("ingest", "failed", 1)
    assert run.finished_at is not None
    assert f"{cut}: cannot be read past byte {offset}" in run.error_summary


def test_a_corrupt_first_line_of_json_lines_is_one_error(database_url, tmp_path):
    releases = fixture("fts_release_package_2026-10-06_limit4.json")["releases"]
    lines = [json.dumps(release) for release in releases]
    corrupt = tmp_path / "releases.jsonl"
    corrupt.write_text("\n".join([lines[0][: len(lines[0]) // 2], *lines[1:]]) + "\n")
    outcome = ingest(database_url, corrupt)
    assert outcome.returncode == 1
    assert f"{corrupt} line 1: not JSON" in outcome.stderr
    assert stored_ocids(database_url) == {"ocds-h6vhtk-078219", "ocds-h6vhtk-078217", "ocds-h6vhtk-06d285"}
    run = last_run(make_engine(database_url))
    assert (run.status, run.errors, run.stats["releases"]) == ("failed", 1, 3)
    assert f"{corrupt} line 1: not JSON" in run.error_summary


# Runs a command and prints its peak resident memory (KiB) last. A child starts with the memory of the process
# that forks it, so the command is started from this small process, not from the test's own.
PEAK_MEMORY = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def test_a_package_on_one_50_mb_line_is_streamed(tmp_path):
    page = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
    copies = []
    for copy_number in range(170):
        for release in page["releases"]:
            copies.append(
                {**release, "ocid": f"{release['ocid']}-{copy_number}", "id": f"{release['id']}-{copy_number}"}
            )
    one_line = tmp_path / "package.json"
    one_line.write_text(json.dumps({**page, "releases": copies}))
    assert one_line.stat().st_size > 50_000_000
    url = f"sqlite:///{tmp_path / 'w.db'}"
    command = [sys.executable, "-m", "watchdog", "--db", url]
    subprocess.run([*command, "db", "upgrade"], check=True, capture_output=True)
    outcome = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, *command, "ingest", str(one_line)], capture_output=True, text=True
    )
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    peak_mb = int(outcome.stdout.split()[-1]) / 1024
    print(
        f"peak RSS of `watchdog ingest` of a {one_line.stat().st_size / 1e6:.0f} MB one-line package: {peak_mb:.0f} MB"
    )
    assert f"ingest: {len(copies)} releases from 1 files" in outcome.stdout
    assert len(stored_ocids(url)) == 94 * 170
    assert peak_mb < 300


def test_unreadable_values_are_read_when_they_can_be_and_else_a_warning(database_url, tmp_path):
    page = fixture("fts_release_package_2026-10-06_limit4.json")
    switch_up = next(release for release in page["releases"] if release["ocid"] == "ocds-h6vhtk-06d285")
    switch_up["awards"][0]["value"]["amount"] = "£1,000"
    switch_up["awards"][0]["contractPeriod"]["endDate"] = "2025-02-30"
    package = tmp_path / "package.json"
    package.write_text(json.dumps(page))
    outcome = ingest(database_url, package)
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    engine = make_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT initial_value, start_on, end_on FROM contracts WHERE ocid = 'ocds-h6vhtk-06d285'")
        ).one()
    assert plain(row.initial_value) == Decimal(1000)
    assert (plain(row.start_on), row.end_on) == ("2026-11-01", None)
    run = last_run(engine)
    assert (run.status, run.errors, run.warnings) == ("finished", 0, 1)
    assert run.stats["first_warnings"] == [
        "release 094474-2026: award 1 endDate '2025-02-30' is not a date; stored as empty"
    ]


def test_a_killed_ingest_is_marked_abandoned_by_the_next_and_a_live_one_is_left_running(database_url, tmp_path):
    engine = make_engine(database_url)
    subprocess.run([sys.executable, "-m", "watchdog", "--db", database_url, "db", "upgrade"], check=True)
    long_ago, just_now = datetime(2026, 1, 5, 2, 0, tzinfo=UTC), datetime.now(UTC)
    with engine.begin() as connection:
        for started_at, stored in ((long_ago, 4000), (just_now, 10)):
            connection.execute(
                text(
                    "INSERT INTO crawl_runs (spider, started_at, last_progress_at, status, items_stored) "
                    "VALUES ('ingest', :started, :started, 'running', :stored)"
                ),
                {"started": started_at, "stored": stored},
            )
    outcome = ingest(database_url, REALDATA / "cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert "was left running, with no progress since 2026-01-05T02:00:00" in outcome.stderr
    with engine.connect() as connection:
        runs = connection.execute(
            text("SELECT status, items_stored, finished_at FROM crawl_runs WHERE spider = 'ingest' ORDER BY id")
        ).all()
    assert [(status, stored) for status, stored, _ in runs] == [("abandoned", 4000), ("running", 10), ("finished", 100)]
    assert plain(runs[0].finished_at) == "2026-01-05 02:00:00"


def test_releases_the_database_could_not_store_are_an_error_and_stored_by_the_next_ingest(monkeypatch, tmp_path):
    from watchdog.cli.crawl import project_settings
    from watchdog.sources.ingest import Ingest
    from watchdog.storage.store import Rejected, Store

    database_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    subprocess.run([sys.executable, "-m", "watchdog", "--db", database_url, "db", "upgrade"], check=True)
    source = REALDATA / "cf_search_page_2025-01-20_to_2025-01-23_100releases.json"
    locked = {"calls": 0}
    real_write = Store.write

    def write_while_locked(store, items, now=None):
        locked["calls"] += 1
        if locked["calls"] == 1:  # what Store.write returns when another program holds the write lock
            return [Rejected(item, "database is locked", database_unavailable=True) for item in items]
        return real_write(store, items, now)

    monkeypatch.setattr(Store, "write", write_while_locked)
    first = Ingest(database_url, project_settings(database_url, {}), batch_size=60).run([source])
    assert (first.not_stored, first.dropped, first.errors) == (60, 0, 1)
    assert first.first_errors == ["could not store 60 items: database is locked"]
    releases = json.loads(source.read_text())["releases"]
    assert stored_ocids(database_url) == {release["ocid"] for release in releases[60:]}
    assert last_run(make_engine(database_url)).status == "failed"
    again = Ingest(database_url, project_settings(database_url, {})).run([source])
    assert (again.errors, again.unchanged) == (0, 40)
    assert stored_ocids(database_url) == {release["ocid"] for release in releases}
