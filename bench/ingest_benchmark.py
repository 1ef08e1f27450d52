"""Ingest benchmark: `watchdog ingest` of N cloned real OCDS releases into SQLite and PostgreSQL, first load
and re-ingest of the unchanged file, beside a minimal raw `sqlite3` loader of the same rows.

    python bench/ingest_benchmark.py [--releases N] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from postgres_server import PostgresServer, find_bindir  # noqa: E402
from scale_data import GUID, clone, real_releases  # noqa: E402

BATCH = 1000
LOOKUP = 500  # natural keys per SELECT reading ids back
TABLES = [
    "documents",
    "buyers",
    "suppliers",
    "supplier_aliases",
    "supplier_identifiers",
    "contracts",
    "contract_suppliers",
    "contract_releases",
    "contract_sources",
]
# ocid prefix: publisher, its release document's URL, its notice page's URL
PORTALS = {
    "ocds-b5fd17-": (
        "Contracts Finder",
        "https://www.contractsfinder.service.gov.uk/Published/OCDS/Release/{}",
        "https://www.contractsfinder.service.gov.uk/Notice/{}",
    ),
    "ocds-h6vhtk-": (
        "Find a Tender",
        "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages/{}",
        "https://www.find-tender.service.gov.uk/Notice/{}",
    ),
}


# The data: clones of real releases (scale_data.py)


def write_releases(path: Path, count: int) -> None:
    templates = real_releases()
    rng = random.Random(count)
    with open(path, "w") as out:
        for number in range(count):
            out.write(json.dumps(clone(templates[number % len(templates)], number, rng)) + "\n")


# Measuring `watchdog` runs


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_mb: float
    output: str
    exit_status: int = 0


def measured(command: list[str], env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run a command to its end: its wall time, and its own CPU time and peak RSS (os.wait4's rusage). With
    `check`, a command that fails ends the benchmark with its error output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if check and process.returncode:
            sys.exit(f"{' '.join(command)} exited with {process.returncode}:\n{err.read().decode()[-3000:]}")
        cpu_seconds, peak_mb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
        return Run(seconds, cpu_seconds, peak_mb, out.read().decode(), process.returncode)


def watchdog(url: str, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "watchdog", "--db", url, *arguments]


def bench_watchdog(label: str, url: str, path: Path, releases: int) -> tuple[Run, Run]:
    """Upgrade the schema, then ingest the file twice: the first load, and the re-ingest of unchanged data."""
    subprocess.run(watchdog(url, "db", "upgrade"), check=True, capture_output=True)
    runs = []
    for when in ("first ingest", "re-ingest"):
        run = measured(watchdog(url, "ingest", str(path)))
        print(
            f"{label} {when}: {run.seconds:.1f} s, {releases / run.seconds:,.0f} releases/s, "
            f"peak RSS {run.peak_mb:.0f} MB\n  " + run.output.strip().replace("\n", "\n  ")
        )
        runs.append(run)
    print(f"{label} re-ingest speed-up: {runs[0].seconds / runs[1].seconds:.1f}x\n")
    return runs[0], runs[1]


def bench_postgres(path: Path, releases: int) -> tuple[Run, Run] | None:
    """The same on a throwaway PostgreSQL server, in a database of its own."""
    import psycopg

    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL: no server binaries found, skipped\n")
        return None
    server = PostgresServer(bindir)
    server.start()
    try:
        with psycopg.connect(server.url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute("CREATE DATABASE bench")
        return bench_watchdog("PostgreSQL", server.url.rsplit("/", 1)[0] + "/bench", path, releases)
    finally:
        server.stop()


# The baseline: a minimal raw sqlite3 loader of the same rows


def timestamp(value: object) -> str | None:
    """An ISO 8601 time as SQLAlchemy keeps it in SQLite: UTC without a zone."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def day(value: object) -> str | None:
    try:
        return datetime.fromisoformat(str(value)).date().isoformat()
    except ValueError:
        return None


def raw_supplier(reference: dict, parties: dict[str, dict], now: str) -> dict:
    """A supplier as the baseline matches it: by company number, else by its lower-cased name."""
    party = parties.get(reference.get("id"), {})
    name = (party.get("name") or reference.get("name") or "").strip()
    identifiers = {
        identifier.get("scheme"): str(identifier.get("id"))
        for identifier in [party.get("identifier") or {}, *(party.get("additionalIdentifiers") or [])]
        if identifier.get("scheme") and identifier.get("id")
    }
    number = identifiers.pop("GB-COH", "").replace(" ", "").upper()
    return {
        "name": name,
        "name_key": name.lower(),
        "company_number": (number.zfill(8) if number.isdigit() else number) if 0 < len(number) <= 8 else None,
        "country": (party.get("address") or {}).get("countryName"),
        "identifiers": identifiers,
        "first_seen_at": now,
        "last_seen_at": now,
    }


