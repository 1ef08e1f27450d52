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
from sqlalchemy import select, text
from static_site import Page
from test_scheduled_crawls import crawl_all, sfo_site, write_schedule  # noqa: F401 (a fixture)

from watchdog.cli import main
from watchdog.cli.changes import moment_text
from watchdog.database.models import CrawlRun
from watchdog.items import Money, SupplierRef
from watchdog.sources.extensions import ROUND_STARTED_AT_VARIABLE
from watchdog.storage.runs import finish_run
from watchdog.storage.store import Store

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


def as_a_round(engine):
    """Record the newest run as a `crawl --all` round of its own, started when the run did (as if it were the
    round's one crawl), so that `--since last-crawl` reads it as a night's round."""
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE crawl_runs SET round_started_at = started_at WHERE id = (SELECT MAX(id) FROM crawl_runs)"
        ))  # fmt: skip


def run_times(engine, run_id):
    """A run's start and end, as `changes` prints them."""
    with engine.connect() as connection:
        row = connection.execute(select(CrawlRun.started_at, CrawlRun.finished_at).where(CrawlRun.id == run_id)).one()
    return tuple(moment_text(value) for value in row)


def rounds_of_runs(engine):
    """Each run's round_started_at, in the order of the runs."""
    with engine.connect() as connection:
        return connection.scalars(select(CrawlRun.round_started_at).order_by(CrawlRun.id)).all()


def stored_run(engine, spider, items, round_started_at=None):
    """A run of a spider that stores these items, written through the store as a crawl writes them."""
    store = Store(engine)
    run_id = store.start_run(spider, round_started_at=round_started_at)
    store.write(items)
    finish_run(store.engine, run_id, status="finished")
    return run_id


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
    as_a_round(engine)
    between = datetime.now(UTC)
    merged = watchdog(database_url, "suppliers", "merge", "00975677", "Hays Recruitment Services", "--reason",
                      "same firm: Companies House lists the trading name")  # fmt: skip
    assert merged.exit_code == 0, merged.output
    ingest(database_url, tmp_path, "second", SECOND_INGEST)
    as_a_round(engine)
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
    for name in ("first", "again"):
        ingest(database_url, tmp_path, name, FIRST_INGEST)
        as_a_round(engine)
    first, again = run_ids(engine)
    (first_started, first_ended), (again_started, _) = run_times(engine, first), run_times(engine, again)
    result = watchdog(database_url, "changes")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Nothing new or changed since the last crawl: run {again} (ingest, started {again_started}); every run "
        f"since the `crawl --all` round of {first_started} ended at {first_ended}.\n"
    )
    assert scalar(engine, f"SELECT COUNT(*) FROM contracts WHERE changed_crawl_run_id = {again}") == 0

    as_csv = watchdog(database_url, "changes", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout.splitlines() == [",".join(HEADER)]
    assert as_csv.stderr.startswith("Nothing new or changed since the last crawl")


def test_new_enforcement_actions_and_incidents_with_their_sums(database_url, engine):
    """Two runs of the news spider, written through the store as a crawl writes them: the second finds a DPA and a
    data breach, and the first's deduction again, unchanged."""
    store = Store(engine)
    first = store.start_run("news", round_started_at=datetime.now(UTC))
    store.write([GLASGOW_SERVICE_CREDITS])
    finish_run(store.engine, first, status="finished")
    second = store.start_run("news", round_started_at=datetime.now(UTC))
    store.write([GEOGRAFIX_DPA, TRACERS_DATA_BREACH, GLASGOW_SERVICE_CREDITS])
    finish_run(store.engine, second, status="finished")

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


def test_a_crawl_marks_what_it_found_and_changed_with_its_run(database_url, engine, monkeypatch):
    """Two crawls of Contracts Finder's 11 March 2025, each as the one crawl of a `crawl --all` round: the second
    finds Southampton's award corrected."""
    southampton = [fixture(f"cf_release_southampton_pwc_awardUpdate_{value}.json") for value in (10932000, 109320)]
    window = ["from_date=2025-03-11", "until_date=2025-03-12"]
    with FakePortal("https://www.contractsfinder.service.gov.uk", "/Published/Notices/OCDS/Search", "publishedFrom",
                    {"releases": []}) as portal:  # fmt: skip
        for round_started_at, releases in (
            ("2026-12-01T02:00:00+00:00", southampton[:1]),
            ("2026-12-02T02:00:00+00:00", southampton),
        ):
            monkeypatch.setenv(ROUND_STARTED_AT_VARIABLE, round_started_at)
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
    assert rounds_of_runs(engine) == [datetime(2026, 12, 1, 2, tzinfo=UTC), datetime(2026, 12, 2, 2, tzinfo=UTC)]


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


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "last_crawl", "²", "٤٢"])
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
    larger_than_any = watchdog(database_url, "changes", "--since", "9" * 20)
    assert larger_than_any.exit_code == 2
    assert f"there is no crawl run {'9' * 20}: the newest is 1" in larger_than_any.output


