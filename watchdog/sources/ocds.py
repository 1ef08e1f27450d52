"""Reading OCDS releases into contract items.

OCDS (the Open Contracting Data Standard) is what Contracts Finder and Find a Tender publish. A release is
one published version of a procurement. Each of its awards becomes a contract item (one contract row per
award); a release with no award yet (a tender) becomes one item for the procurement itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import orjson

from watchdog.items import BuyerRef, ContractItem, SourceDocument, SupplierRef
from watchdog.normalise.dates import parse_day, parse_timestamp
from watchdog.normalise.money import lone_amount

logger = logging.getLogger(__name__)

# Portal-internal ids (a Contracts Finder account number) say nothing about who a supplier is.
IGNORED_SCHEMES = {"GB-CFS"}
SCHEME_PREFIX = re.compile(r"^([A-Z]{2}-[A-Z]+)-(.+)$")


class Portal(Protocol):
    """What differs between OCDS publishers; each spider of an OCDS source is one."""

    publisher: str
    ocid_prefix: str
    base_url: str  # the live site; a crawl may be pointed at another

    def release_url(self, base_url: str, release: dict) -> str: ...

    def notice_url(self, release: dict) -> str | None: ...

    def notice_id(self, release: dict) -> str | None: ...


@dataclass
class Fetch:
    """How the page holding a release was fetched (nothing is known of a release read from a file)."""

    fetched_at: datetime | None = None
    content_sha256: str | None = None


def fingerprint(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def as_float(value: Any) -> float:
    """A Decimal as the float a JSON parser reads the same number as (45126.50 and 45126.5 alike)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON: {value!r}")


def release_fingerprint(release: dict) -> str:
    """A fingerprint of a release's content: the same for the same release in a package, a JSON Lines file or
    an API page, whatever the order of its keys, the JSON parser that read it, or trailing zeros in its numbers
    (integers stay integers, as every parser keeps them)."""
    try:
        data = orjson.dumps(release, option=orjson.OPT_SORT_KEYS, default=as_float)
    except (TypeError, orjson.JSONEncodeError):  # an integer past 64 bits, say: a slower, exact form
        data = json.dumps(release, sort_keys=True, default=as_float).encode()
    return fingerprint(data)


@dataclass
class ValueReader:
    """Reads the sums and dates of one release: a value that cannot be read is None, and `warn` is told which
    release and field it was."""

    release_id: str | None
    warn: Callable[[str], None]

    def unreadable(self, field: str, value: Any, kind: str) -> None:
        self.warn(f"release {self.release_id}: {field} {value!r} is not {kind}; stored as empty")

    def money(self, value: Any, field: str, currency: str | None) -> Decimal | None:
        """A number, or a sum written as text ("£1,000") in `currency` or none."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, bool):
            try:
                return Decimal(str(value))
            except InvalidOperation:
                written = lone_amount(str(value))
                if written and written[1] in (None, currency):
                    return written[0]
        self.unreadable(field, value, f"an amount in {currency}" if currency else "an amount")
        return None

    def day(self, value: Any, field: str) -> date | None:
        day = parse_day(value)
        if day is None and text(value):
            self.unreadable(field, value, "a date")
        return day

    def timestamp(self, value: Any, field: str) -> datetime | None:
        moment = parse_timestamp(value)
        if moment is None and text(value):
            self.unreadable(field, value, "a date")
        return moment


def text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def party_identifiers(party: dict, reference_id: str | None) -> dict[str, str]:
    """Every (scheme, id) a party carries: its identifier, additional identifiers, and its own id's prefix."""
    found: dict[str, str] = {}
    for identifier in [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]:
        scheme, value = text(identifier.get("scheme")), text(identifier.get("id"))
        if scheme and value:
            found.setdefault(scheme, value)
    for candidate in (party.get("id"), reference_id):
        match = SCHEME_PREFIX.match(str(candidate or ""))
        if match:
            found.setdefault(match.group(1), match.group(2))
    return {scheme: value for scheme, value in found.items() if scheme not in IGNORED_SCHEMES}