def raw_items(release: dict, fingerprint: str, now: str) -> list[dict]:
    """The rows of one release: one contract per award (or one before award), as watchdog/sources/ocds.py maps them."""
    publisher, release_url, notice_url = PORTALS[release["ocid"][:12]]
    seen = {"first_seen_at": now, "last_seen_at": now}
    parties = {party.get("id"): party for party in release.get("parties") or []}
    tender = release.get("tender") or {}
    tender_value = tender.get("value") or {}
    released = timestamp(release.get("date"))
    buyer = release.get("buyer") or {}
    buyer_name = (buyer.get("name") or parties.get(buyer.get("id"), {}).get("name") or "").strip()
    guid = GUID.match(release["id"])
    notice_id = guid.group(0).lower() if publisher == "Contracts Finder" and guid else release["id"]
    documents = [
        *(tender.get("documents") or []),
        *(d for a in release.get("awards") or [] for d in a.get("documents") or []),
    ]
    classifications = [tender.get("classification") or {}, *(tender.get("additionalClassifications") or [])]
    for item in tender.get("items") or []:
        classifications += [item.get("classification") or {}, *(item.get("additionalClassifications") or [])]
    common = {
        "ocid": release["ocid"],
        "notice_id": notice_id,
        "title": tender.get("title"),
        "description": tender.get("description"),
        "date_precision": "day",
        "cpv_codes": ",".join(dict.fromkeys(c["id"] for c in classifications if c.get("scheme") == "CPV")) or None,
        "notice_url": next(
            (d["url"] for d in documents if "/Notice/" in d.get("url", "")), notice_url.format(notice_id)
        ),
        "latest_release_at": released,
        "basis": "official",
        **seen,
    }
    shared = {
        "document": {
            "url": release_url.format(release["id"]),
            "kind": "procurement",
            "publisher": publisher,
            "title": tender.get("title"),
            "published_at": released,
            "content_type": "application/json",
            **seen,
        },
        "buyer": {"name": buyer_name, "name_key": buyer_name.lower(), "identifier": buyer.get("id"), **seen}
        if buyer_name
        else None,
        "release": {
            "release_id": release["id"],
            "fingerprint": fingerprint,
            "release_at": released,
            "tags": ",".join(release.get("tag") or []) or None,
            **seen,
        },
    }
    awards = release.get("awards") or []
    if not awards:
        period = tender.get("contractPeriod") or {}
        contract = {
            **common,
            **dict.fromkeys(("awarded_on", "initial_value", "initial_value_gross", "initial_value_gbp")),
            "award_id": "",
            "status": tender.get("status"),
            "published_at": timestamp(tender.get("datePublished")) or released,
            "start_on": day(period.get("startDate")),
            "end_on": day(period.get("endDate")),
            "maximum_value": tender_value.get("amount"),
            "currency": tender_value.get("currency"),
        }
        return [{**shared, "contract": contract, "suppliers": []}]
    items = []
    for award in awards:
        value = award.get("value") or {}
        period = award.get("contractPeriod") or tender.get("contractPeriod") or {}
        currency = value.get("currency") or tender_value.get("currency")
        contract = {
            **common,
            "award_id": award.get("id") or "",
            "title": common["title"] or award.get("title"),
            "status": award.get("status"),
            "published_at": timestamp(award.get("datePublished")) or released,
            "awarded_on": day(award.get("date")),
            "start_on": day(period.get("startDate")),
            "end_on": day(period.get("endDate")),
            "initial_value": value.get("amount"),
            "initial_value_gross": value.get("amountGross"),
            "maximum_value": tender_value.get("amount") if tender.get("minValue") else None,
            "currency": currency,
            "initial_value_gbp": value.get("amount") if currency == "GBP" else None,
        }
        suppliers = [raw_supplier(s, parties, now) for s in award.get("suppliers") or []]
        items.append({**shared, "contract": contract, "suppliers": suppliers})
    return items


def upsert(db: sqlite3.Connection, table: str, rows: list[dict], key: list[str], update=(), where: str = "") -> None:
    """INSERT ... ON CONFLICT DO UPDATE of many rows: refresh the `update` columns and last_seen_at."""
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        columns = list(chunk[0])
        changes = ", ".join(f"{column} = excluded.{column}" for column in [*update, "last_seen_at"])
        db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
            f"ON CONFLICT ({', '.join(key)}) {where and 'WHERE ' + where} DO UPDATE SET {changes}",
            chunk,
        )


