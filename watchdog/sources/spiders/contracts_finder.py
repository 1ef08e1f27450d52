"""UK Contracts Finder: England's public contracts below the threshold (and above it before 2021)."""

import re
from datetime import UTC, datetime, timedelta

from scrapy.http import Response

from watchdog.sources.ocds import notice_page
from watchdog.sources.spiders.base import OCDSSpider

NOTICE_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class ContractsFinderSpider(OCDSSpider):
    name = "contracts_finder"
    publisher = "Contracts Finder"
    ocid_prefix = "ocds-b5fd17-"
    base_url = "https://www.contractsfinder.service.gov.uk"
    search_path = "/Published/Notices/OCDS/Search"
    from_parameter, until_parameter = "publishedFrom", "publishedTo"
    # Long date windows come back incomplete: ask for a day at a time.
    window = timedelta(days=1)
    resume_overlap = timedelta(hours=6)
    earliest_date = datetime(2011, 1, 1, tzinfo=UTC)
    custom_settings = {**OCDSSpider.custom_settings, "DOWNLOAD_DELAY": 1.0}
    # Its rate limit answers 403 with an HTML page: "no further requests until after 5 minutes"; or 429, with
    # Retry-After or without (then the same 5 minutes).
    rate_limit_waits = {403: 300.0, 429: 300.0}

    def is_rate_limited(self, response: Response) -> bool:
        """Any 429; a 403 only with its rate limit page (another 403 is a refusal, not a wait)."""
        return response.status == 429 or b"rate limit" in response.body.lower()

    def notice_id(self, release: dict) -> str | None:
        """The notice's GUID: a release id is the GUID and a version number."""
        match = NOTICE_GUID.match(str(release.get("id", "")))
        return match.group(0).lower() if match else None

    def release_url(self, base_url: str, release: dict) -> str:
        return f"{base_url}/Published/OCDS/Release/{release.get('id')}"

    def notice_url(self, release: dict) -> str | None:
        guid = self.notice_id(release)
        return notice_page(release) or (f"{ContractsFinderSpider.base_url}/Notice/{guid}" if guid else None)
