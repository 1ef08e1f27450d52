"""The schedule file: which spiders `watchdog crawl --all` runs, with their arguments and settings."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

import click

from watchdog import DATA_DIR

SCHEDULE_VARIABLE = "WATCHDOG_SCHEDULE"
DEFAULT_SCHEDULE = DATA_DIR / "schedule.toml"


def schedule_option(purpose: str):
    """The --schedule FILE option of the commands that read the schedule, `purpose` saying what for."""
    return click.option(
        "--schedule",
        "schedule_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"{purpose} [default: ${SCHEDULE_VARIABLE}, else {DEFAULT_SCHEDULE}]",
    )


class ScheduleError(Exception):
    """The schedule file cannot be read or says something no spider understands."""


@dataclass(frozen=True)
class ScheduledCrawl:
    spider: str
    arguments: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)


def schedule_path(explicit: str | Path | None = None) -> Path:
    """The file given, else $WATCHDOG_SCHEDULE, else the schedule shipped with the package."""
    return Path(explicit or os.environ.get(SCHEDULE_VARIABLE) or DEFAULT_SCHEDULE)


def as_text(value: object, where: str) -> str:
    """A TOML value as the text `-a`/`-s` would give: lists joined with commas, booleans as true/false, dates and
    times as ISO 8601."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(as_text(each, where) for each in value)
    if isinstance(value, str | int | float):
        return str(value)
    raise ScheduleError(f"{where}: {value!r} is not a text, a number, a boolean, a date or a list of them")


def load_schedule(path: str | Path | None = None) -> list[ScheduledCrawl]:
    """The crawls a schedule file lists, in its order; ScheduleError saying what is wrong with it."""
    path = schedule_path(path)
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScheduleError(f"cannot read the schedule {path}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScheduleError(f"the schedule {path} is not valid TOML: {error}") from error
    crawls = []
    for spider, table in tables.items():
        if not isinstance(table, dict):
            raise ScheduleError(f"{path}: {spider} must be a table ([{spider}]), not a value")
        settings = table.get("settings", {})
        if not isinstance(settings, dict):
            raise ScheduleError(f"{path}: [{spider}] settings must be a table ([{spider}.settings])")
        arguments = {
            name: as_text(value, f"{path} [{spider}] {name}") for name, value in table.items() if name != "settings"
        }
        crawls.append(
            ScheduledCrawl(
                spider,
                arguments,
                {name: as_text(value, f"{path} [{spider}.settings] {name}") for name, value in settings.items()},
            )
        )
    if not crawls:
        raise ScheduleError(f"the schedule {path} lists no spider")
    return crawls
