"""`watchdog changes`: what the last crawl found or changed, as a reporter reads it each morning (both backends)."""

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner
from crawling import crawl
from fake_portal import FakePortal, fixture
from serco import CONTACT_TRACING, GEOGRAFIX_DPA, GLASGOW_SERVICE_CREDITS, TRACERS_DATA_BREACH
from sqlalchemy import text

from watchdog.cli import main
from watchdog.items import SupplierRef
from watchdog.store import Store

HEADER = ["change", "when (UTC)", "run", "supplier", "what", "old value", "new value", "source"]
SOUTHAMPTON_NOTICE = "https://www.contractsfinder.service.gov.uk/Notice/02d6ce8b-83f0-4993-869c-c177d2efbd52"
MOD_NOTICE = "https://www.contractsfinder.service.gov.uk/Notice/edc9d363-cd9f-4de8-9db6-1db8110d43e9"
HOMES_ENGLAND_NOTICE = "https://www.contractsfinder.service.gov.uk/Notice/474be1aa-abe8-4819-9b45-1a72917f341a"
HAYS_NOTICE = "https://www.contractsfinder.service.gov.uk/Notice/e7357df8-01cb-4993-9c50-c59ff15c88b7"
HAYS_SECOND_NOTICE = "https://www.contractsfinder.service.gov.uk/Notice/e7357df8-01cb-4993-9c50-c59ff15c88b8"
MOD_TITLE = "CCS RM6187 Direct Award - LD Fresh Eyes Review"


def watchdog(database_url, *arguments):
    """The command as a person types it; a merge is made by "a reporter"."""
    return CliRunner().invoke(main, ["--db", database_url, *arguments], env={"WATCHDOG_USER": "a reporter"})


def ingest(database_url, tmp_path, name, releases):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"releases": releases}), encoding="utf-8")
    result = watchdog(database_url, "ingest", str(path))
    assert result.exit_code == 0, result.output


def kpmg_award(value, award_suffix="1", release_suffix="819946", date="2025-01-23T18:47:21Z"):
    """The Ministry of Defence's real award to KPMG LLP (£196,500), with another value, award id or date."""
    release = fixture("cf_release_mod_kpmg_award.json")
    release["id"] = f"edc9d363-cd9f-4de8-9db6-1db8110d43e9-{release_suffix}"
    release["date"] = date
    award = release["awards"][0]
    award["id"] = f"{release['ocid']}-{award_suffix}"
    award["value"]["amount"] = value
    return release


def hays_under_another_name():
    """The Guinness Partnership's real award to Hays, as if a second one named the firm without its number."""
    release = fixture("cf_release_guinness_hays_recruitment_award.json")
    release["ocid"] = release["ocid"][:-1] + "c"
    release["id"] = "e7357df8-01cb-4993-9c50-c59ff15c88b8-833017"
    hays = next(party for party in release["parties"] if "supplier" in party["roles"])
    hays.update(id="GB-CFS-100001", name="Hays Recruitment Services", identifier={"legalName": "Hays Recruitment"})
    award = release["awards"][0]
    award.update(id=f"{release['ocid']}-1", value={"amount": 12000, "currency": "GBP"})
    award["suppliers"] = [{"id": "GB-CFS-100001", "name": "Hays Recruitment Services"}]
    award["documents"][0]["url"] = HAYS_SECOND_NOTICE
    return release


FIRST_INGEST = [
    fixture("cf_release_southampton_pwc_awardUpdate_10932000.json"),
    kpmg_award(1965000),  # a point out of place, corrected in the second ingest by a republication
    fixture("cf_release_guinness_hays_recruitment_award.json"),
    hays_under_another_name(),
]
SECOND_INGEST = [
    fixture("cf_release_southampton_pwc_awardUpdate_109320.json"),  # the same award, its value corrected
    kpmg_award(196500, award_suffix="2", release_suffix="819950", date="2025-01-23T18:55:00Z"),
    fixture("cf_release_homes_england_deloitte_award.json"),  # a new contract, to a new supplier
]


