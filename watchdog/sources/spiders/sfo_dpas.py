"""The Serious Fraud Office's case pages: the deferred prosecution agreements (DPAs) it made with companies.

A case page is prose. Its DPA section names the company, the day a judge approved the agreement and, in one
sentence, what the company will pay. Only what that section states is read; a page whose DPA section does not
name a company with its legal form, or say what it will pay, is an error for a person to look at, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.selector import Selector

from watchdog.items import EnforcementItem, Money, SupplierRef
from watchdog.normalise.dates import ReportedDate, parse_date
from watchdog.normalise.money import find_amounts
from watchdog.sources.spiders.registers import MalformedPage, RegisterSpider, as_money, joined_text

CASE_PATH = re.compile(r"/cases/([a-z0-9-]+)/?$")
SLUG = re.compile(r"[a-z0-9-]+")
DPA_HEADING = re.compile(r"deferred prosecution agreement", re.IGNORECASE)
LEGAL_FORM = r"Ltd|Limited|plc|PLC|Plc|LLP|Inc|AG|SE|SA"
# "a Deferred Prosecution Agreement (DPA) in principle with Serco Geografix Ltd (SGL)", "a DPA between the SFO
# and Rolls-Royce Plc": the name ends at its legal form, so it does not run into the abbreviation that follows.
DEFENDANT = re.compile(
    r"\b(?:Deferred Prosecution Agreement|DPA)(?: \(DPA\))?(?: in principle)?"
    r" (?:with|between the (?:SFO|Serious Fraud Office) and) "
    rf"(?P<name>[A-Z][^,;.]*?\b(?:{LEGAL_FORM}))\b"
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"])")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}}) (?P<month>{'|'.join(MONTHS)})(?: (?P<year>\d{{4}}))?\b")
APPROVAL = re.compile(r"final approval|\bapproved\b(?! in principle)", re.IGNORECASE)
PAYS = re.compile(r"\b(?:will|to) pay\b", re.IGNORECASE)
# The words before a sum that say what it is; a sum with none of them since the previous sum is not read.
KIND_WORDS = re.compile(
    r"\b(?:(?P<dpa_penalty>financial penalty|penalty|fine)|(?P<costs>costs?)|(?P<compensation>compensation)"
    r"|(?P<other>disgorgement))\b",
    re.IGNORECASE,
)
CONTENT = ("//article", "//main", "//body")
BLOCKS = ".//*[self::h2 or self::h3 or self::h4 or self::p or self::li]"


def main_content(response: Response) -> Selector:
    """The article, without the site's menus and footer."""
    return next(found for path in CONTENT if (found := response.xpath(path)))[0]


def sections(content: Selector) -> dict[str, list[str]]:
    """The paragraphs under each heading; a paragraph that is all bold counts as a heading."""
    found: dict[str, list[str]] = {}
    heading = ""
    for block in content.xpath(BLOCKS):
        text = joined_text(block.xpath(".//text()").getall())
        bold = joined_text(block.xpath("./strong//text() | ./b//text()").getall())
        if block.root.tag in ("h2", "h3", "h4") or (block.root.tag == "p" and text and bold == text):
            heading = text
            found.setdefault(heading, [])
        elif text:
            found.setdefault(heading, []).append(text)
    return found


def sentences(paragraphs: list[str]) -> list[str]:
    return [sentence for paragraph in paragraphs for sentence in SENTENCE_END.split(paragraph)]


def payments(sentence: str) -> list[Money]:
    """The sums a sentence says will be paid, each typed by the last kind word written since the previous sum;
    a second sum of a kind already read is left out (an item has one sum of each kind)."""
    found: dict[str, Money] = {}
    previous_end = 0
    for amount in find_amounts(sentence):
        kinds = [match.lastgroup for match in KIND_WORDS.finditer(sentence, previous_end, amount.start)]
        previous_end = amount.end
        if kinds and kinds[-1] not in found:
            found[kinds[-1]] = as_money(amount, kinds[-1])
    return list(found.values())


