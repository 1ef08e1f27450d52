"""OCDS releases for the benchmarks and the scale test, cloned from the real releases in tests/fixtures/realdata.

- `clone`: a real release under new ids, every other copy with its suppliers renamed (the ingest benchmark's).
- `ScaleData`: procurements as a portal publishes them, seeded: a tender release, then (weeks later in the file)
  an award release republishing the tender's fields with the award. The winners come from a pool of about one
  supplier per five releases, 10% of them in groups of 5 to 50 sharing one name under different company numbers;
  a few win far more often than the rest. `extra_items` adds group memberships, enforcement actions and
  incidents for some of those with a company number, and `write_daily` a day's file of releases seen before,
  corrections and new ones.
"""

from __future__ import annotations

import random
import re
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

import orjson
from resolve_benchmark import LEGAL_FORMS, TRADES

from watchdog.items import (
    EnforcementItem,
    FactItem,
    GroupMembershipItem,
    IncidentItem,
    Money,
    SourceDocument,
    SupplierRef,
)

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT / "tests" / "fixtures" / "realdata"
FIXTURES = [
    REALDATA / "cf_search_page_2025-01-20_to_2025-01-23_100releases.json",
    REALDATA / "fts_release_package_2026-10-06_limit4.json",
]
NAME_VARIANTS = 5000
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

RELEASES_PER_SUPPLIER = 5
SHARED_NAME_SHARE = 0.10  # of suppliers, in groups sharing one name under different company numbers
SHARED_NAME_GROUP = (5, 50)
NUMBERED_SHARE = 0.4  # of the other suppliers, with a company number (the rest are known by name only)
CONTRACTS_PER_BUYER = 100  # buyers are the real ones, each split into variants to give about this many contracts each
AWARD_LAG = 5000  # an award release comes this many procurements after its tender release in the file
FIRST_DAY = datetime(2011, 1, 1, tzinfo=UTC)
DAYS = 15 * 365
GROUPED_SHARE = 0.02  # of suppliers with a company number, put in groups of 2 to 20
ENFORCED_SHARE = 0.01  # of suppliers with a company number, with one to three enforcement actions
INCIDENT_SHARE = 0.005  # of suppliers with a company number, with an incident
SYLLABLES = ["al", "ar", "bel", "bor", "bra", "cal", "car", "dal", "den", "dor", "el", "fen", "gar", "hal", "har",
             "kel", "lan", "lor", "mar", "mer", "mor", "nor", "om", "pel", "ran", "ril", "ros", "sal", "sen", "tal",
             "ten", "tor", "ul", "val", "ven", "wel", "win", "wyn", "yar", "zel"]  # fmt: skip


def real_releases() -> list[dict]:
    return [release for fixture in FIXTURES for release in orjson.loads(fixture.read_bytes())["releases"]]


def new_guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def with_new_ids(template: dict, rng: random.Random) -> dict:
    """A copy of a real release under a new ocid (its publisher's prefix kept) and release id (its notice's GUID
    replaced wherever it appears), its awards numbered within it."""
    ocid, release_id = template["ocid"], template["id"]
    notice = GUID.match(release_id).group(0) if GUID.match(release_id) else release_id
    text = orjson.dumps(template).replace(ocid.encode(), (ocid[:12] + new_guid(rng)).encode())
    release = orjson.loads(text.replace(notice.encode(), new_guid(rng).encode()))
    for index, award in enumerate(release.get("awards") or [], 1):
        award["id"] = f"{release['ocid']}-{index}"
    return release


def renumbered(scheme: str | None, value: str, variant: int) -> str:
    """Another identifier in the same register; a company number stays a valid 8-digit one."""
    return f"{variant:04d}{value[-4:]}" if scheme == "GB-COH" else f"{value}-{variant}"


def rename_suppliers(release: dict, variant: int) -> None:
    """Make the suppliers other firms, the same ones in every release given this variant."""
    for party in release.get("parties") or []:
        if "supplier" in (party.get("roles") or []) and party.get("name"):
            party["name"] += f" {variant}"
            for identifier in [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]:
                if identifier.get("id"):
                    identifier["id"] = renumbered(identifier.get("scheme"), identifier["id"], variant)
    for award in release.get("awards") or []:
        for supplier in award.get("suppliers") or []:
            if supplier.get("name"):
                supplier["name"] += f" {variant}"


def clone(template: dict, number: int, rng: random.Random) -> dict:
    """A copy of a real release under a new ocid and release id; every other copy has other suppliers."""
    release = with_new_ids(template, rng)
    if number % 2:
        rename_suppliers(release, number % NAME_VARIANTS)
    return release


@dataclass(frozen=True)
class Supplier:
    name: str
    company_number: str | None
    party_id: str

    @property
    def reference(self) -> SupplierRef:
        return SupplierRef(self.name, company_number=self.company_number)

    def party(self) -> dict:
        identifier = {"legalName": self.name}
        if self.company_number:
            identifier |= {"scheme": "GB-COH", "id": self.company_number}
        return {"id": self.party_id, "name": self.name, "identifier": identifier, "roles": ["supplier"]}