def supplier_ref(reference: dict, parties: dict[str, dict]) -> SupplierRef:
    party = parties.get(reference.get("id"), {})
    identifiers = party_identifiers(party, reference.get("id"))
    return SupplierRef(
        name=text(party.get("name")) or text(reference.get("name")) or "",
        company_number=identifiers.get("GB-COH"),
        identifiers=identifiers,
        country=text((party.get("address") or {}).get("countryName")),
    )


def buyer_ref(release: dict, parties: dict[str, dict]) -> BuyerRef | None:
    reference = release.get("buyer") or next((p for p in parties.values() if "buyer" in (p.get("roles") or [])), None)
    if not reference:
        return None
    name = text(reference.get("name")) or text(parties.get(reference.get("id"), {}).get("name"))
    return BuyerRef(name=name, identifier=text(reference.get("id"))) if name else None


def web_address(value: Any) -> str | None:
    """The value if it is a web address (http or https), else None: a link a reader is given must be one."""
    value = text(value)
    return value if value and re.match(r"https?://\S+$", value, re.IGNORECASE) else None


def notice_page(release: dict) -> str | None:
    """The notice page a person reads: the first document of the release linking to a /Notice/ page."""
    documents = list((release.get("tender") or {}).get("documents") or [])
    for award in release.get("awards") or []:
        documents += award.get("documents") or []
    urls = (web_address(d.get("url")) for d in documents if isinstance(d, dict))
    return next((url for url in urls if url and "/Notice/" in url), None)


FRAMEWORK_METHOD = re.compile(r"framework|dynamic purchasing", re.IGNORECASE)
# A contract awarded under a framework or DPS is real work for its supplier, not the framework itself.
CALL_OFF = re.compile(
    r"call[- ]?off|further competition|mini[- ]?competition|direct award|\b(?:from|under|via) an? "
    r"(?:framework|dynamic)",
    re.IGNORECASE,
)
FRAMEWORK_TITLE = re.compile(r"framework|dynamic purchasing system|\bDPS\b", re.IGNORECASE)
UNSAID_METHOD = re.compile(r"^(?:other)?[\s-]*(?:other|not specified)?[\s-]*$", re.IGNORECASE)


def sets_up_framework(tender: dict) -> bool:
    """Whether the procurement sets up a framework agreement or dynamic purchasing system (whose value is a
    ceiling for all its suppliers), not a call-off from one: OCDS techniques first, then the procedure as
    the publisher describes it, then, when neither is given, the title's words."""
    techniques = tender.get("techniques")
    if isinstance(techniques, dict) and (
        "hasFrameworkAgreement" in techniques or "hasDynamicPurchasingSystem" in techniques
    ):
        return bool(techniques.get("hasFrameworkAgreement") or techniques.get("hasDynamicPurchasingSystem"))
    method = text(tender.get("procurementMethodDetails"))
    if method and not UNSAID_METHOD.match(method):
        return bool(FRAMEWORK_METHOD.search(method)) and not CALL_OFF.search(method)
    title = text(tender.get("title")) or ""
    return bool(FRAMEWORK_TITLE.search(title)) and not CALL_OFF.search(title)


def cpv_codes(tender: dict) -> list[str]:
    classifications = [tender.get("classification") or {}, *(tender.get("additionalClassifications") or [])]
    for item in tender.get("items") or []:
        classifications += [item.get("classification") or {}, *(item.get("additionalClassifications") or [])]
    codes = [text(c.get("id")) for c in classifications if str(c.get("scheme", "")).upper() == "CPV"]
    return list(dict.fromkeys(code for code in codes if code))


