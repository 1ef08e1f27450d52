"""The schedule file as an operator writes it: TOML values read as the `-a`/`-s` text they stand for."""

from __future__ import annotations

import pytest

from watchdog.cli.schedule import DEFAULT_SCHEDULE, ScheduledCrawl, ScheduleError, load_schedule


def test_values_read_as_the_text_of_a_command_line(tmp_path):
    schedule = tmp_path / "nightly.toml"
    schedule.write_text(
        "[find_a_tender]\nfrom_date = 2026-10-06\nuntil_date = 2026-10-07T06:00:00Z\n"
        '[sfo_dpas]\ncases = ["serco", "g4s"]\n'
        "[contracts_finder]\nbackfill = true\n"
        "[contracts_finder.settings]\nDOWNLOAD_DELAY = 2.5\nROBOTSTXT_OBEY = false\n"
    )
    assert load_schedule(schedule) == [
        ScheduledCrawl("find_a_tender", {"from_date": "2026-10-06", "until_date": "2026-10-07T06:00:00+00:00"}),
        ScheduledCrawl("sfo_dpas", {"cases": "serco,g4s"}),
        ScheduledCrawl("contracts_finder", {"backfill": "true"}, {"DOWNLOAD_DELAY": "2.5", "ROBOTSTXT_OBEY": "false"}),
    ]


def test_the_packaged_schedule_lists_every_spider():
    assert [crawl.spider for crawl in load_schedule(DEFAULT_SCHEDULE)] == [
        "contracts_finder",
        "find_a_tender",
        "hse_convictions",
        "sfo_dpas",
        "news",
        "ico_enforcement",
        "public_contracts_scotland",
        "sell2wales",
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[news\n", "is not valid TOML"),
        ("news = 1\n", "news must be a table"),
        ("[news]\nfeeds = {a = 1}\n", "is not a text, a number"),
        ("", "lists no spider"),
    ],
)
def test_a_schedule_that_cannot_be_used_says_why(tmp_path, text, words):
    schedule = tmp_path / "nightly.toml"
    schedule.write_text(text)
    with pytest.raises(ScheduleError, match=words):
        load_schedule(schedule)
