"""EU TED (Tenders Electronic Daily): the above-threshold notices of EU public buyers, and of UK buyers until the
end of 2020 (the UK's notices went to Find a Tender from 2021).

The spider asks TED's search API (`POST /v3/notices/search`, anonymous) for one week of notices of one buyer
country at a time (`-a country=GBR` by default, ISO 3166 alpha-3), with an expert query
(`buyer-country=GBR AND publication-date>=20190304 AND publication-date<20190311`), the fields it reads, up to 250
notices a page, and `paginationMode` ITERATION: each page gives an `iterationNextToken` for the next, until a
page without notices or without a token. Each contract award notice (and voluntary ex-ante transparency notice,
which names the supplier of a direct award) becomes one contract item; calls for competition, prior information
and modification notices are counted and left. The weeks, faults and watermark are the OCDS spiders'
(OCDSSpider): a 429 is waited out, a page that is not a search result is asked again once, a failed week leaves
the watermark at its start, and an incremental crawl resumes from the watermark less a day. A first crawl with
no watermark and no from_date reads the whole archive.

What TED's search fields can and cannot say, and so what these items say:
- One item per notice, not per lot: `winner-name` lists every winner of the notice, `total-value` is the
  notice's total (without VAT) in `total-value-cur`. Which winner won which lot, and for how much, is only in
  the notice's XML, which is not read.
- A winner's national id (`winner-identifier`) is attached only when TED lists one id for each winner name;
  otherwise the winners are kept by name. A UK winner's id shaped like a Companies House number is one
  (GB-COH); any other id is kept under `TED-<country>`, as given, its register unknown (a VAT number, say).
- Whether the award sets up a framework (a ceiling, not spend), and the contract's period, are not read.
- `publication-date` is a day (Brussels time); the award date is the earliest `winner-decision-date`.
- TED gives no OCDS ocid: a notice's ocid here is `ted-<publication number>`, so a later notice of the same
  procedure is another procurement.
- Field names other than those the API's documentation lists (query, fields, limit, paginationMode,
  iterationNextToken; notices, totalNoticeCount, iterationNextToken, timedOut) come from public clients of the
  API, not from TED's documentation (tests/fixtures/PROVENANCE.md says which).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import scrapy
from scrapy.http import Response

from watchdog.items import BuyerRef, ContractItem, SourceDocument, SupplierRef
from watchdog.normalise.names import company_number
from watchdog.sources.ocds import Fetch, ValueReader, release_fingerprint, text
from watchdog.sources.spiders.base import OCDSSpider, Window

LIVE_SITE = "https://ted.europa.eu"
FIELDS = [
    "publication-number",
    "notice-type",
    "publication-date",
    "notice-title",
    "buyer-name",
    "organisation-identifier-buyer",
    "winner-name",
    "winner-identifier",
    "winner-country",
    "winner-decision-date",
    "total-value",
    "total-value-cur",
    "classification-cpv",
    "links",
]
# Contract award notices of the eForms types (standard, social and other services, design contests) and
# voluntary ex-ante transparency notices; modifications (can-modif) change a contract already awarded.
AWARD_NOTICE_TYPES = {"can-standard", "can-social", "can-desg", "can-tran", "veat"}
COUNTRY = re.compile(r"^[A-Z]{3}$")
UK_COUNTRIES = {"GBR", "GB", "UK"}
# A day with TED's zone, as in "2019-03-04+01:00".
PUBLICATION_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
PREFERRED_LANGUAGES = ("eng", "ENG")


def values(value: Any) -> list[str]:
    """A field's values as a list of text, whether TED wrote one value, a list, or (for text in languages) a map
    of language to values, read in English where it is given, else in the first language."""
    if value is None:
        return []
    if isinstance(value, dict):
        language = next((code for code in PREFERRED_LANGUAGES if code in value), next(iter(value), None))
        return values(value.get(language)) if language else []
    if isinstance(value, list):
        return [found for element in value for found in values(element)]
    found = text(value)
    return [found] if found else []


def first(value: Any) -> str | None:
    return next(iter(values(value)), None)


def publication_day(value: Any) -> datetime | None:
    """The start of the publication day, in the zone TED gives with it."""
    match = PUBLICATION_DAY.match(first(value) or "")
    if not match:
        return None
    offset = "+00:00" if match[2] in (None, "Z") else match[2]
    return datetime.fromisoformat(f"{match[1]}T00:00:00{offset}")


def winner_refs(notice: dict) -> list[SupplierRef]:
    """The winners, each once, with their national id and country when TED lists one for each name."""
    names = values(notice.get("winner-name"))
    identifiers = values(notice.get("winner-identifier"))
    countries = values(notice.get("winner-country"))
    paired_ids = identifiers if len(identifiers) == len(names) else [None] * len(names)
    paired_countries = countries if len(countries) == len(names) else [None] * len(names)
    winners: dict[str, SupplierRef] = {}
    for name, identifier, country in zip(names, paired_ids, paired_countries, strict=True):
        if name in winners:
            continue
        ref = SupplierRef(name=name, country=country)
        if identifier:
            number = company_number(identifier) if country in UK_COUNTRIES else None
            ref.company_number = number
            ref.identifiers = {"GB-COH": number} if number else {f"TED-{country}" if country else "TED": identifier}
        winners[name] = ref
    return list(winners.values())


def is_search_result(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("notices"), list)


def is_award_notice(notice: dict) -> bool:
    return bool(set(values(notice.get("notice-type"))) & AWARD_NOTICE_TYPES)


def ted_day(moment: datetime, round_up: bool = False) -> str:
    """A day as TED's expert query writes it (20190304); round_up gives the next day for a time after midnight."""
    day = moment.astimezone(UTC).date()
    if round_up and moment.astimezone(UTC).time() != time():
        day += timedelta(days=1)
    return day.strftime("%Y%m%d")


