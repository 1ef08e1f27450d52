"""How long the spiders wait when a server asks them to."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from scrapy.http import Response

from watchdog.sources.middlewares import retry_after_seconds


def response(retry_after=None):
    headers = {"Retry-After": retry_after} if retry_after else {}
    return Response("https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages", status=429, headers=headers)


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds(response("11")) == 11
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= retry_after_seconds(response(later)) <= 90
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(response(past)) == 0
    assert retry_after_seconds(response()) is None
    assert retry_after_seconds(response("soon")) is None