def run_ids(engine):
    with engine.connect() as connection:
        return connection.execute(text("SELECT id FROM crawl_runs ORDER BY id")).scalars().all()


def rows_of(result):
    """The CSV rows after the header, without the time of each (a row's `when` is checked apart)."""
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert lines[0] == HEADER
    return [tuple(row[:1] + row[2:]) for row in lines[1:]]


def scalar(engine, sql):
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


@pytest.fixture
def two_ingests(database_url, engine, tmp_path):
    """A first ingest; a person's merge of two Hays suppliers; a second ingest with one new contract, a value
    corrected by a new release of its award and another by the award republished under a new id. Returns the
    moment between the first ingest and the merge."""
    ingest(database_url, tmp_path, "first", FIRST_INGEST)
    between = datetime.now(UTC)
    merged = watchdog(database_url, "suppliers", "merge", "00975677", "Hays Recruitment Services", "--reason",
                      "same firm: Companies House lists the trading name")  # fmt: skip
    assert merged.exit_code == 0, merged.output
    ingest(database_url, tmp_path, "second", SECOND_INGEST)
    return between


def test_the_last_crawl_lists_the_new_contract_the_corrections_the_new_supplier_and_the_merge(
    database_url, engine, two_ingests
):
    first_run, second_run = run_ids(engine)
    kpmg_rows = "SELECT id FROM contracts WHERE ocid LIKE 'ocds-b5fd17-71b2b17c%' ORDER BY award_id"
    with engine.connect() as connection:
        replaced, republished = connection.execute(text(kpmg_rows)).scalars().all()
    run = str(second_run)
    expected = [
        ("new contract", run, "Deloitte", "Homes England - Cladding Safety Scheme Support", "",
         "£169,800", HOMES_ENGLAND_NOTICE),
        ("value changed", run, "PwC (PricewaterhouseCoopers)", "Business Case for LGR", "£10,932,000", "£109,320",
         SOUTHAMPTON_NOTICE),
        ("corrected by republication", run, "KPMG LLP", f"#{replaced} replaced by #{republished}: {MOD_TITLE}",
         "£1,965,000", "£196,500", MOD_NOTICE),
        ("new supplier", run, "Deloitte", "no company number", "", "", ""),
        ("merged", "", "Hays Specialist Recruitment Limited",
         "Hays Recruitment Services merged into it by a reporter: same firm: Companies House lists the trading name",
         "", "", ""),
    ]  # fmt: skip
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == expected
    assert rows_of(watchdog(database_url, "changes", "--since", "last-crawl", "--format", "csv")) == expected

    table = watchdog(database_url, "changes")
    assert table.exit_code == 0, table.output
    assert table.output.startswith(f"Since the last crawl: run {second_run} (ingest, started ")
    for change, _, supplier, _, old, new, source in expected:
        line = next(line for line in table.output.splitlines() if line.startswith(change))
        assert all(value in line for value in (supplier[:60], old, new, source)), line
    assert table.output.rstrip().endswith("(5 changes)")

    with engine.connect() as connection:
        marks = connection.execute(text(
            "SELECT award_id, first_crawl_run_id, changed_crawl_run_id FROM contracts "
            "WHERE ocid LIKE 'ocds-b5fd17-09a309a3%' OR ocid LIKE 'ocds-b5fd17-959e5680%'"
        )).all()  # fmt: skip
    assert sorted(tuple(row) for row in marks) == [
        ("ocds-b5fd17-09a309a3-8541-48b9-91c4-411c52e5bd34-1", first_run, second_run),  # its value corrected
        ("ocds-b5fd17-959e5680-1f24-4409-958e-07b6ad933acb-1", first_run, first_run),
        ("ocds-b5fd17-959e5680-1f24-4409-958e-07b6ad933acc-1", first_run, first_run),
    ]


