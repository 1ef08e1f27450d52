"""The README's crontab, run line by line as cron would run it, against local copies of the sources: a good night
mails nothing and leaves the night's changes in a CSV file; a night with a source down mails what is wrong."""

from __future__ import annotations

import csv
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from test_scheduled_crawls import CF_WINDOW, cf_portal, sfo_site, write_schedule  # noqa: F401 (fixtures)

from watchdog.cli.schedule import SCHEDULE_VARIABLE
from watchdog.database.db import DATABASE_URL_VARIABLE

README = Path(__file__).resolve().parent.parent / "README.md"
CHECKOUT = "cd /srv/watchdog && .venv/bin/watchdog"


def readme_crontab() -> list[str]:
    """The commands of the crontab under "Running it every night", in order."""
    section = README.read_text(encoding="utf-8").split("## Running it every night", 1)[1]
    block = re.search(r"```cron\n(.*?)```", section, re.DOTALL).group(1)
    commands = []
    for line in block.splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^[A-Z]+=", line):
            continue
        commands.append(line.split(None, 5)[5])
    return commands


def as_cron_runs_it(command: str, folder: Path) -> str:
    """The line with the checkout made this one (`python -m watchdog`), and `\\%` read as cron reads it."""
    assert command.startswith(CHECKOUT), command
    here = f"cd {shlex.quote(str(folder))} && {shlex.quote(sys.executable)} -m watchdog"
    return (here + command[len(CHECKOUT) :]).replace("\\%", "%")


def run_line(command: str, folder: Path, environment: dict[str, str]) -> tuple[int, str]:
    """Run one crontab line as cron does (its SHELL, bash); what it prints is what cron would mail."""
    result = subprocess.run(
        ["/bin/bash", "-c", as_cron_runs_it(command, folder)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def checkout(tmp_path):
    """The folder the crontab runs in, with the folders the README says to make, and an upgraded database."""
    folder = tmp_path / "watchdog"
    (folder / "logs").mkdir(parents=True)
    (folder / "reports").mkdir()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("WATCHDOG_")}
    environment[DATABASE_URL_VARIABLE] = f"sqlite:///{folder / 'watchdog.db'}"
    upgrade = subprocess.run([sys.executable, "-m", "watchdog", "db", "upgrade"], env=environment, cwd=folder)
    assert upgrade.returncode == 0
    return folder, environment


def test_the_readme_crontab_has_the_crawl_the_health_check_and_the_changes():
    crawl, status, changes = readme_crontab()
    assert "crawl --all" in crawl
    assert "status --max-age 26h -q" in status
    assert "changes --format csv" in changes


def test_a_good_night_mails_nothing_and_leaves_the_changes_for_the_desk(checkout, cf_portal, sfo_site, tmp_path):  # noqa: F811
    folder, environment = checkout
    schedule = write_schedule(
        tmp_path / "nightly.toml",
        {
            "contracts_finder": [f"base_url={cf_portal.url}", *CF_WINDOW],
            "sfo_dpas": [f"base_url={sfo_site.url}", "cases=serco"],
        },
    )
    environment[SCHEDULE_VARIABLE] = str(schedule)
    crawl, status, changes = readme_crontab()

    assert run_line(crawl, folder, environment) == (0, "")
    log = (folder / "logs" / "crawl.log").read_text(encoding="utf-8")
    assert re.search(r"contracts_finder\s+finished", log)
    assert re.search(r"sfo_dpas\s+finished", log)

    assert run_line(status, folder, environment) == (0, "")

    assert run_line(changes, folder, environment) == (0, "")
    (report,) = (folder / "reports").glob("changes-*.csv")
    assert re.fullmatch(r"changes-\d{4}-\d{2}-\d{2}\.csv", report.name)
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    penalties = [row for row in rows if row["change"] == "new enforcement action"]
    assert [row["supplier"] for row in penalties] == ["Serco Geografix Ltd"]
    assert "£19,200,000" in penalties[0]["new value"]
    southampton = [row for row in rows if row["change"] == "new contract" and row["what"] == "Business Case for LGR"]
    assert [(row["supplier"], row["new value"]) for row in southampton] == [
        ("PwC (PricewaterhouseCoopers)", "£109,320")
    ]


def test_a_night_with_a_source_down_mails_what_is_wrong(checkout, sfo_site, tmp_path, refusing_address):  # noqa: F811
    folder, environment = checkout
    down = f"http://{refusing_address}"
    schedule = write_schedule(
        tmp_path / "nightly.toml",
        {
            "contracts_finder": [f"base_url={down}", *CF_WINDOW],
            "sfo_dpas": [f"base_url={sfo_site.url}", "cases=serco"],
        },
    )
    environment[SCHEDULE_VARIABLE] = str(schedule)
    crawl, status, _changes = readme_crontab()

    exit_status, mail = run_line(crawl, folder, environment)
    assert exit_status == 0  # the `|| tail` ran: the mail is the log's last lines
    assert re.search(r"contracts_finder\s+failed", mail)
    assert re.search(r"sfo_dpas\s+finished", mail)
    assert "cannot reach 127.0.0.1" in (folder / "logs" / "crawl.log").read_text(encoding="utf-8")

    exit_status, mail = run_line(status, folder, environment)
    assert exit_status == 1
    assert mail.startswith("contracts_finder: failing: run 1 failed with 1 error: cannot reach 127.0.0.1")
    assert "sfo_dpas" not in mail
