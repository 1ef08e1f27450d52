"""Supplier totals on real Contracts Finder and Find a Tender data.

The figures are worked out here from the JSON files and the documented rule alone (not from the package's own
mapping), then compared with what `watchdog ingest` puts in the `awards` and `supplier_record` views.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from watchdog.cli import main
from watchdog.database import db
from watchdog.normalise.money import amount_in_gbp
from watchdog.normalise.names import company_number, name_key

REALDATA = Path(__file__).parent / "fixtures" / "realdata"
FILES = sorted(REALDATA.glob("*.json"))
OFFICIAL_PREFIXES = ("ocds-b5fd17", "ocds-h6vhtk")  # Contracts Finder, Find a Tender
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
REPUBLISHED_WITHIN = timedelta(hours=24)

CALL_OFF = re.compile(
    r"call[\s-]?off|from an? (?:framework|dynamic purchasing)|further competition|mini[\s-]?competition", re.I
)
FRAMEWORK_DETAILS = re.compile(r"framework|dynamic purchasing", re.I)
FRAMEWORK_TITLE = re.compile(r"framework|dynamic purchasing system|\bDPS\b", re.I)


# --- reading the files --------------------------------------------------------------------------------------------


def releases_in(document: dict) -> list[dict]:
    """The releases of a release package, a record package, a bare record or a bare release."""
    if "records" in document:
        return [release for record in document["records"] for release in record_releases(record)]
    if "releases" in document and "ocid" not in document:
        return list(document["releases"])
    if "releases" in document or "compiledRelease" in document:
        return record_releases(document)
    return [document]


def record_releases(record: dict) -> list[dict]:
    """A record's embedded releases, or else its compiled release."""
    embedded = [release for release in record.get("releases") or [] if "date" in release and "url" not in release]
    if embedded:
        return embedded
    return [record["compiledRelease"]] if record.get("compiledRelease") else []


def all_releases() -> list[dict]:
    """Every release of every fixture file, in file order."""
    found = []
    for path in FILES:
        found += releases_in(json.loads(path.read_text(encoding="utf-8")))
    return found


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


# --- the rule -----------------------------------------------------------------------------------------------------


def supplier_key(reference: dict, parties: dict[str, dict]) -> tuple[str, str] | None:
    """("company", number) when the supplier's party has a Companies House number, else ("name", name key)."""
    party = parties.get(reference.get("id")) or {}
    identifiers = [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]
    raw = [str(i.get("id")) for i in identifiers if i.get("scheme") == "GB-COH" and i.get("id")]
    raw += [str(i)[len("GB-COH-") :] for i in (party.get("id"), reference.get("id")) if str(i).startswith("GB-COH-")]
    for candidate in raw:
        if company_number(candidate):
            return ("company", company_number(candidate))
    name = (reference.get("name") or party.get("name") or "").strip()
    return ("name", name_key(name)) if name else None


def is_framework(tender: dict | None) -> bool:
    """A framework agreement or dynamic purchasing system (not a call-off from one)."""
    if not tender:
        return False
    techniques = tender.get("techniques")
    details = (tender.get("procurementMethodDetails") or "").strip()
    if techniques and (techniques.get("hasFrameworkAgreement") or techniques.get("hasDynamicPurchasingSystem")):
        return True
    if details and FRAMEWORK_DETAILS.search(details) and not CALL_OFF.search(details):
        return True
    if techniques is None and not details:
        return bool(FRAMEWORK_TITLE.search(tender.get("title") or ""))
    return False


def award_amount(award: dict) -> Decimal | None:
    value = award.get("value") or {}
    amount = value.get("amount") if value.get("amount") is not None else value.get("amountGross")
    return None if amount is None else Decimal(str(amount))


def republished(earlier: Award, later: Award) -> bool:
    """`later` is the same award published again (a new award id for a corrected notice)."""
    if earlier.ocid != later.ocid or earlier.release_ids & later.release_ids:
        return False
    if not earlier.supplier_keys <= later.supplier_keys:
        return False
    if not earlier.award_day or earlier.award_day != later.award_day:
        return False
    if abs(later.first_published - earlier.first_published) > REPUBLISHED_WITHIN:
        return False
    if earlier.amount is None or later.amount is None:
        return False  # no value on either side is no evidence that two awards are one
    if earlier.amount == later.amount:
        return True
    low, high = sorted((abs(earlier.amount), abs(later.amount)))
    if low == 0:
        return False
    ratio = high / low
    return ratio == ratio.to_integral_value() and str(int(ratio)).rstrip("0") == "1"


