"""Supplier resolution benchmark: 100,000 names resolved against 50,000 known entities.

    python bench/resolve_benchmark.py [--names N] [--entities M]

The entities are built from the real supplier names of the fixtures, varied; the names to resolve are
spellings of known entities (legal form, case), some with a company number, some with a typo, and some of
entities never seen. They go through the storage's own resolver (watchdog/identity/resolver.py) into SQLite, then
the review's candidate search (watchdog/identity/review.py). Prints names per second (one core) and the share of
names sent to review.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from watchdog.database.db import make_engine, upgrade
from watchdog.identity.resolver import SupplierResolver
from watchdog.identity.review import refresh_candidates
from watchdog.items import SupplierRef
from watchdog.normalise.dates import utcnow
from watchdog.normalise.names import name_key

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "realdata" / "cf_search_page_2025-01-20_to_2025-01-23_100releases.json"
BATCH = 1000
LEGAL_FORMS = ["Limited", "Ltd", "Ltd.", "LIMITED", "plc", "PLC", "LLP", ""]
PLACES = ["London", "Northern", "Midlands", "Scotland", "Wessex", "Coastal", "Thames", "Pennine", "Anglia", "Kent"]
TRADES = ["Care", "Facilities", "Security", "Consulting", "Digital", "Transport", "Cleaning", "Health", "Legal",
          "Recruitment", "Engineering", "Housing", "Catering", "Software", "Logistics", "Training"]  # fmt: skip


def seed_words() -> list[str]:
    """Distinctive words of the real supplier names in the fixture."""
    releases = json.loads(FIXTURE.read_text())["releases"]
    names = {p["name"] for r in releases for p in r["parties"] if "supplier" in p.get("roles", [])}
    return sorted({w for n in names for w in name_key(n).split() if len(w) > 3})


def make_entities(count: int, rng: random.Random) -> list[tuple[str, str | None]]:
    words = seed_words()
    seen, entities = set(), []
    while len(entities) < count:
        name = " ".join([rng.choice(words).title(), rng.choice(PLACES), rng.choice(TRADES)][: rng.randint(2, 3)])
        name += f" {rng.randint(1, 999)}" if rng.random() < 0.5 else ""
        if name_key(name) in seen:
            continue
        seen.add(name_key(name))
        number = f"{rng.randint(1, 14_999_999):08d}" if rng.random() < 0.4 else None
        entities.append((f"{name} {rng.choice(LEGAL_FORMS)}".strip(), number))
    return entities


def typo(name: str, rng: random.Random) -> str:
    position = rng.randrange(1, max(2, len(name) - 1))
    return name[:position] + name[position + 1 :]


def make_queries(entities, count: int, rng: random.Random) -> list[tuple[str, str | None]]:
    queries = []
    for _ in range(count):
        name, number = rng.choice(entities)
        roll = rng.random()
        base = name.rsplit(" ", 1)[0] if name.split()[-1] in LEGAL_FORMS else name
        if roll < 0.25 and number:
            queries.append((name.upper(), number))
        elif roll < 0.65:
            queries.append((f"{base} {rng.choice(LEGAL_FORMS)}".strip().lower(), None))
        elif roll < 0.85:
            queries.append((typo(name, rng), None))
        else:
            queries.append((f"Unheard Of {rng.randint(1, 10**6)} Services Ltd", None))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=50_000)
    options = parser.parse_args()
    rng = random.Random(20201)
    entities = make_entities(options.entities, rng)
    queries = make_queries(entities, options.names, rng)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/resolve.db")
        upgrade(engine)
        resolve_all(engine, entities)
        known = count(engine, "suppliers")

        started, started_at = time.process_time(), utcnow()
        ids = resolve_all(engine, queries)
        seconds = time.process_time() - started
        created = count(engine, "suppliers") - known
        started = time.process_time()
        with engine.begin() as connection:
            offered = refresh_candidates(connection, utcnow(), since=started_at)
        review_seconds = time.process_time() - started
        with engine.connect() as connection:
            in_review = connection.exec_driver_sql(
                "SELECT COUNT(*) FROM (SELECT supplier_id FROM supplier_match_candidates WHERE supplier_id > ? "
                "UNION SELECT other_supplier_id FROM supplier_match_candidates WHERE other_supplier_id > ?)",
                (known, known),
            ).scalar()
    rate = len(queries) / seconds
    print(f"{len(queries):,} names resolved against {len(entities):,} known entities (SQLite, batches of {BATCH})")
    print(f"  {seconds:.1f} s CPU: {rate:,.0f} names/s on one core (target >= 5,000): "
          f"{'met' if rate >= 5000 else 'NOT met'}")  # fmt: skip
    found = sum(1 for supplier_id in ids if supplier_id <= known)
    print(f"  to a known entity (company number or exact name): {found:,} ({found / len(ids):.1%})")
    print(
        f"  new entities: {created:,}, of which {in_review:,} offered for review with a similar known name "
        f"({in_review / len(ids):.1%} of the names); {offered:,} pairs found in {review_seconds:.1f} s"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def resolve_all(engine, names: list[tuple[str, str | None]]) -> list[int]:
    """Resolve names as a crawl does: the storage's resolver, a transaction per batch."""
    resolver, ids = SupplierResolver(), []
    for start in range(0, len(names), BATCH):
        refs = [SupplierRef(name, company_number=number) for name, number in names[start : start + BATCH]]
        with engine.begin() as connection:
            ids += resolver.resolve(connection, refs, utcnow())
    return ids


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()


if __name__ == "__main__":
    main()
