"""`watchdog status` as a person or a monitor runs it: each spider's last run, and whether any is stale or failing."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from watchdog.cli import main
from watchdog.cli.schedule import SCHEDULE_VARIABLE
from watchdog.database import db
from watchdog.database.models import CrawlRun
from watchdog.storage.runs import record_progress
from watchdog.storage.store import Store

SCHEDULED = [
    "contracts_finder", "find_a_tender", "hse_convictions", "sfo_dpas", "news", "ico_enforcement",
    "public_contracts_scotland", "sell2wales",
]  # fmt: skip
CF_ERRORS = (
    "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search?publishedFrom=2026-11-27: "
    "502 Bad Gateway after 3 retries\n"
    "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search?publishedFrom=2026-11-28: "
    "502 Bad Gateway after 3 retries"
)


@pytest.fixture(autouse=True)
def packaged_schedule(monkeypatch):
    """The schedule shipped with the package, whatever the environment names."""
    monkeypatch.delenv(SCHEDULE_VARIABLE, raising=False)


def status(database_url, *args):
    return CliRunner().invoke(main, ["--db", database_url, "status", *args])


def add_run(engine, spider, status, started_ago, ended_ago=None, **values) -> int:
    """Insert a crawl_runs row that started and ended so long before now; its watermark is its start."""
    now = datetime.now(UTC)
    ended = now - ended_ago if ended_ago is not None else None
    row = {
        "spider": spider,
        "status": status,
        "started_at": now - started_ago,
        "finished_at": ended,
        "last_progress_at": ended or now - timedelta(minutes=2),
        "finish_reason": "finished" if status != "running" else None,
        "requests": 960,
        "items_stored": 27101,
        "items_dropped": 2,
        "errors": 0,
        "warnings": 1,
        "watermark": (now - started_ago).replace(minute=0, second=0, microsecond=0),
        **values,
    }
    with engine.begin() as connection:
        return connection.execute(insert(CrawlRun.__table__).values(**row).returning(CrawlRun.id)).scalar_one()


def add_clean_runs(engine, spiders, hours_ago=3) -> dict[str, int]:
    return {
        spider: add_run(engine, spider, "finished", timedelta(hours=hours_ago, minutes=40), timedelta(hours=hours_ago))
        for spider in spiders
    }


def table_row(output: str, spider: str) -> list[str]:
    """A spider's row of the table, cell by cell (an empty cell is left out)."""
    [line] = [line for line in output.splitlines() if line.startswith(f"{spider} ")]
    return re.split(r"\s{2,}", line.strip())


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"\w+: (stale|failing): ", line)]