def test_since_a_run_or_a_moment_selects_what_was_found_or_changed_from_then(database_url, engine, two_ingests):
    first_run, second_run = run_ids(engine)
    last_crawl = rows_of(watchdog(database_url, "changes", "--format", "csv"))
    since_second = rows_of(watchdog(database_url, "changes", "--since", str(second_run), "--format", "csv"))
    assert since_second == [row for row in last_crawl if row[0] != "merged"]  # the merge came before run 2 started

    between = two_ingests.isoformat()
    assert rows_of(watchdog(database_url, "changes", "--since", between, "--format", "csv")) == last_crawl

    everything = rows_of(watchdog(database_url, "changes", "--since", str(first_run), "--format", "csv"))
    first, second = str(first_run), str(second_run)
    assert everything == [
        # Found in the window, the awards are new contracts at their latest values, not corrections: Southampton's
        # award as run 2 corrected it, the Ministry of Defence's as republished by run 2 (the row it replaced is
        # left out). Hays's second supplier was merged away: the award it won is Hays Specialist Recruitment's now.
        ("new contract", first, "Hays Specialist Recruitment Limited", "Temporary and Permanent Recruitment", "",
         "£12,000", HAYS_SECOND_NOTICE),
        ("new contract", first, "Hays Specialist Recruitment Limited", "Temporary and Permanent Recruitment", "",
         "£25,755,000", HAYS_NOTICE),
        ("new contract", first, "PwC (PricewaterhouseCoopers)", "Business Case for LGR", "", "£109,320",
         SOUTHAMPTON_NOTICE),
        ("new contract", second, "Deloitte", "Homes England - Cladding Safety Scheme Support", "", "£169,800",
         HOMES_ENGLAND_NOTICE),
        ("new contract", second, "KPMG LLP", MOD_TITLE, "", "£196,500", MOD_NOTICE),
        ("new supplier", first, "Hays Specialist Recruitment Limited", "company number 00975677", "", "", ""),
        ("new supplier", first, "KPMG LLP", "company number OC301540", "", "", ""),
        ("new supplier", first, "PwC (PricewaterhouseCoopers)", "company number OC303525", "", "", ""),
        ("new supplier", second, "Deloitte", "no company number", "", "", ""),
        last_crawl[-1],  # the merge
    ]  # fmt: skip
    run_day = scalar(engine, f"SELECT started_at FROM crawl_runs WHERE id = {first_run}")
    on_the_day = str(run_day)[:10]  # a date: from midnight UTC
    assert rows_of(watchdog(database_url, "changes", "--since", on_the_day, "--format", "csv")) == everything


