"""The HSE's public register of convictions: one fine, with the costs awarded to the HSE, per prosecution case."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response

from watchdog.items import EnforcementItem, Money, SupplierRef
from watchdog.normalise.dates import parse_date
from watchdog.normalise.money import find_amounts
from watchdog.sources.spiders.registers import MalformedPage, PagedRegisterSpider, as_money, joined_text

CASE_LINK = re.compile(r"case_details\.asp\?SF=CN&SV=\d+")
CASE_HEADING = re.compile(r"Case No\.\s*(\d+)")
PAGE_COUNT = re.compile(r"Page\s+(\d+)\s+of\s+(\d+)", re.IGNORECASE)


def labelled_values(response: Response) -> dict[str, str]:
    """Each `<td><strong>Label</strong></td>` of a case page with the text of the cell after it."""
    values = {}
    for label_cell in response.xpath("//td[strong]"):
        label = joined_text(label_cell.xpath(".//text()").getall())
        value_cell = label_cell.xpath("following-sibling::td[1]")
        if value_cell:
            values[label] = joined_text(value_cell.xpath(".//text()").getall(), ", ")
    return values


def money(values: dict[str, str], label: str, kind: str) -> Money:
    amounts = find_amounts(values.get(label, ""))
    if not amounts:
        raise MalformedPage(f"{label} is not a sum of money: {values.get(label)!r}")
    return as_money(amounts[0], kind, values[label])


class HSEConvictionsSpider(PagedRegisterSpider):
    name = "hse_convictions"
    authority = "Health and Safety Executive"
    base_url = "https://resources.hse.gov.uk/convictions"
    allowed_arguments = ("base_url", "max_pages")

    def list_url(self, page: int) -> str:
        """A page of the register, newest cases first, ten to a page."""
        return f"{self.base_url}/case/case_list.asp?PN={page}&ST=C&EO=LIKE&SN=F&SF=DN&SV=&SO=DODS"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.request(self.list_url(1), self.parse_list, page=1)

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        page = response.meta["page"]
        links = [href for href in response.xpath("//a/@href").getall() if CASE_LINK.search(href)]
        if not links:
            self.logger.error("list page %d (%s) lists no cases", page, response.url)
        for href in links:
            yield self.request(response.urljoin(href), self.read_case)
        count = PAGE_COUNT.search(joined_text(response.xpath("//body//text()").getall()))
        if not count:
            self.logger.warning(
                "list page %d (%s) says not how many pages there are; stopping here", page, response.url
            )
        last_page = int(count.group(2)) if count else page
        if page < last_page and (self.max_pages is None or page < self.max_pages):
            yield self.request(self.list_url(page + 1), self.parse_list, page=page + 1)
        elif page < last_page:
            self.logger.info("read the newest %d of %d list pages (max_pages)", page, last_page)

    def case_items(self, response: Response) -> Iterator[EnforcementItem]:
        values = labelled_values(response)
        heading = CASE_HEADING.search(joined_text(response.xpath("//th//text()").getall()))
        case_number = heading.group(1) if heading else parse_qs(urlsplit(response.url).query).get("SV", [None])[0]
        defendant = values.get("Defendant")
        if not case_number:
            raise MalformedPage("it names no case number")
        if not defendant:
            raise MalformedPage(f"case {case_number} has no Defendant")
        offence_date = parse_date(values.get("Offence Date"))
        description = values.get("Description")
        yield EnforcementItem(
            fact_key=f"hse:{case_number}",
            supplier=SupplierRef(defendant),
            kind="fine",
            authority=self.authority,
            amounts=[money(values, "Total Fine", "fine"), money(values, "Total Costs Awarded to HSE", "costs")],
            # The register dates a case by its offence; the hearing's date is only on the page of each breach.
            action_date=offence_date.value,
            date_precision=offence_date.precision,
            date_text=offence_date.text or None,
            case_reference=case_number,
            title=description,
            description=self.case_summary(values),
            source=self.source(response, f"Details for Case No.{case_number}"),
            basis="official",
            evidence=description,
        )

    @staticmethod
    def case_summary(values: dict[str, str]) -> str:
        """The description, then where the offence was and in which industry, as the page gives them."""
        parts = [values.get("Description")] + [
            f"{label}: {values[label]}"
            for label in ("Industry", "Main Activity", "Local Authority", "Address")
            if values.get(label)
        ]
        return ". ".join(part for part in parts if part)
