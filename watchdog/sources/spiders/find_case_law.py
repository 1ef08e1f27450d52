"""Judgments of the National Archives' Find Case Law that name a given supplier as a party.

The spider asks the service's Atom feed for the judgments of one party at a time (`-a party=NAME`, several
separated by `|`), never for everything: the Open Justice Licence does not cover bulk computational analysis of
the judgments without a separate licence from the National Archives, so a crawl reads only the judgments of the
suppliers someone asked about, as a reporter would search for them. Each entry's LegalDocML (data.xml) is read; a
judgment is kept only if one of its marked-up parties is the name asked for (same normalised name), and that party,
as the judgment spells it, is the supplier (resolved like any supplier name, so it joins the record under that
name and no other). It becomes an enforcement action of kind `judgment`, with the neutral citation, the court and
the date of judgment; a sum only where the judgment's text orders a party to pay one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from watchdog.items import EnforcementItem, Money, SupplierRef
from watchdog.normalise.dates import parse_date
from watchdog.normalise.money import find_amounts
from watchdog.normalise.names import name_key
from watchdog.sources.spiders.registers import MalformedPage, PagedRegisterSpider, as_money, joined_text
from watchdog.sources.spiders.sfo_dpas import SENTENCE_END

NAMESPACES = {
    "atom": "http://www.w3.org/2005/Atom",
    "tna": "https://caselaw.nationalarchives.gov.uk",
    "akn": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0",
    "uk": "https://caselaw.nationalarchives.gov.uk/akn",
}
ORDER_TO_PAY = re.compile(r"\b(?:order(?:s|ed)?|shall|must)\b.{0,60}?\bpay\b", re.IGNORECASE)
AMOUNT_KINDS = re.compile(
    r"\b(?:(?P<compensation>damages|compensation)|(?P<costs>costs)|(?P<fine>fine|penalty))\b", re.IGNORECASE
)


def parties_of(value: str | None) -> list[str]:
    """The party argument: one name, or several separated by |."""
    parties = [party.strip() for party in (value or "").split("|")]
    if not all(parties) or not all(name_key(party) for party in parties):
        raise ValueError(
            "find_case_law needs party=NAME (several as NAME|NAME): it reads one party's judgments at a time"
        )
    return parties


def words_for(names: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)), re.IGNORECASE)


def ordered_payments(sentences: list[str], payer: list[str], every_party: list[str]) -> tuple[list[Money], str | None]:
    """The sums of the first sentence that orders the party to pay: the last party named before "pay" (by its
    name, or its role as in "the defendant") must be it, so in "the Claimant succeeds and the Defendant shall pay"
    only the defendant pays. Each sum is typed by the kind word written before it since the previous sum (damages
    or compensation, costs, a fine or penalty); a sum with none is `other`. What another party must pay is not read."""
    payer_words, party_words = words_for(payer), words_for(every_party + payer)
    for sentence in sentences:
        order = ORDER_TO_PAY.search(sentence)
        named = list(party_words.finditer(sentence, 0, order.end())) if order else []
        if not named or not payer_words.fullmatch(named[-1].group()):
            continue
        found: dict[str, Money] = {}
        previous_end = 0
        for amount in find_amounts(sentence):
            kinds = [match.lastgroup for match in AMOUNT_KINDS.finditer(sentence, previous_end, amount.start)]
            previous_end = amount.end
            kind = kinds[-1] if kinds else "other"
            found.setdefault(kind, as_money(amount, kind))
        if found:
            return list(found.values()), sentence
    return [], None


class FindCaseLawSpider(PagedRegisterSpider):
    name = "find_case_law"
    authority = "The National Archives (Find Case Law)"
    base_url = "https://caselaw.nationalarchives.gov.uk"
    allowed_arguments = ("base_url", "party", "max_pages")
    rate_limit_waits = {429: 60.0}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parties = parties_of(kwargs.get("party"))

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> None:
        super().check_arguments(**kwargs)
        parties_of(kwargs.get("party"))

    def feed_url(self, party: str, page: int) -> str:
        return f"{self.base_url}/atom.xml?{urlencode({'party': party, 'order': '-date', 'page': page})}"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for party in self.parties:
            yield self.request(self.feed_url(party, 1), self.parse_feed, party=party, page=1)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        party, page = response.meta["party"], response.meta["page"]
        try:
            feed = scrapy.Selector(text=response.text, type="xml")
            entries = feed.xpath("/atom:feed/atom:entry", namespaces=NAMESPACES)
            if not feed.xpath("/atom:feed", namespaces=NAMESPACES):
                raise ValueError("not an Atom feed")
        except (ValueError, AttributeError) as error:
            self.logger.error(
                "feed page %d of party %r (%s) could not be read: %s; skipped", page, party, response.url, error
            )
            return
        for entry in entries:
            xml_link = entry.xpath("atom:link[@type='application/akn+xml']/@href", namespaces=NAMESPACES).get()
            if not xml_link:
                self.logger.error("an entry of %s links to no judgment XML; skipped", response.url)
                continue
            yield self.request(
                self.on_this_site(response.urljoin(xml_link)),
                self.read_case,
                dont_filter=True,  # a judgment naming two parties asked for is read for each
                party=party,
                court=joined_text(entry.xpath("atom:author/atom:name//text()", namespaces=NAMESPACES).getall()),
                citation=joined_text(
                    entry.xpath("tna:identifier[@type='ukncn']//text()", namespaces=NAMESPACES).getall()
                ),
                slug=entry.xpath("tna:identifier[@type='ukncn']/@slug", namespaces=NAMESPACES).get(),
                title=joined_text(entry.xpath("atom:title//text()", namespaces=NAMESPACES).getall()),
            )
        next_link = feed.xpath("/atom:feed/atom:link[@rel='next']/@href", namespaces=NAMESPACES).get()
        if next_link and (self.max_pages is None or page < self.max_pages):
            yield self.request(
                self.on_this_site(response.urljoin(next_link)), self.parse_feed, party=party, page=page + 1
            )
        elif next_link:
            self.logger.info("read the newest %d feed pages of party %r (max_pages)", page, party)

    def case_items(self, response: Response) -> Iterator[EnforcementItem]:
        meta = response.meta
        try:
            judgment = scrapy.Selector(text=response.text, type="xml")
        except ValueError as error:
            raise MalformedPage(f"it is not XML: {error}") from error
        parties = {  # each party as the judgment writes it, with its role ("defendant")
            joined_text(party.xpath(".//text()").getall()): (party.xpath("@as").get() or "").lstrip("#")
            for party in judgment.xpath("//akn:party", namespaces=NAMESPACES)
        }
        if not parties:
            raise MalformedPage("it marks up no party")
        wanted = name_key(meta["party"])
        named = next((party for party in parties if name_key(party) == wanted), None)
        if named is None:
            self.logger.info(
                "%s does not name %r as a party (its parties: %s)", response.url, meta["party"], list(parties)
            )
            return
        payer = [named, meta["party"]] + ([f"the {parties[named]}"] if parties[named] else [])
        others = [party for party in parties if party != named]
        others += [f"the {role}" for party, role in parties.items() if party != named and role]
        neutral_citation = meta["citation"] or joined_text(
            judgment.xpath("//uk:cite//text()", namespaces=NAMESPACES).getall()
        )
        if not neutral_citation:
            raise MalformedPage("it has no neutral citation")
        slug = meta["slug"] or neutral_citation
        day = parse_date(judgment.xpath("//akn:FRBRWork/akn:FRBRdate/@date", namespaces=NAMESPACES).get())
        text = [
            joined_text(block.xpath(".//text()").getall())
            for block in judgment.xpath("//akn:judgmentBody//akn:p", namespaces=NAMESPACES)
        ]
        sentences = [sentence for block in text for sentence in SENTENCE_END.split(block) if sentence]
        amounts, order = ordered_payments(sentences, payer, others)
        title = meta["title"] or neutral_citation
        yield EnforcementItem(
            fact_key=f"caselaw:{slug}:{name_key(named)}",  # one per party: two suppliers may be parties
            supplier=SupplierRef(named),
            kind="judgment",
            authority=meta["court"] or None,
            amounts=amounts,
            action_date=day.value,
            date_precision=day.precision,
            date_text=day.text or None,
            case_reference=neutral_citation,
            title=title,
            description=f"{title}, {neutral_citation}" + (f", {meta['court']}" if meta["court"] else ""),
            source=self.source(response, f"{title} {neutral_citation}"),
            basis="official",
            evidence=order or f"{named} is a party to {neutral_citation}",
        )