def test_a_year_for_a_crawl_run_is_a_usage_error_saying_how_to_write_a_date(database_url, engine, tmp_path):
    ingest(database_url, tmp_path, "first", FIRST_INGEST[:1])
    result = watchdog(database_url, "changes", "--since", "2026")
    assert result.exit_code == 2
    assert "Invalid value for '--since': there is no crawl run 2026; for a date write 2026-01-01" in result.output


def test_the_last_crawl_is_every_run_since_the_round_before_the_last(database_url, engine):
    """Night 1's round crawls Contracts Finder and the news; a crawl of the news by hand at noon finds a data
    breach; night 2's round finds the SFO's penalty, and its news crawl opens no run. Each morning the last crawl
    is every run since the round before the last: with one round, every run."""
    night_1 = datetime.now(UTC)
    cf_run = stored_run(engine, "contracts_finder", [CONTACT_TRACING], night_1)
    night_1_news = stored_run(engine, "news", [GLASGOW_SERVICE_CREDITS], night_1)
    noon_news = stored_run(engine, "news", [TRACERS_DATA_BREACH])
    serco_tracing = "https://www.contractsfinder.service.gov.uk/Notice/serco-test-and-trace"
    noon_rows = [
        ("new incident", str(noon_news), "Serco Group plc",
         "data_breach: Contact tracers' e-mail addresses exposed [reported]", "", "", "https://news.example/serco-tracers"),
        ("new supplier", str(noon_news), "Serco Group plc", "company number 02048608", "", "", ""),
    ]  # fmt: skip
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == [
        ("new contract", str(cf_run), "SERCO LIMITED", "COVID-19 contact tracing service", "", "£108,000,000",
         serco_tracing),
        ("new enforcement action", str(night_1_news), "SERCO LIMITED",
         "service_credit: Service credits withheld over asylum accommodation in Glasgow [reported]", "",
         "£1,000,000", "https://news.example/serco-glasgow"),
        noon_rows[0],
        ("new supplier", str(cf_run), "SERCO LIMITED", "company number 00242246", "", "", ""),
        noon_rows[1],
    ]  # fmt: skip
    noon_started, _ = run_times(engine, noon_news)
    table = watchdog(database_url, "changes")
    assert table.output.startswith(
        f"Since the last crawl: every run up to run {noon_news} (news, started {noon_started}), as there is no "
        "earlier `crawl --all` round:\n"
    )

    night_2_sfo = stored_run(engine, "sfo_dpas", [GEOGRAFIX_DPA], datetime.now(UTC))
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == [
        ("new enforcement action", str(night_2_sfo), "Serco Geografix Ltd",
         "dpa_penalty: Deferred prosecution agreement", "", "£19,200,000 + £3,700,000 costs",
         "https://sfo.example/cases/serco-geografix"),
        *noon_rows,
        ("new supplier", str(night_2_sfo), "Serco Geografix Ltd", "no company number", "", "", ""),
    ]  # fmt: skip
    night_1_started, _ = run_times(engine, cf_run)
    _, night_1_ended = run_times(engine, night_1_news)
    sfo_started, _ = run_times(engine, night_2_sfo)
    table = watchdog(database_url, "changes")
    assert table.output.startswith(
        f"Since the last crawl: runs {noon_news} to {night_2_sfo} (sfo_dpas, started {sfo_started}); every run since "
        f"the `crawl --all` round of {moment_text(night_1)} ended at {night_1_ended}:\n"
    )
    assert night_1_started >= moment_text(night_1)
    assert rounds_of_runs(engine)[2] is None  # the crawl by hand


def test_an_older_release_found_a_night_later_with_the_latest_value_is_no_new_change(database_url, engine, tmp_path):
    """The Ministry of Defence's award to KPMG at £1,965,000 (released 23 January), corrected to £196,500 by a
    release of the 25th; a night later, a release of the 24th with £196,500 too. The correction is reported once,
    by the night that found it."""
    releases = [
        kpmg_award(1965000),
        kpmg_award(196500, release_suffix="819950", date="2025-01-25T09:00:00Z"),
        kpmg_award(196500, release_suffix="819948", date="2025-01-24T09:00:00Z"),
    ]
    corrected = "SELECT previous_value, latest_value, changed_crawl_run_id FROM contract_value_changes"
    mornings = []
    for night, release in enumerate(releases):
        ingest(database_url, tmp_path, f"night-{night}", [release])
        as_a_round(engine)
        mornings.append(rows_of(watchdog(database_url, "changes", "--format", "csv")))
    first, second, third = run_ids(engine)
    correction = ("value changed", str(second), "KPMG LLP", MOD_TITLE, "£1,965,000", "£196,500", MOD_NOTICE)
    new_contract = ("new contract", str(first), "KPMG LLP", MOD_TITLE, "", "£1,965,000", MOD_NOTICE)
    new_supplier = ("new supplier", str(first), "KPMG LLP", "company number OC301540", "", "", "")
    assert mornings == [[new_contract, new_supplier], [correction], []]
    assert rows_of(watchdog(database_url, "changes", "--since", str(second), "--format", "csv")) == [correction]
    with engine.connect() as connection:
        previous, latest, run = connection.execute(text(corrected)).one()
    assert (Decimal(str(previous)), Decimal(str(latest)), run) == (Decimal(1965000), Decimal(196500), second)


