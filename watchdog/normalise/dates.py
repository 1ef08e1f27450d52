"""Dates and times as sources write them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dateutil import parser
from dateutil.parser import isoparse

UK = ZoneInfo("Europe/London")


def parse_timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 time with its zone; a time without one is UK local time. None if unreadable."""
    if not text:
        return None
    try:
        value = isoparse(str(text).strip())
    except (ValueError, OverflowError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UK)


def parse_day(text: str | None) -> date | None:
    """The calendar day an ISO 8601 time names, as written (2025-04-23T23:59:59+01:00 is 23 April)."""
    if not text:
        return None
    try:
        return isoparse(str(text).strip()).date()
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


def parse_date(text: str | None) -> ReportedDate:
    """Read a date from a notice, a register or an article, never inventing a day or month it does not give."""
    raw = "" if text is None else str(text)
    if ISO.match(raw):
        day = parse_day(raw)
        return ReportedDate(day, "day" if day else UNKNOWN, raw)
    cleaned = " ".join(GLUED.sub(" ", raw).split())
    if not cleaned:
        return ReportedDate(None, UNKNOWN, raw)
    financial = FINANCIAL_YEAR.match(cleaned)
    if financial and int(financial.group(2)[-2:]) == (int(financial.group(1)) + 1) % 100:
        return ReportedDate(date(int(financial.group(1)), 1, 1), "year", raw)
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
