"""`watchdog ingest` of any OCDS publisher: the devolved portals' files, and publishers no spider crawls."""

import json
import shutil

from crawling import last_run
from fake_portal import fixture
from sqlalchemy import text
from test_devolved import DEVOLVED
from test_ingest import ingest

NWSSP = "NHS Wales Shared Services Partnership-Procurement Services (hosted by Velindre University NHS Trust)"
OTHER_PREFIX = "ocds-zz9zz9"


def query(engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def other_publisher_package() -> dict:
    """The real Find a Tender page as a publisher no spider crawls would publish it: its own ocid prefix, its
    own name, its own address."""
    package = fixture("fts_release_package_2026-10-06_limit4.json")
    package["publisher"] = {"name": "Example Regional Portal"}
    package["uri"] = "https://portal.example/ocds/releases?page=1"
    package["releases"] = json.loads(json.dumps(package["releases"]).replace("ocds-h6vhtk-", f"{OTHER_PREFIX}-"))
    return package


def test_every_devolved_file_is_stored_with_its_awards(tmp_path, database_url, engine):
    files = sorted(DEVOLVED.glob("*.json"))
    assert len(files) == 5
    result = ingest(database_url, *files)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "4 releases from 5 files" in result.stdout  # one package has no releases

    contracts = query(
        engine,
        "SELECT c.ocid, c.award_id, b.name FROM contracts c JOIN buyers b ON b.id = c.buyer_id "
        "ORDER BY c.ocid, c.award_id",
    )
    assert contracts == [
        ("ocds-kuma6s-148381", "", NWSSP),  # recorded: a tender
        ("ocds-kuma6s-150002", "ocds-kuma6s-150002-award-1", "Example County Borough Council"),
        ("ocds-r6ebe6-0000581860", "", "ng homes"),  # recorded: a tender
        ("ocds-r6ebe6-0000790001", "1", "Example Housing Association"),
        ("ocds-r6ebe6-0000790001", "2", "Example Housing Association"),
    ]
    awards = query(
        engine,
        "SELECT c.award_id, s.name, c.initial_value FROM contract_suppliers cs JOIN contracts c ON c.id = "
        "cs.contract_id JOIN suppliers s ON s.id = cs.supplier_id ORDER BY s.name",
    )
    assert [(award_id, name, int(value)) for award_id, name, value in awards] == [
        ("1", "Example Electrical Contractors (Scotland) Ltd", 412500),
        ("ocds-kuma6s-150002-award-1", "Example Security Wales Ltd", 236400),
        ("2", "Example Testing Services Ltd", 98000),
    ]
    assert set(query(engine, "SELECT publisher FROM documents")) == {("Public Contracts Scotland",), ("Sell2Wales",)}
    run = last_run(engine)
    assert (run.errors, run.warnings, run.items_stored, run.items_dropped) == (0, 0, 5, 0)


def test_a_publisher_no_spider_crawls_is_stored_under_its_package_name_with_one_warning(tmp_path, engine, database_url):
    path = tmp_path / "regional.json"
    path.write_text(json.dumps(other_publisher_package()))
    result = ingest(database_url, path)
    assert result.returncode == 0, result.stderr[-2000:]

    run = last_run(engine)
    assert (run.errors, run.warnings, run.items_stored, run.items_dropped) == (0, 1, 4, 0)
    assert run.stats["first_warnings"] == [
        f"{path}: 4 releases of publishers no spider crawls, stored under the name their package gives (else "
        "their ocid prefix): Example Regional Portal (4)"
    ]
    assert query(engine, "SELECT DISTINCT url, publisher FROM documents") == [
        ("https://portal.example/ocds/releases?page=1", "Example Regional Portal")
    ]
    winners = query(
        engine,
        "SELECT c.ocid, s.name, s.company_number FROM contract_suppliers cs JOIN contracts c ON c.id = "
        "cs.contract_id JOIN suppliers s ON s.id = cs.supplier_id ORDER BY c.ocid",
    )
    assert winners == [
        (f"{OTHER_PREFIX}-06d285", "SWITCH UP C.I.C.", "08522643"),
        (f"{OTHER_PREFIX}-06e832", "Chess ICT", None),
        (f"{OTHER_PREFIX}-078217", "BiP Solutions Ltd", None),
    ]


def test_bare_releases_without_a_package_take_their_ocid_prefix_as_publisher(tmp_path, engine, database_url):
    releases = other_publisher_package()["releases"]
    for release in releases:
        release["links"] = [{"rel": "canonical", "href": f"https://portal.example/release/{release['id']}"}]
    path = tmp_path / "releases.jsonl"
    path.write_text("".join(json.dumps(release) + "\n" for release in releases[:2]))
    result = ingest(database_url, path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 releases of publishers no spider crawls" in result.stderr
    assert query(engine, "SELECT url, publisher FROM documents ORDER BY url") == [
        ("https://portal.example/release/094476-2026", OTHER_PREFIX),
        ("https://portal.example/release/094477-2026", OTHER_PREFIX),
    ]


def test_a_file_whose_every_release_is_dropped_fails_the_ingest_and_the_others_are_kept(tmp_path, engine, database_url):
    """Releases with nothing to cite (no link, no package address, no notice) cannot be stored: each drop is
    counted, and their file is an error; the file beside it is stored."""
    uncitable = other_publisher_package()
    del uncitable["uri"]
    for release in uncitable["releases"]:
        for part in [release.get("tender", {}), *release.get("awards", [])]:
            part.pop("documents", None)
    bad = tmp_path / "uncitable.json"
    bad.write_text(json.dumps(uncitable))
    good = tmp_path / "pcs.json"
    shutil.copy(DEVOLVED / "pcs_release_tender_ng_homes.json", good)
    result = ingest(database_url, bad, good)

    assert result.returncode == 1
    run = last_run(engine)
    assert (run.errors, run.items_stored, run.items_dropped) == (1, 1, 4)
    assert run.error_summary == f"{bad}: none of its 4 releases could be stored (see the warnings)"
    assert query(engine, "SELECT ocid FROM contracts") == [("ocds-r6ebe6-0000581860",)]


def test_a_notice_link_that_is_no_web_address_is_not_kept(tmp_path, engine, database_url):
    """A reader clicks a contract's notice link on the supplier page: a `javascript:` one must never be stored."""
    package = other_publisher_package()
    release = package["releases"][0]
    release["tender"]["documents"] = [
        {"id": "1", "url": "javascript:alert(document.domain)//x/Notice/"},
        {"id": "2", "url": "https://portal.example/Notice/123"},
    ]
    path = tmp_path / "links.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    assert ingest(database_url, path).returncode == 0
    urls = query(engine, f"SELECT DISTINCT notice_url FROM contracts WHERE ocid = '{release['ocid']}'")
    assert urls == [("https://portal.example/Notice/123",)]
    assert query(engine, "SELECT COUNT(*) FROM contracts WHERE notice_url LIKE 'javascript:%'") == [(0,)]
