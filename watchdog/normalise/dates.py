"""Dates and times as sources write them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

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