def upsert_ids(db, table: str, rows: list[dict], key: list[str], update=(), where: str = "") -> dict[tuple, int]:
    """Upsert the rows, then read back their ids by natural key."""
    upsert(db, table, rows, key, update, where)
    wanted = list({tuple(row[column] for column in key) for row in rows})
    found = {}
    for start in range(0, len(wanted), LOOKUP):
        chunk = wanted[start : start + LOOKUP]
        marks = ", ".join([f"({', '.join('?' * len(key))})"] * len(chunk))
        query = (
            f"SELECT id, {', '.join(key)} FROM {table} "
            f"WHERE {where or 'true'} AND ({', '.join(key)}) IN (VALUES {marks})"
        )
        found.update({tuple(row[1:]): row[0] for row in db.execute(query, [v for value in chunk for v in value])})
    return found


def raw_batch(db: sqlite3.Connection, lines: list[bytes], now: str) -> None:
    """Write one batch of JSON lines in one transaction, parent tables first, ids read back by natural key."""
    items = [
        item
        for line in lines
        for item in raw_items(json.loads(line), hashlib.blake2b(line.strip(), digest_size=16).hexdigest(), now)
    ]
    seen = {"first_seen_at": now, "last_seen_at": now}
    document_columns = ["kind", "publisher", "title", "published_at", "content_type"]
    documents = upsert_ids(db, "documents", [i["document"] for i in items], ["url"], document_columns)
    buyers = upsert_ids(db, "buyers", [i["buyer"] for i in items if i["buyer"]], ["name_key"], ["name", "identifier"])
    refs = [ref for item in items for ref in item["suppliers"]]
    columns = ["name", "name_key", "company_number", "country", "first_seen_at", "last_seen_at"]
    numbered = upsert_ids(
        db, "suppliers", [{c: r[c] for c in columns} for r in refs if r["company_number"]], ["company_number"]
    )
    named = upsert_ids(
        db,
        "suppliers",
        [{c: r[c] for c in columns} for r in refs if not r["company_number"]],
        ["name_key"],
        where="company_number IS NULL",
    )
    for ref in refs:
        ref["id"] = numbered[(ref["company_number"],)] if ref["company_number"] else named[(ref["name_key"],)]
    for item in items:
        item["contract"]["buyer_id"] = buyers[(item["buyer"]["name_key"],)] if item["buyer"] else None
    contract_columns = [c for c in items[0]["contract"] if c not in ("ocid", "award_id", "published_at")]
    contracts = upsert_ids(db, "contracts", [i["contract"] for i in items], ["ocid", "award_id"], contract_columns)
    links, releases, sources = [], [], []
    for item in items:
        contract_id = contracts[(item["contract"]["ocid"], item["contract"]["award_id"])]
        links += [
            {"contract_id": contract_id, "supplier_id": r["id"], "name_as_published": r["name"], **seen}
            for r in item["suppliers"]
        ]
        releases.append(
            {
                "contract_id": contract_id,
                **item["release"],
                "value": item["contract"].get("initial_value"),
                "value_gross": item["contract"].get("initial_value_gross"),
                "currency": item["contract"]["currency"],
            }
        )
        sources.append({"contract_id": contract_id, "document_id": documents[(item["document"]["url"],)], **seen})
    aliases = [{"supplier_id": r["id"], "name": r["name"], "name_key": r["name_key"], **seen} for r in refs]
    identifiers = [
        {"supplier_id": r["id"], "scheme": scheme, "identifier": value, **seen}
        for r in refs
        for scheme, value in r["identifiers"].items()
    ]
    upsert(db, "supplier_aliases", aliases, ["supplier_id", "name"])
    upsert(db, "supplier_identifiers", identifiers, ["scheme", "identifier"])
    upsert(db, "contract_suppliers", links, ["contract_id", "supplier_id"])
    upsert(
        db,
        "contract_releases",
        releases,
        ["contract_id", "release_id"],
        ["fingerprint", "release_at", "tags", "value", "value_gross", "currency"],
    )
    upsert(db, "contract_sources", sources, ["contract_id", "document_id"])