def shown(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def iso(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def test_healthy_spiders_exit_0_with_max_age(engine, database_url):
    ids = add_clean_runs(engine, SCHEDULED, hours_ago=2)
    with engine.connect() as connection:
        watermark = connection.execute(CrawlRun.__table__.select().where(CrawlRun.id == ids["news"])).one().watermark
    result = status(database_url, "--max-age", "26h")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Healthy: every scheduled spider finished cleanly in the last 26h."
    assert problem_lines(result.stdout) == []
    row = table_row(result.stdout, "news")
    assert row[:3] == ["news", str(ids["news"]), "finished"]
    assert row[5:10] == ["960", "27101", "2", "0", "1"]
    assert row[10] == shown(watermark)
    assert row[11].endswith("(2 h ago)")
    assert [line.split()[0] for line in result.stdout.splitlines()[4 : 4 + len(SCHEDULED)]] == SCHEDULED


def test_a_spider_whose_last_clean_run_is_older_than_max_age_is_stale(engine, database_url):
    add_clean_runs(engine, [spider for spider in SCHEDULED if spider != "news"])
    add_run(engine, "news", "finished", timedelta(hours=30, minutes=20), timedelta(hours=30))
    result = status(database_url, "--max-age", "26h")
    assert result.exit_code == 1
    assert problem_lines(result.stdout) == ["news: stale: last clean run 30 h ago (max 26h)"]
    assert table_row(result.stdout, "news")[11].endswith("(30 h ago)")
    assert status(database_url, "--max-age", "31h").exit_code == 0


@pytest.mark.parametrize(
    ("outcome", "errors", "summary", "why"),
    [
        ("failed", 3, CF_ERRORS, "failed with 3 errors: " + CF_ERRORS.splitlines()[0]),
        ("interrupted", 0, None, "interrupted"),
        ("abandoned", 1, "database is locked", "abandoned with 1 error: database is locked"),
    ],
)
def test_a_spider_whose_newest_run_did_not_finish_cleanly_is_failing(
    engine, database_url, outcome, errors, summary, why
):
    add_clean_runs(engine, SCHEDULED)
    failed_id = add_run(
        engine,
        "contracts_finder",
        outcome,
        timedelta(hours=1),
        timedelta(minutes=20),
        errors=errors,
        error_summary=summary,
    )
    result = status(database_url, "--max-age", "26h")
    assert result.exit_code == 1
    assert problem_lines(result.stdout) == [f"contracts_finder: failing: run {failed_id} {why}"]
    assert table_row(result.stdout, "contracts_finder")[:3] == ["contracts_finder", str(failed_id), outcome]
    without_max_age = status(database_url)
    assert without_max_age.exit_code == 0
    assert problem_lines(without_max_age.stdout) == []


def test_the_first_error_of_each_last_run_is_shown_under_the_table(engine, database_url):
    add_clean_runs(engine, SCHEDULED)
    failed_id = add_run(
        engine,
        "contracts_finder",
        "failed",
        timedelta(hours=1),
        timedelta(minutes=20),
        errors=2,
        error_summary=CF_ERRORS,
    )
    output = status(database_url).stdout
    assert output.split("First errors:\n")[1] == f"  contracts_finder, run {failed_id}: {CF_ERRORS.splitlines()[0]}\n"


def test_a_failed_spider_long_without_a_clean_run_is_failing_and_stale(engine, database_url):
    add_clean_runs(engine, [spider for spider in SCHEDULED if spider != "news"])
    failed_id = add_run(
        engine,
        "news",
        "failed",
        timedelta(hours=2),
        timedelta(hours=1),
        errors=1,
        error_summary="https://feeds.bbci.co.uk/news/uk/rss.xml: HTTP 500",
    )
    result = status(database_url, "--max-age", "26h")
    assert result.exit_code == 1
    assert problem_lines(result.stdout) == [
        f"news: failing: run {failed_id} failed with 1 error: https://feeds.bbci.co.uk/news/uk/rss.xml: HTTP 500; "
        "stale: no run has finished cleanly (max 26h)"
    ]
    assert table_row(result.stdout, "news")[-1] == "never"


def test_a_scheduled_spider_never_run_is_stale(engine, database_url):
    add_clean_runs(engine, [spider for spider in SCHEDULED if spider != "sfo_dpas"])
    result = status(database_url, "--max-age", "26h")
    assert result.exit_code == 1
    assert problem_lines(result.stdout) == ["sfo_dpas: stale: never run"]
    assert table_row(result.stdout, "sfo_dpas") == ["sfo_dpas", "never run", "never"]


def test_a_running_run_shows_as_running_with_its_last_progress(engine, database_url, tmp_path):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text("[contracts_finder]\n", encoding="utf-8")
    clean_id = add_run(engine, "contracts_finder", "finished", timedelta(hours=20, minutes=45), timedelta(hours=20))
    store = Store(engine)
    running_id = store.start_run("contracts_finder", {"from_date": "2026-11-27"})
    record_progress(store.engine, running_id, requests=120, items_stored=3400, errors=0)
    with engine.connect() as connection:
        run = connection.execute(CrawlRun.__table__.select().where(CrawlRun.id == running_id)).one()

    result = status(database_url, "--schedule", str(schedule), "--max-age", "26h")
    assert result.exit_code == 0, result.output
    row = table_row(result.stdout, "contracts_finder")
    assert row[:4] == ["contracts_finder", str(running_id), "running", shown(run.started_at)]
    assert re.fullmatch(rf"progress {shown(run.last_progress_at)} \(\d+ s ago\)", row[4])
    assert row[5:7] == ["120", "3400"]
    assert row[-1].endswith("(20 h ago)")

    report = json.loads(status(database_url, "--schedule", str(schedule), "--json").stdout)
    [spider] = report["spiders"]
    assert spider["last_run"]["id"] == running_id
    assert spider["last_run"]["status"] == "running"
    assert spider["last_run"]["finished_at"] is None
    assert spider["last_run"]["last_progress_at"] == iso(run.last_progress_at)
    assert spider["last_clean_run"]["id"] == clean_id


def test_a_run_still_running_after_a_failure_leaves_the_spider_failing(engine, database_url, tmp_path):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text("[find_a_tender]\n", encoding="utf-8")
    add_run(engine, "find_a_tender", "finished", timedelta(hours=8), timedelta(hours=7))
    failed_id = add_run(
        engine,
        "find_a_tender",
        "failed",
        timedelta(hours=3),
        timedelta(hours=2),
        errors=1,
        error_summary="https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages: 429",
    )
    running_id = add_run(engine, "find_a_tender", "running", timedelta(minutes=10))
    result = status(database_url, "--schedule", str(schedule), "--max-age", "26h")
    assert result.exit_code == 1
    assert table_row(result.stdout, "find_a_tender")[:3] == ["find_a_tender", str(running_id), "running"]
    assert problem_lines(result.stdout) == [
        f"find_a_tender: failing: run {failed_id} failed with 1 error: "
        "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages: 429"
    ]


def test_json_carries_the_same_facts(engine, database_url):
    clean = add_clean_runs(engine, [spider for spider in SCHEDULED if spider != "news"])
    stale_id = add_run(engine, "news", "finished", timedelta(hours=30, minutes=20), timedelta(hours=30))
    failed_id = add_run(
        engine,
        "contracts_finder",
        "failed",
        timedelta(hours=1),
        timedelta(minutes=20),
        errors=3,
        error_summary=CF_ERRORS,
    )
    ingest_id = add_run(engine, "ingest", "finished", timedelta(days=9, hours=1), timedelta(days=9), requests=0)
    with engine.connect() as connection:
        failed = connection.execute(CrawlRun.__table__.select().where(CrawlRun.id == failed_id)).one()

    result = status(database_url, "--json", "--max-age", "26h")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    spiders = {spider["spider"]: spider for spider in report["spiders"]}
    assert [spider["spider"] for spider in report["spiders"]] == [*SCHEDULED, "ingest"]
    assert report["healthy"] is False
    assert report["max_age_seconds"] == 26 * 3600
    assert report["problems"] == [
        {
            "spider": "contracts_finder",
            "reasons": ["failing"],
            "message": f"contracts_finder: failing: run {failed_id} failed with 3 errors: {CF_ERRORS.splitlines()[0]}",
        },
        {"spider": "news", "reasons": ["stale"], "message": "news: stale: last clean run 30 h ago (max 26h)"},
    ]
    last_run = spiders["contracts_finder"]["last_run"]
    assert last_run == {
        "id": failed_id,
        "status": "failed",
        "started_at": iso(failed.started_at),
        "finished_at": iso(failed.finished_at),
        "last_progress_at": iso(failed.finished_at),
        "last_progress_age_seconds": last_run["last_progress_age_seconds"],
        "requests": 960,
        "items_stored": 27101,
        "items_dropped": 2,
        "errors": 3,
        "warnings": 1,
        "first_error": CF_ERRORS.splitlines()[0],
        "watermark": iso(failed.watermark),
    }
    assert 20 * 60 <= last_run["last_progress_age_seconds"] < 20 * 60 + 30
    assert spiders["contracts_finder"]["last_clean_run"]["id"] == clean["contracts_finder"]
    assert spiders["news"]["last_clean_run"]["id"] == stale_id
    assert 30 * 3600 <= spiders["news"]["last_clean_run"]["age_seconds"] < 30 * 3600 + 30
    assert spiders["ingest"]["scheduled"] is False
    assert spiders["ingest"]["last_run"]["id"] == ingest_id

    without_max_age = json.loads(status(database_url, "--json").stdout)
    assert "healthy" not in without_max_age and "problems" not in without_max_age
    assert without_max_age["spiders"] == report["spiders"]


def test_the_schedule_file_chooses_the_spiders_checked(engine, database_url, tmp_path):
    add_run(engine, "news", "finished", timedelta(days=3, hours=1), timedelta(days=3))
    add_run(
        engine,
        "contracts_finder",
        "failed",
        timedelta(hours=1),
        timedelta(minutes=20),
        errors=3,
        error_summary=CF_ERRORS,
    )
    add_clean_runs(engine, ["find_a_tender"])
    schedule = tmp_path / "schedule.toml"
    schedule.write_text('[find_a_tender]\n\n[hse_convictions]\nmax_pages = "all"\n', encoding="utf-8")

    result = status(database_url, "--schedule", str(schedule), "--max-age", "26h")
    assert result.exit_code == 1
    assert problem_lines(result.stdout) == ["hse_convictions: stale: never run"]
    names = [line.split("  ")[0] for line in result.stdout.splitlines()[4:8]]
    assert names == ["find_a_tender", "hse_convictions", "contracts_finder (not scheduled)", "news (not scheduled)"]

    schedule.write_text("[find_a_tender]\n", encoding="utf-8")
    assert status(database_url, "--schedule", str(schedule), "--max-age", "26h").exit_code == 0


def test_an_unreadable_schedule_is_a_usage_error(engine, database_url, tmp_path):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text("[news\n", encoding="utf-8")
    result = status(database_url, "--schedule", str(schedule))
    assert result.exit_code == 2
    assert f"Error: the schedule {schedule} is not valid TOML" in result.stderr
    assert status(database_url, "--schedule", str(tmp_path / "missing.toml")).exit_code == 2


@pytest.mark.parametrize("upgraded", [False, True], ids=["never upgraded", "upgraded"])
def test_a_database_without_runs_says_so(database_url, upgraded):
    engine = db.make_engine(database_url)
    with engine.connect():  # a SQLite file without tables, or an empty PostgreSQL database
        pass
    if upgraded:
        db.upgrade(engine)
    engine.dispose()
    result = status(database_url)
    assert result.exit_code == 0
    assert result.stdout == "no crawl has run on this database\n"
    monitored = status(database_url, "--max-age", "26h")
    assert monitored.exit_code == 1
    assert problem_lines(monitored.stdout) == [f"{spider}: stale: never run" for spider in SCHEDULED]
    report = json.loads(status(database_url, "--json", "--max-age", "26h").stdout)
    assert report["healthy"] is False
    assert [(spider["spider"], spider["last_run"]) for spider in report["spiders"]] == [
        (spider, None) for spider in SCHEDULED
    ]


def test_a_missing_sqlite_file_is_not_made(tmp_path):
    missing = tmp_path / "watchdog.db"
    result = status(f"sqlite:///{missing}")
    assert result.exit_code == 2
    assert f"there is no database at {missing}" in result.stderr
    assert not missing.exists()