def company_number(index: int) -> str:
    """A distinct 8-digit company number for each index (7919 is prime to 10**8)."""
    return f"{(index * 7919 + 10_000_019) % 100_000_000:08d}"


def coined_names(rng: random.Random) -> Iterator[str]:
    """Firm names never given twice: a coined word of two to four syllables and a trade."""
    given = set()
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title()
        trade = rng.choice(TRADES)
        if (word, trade) not in given:
            given.add((word, trade))
            yield f"{word} {trade}"


def make_suppliers(count: int, rng: random.Random) -> list[Supplier]:
    """The pool, shuffled: a tenth in groups sharing one name, each of them with its own company number."""
    names = coined_names(rng)
    wanted_shared = round(count * SHARED_NAME_SHARE)
    drafts: list[tuple[str, bool]] = []
    while len(drafts) < wanted_shared:
        name = next(names)
        drafts += [(name, True)] * min(rng.randint(*SHARED_NAME_GROUP), wanted_shared - len(drafts))
    drafts += [(next(names), rng.random() < NUMBERED_SHARE) for _ in range(count - len(drafts))]
    rng.shuffle(drafts)
    return [
        Supplier(
            f"{name} {rng.choice(LEGAL_FORMS)}".strip(),
            company_number(index) if numbered else None,
            f"GB-COH-{company_number(index)}" if numbered else f"GB-CFS-{900_000_000 + index}",
        )
        for index, (name, numbered) in enumerate(drafts)
    ]


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ScaleData:
    """`contracts` procurements (one award each), their releases and the suppliers that win them, from `seed`.

    Procurement `number` is the same whenever it is asked for, so a later file can publish it again or correct it.
    """

    def __init__(self, contracts: int, seed: int) -> None:
        self.contracts, self.seed = contracts, seed
        self.templates = [release for release in real_releases() if release.get("awards")]
        slots = [sum(len(award.get("suppliers") or []) for award in t["awards"]) for t in self.templates]
        self.slots_per_cycle = sum(slots)
        self.slot_offsets = [0, *accumulate(slots)]
        rng = random.Random(seed)
        self.suppliers = make_suppliers(round(2 * contracts / RELEASES_PER_SUPPLIER), rng)
        self.buyer_variants = max(1, contracts // CONTRACTS_PER_BUYER)

    @property
    def releases(self) -> int:
        return 2 * self.contracts

    def first_slot(self, number: int) -> int:
        """Where procurement `number`'s winners start in the run of all awards' supplier places."""
        cycles, position = divmod(number, len(self.templates))
        return cycles * self.slots_per_cycle + self.slot_offsets[position]

    def winner(self, slot: int, rng: random.Random) -> Supplier:
        """Each supplier of the pool wins once, in turn; after that the first of the pool win most often."""
        if slot < len(self.suppliers):
            return self.suppliers[slot]
        return self.suppliers[int(len(self.suppliers) * rng.random() ** 2)]

    def procurement(self, number: int) -> tuple[dict, dict]:
        """Procurement `number`'s tender release and award release."""
        rng = random.Random(self.seed * 1_000_003 + number)
        award_release = with_new_ids(self.templates[number % len(self.templates)], rng)
        published = FIRST_DAY + timedelta(seconds=rng.randrange(DAYS * 86400))
        decided = (published - timedelta(days=rng.randint(0, 30))).replace(hour=0, minute=0, second=0)
        tendered = published - timedelta(days=rng.randint(20, 120))
        parties = [p for p in award_release.get("parties") or [] if "supplier" not in (p.get("roles") or [])]
        variant = rng.randrange(self.buyer_variants)
        if variant:
            for buyer in [award_release.get("buyer") or {}, *(p for p in parties if "buyer" in p.get("roles", []))]:
                if buyer.get("name"):
                    buyer["name"] = f"{buyer['name']} {variant}"
        slot, winners = self.first_slot(number), []
        for award in award_release["awards"]:
            chosen: list[Supplier] = []
            for _ in award.get("suppliers") or []:
                supplier = self.winner(slot, rng)
                while supplier in chosen:
                    supplier = self.winner(len(self.suppliers), rng)
                chosen.append(supplier)
                slot += 1
            award["suppliers"] = [{"id": s.party_id, "name": s.name} for s in chosen]
            winners += [s for s in chosen if s not in winners]
            award |= {"date": timestamp(decided), "datePublished": timestamp(published)}
            factor = 10 ** rng.uniform(-1, 1)
            for name in ("amount", "amountGross"):
                if (award.get("value") or {}).get(name) is not None:
                    award["value"][name] = round(award["value"][name] * factor)
        award_release |= {"date": timestamp(published), "parties": parties + [s.party() for s in winners]}
        tender_release = {key: value for key, value in award_release.items() if key not in ("awards", "bids")}
        tender_release |= {
            "id": f"{new_guid(rng)}-{rng.randrange(10**6)}",
            "tag": ["tender"],
            "date": timestamp(tendered),
            "parties": parties,
            "tender": {**award_release.get("tender", {}), "status": "active"},
        }
        return tender_release, award_release

    def write(self, path: Path) -> None:
        """Every procurement's two releases as JSON Lines, each award release AWARD_LAG tender releases later."""
        awards: deque[dict] = deque()
        with open(path, "wb") as out:
            for number in range(self.contracts):
                tender_release, award_release = self.procurement(number)
                out.write(orjson.dumps(tender_release) + b"\n")
                awards.append(award_release)
                if len(awards) > AWARD_LAG:
                    out.write(orjson.dumps(awards.popleft()) + b"\n")
            out.writelines(orjson.dumps(release) + b"\n" for release in awards)

    def write_daily(self, path: Path, releases: int = 10_000) -> None:
        """A day's file: half releases stored before, a quarter corrections of known awards (a new release, a new
        value), a quarter new procurements (tender and award)."""
        rng = random.Random(self.seed + self.contracts)
        known = rng.sample(range(self.contracts), releases // 2 + releases // 4)
        seen, corrected = known[: releases // 2], known[releases // 2 :]
        with open(path, "wb") as out:
            for number in seen:
                out.write(orjson.dumps(self.procurement(number)[rng.randrange(2)]) + b"\n")
            for number in corrected:
                out.write(orjson.dumps(self.correction(number, rng)) + b"\n")
            for number in range(self.contracts, self.contracts + (releases - len(known)) // 2):
                out.writelines(orjson.dumps(release) + b"\n" for release in self.procurement(number))

    def correction(self, number: int, rng: random.Random) -> dict:
        """A later release of procurement `number`'s award, its value changed by up to a fifth."""
        release = self.procurement(number)[1]
        published = datetime.fromisoformat(release["date"]) + timedelta(days=rng.randint(1, 60))
        release |= {
            "id": f"{release['id']}-{rng.randrange(10**6)}",
            "tag": ["awardUpdate"],
            "date": timestamp(published),
        }
        for award in release["awards"]:
            award["datePublished"] = timestamp(published)
            for name in ("amount", "amountGross"):
                if (award.get("value") or {}).get(name) is not None:
                    award["value"][name] = round(award["value"][name] * rng.uniform(0.8, 1.2))
        return release

    def extra_items(self) -> list[FactItem]:
        """For the suppliers with a company number (so any loader finds them): group memberships for 2% of them
        (groups of 2 to 20, the first member the parent), enforcement actions for 1% and incidents for 0.5%."""
        rng = random.Random(self.seed - 1)
        items: list[FactItem] = []
        numbered = [s for s in self.suppliers if s.company_number]
        grouped = rng.sample(numbered, round(len(numbered) * GROUPED_SHARE))
        while len(grouped) > 1:
            size = rng.randint(2, 20)
            members, grouped = grouped[:size], grouped[size:]
            parent = members[0].reference
            items += [GroupMembershipItem(member=m.reference, group=parent, note="bench") for m in members[1:]]
        for number, supplier in enumerate(rng.sample(numbered, round(len(numbered) * ENFORCED_SHARE))):
            for action in range(rng.randint(1, 3)):
                items.append(self.enforcement(supplier, f"{number}-{action}", rng))
        for number, supplier in enumerate(rng.sample(numbered, round(len(numbered) * INCIDENT_SHARE))):
            items.append(self.incident(supplier, number, rng))
        return items

    @staticmethod
    def enforcement(supplier: Supplier, case: str, rng: random.Random) -> EnforcementItem:
        fine = Decimal(rng.randrange(1_000, 2_000_000, 100))
        return EnforcementItem(
            fact_key=f"bench/hse/{case}",
            supplier=supplier.reference,
            kind="fine",
            authority="Health and Safety Executive",
            action_date=(FIRST_DAY + timedelta(days=rng.randrange(DAYS))).date(),
            title=f"Health and safety conviction {case}",
            amounts=[Money(fine, "fine"), Money(Decimal(rng.randrange(500, 50_000, 50)), "costs")],
            source=SourceDocument(
                url=f"https://resources.hse.gov.uk/convictions/case/case_details.asp?SF=CN&SV=bench-{case}",
                kind="regulator",
                publisher="Health and Safety Executive",
            ),
        )

    @staticmethod
    def incident(supplier: Supplier, number: int, rng: random.Random) -> IncidentItem:
        day = (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).date()
        return IncidentItem(
            fact_key=f"bench/incident/{number}",
            supplier=supplier.reference,
            kind=rng.choice(["data_breach", "service_failure", "death_or_injury"]),
            incident_date=date(day.year, day.month, 1),
            date_precision="month",
            title=f"Incident {number}",
            evidence=f"{supplier.name} was named in incident {number}.",
            source=SourceDocument(url=f"https://news.example/bench/incident-{number}", kind="news"),
        )