def dated(match: re.Match, latest: date | None) -> ReportedDate:
    """A date as written. A day without a year is in the year of the latest full date written before it, or the
    next year if its month comes earlier: "On Friday 17 July" after "On 10 July 2020" is 17 July 2020."""
    if match["year"] or latest is None:
        return parse_date(match.group(0))
    month = MONTHS.index(match["month"]) + 1
    try:
        day = date(latest.year + (month < latest.month), month, int(match["day"]))
    except ValueError:
        return parse_date(match.group(0))
    return ReportedDate(day, "day", match.group(0))


def approval_date(lines: list[str]) -> ReportedDate:
    """The day of the final approval, the last date of the sentence that tells it; else the first full date
    of the section (the day the DPA was agreed in principle)."""
    first: ReportedDate | None = None
    latest: date | None = None
    for line in lines:
        days = list(DAY_MONTH.finditer(line))
        if APPROVAL.search(line) and days:
            return dated(days[-1], latest)
        for match in days:
            if match["year"]:
                latest = parse_date(match.group(0)).value
                first = first or parse_date(match.group(0))
    return first or parse_date(None)


def case_slugs(value: str | None) -> list[str]:
    """The cases argument: the names of case pages, as in /cases/serco/ (serco,g4s); none to read them all."""
    if value is None:
        return []
    slugs = [slug.strip() for slug in value.split(",")]
    if not all(SLUG.fullmatch(slug) for slug in slugs):
        raise ValueError(f"cases takes names of case pages as in /cases/serco/, like serco,g4s; not {value!r}")
    return slugs


class SFODPAsSpider(RegisterSpider):
    name = "sfo_dpas"
    authority = "Serious Fraud Office"
    base_url = "https://www.sfo.gov.uk"
    index_path = "/our-cases/"
    allowed_arguments = ("base_url", "cases")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cases = case_slugs(kwargs.get("cases"))

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        case_slugs(kwargs.get("cases"))

    def case_url(self, slug: str) -> str:
        return f"{self.base_url}/cases/{slug}/"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.cases:
            for slug in self.cases:
                yield self.request(self.case_url(slug), self.read_case, slug=slug)
        else:
            yield self.request(self.base_url + self.index_path, self.parse_index)

    def parse_index(self, response: Response) -> Iterator[scrapy.Request]:
        links = {self.on_this_site(response.urljoin(href)) for href in response.xpath("//a/@href").getall()}
        slugs = sorted({match.group(1) for link in links if (match := CASE_PATH.search(link))})
        if not slugs:
            self.logger.error("the list of cases (%s) links to no case page", response.url)
        for slug in slugs:
            yield self.request(self.case_url(slug), self.read_case, slug=slug)

    def case_items(self, response: Response) -> Iterator[EnforcementItem]:
        content = main_content(response)
        dpa = next((text for heading, text in sections(content).items() if DPA_HEADING.search(heading)), None)
        if dpa is None:
            return
        lines = sentences(dpa)
        defendant = next((match.group("name") for line in lines if (match := DEFENDANT.search(line))), None)
        if defendant is None:
            raise MalformedPage("its DPA section names no company with its legal form")
        paid = next(((line, money) for line in lines if PAYS.search(line) and (money := payments(line))), None)
        if paid is None:
            raise MalformedPage(f"its DPA section does not say what {defendant} will pay")
        evidence, amounts = paid
        approved = approval_date(lines)
        slug = response.meta["slug"]
        case_name = joined_text(content.xpath(".//h1//text()").getall()) or slug
        yield EnforcementItem(
            fact_key=f"sfo:dpa:{slug}",
            supplier=SupplierRef(defendant),
            kind="dpa_penalty",
            authority=self.authority,
            amounts=amounts,
            action_date=approved.value,
            date_precision=approved.precision,
            date_text=approved.text or None,
            title=f"Deferred prosecution agreement with {defendant}",
            description=" ".join(dpa),
            source=self.source(response, case_name),
            basis="official",
            evidence=evidence,
        )
