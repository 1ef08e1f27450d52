"""The Information Commissioner's Office's enforcement: monetary penalties, enforcement notices and reprimands.

The ICO's list of enforcement action is drawn in the browser from a JSON search endpoint (POST /api/search, one
kind of action per query, newest first, a page at a time); each result names the organisation (its title), links
to the action's page and gives its date. A monetary penalty's sum is read from that page: the first sentence
that fines or issues a penalty with a sum. A penalty a tribunal reduced on appeal keeps both sums: the reduced
one as `fine` (what the record adds up) and the first as `fine_before_appeal` (kept, never added up). Enforcement
notices and reprimands carry no sum. The organisation is the name the ICO gives, resolved like any supplier name.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from watchdog.items import EnforcementItem, Money, SupplierRef
from watchdog.normalise.dates import parse_date
from watchdog.normalise.money import find_amounts
from watchdog.sources.spiders.registers import MalformedPage, PagedRegisterSpider, as_money, joined_text
from watchdog.sources.spiders.sfo_dpas import SENTENCE_END

# The filter value of each kind of action in the search endpoint, and the enforcement kind it is stored as.
ACTION_TYPES = {"monetary-penalties": "fine", "enforcement-notices": "enforcement_notice", "reprimands": "reprimand"}
ENFORCEMENT_ROOT_PAGE = 17222  # the search endpoint's id of the "Enforcement action" section
PENALTY_WORDS = re.compile(r"\b(?:fined|fine of|penalty|penalties)\b", re.IGNORECASE)
REDUCED_ON_APPEAL = re.compile(r"\bappeal.*\breduced\b|\breduced\b.*\bappeal", re.IGNORECASE)
CONTENT = "//main//p | //main//li"


def action_slug(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def penalty_amounts(sentences: list[str]) -> tuple[list[Money], str]:
    """The penalty's sums and the sentence that states the final one: a sentence telling that an appeal reduced
    it from one sum to another gives both; else the first sentence that fines with a sum gives the fine."""
    for sentence in sentences:
        amounts = find_amounts(sentence)
        if REDUCED_ON_APPEAL.search(sentence) and len(amounts) >= 2:
            # "reduced from £X to £Y" or "reduced to £Y ... from £X": a reduction, so the smaller sum is the fine.
            final, first = sorted(amounts[:2], key=lambda amount: amount.amount)
            return [as_money(final, "fine"), as_money(first, "fine_before_appeal")], sentence
    for sentence in sentences:
        amounts = find_amounts(sentence)
        if PENALTY_WORDS.search(sentence) and amounts:
            return [as_money(amounts[0], "fine")], sentence
    raise MalformedPage("its text states no penalty with a sum")


class ICOEnforcementSpider(PagedRegisterSpider):
    name = "ico_enforcement"
    authority = "Information Commissioner's Office"
    base_url = "https://ico.org.uk"
    search_path = "/api/search"
    allowed_arguments = ("base_url", "max_pages")
    rate_limit_waits = {429: 60.0}

    def search_request(self, action_type: str, page: int) -> scrapy.Request:
        """A page of the endpoint's results for one kind of action, newest first."""
        query = {
            "filters": [{"key": "entype", "values": [action_type]}],
            "pageNumber": page,
            "order": "newest",
            "rootPageId": ENFORCEMENT_ROOT_PAGE,
        }
        return scrapy.Request(
            self.base_url + self.search_path,
            method="POST",
            body=json.dumps(query),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            callback=self.parse_results,
            errback=self.page_failed,
            dont_filter=True,
            meta={"action_type": action_type, "page": page},
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for action_type in ACTION_TYPES:
            yield self.search_request(action_type, 1)

    def parse_results(self, response: Response) -> Iterator[scrapy.Request]:
        action_type, page = response.meta["action_type"], response.meta["page"]
        try:
            answer = json.loads(response.text)
            results = answer["results"]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            self.logger.error("search page %d of %s could not be read: %r; skipped", page, action_type, error)
            return
        for result in results:
            if not (result.get("title") and result.get("url")):
                self.logger.error(
                    "a result on search page %d of %s has no title or link: %r", page, action_type, result
                )
                continue
            url = self.on_this_site(response.urljoin(result["url"]))
            yield self.request(url, self.read_case, action_type=action_type, result=result)
        last_page = (answer.get("pagination") or {}).get("totalPages") or page
        if page < last_page and (self.max_pages is None or page < self.max_pages):
            yield self.search_request(action_type, page + 1)
        elif page < last_page:
            self.logger.info("read the newest %d of %d search pages of %s (max_pages)", page, last_page, action_type)

    def case_items(self, response: Response) -> Iterator[EnforcementItem]:
        result, kind = response.meta["result"], ACTION_TYPES[response.meta["action_type"]]
        organisation = joined_text([result["title"]])
        sentences = [
            sentence
            for block in response.xpath(CONTENT)
            for sentence in SENTENCE_END.split(joined_text(block.xpath(".//text()").getall()))
            if sentence
        ]
        if not sentences:
            raise MalformedPage(f"the page of {organisation} has no text")
        amounts, evidence = penalty_amounts(sentences) if kind == "fine" else ([], sentences[0])
        dated = parse_date((result.get("filterItemMetaData") or "").split(",")[0].strip() or None)
        title = joined_text(response.xpath("//h1//text()").getall()) or organisation
        yield EnforcementItem(
            fact_key=f"ico:{action_slug(response.url)}",
            supplier=SupplierRef(organisation),
            kind=kind,
            authority=self.authority,
            amounts=amounts,
            action_date=dated.value,
            date_precision=dated.precision,
            date_text=dated.text or None,
            title=title,
            description=joined_text([result.get("description") or ""]) or None,
            source=self.source(response, title),
            basis="official",
            evidence=evidence,
        )