def test_a_recrawl_of_unchanged_data_lists_nothing_new(database_url, engine, tmp_path):
    ingest(database_url, tmp_path, "first", FIRST_INGEST)
    ingest(database_url, tmp_path, "again", FIRST_INGEST)
    _, again = run_ids(engine)
    result = watchdog(database_url, "changes")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Nothing new or changed since the last crawl: run {again} (ingest, started ")
    assert result.output.endswith(").\n") and result.output.count("\n") == 1
    assert scalar(engine, f"SELECT COUNT(*) FROM contracts WHERE changed_crawl_run_id = {again}") == 0

    as_csv = watchdog(database_url, "changes", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout.splitlines() == [",".join(HEADER)]
    assert as_csv.stderr.startswith("Nothing new or changed since the last crawl")


def test_new_enforcement_actions_and_incidents_with_their_sums(database_url, engine):
    """Two runs of the news spider, written through the store as a crawl writes them: the second finds a DPA and a
    data breach, and the first's deduction again, unchanged."""
    store = Store(engine)
    first = store.start_run("news")
    store.write([GLASGOW_SERVICE_CREDITS])
    store.finish_run(first, status="finished")
    second = store.start_run("news")
    store.write([GEOGRAFIX_DPA, TRACERS_DATA_BREACH, GLASGOW_SERVICE_CREDITS])
    store.finish_run(second, status="finished")

    run = str(second)
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == [
        ("new enforcement action", run, "Serco Geografix Ltd", "dpa_penalty: Deferred prosecution agreement", "",
         "£19,200,000 + £3,700,000 costs", "https://sfo.example/cases/serco-geografix"),
        ("new incident", run, "Serco Group plc", "data_breach: Contact tracers' e-mail addresses exposed [reported]",
         "", "", "https://news.example/serco-tracers"),
        ("new supplier", run, "Serco Geografix Ltd", "no company number", "", "", ""),
        ("new supplier", run, "Serco Group plc", "company number 02048608", "", "", ""),
    ]  # fmt: skip
    glasgow = "SELECT first_crawl_run_id, changed_crawl_run_id FROM enforcement_actions WHERE authority = 'Home Office'"
    with engine.connect() as connection:
        assert tuple(connection.execute(text(glasgow)).one()) == (first, first)  # seen again, not changed


def test_a_crawl_marks_what_it_found_and_changed_with_its_run(database_url, engine):
    """Two crawls of Contracts Finder's 11 March 2025: the second finds Southampton's award corrected."""
    southampton = [fixture(f"cf_release_southampton_pwc_awardUpdate_{value}.json") for value in (10932000, 109320)]
    window = ["from_date=2025-03-11", "until_date=2025-03-12"]
    with FakePortal("https://www.contractsfinder.service.gov.uk", "/Published/Notices/OCDS/Search", "publishedFrom",
                    {"releases": []}) as portal:  # fmt: skip
        for releases in (southampton[:1], southampton):
            portal.add("2025-03-11T00:00:00", None, portal.page(releases, "2025-03-11T00:00:00"))
            result = crawl(database_url, "contracts_finder", f"base_url={portal.url}", *window)
            assert result.returncode == 0, result.stderr[-2000:]
    first_run, second_run = run_ids(engine)
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == [
        ("value changed", str(second_run), "PwC (PricewaterhouseCoopers)", "Business Case for LGR", "£10,932,000",
         "£109,320", SOUTHAMPTON_NOTICE),
    ]  # fmt: skip
    marks = "SELECT first_crawl_run_id, changed_crawl_run_id FROM contracts"
    with engine.connect() as connection:
        assert [tuple(row) for row in connection.execute(text(marks))] == [(first_run, second_run)]


def test_each_row_keeps_the_run_that_found_it_and_the_run_that_last_changed_it(engine):
    """A release written again by a later run (not recognised by its fingerprint) changes nothing; a new value
    does. A name-only supplier that a later run gives a company number is changed by that run."""
    unnamed = dataclasses.replace(CONTACT_TRACING, suppliers=[SupplierRef("Serco Test Services Ltd")])
    numbered = SupplierRef("Serco Test Services Ltd", company_number="01234567")
    corrected = dataclasses.replace(CONTACT_TRACING, initial_value=Decimal("108000000.50"), suppliers=[numbered])
    store = Store(engine)
    runs = []
    for items in ([unnamed], [unnamed], [corrected], [corrected]):
        runs.append(store.start_run("contracts_finder"))
        store.write(items)
    marks = (
        "SELECT c.first_crawl_run_id, c.changed_crawl_run_id, s.first_crawl_run_id, s.changed_crawl_run_id, "
        "s.company_number FROM contracts c JOIN contract_suppliers cs ON cs.contract_id = c.id "
        "JOIN suppliers s ON s.id = cs.supplier_id"
    )
    with engine.connect() as connection:
        assert tuple(connection.execute(text(marks)).one()) == (runs[0], runs[2], runs[0], runs[2], "01234567")


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "last_crawl"])
def test_an_unknown_since_is_a_usage_error_saying_what_it_takes(database_url, engine, since):
    result = watchdog(database_url, "changes", "--since", since)
    assert result.exit_code == 2
    assert f"Invalid value for '--since': '{since}' is none of what it takes: last-crawl" in result.output
    assert "a crawl run id (42" in result.output


def test_a_crawl_run_that_does_not_exist_is_a_usage_error(database_url, engine, tmp_path):
    ingest(database_url, tmp_path, "first", FIRST_INGEST[:1])
    result = watchdog(database_url, "changes", "--since", "99")
    assert result.exit_code == 2
    assert "there is no crawl run 99: the newest is 1" in result.output