@dataclass
class Award:
    ocid: str
    award_id: str
    amount: Decimal | None
    gbp: Decimal | None
    suppliers_count: int
    supplier_keys: frozenset
    award_day: str | None
    first_published: datetime
    release_ids: set = field(default_factory=set)
    winning_release: str = ""
    framework: bool = False

    @property
    def shared(self) -> bool:
        return self.suppliers_count > 1 or self.framework


def current_awards(releases: list[dict]) -> dict[tuple[str, str], Award]:
    """Official awards after the OCDS merge (latest release wins), less those superseded by a republication."""
    official = [r for r in releases if str(r.get("ocid", "")).startswith(OFFICIAL_PREFIXES)]
    latest_tender: dict[str, tuple[datetime, dict]] = {}
    naming: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for release in official:
        if release.get("tender") is not None:
            known = latest_tender.get(release["ocid"])
            if known is None or moment(release["date"]) >= known[0]:
                latest_tender[release["ocid"]] = (moment(release["date"]), release["tender"])
        for award in release.get("awards") or []:
            naming[(release["ocid"], str(award["id"]))].append(release)

    awards = {}
    for (ocid, award_id), named_in in naming.items():
        release = max(reversed(named_in), key=lambda r: moment(r["date"]))  # latest date; on a tie, the last read
        award = next(a for a in release["awards"] if str(a["id"]) == award_id)
        parties = {p.get("id"): p for p in release.get("parties") or []}
        tender = release.get("tender") or latest_tender.get(ocid, (None, {}))[1]
        currency = (award.get("value") or {}).get("currency") or (tender.get("value") or {}).get("currency")
        year = int((award.get("date") or release["date"])[:4])
        keys = [supplier_key(s, parties) for s in award.get("suppliers") or []]
        awards[(ocid, award_id)] = Award(
            ocid=ocid,
            award_id=award_id,
            amount=award_amount(award),
            gbp=amount_in_gbp(award_amount(award), currency, year),
            suppliers_count=len(keys),
            supplier_keys=frozenset(k for k in keys if k),
            award_day=(award.get("date") or "")[:10] or None,
            first_published=min(moment(r["date"]) for r in named_in),
            release_ids={(r.get("id"), r["date"]) for r in named_in},
            winning_release=release.get("id", ""),
            framework=is_framework(latest_tender.get(ocid, (None, None))[1]),
        )
    superseded = {
        key
        for key, earlier in awards.items()
        for later in awards.values()
        if (later.first_published, later.award_id) > (earlier.first_published, earlier.award_id)
        and republished(earlier, later)
    }
    return {key: award for key, award in awards.items() if key not in superseded}


@dataclass
class Totals:
    contracts_count: int = 0
    contracts_value_gbp: Decimal = ZERO
    shared_awards_count: int = 0
    shared_awards_ceiling_gbp: Decimal = ZERO
    awards: list = field(default_factory=list, compare=False)

    def figures(self) -> tuple:
        """contracts_count, contracts_value_gbp, shared_awards_count, shared_awards_ceiling_gbp."""
        return (
            self.contracts_count,
            self.contracts_value_gbp,
            self.shared_awards_count,
            self.shared_awards_ceiling_gbp,
        )


def supplier_totals(awards: dict[tuple[str, str], Award]) -> dict[tuple[str, str], Totals]:
    totals: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for award in awards.values():
        pounds = award.gbp or ZERO
        for key in award.supplier_keys:
            entry = totals[key]
            entry.contracts_count += 1
            entry.awards.append(award)
            if award.shared:
                entry.shared_awards_count += 1
                entry.shared_awards_ceiling_gbp = (entry.shared_awards_ceiling_gbp + pounds).quantize(CENT)
            else:
                entry.contracts_value_gbp = (entry.contracts_value_gbp + pounds).quantize(CENT)
    return dict(totals)


# --- the database -------------------------------------------------------------------------------------------------


