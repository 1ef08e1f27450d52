"""Dates and times as sources write them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dateutil import parser
from dateutil.parser import isoparse

UK = ZoneInfo("Europe/London")


def read_iso(text: str) -> datetime:
    """An ISO 8601 time: the standard library's reader first (several times faster, and it reads what notices
    mostly write), dateutil's for the forms it does not know (week dates, "24:00", a bare "2020-05")."""
    text = str(text).strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return isoparse(text)


def parse_timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 time with its zone; a time without one is UK local time. None if unreadable."""
    if not text:
        return None
    try:
        value = read_iso(text)
    except (ValueError, OverflowError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UK)


def parse_day(text: str | None) -> date | None:
    """The calendar day an ISO 8601 time names, as written (2025-04-23T23:59:59+01:00 is 23 April)."""
    if not text:
        return None
    try:
        return read_iso(text).date()
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class ReportedDate:
    """A date as exact as the source makes it: "May 2020" is a month, "2016-17" a (financial) year."""

    value: date | None
    precision: str
    text: str


UNKNOWN = "unknown"
GLUED = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z]{3})")  # "GMT14 August" -> "GMT 14 August"
FINANCIAL_YEAR = re.compile(r"^\s*((?:19|20)\d\d)\s*[-/–]\s*(\d\d|(?:19|20)\d\d)\s*$")
YEAR_ONLY = re.compile(r"^\s*((?:19|20)\d\d)\s*$")
ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?\s*$")
# Two defaults that differ in every field: a field that comes back different was not in the text.
DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 2, 2))
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip


def financial_year_start(text: str | None) -> int | None:
    """The first year of a financial year written 2016-17, 2016/17 or 2016-2017; None for any other text."""
    found = FINANCIAL_YEAR.match(text or "")
    if found and int(found.group(2)[-2:]) == (int(found.group(1)) + 1) % 100:
        return int(found.group(1))
    return None


def parse_date(text: str | None) -> ReportedDate:
    """Read a date from a notice, a register or an article, never inventing a day or month it does not give."""
    raw = "" if text is None else str(text)
    if ISO.match(raw):
        day = parse_day(raw)
        return ReportedDate(day, "day" if day else UNKNOWN, raw)
    cleaned = " ".join(GLUED.sub(" ", raw).split())
    if not cleaned:
        return ReportedDate(None, UNKNOWN, raw)
    financial_year = financial_year_start(cleaned)
    if financial_year:
        return ReportedDate(date(financial_year, 1, 1), "year", raw)
    if YEAR_ONLY.match(cleaned):
        return ReportedDate(date(int(cleaned), 1, 1), "year", raw)
    try:
        readings = [parser.parse(cleaned, dayfirst=True, fuzzy=True, default=d) for d in DEFAULTS]
    except (ValueError, OverflowError, TypeError):
        return ReportedDate(None, UNKNOWN, raw)
    first, second = readings
    if first.year != second.year or not 1900 <= first.year <= 2100:
        return ReportedDate(None, UNKNOWN, raw)
    if first.month != second.month:
        return ReportedDate(date(first.year, 1, 1), "year", raw)
    if first.day != second.day:
        return ReportedDate(date(first.year, first.month, 1), "month", raw)
    return ReportedDate(first.date(), "day", raw)


def display_date(value: date | None, precision: str, text: str | None = None) -> str:
    """A date as exact as it is known, and no more: 2020-05-14, May 2020, 2016-17 (as written) or 2016."""
    if value is None or precision not in ("day", "month", "year"):
        return "date unknown"
    if precision == "day":
        return value.isoformat()
    if precision == "month":
        return f"{MONTHS[value.month - 1]} {value.year}"
    if financial_year_start(text) == value.year:
        return f"{value.year}-{(value.year + 1) % 100:02d}"
    return str(value.year)


def utcnow() -> datetime:
    """Now, in UTC: the time every row's first_seen_at and last_seen_at are written in."""
    return datetime.now(UTC)