class TedSpider(OCDSSpider):
    name = "ted"
    publisher = "TED"
    ocid_prefix = "ted-"
    base_url = "https://api.ted.europa.eu"
    search_path = "/v3/notices/search"
    allowed_arguments = ("base_url", "from_date", "until_date", "backfill", "country")
    window = timedelta(days=7)
    resume_overlap = timedelta(days=1)
    earliest_date = datetime(1993, 1, 1, tzinfo=UTC)
    page_size = 250  # the API's most
    # More than 666 requests a minute bans a client for 5 minutes: one a second stays far under it, and a 429 waits
    # out the ban.
    custom_settings = {**OCDSSpider.custom_settings, "DOWNLOAD_DELAY": 1.0}
    rate_limit_waits = {429: 300.0, 503: 60.0}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.country = (kwargs.get("country") or "GBR").upper()

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        country = kwargs.get("country")
        if country is not None and not COUNTRY.match(country.upper()):
            raise ValueError(f"country takes an ISO 3166 three-letter code like GBR or DEU, not {country!r}")

    def crawl_start(self, now: datetime) -> datetime:
        """As the OCDS spiders', but a first crawl reads the whole archive; a start is always a midnight (UTC),
        as TED's query reads days."""
        if not self.from_date and not self.previous_watermark:
            return self.earliest_date
        start = super().crawl_start(now).astimezone(UTC)
        return datetime.combine(start.date(), time(), tzinfo=UTC)

    def search_query(self, window: Window) -> str:
        return (
            f"buyer-country={self.country} AND publication-date>={ted_day(window[0])}"
            f" AND publication-date<{ted_day(window[1], round_up=True)}"
        )

    def window_url(self, window: Window) -> str:
        return self.base_url + self.search_path

    def page_request(self, url: str, window: Window, page: int = 1, token: str | None = None) -> scrapy.Request:
        search = {
            "query": self.search_query(window),
            "fields": FIELDS,
            "limit": self.page_size,
            "paginationMode": "ITERATION",
        }
        if token:
            search["iterationNextToken"] = token
        return scrapy.Request(
            url,
            method="POST",
            body=json.dumps(search),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            callback=self.parse_page,
            errback=self.page_failed,
            meta={"window": window, "page": page},
        )

    def parse_page(self, response: Response) -> Iterator[ContractItem | scrapy.Request]:
        window, page = response.meta["window"], response.meta["page"]
        where, result, problem = self.read_json_page(response, "a TED search result", is_search_result)
        if problem:
            yield from self.unreadable_page(response, where, problem)
            return
        if result.get("timedOut"):
            yield from self.unreadable_page(response, where, "TED's search timed out; the page may be incomplete")
            return
        notices = [notice for notice in result["notices"] if isinstance(notice, dict)]
        awards = [notice for notice in notices if is_award_notice(notice)]
        self.crawler.stats.inc_value("watchdog/pages")
        self.crawler.stats.inc_value("watchdog/releases", len(notices))  # a notice is TED's release
        self.crawler.stats.inc_value("watchdog/notices_not_awards", len(notices) - len(awards))
        fetch = Fetch(fetched_at=datetime.now(UTC), content_sha256=self.archive(response.body))
        for notice in awards:
            try:
                item = self.contract_item(notice, fetch)
            except (AttributeError, TypeError, ValueError) as error:
                number = notice.get("publication-number")
                self.logger.error("%s: notice %r cannot be read (%s); skipped", where, number, error)
                continue
            yield self.track(item, window)

        token = text(result.get("iterationNextToken"))
        if token and notices:
            yield self.page_request(response.url, window, page + 1, token)
        else:
            self.finish_window(window)

    def contract_item(self, notice: dict, fetch: Fetch) -> ContractItem:
        number = self.notice_id(notice)
        if not number:
            raise ValueError("it has no publication-number")
        read = ValueReader(number, self.logger.warning)
        currency = first(notice.get("total-value-cur"))
        totals = set(values(notice.get("total-value")))
        if len(totals) > 1:
            self.logger.warning("notice %s: several total values %s; stored as empty", number, sorted(totals))
        published = publication_day(notice.get("publication-date"))
        decided = [read.day(day[:10], "winner-decision-date") for day in values(notice.get("winner-decision-date"))]
        buyer = first(notice.get("buyer-name"))
        title = first(notice.get("notice-title"))
        winners = winner_refs(notice)
        return ContractItem(
            ocid=f"{self.ocid_prefix}{number}",
            release_id=number,
            release_fingerprint=release_fingerprint(notice),
            release_at=published,
            release_tags=["award"],
            notice_id=number,
            title=title,
            buyer=BuyerRef(buyer, first(notice.get("organisation-identifier-buyer"))) if buyer else None,
            suppliers=winners,
            suppliers_count=len(winners),
            published_at=published,
            awarded_on=min((day for day in decided if day), default=None),
            initial_value=read.money(next(iter(totals)), "total-value", currency) if len(totals) == 1 else None,
            currency=currency,
            cpv_codes=list(dict.fromkeys(values(notice.get("classification-cpv")))),
            notice_url=self.notice_url(notice),
            source=SourceDocument(
                url=self.release_url(self.base_url, notice),
                kind="procurement",
                publisher=self.publisher,
                title=title,
                published_at=published,
                fetched_at=fetch.fetched_at,
                content_sha256=fetch.content_sha256,
                content_type="application/json",
            ),
        )

    def notice_id(self, release: dict) -> str | None:
        return first(release.get("publication-number"))

    def notice_url(self, release: dict) -> str | None:
        """The notice's page on TED in English, as its links give it, else at its usual address."""
        links = release.get("links") if isinstance(release.get("links"), dict) else {}
        page = first((links.get("html") or {}).get("ENG")) if isinstance(links.get("html"), dict) else None
        number = self.notice_id(release)
        return page or (f"{LIVE_SITE}/en/notice/-/detail/{number}" if number else None)

    def release_url(self, base_url: str, release: dict) -> str:
        """A notice read from a search page is sourced to its page on TED: the search has no address of its own."""
        return self.notice_url(release) or base_url + self.search_path
