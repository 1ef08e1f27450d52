"""How many 800-word news articles watchdog.news.extraction reads per second, on one core.

    python bench/extraction_speed.py [--articles 60] [--words 800]

The articles are made of the evaluation passages (bench/extraction_dev.jsonl), in a fixed shuffled order, cut
into articles of about --words words, so they read like news about outsourcers: a fact in most paragraphs,
which is more parsing than a real article needs (most of a real article names no supplier). The known
suppliers are those of bench/extraction_suppliers.json and of the groups file. The first article warms the
pipeline up and is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the goal says

from watchdog.identity.groups import GROUPS_FILE, read_groups_file  # noqa: E402
from watchdog.news.extraction import KnownSupplier, Mentions, extract_facts, language  # noqa: E402

HERE = Path(__file__).parent


def articles(words: int, count: int) -> list[str]:
    passages = [json.loads(line)["text"] for line in (HERE / "extraction_dev.jsonl").read_text().splitlines()]
    random.Random(7).shuffle(passages)
    made, current = [], []
    while len(made) < count:
        for passage in passages:
            current.append(passage)
            if sum(len(p.split()) for p in current) >= words:
                made.append("\n\n".join(current))
                current = []
                if len(made) == count:
                    break
    return made


def known() -> Mentions:
    suppliers = [
        KnownSupplier(e["name"], tuple(e["aliases"]))
        for e in json.loads((HERE / "extraction_suppliers.json").read_text())
    ]
    for entry in read_groups_file(GROUPS_FILE):
        suppliers.append(KnownSupplier(entry.parent, tuple(filter(None, (entry.brand,)))))
    return Mentions(suppliers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--words", type=int, default=800)
    args = parser.parse_args()
    texts, mentions = articles(args.words, args.articles + 1), known()
    language()
    extract_facts(texts[0], mentions)
    started, cpu = time.perf_counter(), time.process_time()
    facts = sum(len(extract_facts(text, mentions)) for text in texts[1:])
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    words = sum(len(text.split()) for text in texts[1:])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.articles} articles, {words / args.articles:.0f} words each on average, {facts} facts")
    print(f"{args.articles / wall:.1f} articles/s ({wall:.2f} s wall, {used:.2f} s CPU), peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