def test_a_corrected_or_added_sum_of_a_known_action_is_an_amount_change(database_url, engine):
    """The SFO's DPA with Serco Geografix, first stored with its penalty alone (£19.2m); the next night with the
    penalty at £22m and costs of £3.7m; the night after, unchanged."""
    penalty_alone = dataclasses.replace(GEOGRAFIX_DPA, amounts=GEOGRAFIX_DPA.amounts[:1])
    corrected = dataclasses.replace(
        GEOGRAFIX_DPA, amounts=[Money(Decimal("22000000"), "dpa_penalty", text="£22m"), GEOGRAFIX_DPA.amounts[1]]
    )
    first = stored_run(engine, "sfo_dpas", [penalty_alone], datetime.now(UTC))
    second = stored_run(engine, "sfo_dpas", [corrected], datetime.now(UTC))
    amount_changed = ("amount changed", str(second), "Serco Geografix Ltd",
                      "dpa_penalty: Deferred prosecution agreement", "£19,200,000", "£22,000,000 + £3,700,000 costs",
                      "https://sfo.example/cases/serco-geografix")  # fmt: skip
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == [amount_changed]
    table = watchdog(database_url, "changes")
    line = next(line for line in table.output.splitlines() if line.startswith("amount changed"))
    assert all(value in line for value in amount_changed[2:]), line

    third = stored_run(engine, "sfo_dpas", [corrected], datetime.now(UTC))
    assert rows_of(watchdog(database_url, "changes", "--format", "csv")) == []
    assert rows_of(watchdog(database_url, "changes", "--since", str(second), "--format", "csv")) == [amount_changed]
    since_first = rows_of(watchdog(database_url, "changes", "--since", str(first), "--format", "csv"))
    assert since_first[0] == ("new enforcement action", str(first), *amount_changed[2:4], "", *amount_changed[5:])
    marks = (
        "SELECT a.kind, a.amount, a.previous_amount, a.changed_crawl_run_id, e.first_crawl_run_id, "
        "e.changed_crawl_run_id FROM enforcement_amounts a "
        "JOIN enforcement_actions e ON e.id = a.enforcement_action_id ORDER BY a.kind"
    )
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(marks))]
    assert [(kind, Decimal(str(amount)), previous and Decimal(str(previous)), *runs)
            for kind, amount, previous, *runs in rows] == [
        ("costs", Decimal(3700000), None, second, first, second),  # added
        ("dpa_penalty", Decimal(22000000), Decimal(19200000), second, first, second),  # corrected; not by the third
    ]  # fmt: skip
    assert third == second + 1


def test_crawl_all_records_each_round_and_changes_lists_the_penalty_the_sfo_corrected(
    sfo_site,  # noqa: F811
    engine,
    database_url,
    tmp_path,
):
    """Two nights of `crawl --all` reading the SFO's real page on Serco Geografix's DPA; on the second night the page
    gives the penalty as £22 million. Each run records its round, and the morning after, `changes` lists the
    corrected penalty alone."""
    schedule = write_schedule(tmp_path / "schedule.toml", {"sfo_dpas": [f"base_url={sfo_site.url}", "cases=serco"]})
    first_night = crawl_all(database_url, schedule)
    assert first_night.returncode == 0, first_night.stderr[-3000:]
    page = sfo_site.pages["/cases/serco/"]
    sfo_site.pages["/cases/serco/"] = Page(page.body.replace("£19.2 million".encode(), "£22 million".encode()))
    second_night = crawl_all(database_url, schedule)
    assert second_night.returncode == 0, second_night.stderr[-3000:]

    first, second = run_ids(engine)
    first_round, second_round = rounds_of_runs(engine)
    (first_started, first_ended), (second_started, _) = run_times(engine, first), run_times(engine, second)
    assert first_round < second_round and moment_text(first_round) <= first_started
    result = watchdog(database_url, "changes", "--format", "csv")
    assert [row[:2] + row[4:6] for row in rows_of(result)] == [
        ("amount changed", str(second), "£19,200,000 + £3,700,000 costs", "£22,000,000 + £3,700,000 costs")
    ]
    assert rows_of(result)[0][2] == "Serco Geografix Ltd"
    table = watchdog(database_url, "changes")
    assert table.output.startswith(
        f"Since the last crawl: run {second} (sfo_dpas, started {second_started}); every run since the `crawl --all` "
        f"round of {moment_text(first_round)} ended at {first_ended}:\n"
    )