def raw_load(path: Path, database: Path, cache_mib: int = 0) -> float:
    """Load the JSON Lines file with the raw loader, in batches of BATCH releases; returns the seconds taken.
    `cache_mib` gives SQLite a page cache of that size (0: its default, 2 MiB)."""
    subprocess.run(watchdog(f"sqlite:///{database}", "db", "upgrade"), check=True, capture_output=True)
    started = time.perf_counter()
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    if cache_mib:
        db.execute(f"PRAGMA cache_size = -{cache_mib * 1024}")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with open(path, "rb") as lines:
        batch = []
        for line in lines:
            batch.append(line)
            if len(batch) == BATCH:
                with db:
                    raw_batch(db, batch, now)
                batch = []
        if batch:
            with db:
                raw_batch(db, batch, now)
    db.close()
    return time.perf_counter() - started


def row_counts(database: Path) -> list[int]:
    with sqlite3.connect(database) as db:
        return [db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES]


# The run and its summary


def summary(releases: int, runs: dict[str, tuple[Run, Run]], raw_seconds: float, counts: dict[str, list[int]]) -> None:
    """Print the figures, the targets beside them, and the row counts of the two SQLite databases."""
    rate = lambda seconds: releases / seconds  # noqa: E731
    met = lambda ok: "yes" if ok else "NO"  # noqa: E731
    rows = [
        [
            f"watchdog ingest -> {label}, {when}",
            f"{run.seconds:.1f}",
            f"{rate(run.seconds):,.0f}",
            f"{run.cpu_seconds:.1f}",
            f"{run.peak_mb:.0f}",
        ]
        for label, pair in runs.items()
        for when, run in zip(("first", "re-ingest"), pair, strict=True)
    ]
    rows.append(["raw sqlite3 baseline (in process)", f"{raw_seconds:.1f}", f"{rate(raw_seconds):,.0f}", "", ""])
    print(
        f"\n== {releases:,} releases; {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version} ==\n"
    )
    print(
        tabulate(
            rows,
            headers=["run", "wall s", "releases/s", "CPU s", "peak RSS MB"],
            colalign=["left"] + ["right"] * 4,
            disable_numparse=True,
        )
    )
    first = runs["SQLite"][0]
    peak = max(run.peak_mb for pair in runs.values() for run in pair)
    targets = [
        [
            "SQLite first ingest, one core",
            ">= 2,000 releases/s",
            f"{rate(first.seconds):,.0f}/s",
            met(rate(first.seconds) >= 2000),
        ],
        [
            "SQLite ingest / raw sqlite3 baseline",
            ">= 50%",
            f"{raw_seconds / first.seconds:.0%}",
            met(raw_seconds / first.seconds >= 0.5),
        ],
        ["peak RSS, highest of the ingests above", "< 300 MB at 100k", f"{peak:.0f} MB", met(peak < 300)],
        *[
            [
                f"{label} re-ingest speed-up (first / second)",
                ">= 5x",
                f"{a.seconds / b.seconds:.1f}x",
                met(a.seconds / b.seconds >= 5),
            ]
            for label, (a, b) in runs.items()
        ],
    ]
    print()
    print(tabulate(targets, headers=["target", "goal", "measured", "met"], disable_numparse=True))
    print()
    print(
        tabulate(
            [[table, *(c[i] for c in counts.values())] for i, table in enumerate(TABLES)],
            headers=["rows in", *counts],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=100_000, help="releases to generate (default 100000)")
    parser.add_argument("--skip-postgres", action="store_true", help="benchmark SQLite only")
    args = parser.parse_args()
    releases = args.releases
    with tempfile.TemporaryDirectory(prefix="watchdog-bench-") as folder:
        folder = Path(folder)
        path = folder / "releases.jsonl"
        started = time.perf_counter()
        write_releases(path, releases)
        print(
            f"{releases:,} releases written to {path} ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s\n"
        )
        runs = {"SQLite": bench_watchdog("SQLite", f"sqlite:///{folder / 'watchdog.db'}", path, releases)}
        if not args.skip_postgres and (postgres := bench_postgres(path, releases)):
            runs["PostgreSQL"] = postgres
        raw_seconds = raw_load(path, folder / "raw.db")
        print(
            f"raw sqlite3 baseline: {raw_seconds:.1f} s, {releases / raw_seconds:,.0f} releases/s; "
            f"watchdog's SQLite ingest runs at {raw_seconds / runs['SQLite'][0].seconds:.0%} of it"
        )
        counts = {"watchdog (SQLite)": row_counts(folder / "watchdog.db"), "raw sqlite3": row_counts(folder / "raw.db")}
        summary(releases, runs, raw_seconds, counts)


if __name__ == "__main__":
    main()
