"""UK Find a Tender: public contracts above the threshold, since 2021."""

from datetime import UTC, datetime, timedelta

from watchdog.normalise.dates import UK
from watchdog.sources.ocds import notice_page
from watchdog.sources.spiders.base import OCDSSpider


class FindATenderSpider(OCDSSpider):
    name = "find_a_tender"
    publisher = "Find a Tender"
    ocid_prefix = "ocds-h6vhtk-"
    base_url = "https://www.find-tender.service.gov.uk"
    search_path = "/api/1.0/ocdsReleasePackages"
    from_parameter, until_parameter = "updatedFrom", "updatedTo"
    # Windows longer than a few hours silently miss releases.
    window = timedelta(hours=6)
    resume_overlap = timedelta(hours=1)
    earliest_date = datetime(2021, 1, 1, tzinfo=UTC)
    # It reads times without a zone as UK local time, so windows are sent in UK time.
    query_timezone = UK
    # "12 request limit in 2 minute exceeded": one request every 10 seconds stays under it.
    custom_settings = {**OCDSSpider.custom_settings, "DOWNLOAD_DELAY": 10.0}
    # A 429 often comes without Retry-After: then wait out the whole 2-minute window.
    rate_limit_waits = {429: 120.0, 503: 60.0}

    def notice_id(self, release: dict) -> str | None:
        return str(release.get("id")) if release.get("id") else None

    def release_url(self, base_url: str, release: dict) -> str:
        return f"{base_url}{self.search_path}/{release.get('id')}"

    def notice_url(self, release: dict) -> str | None:
        notice = self.notice_id(release)
        return notice_page(release) or (f"{FindATenderSpider.base_url}/Notice/{notice}" if notice else None)