def contract_items(
    release: dict,
    portal: Portal,
    base_url: str,
    fetch: Fetch,
    fingerprint: str | None = None,
    warn: Callable[[str], None] = logger.warning,
) -> Iterator[ContractItem]:
    """The contract items of one release: one per award, or one for the procurement before award.

    `fingerprint` is the release's fingerprint when the caller has worked it out already; `warn` is told of
    what is kept incomplete (a value that cannot be read, a supplier without a name)."""
    parties = {party.get("id"): party for party in release.get("parties") or [] if isinstance(party, dict)}
    tender = release.get("tender") or {}
    tender_value = tender.get("value") or {}
    tender_currency = text(tender_value.get("currency"))
    read = ValueReader(text(release.get("id")), warn)
    release_at = read.timestamp(release.get("date"), "date")
    title = text(tender.get("title"))
    fingerprint = fingerprint or release_fingerprint(release)
    common = {
        "ocid": text(release.get("ocid")) or "",
        # A release published without an id (Public Contracts Scotland's, at times) is named by its content.
        "release_id": text(release.get("id")) or f"{text(release.get('ocid'))}#{fingerprint}",
        "release_fingerprint": fingerprint,
        "release_at": release_at,
        "release_tags": [str(tag) for tag in release.get("tag") or []],
        "notice_id": portal.notice_id(release),
        "description": text(tender.get("description")),
        "buyer": buyer_ref(release, parties),
        "cpv_codes": cpv_codes(tender),
        "notice_url": portal.notice_url(release),
        "source": SourceDocument(
            url=portal.release_url(base_url, release),
            kind="procurement",
            publisher=portal.publisher,
            title=title,
            published_at=release_at,
            fetched_at=fetch.fetched_at,
            content_sha256=fetch.content_sha256,
            content_type="application/json",
        ),
    }
    contracts_by_award = {str(c.get("awardID")): c for c in release.get("contracts") or [] if c.get("awardID")}
    awards = [award for award in release.get("awards") or [] if isinstance(award, dict)]
    if not awards:
        yield ContractItem(
            **common,
            title=title,
            status=text(tender.get("status")),
            published_at=read.timestamp(tender.get("datePublished"), "tender datePublished") or release_at,
            start_on=read.day((tender.get("contractPeriod") or {}).get("startDate"), "tender startDate"),
            end_on=read.day((tender.get("contractPeriod") or {}).get("endDate"), "tender endDate"),
            maximum_value=read.money(tender_value.get("amount"), "tender amount", tender_currency),
            currency=tender_currency,
        )
        return
    # A tender giving a range (minValue) states its most in `value`.
    maximum = (
        read.money(tender_value.get("amount"), "tender amount", tender_currency) if tender.get("minValue") else None
    )
    framework = sets_up_framework(tender)
    for award in awards:
        value = award.get("value") or {}
        currency = text(value.get("currency")) or tender_currency
        where = f"award {text(award.get('id'))}"
        contract = contracts_by_award.get(str(award.get("id")), {})
        period = award.get("contractPeriod") or contract.get("period") or tender.get("contractPeriod") or {}
        listed = [supplier_ref(s, parties) for s in award.get("suppliers") or [] if isinstance(s, dict)]
        named = [ref for ref in listed if ref.name]
        if len(named) < len(listed):
            warn(
                f"release {release.get('id')} award {award.get('id')}: {len(listed) - len(named)} of {len(listed)} "
                "suppliers have no name; the award is kept with the others"
            )
        yield ContractItem(
            **common,
            award_id=text(award.get("id")) or "",
            title=title or text(award.get("title")),
            suppliers=named,
            suppliers_count=len(listed),
            is_framework=framework,
            status=text(award.get("status")),
            published_at=read.timestamp(award.get("datePublished"), f"{where} datePublished") or release_at,
            awarded_on=read.day(award.get("date"), f"{where} date"),
            start_on=read.day(period.get("startDate"), f"{where} startDate"),
            end_on=read.day(period.get("endDate"), f"{where} endDate"),
            initial_value=read.money(value.get("amount"), f"{where} amount", currency),
            initial_value_gross=read.money(value.get("amountGross"), f"{where} amountGross", currency),
            maximum_value=maximum,
            currency=currency,
        )
