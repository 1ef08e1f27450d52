"""What Public Contracts Scotland and Sell2Wales share: one notice software, with one OCDS API.

Its search takes a month (`dateFrom=MM-YYYY`, the whole month), one notice type and `outputType=0` (OCDS), and
answers one release package of that month's notices of that type, without pages. A month is one window of the
OCDS base: it is finished when every notice type asked for was read to its end. Some answers are a package
without `releases`: the base warns of them and goes on.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import scrapy
from scrapy.http import Response

from watchdog.items import ContractItem
from watchdog.sources.spiders.base import OCDSSpider, Window

# The notice types of the software (as kingfisher-collect lists them): the forms of the EU's Official Journal
# (F1 to F25) and the portals' own website notices (101 to 104).
NOTICE_TYPES = {
    1: "prior information notice",
    2: "contract notice",
    3: "contract award notice",
    4: "prior information notice (utilities)",
    5: "contract notice (utilities)",
    6: "contract award notice (utilities)",
    7: "qualification system (utilities)",
    12: "design contest notice",
    13: "results of design contest",
    14: "corrigendum",
    15: "voluntary ex ante transparency notice",
    20: "modification notice",
    21: "social and other specific services (public contracts)",
    22: "social and other specific services (utilities)",
    23: "social and other specific services (concessions)",
    24: "concession notice",
    25: "concession award notice",
    101: "website contract notice",
    102: "website prior information notice",
    103: "website contract award notice",
    104: "quick quote award",
}
NOTICE_PAGE = re.compile(r"/search_view\.aspx\?ID=([A-Za-z0-9]+)", re.IGNORECASE)


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(moment: datetime) -> datetime:
    return month_start(month_start(moment) + timedelta(days=32))


def notice_types_argument(value: str) -> list[int]:
    """`notice_types=3,103`: the types to ask for, each one the software knows."""
    try:
        types = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        types = []
    if not types or set(types) - set(NOTICE_TYPES):
        raise ValueError(f"notice_types takes numbers among {sorted(NOTICE_TYPES)}, like 3,103; not {value!r}")
    return types


class DevolvedPortalSpider(OCDSSpider):
    """A portal of the Scottish and Welsh notice software; a subclass names its publisher, ocid prefix and sites."""

    allowed_arguments = ("base_url", "from_date", "until_date", "backfill", "notice_types")
    search_path = "/v1/Notices"
    notice_site: str  # where people read the notices
    from_parameter, until_parameter = "dateFrom", ""
    page_size = sys.maxsize  # a month comes whole, in one package: never a full page that lost its next link
    window = timedelta(days=31)  # a calendar month: see plan_windows
    # A notice published late in a month after the last crawl read it: that month is read again.
    resume_overlap = timedelta(days=7)
    first_crawl_days = 31
    earliest_date = datetime(2019, 1, 1, tzinfo=UTC)
    # No rate limit is documented: one request every 2 seconds, and a 429 or 503 waits a minute unless told.
    custom_settings = {**OCDSSpider.custom_settings, "DOWNLOAD_DELAY": 2.0}
    rate_limit_waits = {429: 60.0, 503: 60.0}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        given = kwargs.get("notice_types")
        self.notice_types = notice_types_argument(given) if given else sorted(NOTICE_TYPES)
        # The notice types of each month not yet read to their end.
        self.types_left: dict[Window, set[int]] = {}

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        if kwargs.get("notice_types"):
            notice_types_argument(kwargs["notice_types"])

    def plan_windows(self, now: datetime) -> list[Window]:
        """Calendar months, from the month of the crawl's start to until_date or now, whichever is sooner."""
        start, end = month_start(self.crawl_start(now)), min(self.until_date or now, now)
        windows = []
        while start < end:
            windows.append((start, min(next_month(start), end)))
            start = next_month(start)
        return windows

    def type_url(self, window: Window, notice_type: int) -> str:
        query = {"dateFrom": f"{window[0]:%m-%Y}", "noticeType": notice_type, "outputType": 0}
        return f"{self.base_url}{self.search_path}?{urlencode(query)}"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.windows = self.plan_windows(datetime.now(UTC))
        self.logger.info(
            "crawling %d months (%d notice types each) from %s",
            len(self.windows),
            len(self.notice_types),
            f"{self.windows[0][0]:%m-%Y}" if self.windows else "-",
        )
        for window in self.windows:
            self.types_left[window] = set(self.notice_types)
            for notice_type in self.notice_types:
                yield self.page_request(self.type_url(window, notice_type), window)

    def parse_page(self, response: Response) -> Iterator[ContractItem | scrapy.Request]:
        """A notice type's page, read by the base; its month is finished only when all its types are."""
        window = response.meta["window"]
        yield from super().parse_page(response)
        if window in self.finished_windows:  # this notice type was read to its end
            notice_type = int(parse_qs(urlsplit(response.url).query)["noticeType"][0])
            self.types_left[window].discard(notice_type)
            if self.types_left[window]:
                self.finished_windows.discard(window)

    def notice_document(self, release: dict) -> str | None:
        """The notice page the release links to: an award's first, else the tender's."""
        documents = [d for award in release.get("awards") or [] for d in award.get("documents") or []]
        documents += (release.get("tender") or {}).get("documents") or []
        urls = (str(d.get("url") or "") for d in documents if isinstance(d, dict))
        return next((url for url in urls if NOTICE_PAGE.search(url)), None)

    def notice_id(self, release: dict) -> str | None:
        """The portal's notice id (APR352786), as in its notice pages' addresses."""
        url = self.notice_document(release)
        return NOTICE_PAGE.search(url).group(1) if url else None

    def release_url(self, base_url: str, release: dict) -> str:
        return f"{base_url}/v1/Notice?{urlencode({'id': release.get('ocid')})}"

    def notice_url(self, release: dict) -> str | None:
        notice = self.notice_id(release)
        return f"{self.notice_site}/search/show/search_view.aspx?ID={notice}" if notice else None