def money(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def run(database_url: str, *args: str):
    return CliRunner().invoke(main, ["--db", database_url, *args], catch_exceptions=False)


def ingest(database_url: str, *paths: Path):
    result = run(database_url, "ingest", *map(str, paths))
    assert result.exit_code == 0, result.output[-3000:]
    return result


def rows(connection, sql: str) -> list[dict]:
    return [dict(row._mapping) for row in connection.execute(text(sql))]


def stored_rows(engine) -> dict[str, list[tuple]]:
    """Every column but last_seen_at of the tables a repeated ingest must leave alone."""
    found = {}
    with engine.connect() as connection:
        for table in ("contracts", "contract_suppliers", "suppliers"):
            found[table] = [
                tuple((k, v) for k, v in row.items() if k != "last_seen_at")
                for row in rows(connection, f"SELECT * FROM {table} ORDER BY id")
            ]
    return found


@pytest.fixture
def ingested(database_url):
    """A fresh database holding every real-data file, ingested in one run."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    result = ingest(database_url, *FILES)
    yield database_url, engine, result
    engine.dispose()


def describe(key, award_list) -> str:
    return f"{key}: " + "; ".join(f"{a.ocid} {a.award_id} (release {a.winning_release})" for a in award_list)


# --- tests --------------------------------------------------------------------------------------------------------

EXPECTED = all_releases()
AWARDS = current_awards(EXPECTED)
TOTALS = supplier_totals(AWARDS)


def test_the_independent_figures_follow_the_rule():
    """Hand-checked against the JSON: the numbers the database is held to."""
    assert len(AWARDS) == 63
    assert sum(a.suppliers_count for a in AWARDS.values()) == 76
    assert len(TOTALS) == 76
    # The Southampton award republished 6 minutes later under the same award id: the later release's £109,320.
    southampton = "ocds-b5fd17-09a309a3-8541-48b9-91c4-411c52e5bd34"
    pwc = AWARDS[(southampton, f"{southampton}-1")]
    assert (pwc.gbp, pwc.winning_release) == (Decimal("109320"), "02d6ce8b-83f0-4993-869c-c177d2efbd52-832942")
    assert TOTALS[("company", "OC303525")].figures() == (1, Decimal("109320.00"), 0, ZERO)
    # KPMG's award is on the search page and in its own file: one award. A direct award from a framework is a
    # call-off, not a framework.
    assert TOTALS[("company", "OC301540")].figures() == (1, Decimal("196500.00"), 0, ZERO)
    # Find a Tender: the net amount when given, else the gross one.
    assert TOTALS[("name", "bip solutions")].figures() == (1, Decimal("31715.00"), 0, ZERO)
    assert TOTALS[("name", "chess ict")].figures() == (1, Decimal("256378.74"), 0, ZERO)
    assert TOTALS[("company", "08522643")].figures() == (1, Decimal("211232.00"), 0, ZERO)
    # Twelve taxi firms on one call-off from a DPS: shared (12 suppliers), each carries the whole £776,888.48.
    assert TOTALS[("company", "04142000")].figures() == (1, ZERO, 1, Decimal("776888.48"))
    assert TOTALS[("name", "corby jet carz")].figures() == (1, ZERO, 1, Decimal("776888.48"))
    # A Companies House id too long to be one (GB-COH-458577871): the name is the key.
    assert TOTALS[("name", "nominet")].figures() == (1, Decimal("20760.00"), 0, ZERO)
    assert TOTALS[("name", "cabinet office")].figures() == (1, Decimal("34737.00"), 0, ZERO)
    assert sum(t.contracts_value_gbp for t in TOTALS.values()) == Decimal("147622432.80")
    assert sum(t.shared_awards_ceiling_gbp for t in TOTALS.values()) == Decimal("9332804.34")
    assert not any(a.ocid.startswith(("ocds-r6ebe6", "ocds-kuma6s")) for a in AWARDS.values())


def test_supplier_totals_and_awards_match_the_json(ingested):
    database_url, engine, _ = ingested
    with engine.connect() as connection:
        award_rows = rows(connection, "SELECT * FROM awards")
        record_rows = rows(
            connection,
            "SELECT r.*, s.name_key AS supplier_name_key, s.company_number AS supplier_company_number "
            "FROM supplier_record r JOIN suppliers s ON s.id = r.supplier_id",
        )

    stored_awards = {(row["ocid"], str(row["award_id"])): row for row in award_rows}
    assert len(stored_awards) == len(award_rows), "one row per award"
    assert (sorted(set(AWARDS) - set(stored_awards)), sorted(set(stored_awards) - set(AWARDS))) == ([], [])
    award_problems = []
    for key, award in AWARDS.items():
        row = stored_awards[key]
        got = (money(row["value_gbp"]), row["suppliers_count"], bool(row["is_framework"]), bool(row["shared"]))
        expected = (award.gbp, award.suppliers_count, award.framework, award.shared)
        if got != expected:
            award_problems.append((key, f"release {award.winning_release}", "expected", expected, "got", got))

    stored = {}
    for row in record_rows:
        key = ("company", row["supplier_company_number"]) if row["supplier_company_number"] else None
        key = key or ("name", row["supplier_name_key"])
        assert key not in stored, f"two supplier_record rows for {key}"
        figures = ("contracts_value_gbp", "shared_awards_ceiling_gbp")
        stored[key] = (
            row["supplier_name"],
            (
                row["contracts_count"],
                money(row[figures[0]]) or ZERO,
                row["shared_awards_count"],
                money(row[figures[1]]) or ZERO,
            ),
        )
    problems = []
    for key, (name, got) in sorted(stored.items()):
        expected = TOTALS.get(key, Totals())
        if got != expected.figures():
            problems.append((name, describe(key, expected.awards), "expected", expected.figures(), "got", got))
    problems += [(describe(key, t.awards), "not in supplier_record") for key, t in TOTALS.items() if key not in stored]
    assert (award_problems, problems) == ([], [])

    not_shared = sum(money(row["value_gbp"]) or ZERO for row in award_rows if not row["shared"])
    assert not_shared == sum(t.contracts_value_gbp for t in TOTALS.values()) == Decimal("147622432.80")
    assert sum(figures[1] for _, figures in stored.values()) == not_shared


def test_ingesting_the_same_releases_again_as_gzipped_json_lines_changes_nothing(ingested, tmp_path):
    database_url, engine, _ = ingested
    before = stored_rows(engine)
    lines = tmp_path / "releases.jsonl.gz"
    lines.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in EXPECTED).encode()))
    assert len(lines.read_bytes()) > 0
    result = ingest(database_url, lines)
    assert f"ingest: {len(EXPECTED)} releases from 1 files" in result.output
    assert stored_rows(engine) == before
    assert re.search(r"contracts\s+0 new, 0 updated", result.output), result.output


SOUTHAMPTON = "ocds-b5fd17-09a309a3-8541-48b9-91c4-411c52e5bd34"


@pytest.mark.parametrize(
    "corrected, expected",
    [
        (109320, {f"{SOUTHAMPTON}-2": (1, Decimal("109320.00"), 0, ZERO)}),  # 100 times less: a republication
        (
            109321,  # not a misplaced decimal point: two awards
            {f"{SOUTHAMPTON}-1": (2, Decimal("11041321.00"), 0, ZERO), f"{SOUTHAMPTON}-2": None},
        ),
    ],
)
def test_an_award_republished_under_a_new_id_counts_once(database_url, tmp_path, corrected, expected):
    """The real Southampton pair, the correction given a new award id (as some portals do): the earlier is superseded
    only when the values differ by a power of ten."""
    first = json.loads((REALDATA / "cf_release_southampton_pwc_awardUpdate_10932000.json").read_text("utf-8"))
    second = json.loads((REALDATA / "cf_release_southampton_pwc_awardUpdate_109320.json").read_text("utf-8"))
    second["awards"][0]["id"] = f"{SOUTHAMPTON}-2"
    second["awards"][0]["value"]["amount"] = corrected
    awards = current_awards([first, second])
    totals = supplier_totals(awards)
    figures = next(figures for figures in expected.values() if figures)
    assert sorted(award_id for _, award_id in awards) == sorted(expected)
    assert totals == {("company", "OC303525"): Totals(*figures)}

    engine = db.make_engine(database_url)
    db.upgrade(engine)
    path = tmp_path / "southampton.json"
    path.write_text(json.dumps({"releases": [first, second]}), encoding="utf-8")
    ingest(database_url, path)
    with engine.connect() as connection:
        stored = rows(connection, "SELECT award_id, value_gbp FROM awards ORDER BY award_id")
        record = rows(
            connection,
            "SELECT contracts_count, contracts_value_gbp, shared_awards_count, shared_awards_ceiling_gbp "
            "FROM supplier_record r JOIN suppliers s ON s.id = r.supplier_id WHERE s.company_number = 'OC303525'",
        )
    engine.dispose()
    assert [row["award_id"] for row in stored] == sorted(expected)
    assert [tuple(money(v) if isinstance(v, (float, Decimal)) else v for v in r.values()) for r in record] == [figures]
