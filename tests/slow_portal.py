"""A portal's search API on 127.0.0.1 serving thousands of releases in pages, one request at a time, each answered
after a fixed delay: a source capped at a fixed request rate, as the real ones are.

The releases are clones of the 104 real ones in tests/fixtures/realdata (`portal_releases`), under the portal's
ocid prefix. Clone number i of every portal is made from the same real release with the same suppliers, so two
portals crawled side by side bring the same new supplier names at about the same moment.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from fake_portal import JSON, fixture
from local_server import LocalServer

from watchdog.sources.spiders.base import OCDSSpider
from watchdog.sources.spiders.contracts_finder import ContractsFinderSpider
from watchdog.sources.spiders.find_a_tender import FindATenderSpider

CF_PAGE = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
FTS_PAGE = fixture("fts_release_package_2026-10-06_limit4.json")
TEMPLATES = CF_PAGE["releases"] + FTS_PAGE["releases"]
QUERY_TIME = "%Y-%m-%dT%H:%M:%S"
HOLD_TIMEOUT = 60.0


def supplier_parties(release: dict) -> list[dict]:
    return [party for party in release.get("parties") or [] if "supplier" in (party.get("roles") or [])]


def identifiers(party: dict) -> list[dict]:
    return [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]


COMPANY_NUMBERS = sorted(
    {i["id"] for t in TEMPLATES for p in supplier_parties(t) for i in identifiers(p) if i.get("scheme") == "GB-COH"}
)


def with_suppliers_of_variant(release: dict, variant: int) -> None:
    """Make the release's suppliers other firms, the same ones in every release given this variant: their names
    end with the variant's number, company numbers are other 8-digit ones, other identifiers carry the number."""
    for party in supplier_parties(release):
        party["name"] = f"{party['name']} {variant}"
        for identifier in identifiers(party):
            if identifier.get("scheme") == "GB-COH":
                identifier["id"] = f"{variant:05d}{COMPANY_NUMBERS.index(identifier['id']):03d}"
            elif identifier.get("id"):
                identifier["id"] = f"{identifier['id']}-{variant}"
    for award in release.get("awards") or []:
        for supplier in award.get("suppliers") or []:
            supplier["name"] = f"{supplier['name']} {variant}"


def clone(template: dict, ocid_prefix: str, number: int, published: datetime) -> dict:
    """Clone `number` of a portal: a real release under a new ocid and release id (in its award ids and notice
    links too), published at `published`, its suppliers those of variant number // 104."""
    notice = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ocid_prefix}{number}"))
    ocid = f"{ocid_prefix}{notice}"
    old_notice = template["id"].rsplit("-", 1)[0] if template["ocid"].startswith("ocds-b5fd17-") else template["id"]
    text = json.dumps(template).replace(template["ocid"], ocid).replace(old_notice, notice)
    release = json.loads(text)
    release["date"] = published.strftime(QUERY_TIME) + "Z"
    with_suppliers_of_variant(release, number // len(TEMPLATES))
    return release


def portal_releases(ocid_prefix: str, count: int, start: datetime, end: datetime) -> list[tuple[str, dict]]:
    """`count` releases published evenly from `start` to `end` (UTC, in winter so UK time is the same), each
    with the moment it is listed at, as the portal's query writes times."""
    releases = []
    for number in range(count):
        published = start + (end - start) * (number + 0.5) / count
        template = TEMPLATES[number % len(TEMPLATES)]
        releases.append((published.strftime(QUERY_TIME), clone(template, ocid_prefix, number, published)))
    return releases


def contract_keys(releases: list[dict]) -> list[tuple[str, str]]:
    """The (ocid, award id) of each contract the releases make: one per award, or one with no award id."""
    return [
        (release["ocid"], str(award["id"]) if award else "")
        for release in releases
        for award in release.get("awards") or [None]
    ]


def supplier_names(releases: list[dict]) -> set[str]:
    return {party["name"] for release in releases for party in supplier_parties(release)}


class SlowPortal(LocalServer):
    """Answers `spider`'s search requests from `releases` (moment listed, release), `limit` at a time with a next
    link (pointing at the live site, as the real API's) after every full page. Requests are answered one at a
    time, each after `delay` seconds. While `hold` (polled) is false, the first request waits (60 s at most)."""

    def __init__(
        self,
        spider: type[OCDSSpider],
        envelope: dict,
        releases: list[tuple[str, dict]],
        delay: float,
        hold: Callable[[], bool] | None = None,
    ) -> None:
        self.spider = spider
        self.envelope = {key: value for key, value in envelope.items() if key not in ("releases", "links")}
        self.releases = sorted(releases, key=lambda listed: listed[0])
        self.delay, self.hold = delay, hold
        self.one_at_a_time = threading.Lock()
        self.served: list[dict] = []
        self.requests = 0
        super().__init__()

    def wait_for_hold(self) -> None:
        deadline = time.monotonic() + HOLD_TIMEOUT
        while not self.hold() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.hold = None

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        with self.one_at_a_time:
            if self.hold:
                self.wait_for_hold()
            time.sleep(self.delay)
            self.requests += 1
            return self.reply_to(path)

    def reply_to(self, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        if parts.path != self.spider.search_path:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        window_from, window_until = query[self.spider.from_parameter], query[self.spider.until_parameter]
        limit, offset = int(query.get("limit", 100)), int(query.get("cursor", 0))
        listed = [release for at, release in self.releases if window_from <= at < window_until]
        page = listed[offset : offset + limit]
        package = self.envelope | {"releases": page}
        if len(page) == limit:
            following = {
                self.spider.from_parameter: window_from,
                self.spider.until_parameter: window_until,
                "limit": limit,
                "cursor": offset + limit,
            }
            package["links"] = {"next": f"{self.spider.base_url}{self.spider.search_path}?{urlencode(following)}"}
        self.served += page
        return 200, dict(JSON), json.dumps(package).encode()


def contracts_finder_portal(releases: list[tuple[str, dict]], delay: float, **options) -> SlowPortal:
    return SlowPortal(ContractsFinderSpider, CF_PAGE, releases, delay, **options)


def find_a_tender_portal(releases: list[tuple[str, dict]], delay: float, **options) -> SlowPortal:
    return SlowPortal(FindATenderSpider, FTS_PAGE, releases, delay, **options)
