"""Memory at scale: `watchdog ingest` of 50,000 generated releases (bench/scale_data.py) in a process of its own
stays under 300 MB, and stores what the file holds."""

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import orjson
from sqlalchemy import text

from watchdog.database.db import make_engine
from watchdog.normalise.names import name_key

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from ingest_benchmark import Run, measured, watchdog  # noqa: E402
from scale_data import ScaleData  # noqa: E402

RELEASES = 50_000
PEAK_MB = 300
MEASURE = """
import dataclasses, json, sys
sys.path.insert(0, {bench!r})
from ingest_benchmark import measured
print(json.dumps(dataclasses.asdict(measured(json.loads(sys.argv[1])))))
"""


def measured_apart(command: list[str]) -> Run:
    """`measured` from a small process of its own. A child forked from the test process counts that process's memory
    (the whole suite's, by the time this test runs) in its peak RSS: Linux keeps the peak across exec."""
    script = MEASURE.format(bench=str(BENCH))
    done = subprocess.run([sys.executable, "-c", script, json.dumps(command)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return Run(**json.loads(done.stdout))


def file_contents(path: Path) -> dict:
    """What the generated file holds, read from the file alone: releases by tag, awards, and each winner's awards
    and name, by company number or, for a supplier known by name only, by its name."""
    tags, awards, wins, names = Counter(), 0, Counter(), {}
    for line in path.open("rb"):
        release = orjson.loads(line)
        tags[release["tag"][0]] += 1
        parties = {party["id"]: party for party in release["parties"]}
        for award in release.get("awards") or []:
            awards += 1
            for supplier in award["suppliers"]:
                identifier = parties[supplier["id"]]["identifier"]
                key = identifier.get("id") or supplier["name"]
                wins[key] += 1
                names[key] = supplier["name"]
    return {"tags": tags, "awards": awards, "wins": wins, "names": names}


def test_an_ingest_of_50k_releases_stays_under_300_mb_and_stores_the_file(tmp_path):
    data = ScaleData(RELEASES // 2, seed=12)
    path = tmp_path / "releases.jsonl"
    data.write(path)
    url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    measured(watchdog(url, "db", "upgrade"))

    run = measured_apart(watchdog(url, "ingest", str(path)))
    print(f"\n`watchdog ingest` of {RELEASES:,} releases: peak RSS {run.peak_mb:.0f} MB, {run.seconds:.0f} s")
    assert run.peak_mb < PEAK_MB
    assert f"ingest: {RELEASES} releases from 1 files" in run.output

    held = file_contents(path)
    assert held["tags"]["tender"] == RELEASES // 2
    assert held["awards"] == RELEASES // 2
    numbered = {key: name for key, name in held["names"].items() if key.isdigit()}
    busiest = max(numbered, key=lambda number: (held["wins"][number], number))
    shared_names = defaultdict(set)
    for number, name in numbered.items():
        shared_names[name_key(name)].add(number)
    most_shared = max(shared_names, key=lambda key: (len(shared_names[key]), key))

    engine = make_engine(url)
    with engine.connect() as connection:
        count = lambda sql, **values: connection.scalar(text(sql), values)  # noqa: E731
        assert count("SELECT COUNT(*) FROM contracts WHERE award_id <> ''") == held["awards"]
        assert count("SELECT COUNT(*) FROM contracts WHERE award_id = ''") == held["tags"]["tender"]
        assert count("SELECT COUNT(*) FROM contracts WHERE superseded_reason = 'awarded'") == held["tags"]["tender"]
        assert count("SELECT COUNT(*) FROM suppliers") == len(held["wins"])
        assert count("SELECT COUNT(*) FROM suppliers WHERE name_key = :key", key=most_shared) == len(
            shared_names[most_shared]
        )
        record = connection.execute(
            text("SELECT supplier_name, contracts_count FROM supplier_record WHERE company_number = :number"),
            {"number": busiest},
        ).one()
    engine.dispose()
    assert tuple(record) == (numbered[busiest], held["wins"][busiest])
    assert len(shared_names[most_shared]) >= 5
