"""Train the learned labels of watchdog/news/learned.py on labelled sets, and estimate what they add.

    pip install -e '.[train]'
    python bench/extraction_train.py --cross-validate      # figures only, by article, 5 folds
    python bench/extraction_train.py --write               # train on every set and write the model file

Training data: every (sentence, supplier) the extractor reads in an item, labelled with the item's facts about
that supplier: in the sentence where the rules read a fact, else in each sentence about the supplier. One
logistic regression per learned label (scikit-learn; the weights are written as JSON and scored without it).
A fact the rules already read is not learned again: the labels only add.

Cross-validation splits the items by article, trains on four fifths and scores the rules plus the labels on the
rest with extraction_eval's pairing. Those sets were written before the labels, but the rules were tuned on
most of them, so the figures are development figures; only a set frozen before training says how the model
does on new text.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from extraction_eval import SUPPLIERS, known_suppliers, load, pair

from watchdog.news.extraction import (
    INCIDENT_CATEGORY,
    Mentions,
    facts_by_rules,
    facts_learned,
    read,
    supplier_sentences,
    told_again,
)
from watchdog.news.learned import MODEL_FILE, Label, features

HERE = Path(__file__).parent
TRAINING_SETS = [
    ("extraction_eval.jsonl", None),
    ("extraction_dev.jsonl", "extraction_suppliers.json"),
    ("extraction_test.jsonl", "extraction_suppliers.json"),
    ("extraction_holdout.jsonl", "extraction_suppliers_holdout.json"),
    ("extraction_train.jsonl", "extraction_suppliers_train.json"),
    ("extraction_train2.jsonl", "extraction_suppliers_train2.json"),
    ("extraction_train3.jsonl", "extraction_suppliers_train3.json"),
    ("extraction_unseen.jsonl", "extraction_suppliers_unseen.json"),
    ("extraction_unseen2.jsonl", "extraction_suppliers_unseen2.json"),
    ("extraction_unseen3.jsonl", "extraction_suppliers_unseen3.json"),
]
LEARNED = [
    (INCIDENT_CATEGORY, "data_breach"),
    (INCIDENT_CATEGORY, "death_or_injury"),
    (INCIDENT_CATEGORY, "service_failure"),
    (INCIDENT_CATEGORY, "inspection_failure"),
    (INCIDENT_CATEGORY, "other"),
    ("enforcement", "other"),
]
REGULARISATION = 1.0  # scikit-learn's C: smaller is simpler
THRESHOLD = 0.8
MIN_COUNT = 2  # a feature seen in one sentence only teaches nothing general


@dataclass
class Unit:
    """One sentence about one supplier in one item: its features and the learned kinds of fact it states."""

    item: int
    features: list[str]
    kinds: set[tuple[str, str]]


@dataclass
class Item:
    """A labelled item read once: its labels, its article, and what the rules and the parse give."""

    data: dict
    article: str
    reading: object
    rule_facts: list
    units: list[Unit]


def read_items() -> list[Item]:
    items = []
    for data_name, suppliers_name in TRAINING_SETS:
        path = HERE / data_name
        if not path.exists():
            continue
        known = known_suppliers(HERE / suppliers_name) if suppliers_name else SUPPLIERS
        mentions = Mentions(known)
        for data in load(path, known):
            reading = read(data["text"], mentions)
            rule_facts = facts_by_rules(reading)
            index = len(items)
            article = f"{data_name}:{data.get('article', data['id'])}"
            items.append(Item(data, article, reading, rule_facts, units_of(index, data, reading, rule_facts)))
    return items


def units_of(index: int, data: dict, reading, rule_facts) -> list[Unit]:
    about = list(supplier_sentences(reading))
    units = [Unit(index, features(reading.docs[i], spans), set()) for i, _, spans in about]
    for fact in data["expected"]:
        key = (fact["category"], fact["kind"])
        if key not in LEARNED:
            continue
        where = [n for n, (i, supplier, _) in enumerate(about) if supplier.name == fact["supplier"]]
        read_at = {
            i for i, found in rule_facts if (found.category, found.kind, found.supplier) == (*key, fact["supplier"])
        }
        localised = [n for n in where if about[n][0] in read_at]
        for n in localised or where:
            units[n].kinds.add(key)
    return units


def train(units: list[Unit], threshold: float) -> list[Label]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    seen = Counter(feature for unit in units for feature in unit.features)
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform([{f: 1 for f in unit.features if seen[f] >= MIN_COUNT} for unit in units])
    names = vectoriser.get_feature_names_out()
    labels = []
    for category, kind in LEARNED:
        target = [(category, kind) in unit.kinds for unit in units]
        if sum(target) < 3:
            continue
        fitted = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(matrix, target)
        weights = {
            str(name): round(float(w), 4) for name, w in zip(names, fitted.coef_[0], strict=True) if abs(w) >= 0.01
        }
        labels.append(Label(category, kind, round(float(fitted.intercept_[0]), 4), weights, threshold))
    return labels


def predicted(item: Item, labels: list[Label]) -> list:
    facts = list(item.rule_facts)
    facts += facts_learned(item.reading, facts, labels)
    return [fact for index, fact in facts if not told_again(fact, index, facts)]


def score(items: list[Item], predictions: dict[int, list]) -> Counter:
    counts = Counter()
    for n, item in enumerate(items):
        pairs, misses, false_positives = pair(item.data["expected"], predictions[n])
        for category in ("overall", "incident", "enforcement", "contract"):
            counts[category, "correct"] += sum(category in ("overall", e["category"]) for e, _ in pairs)
            counts[category, "expected"] += sum(category in ("overall", e["category"]) for e in item.data["expected"])
            counts[category, "predicted"] += sum(category in ("overall", p.category) for p in predictions[n])
    return counts


def report(name: str, counts: Counter) -> None:
    line = [f"{name:24}"]
    for category in ("overall", "incident", "enforcement", "contract"):
        c, e, p = (counts[category, k] for k in ("correct", "expected", "predicted"))
        line.append(f"{category} P {c / max(p, 1):.3f} R {c / max(e, 1):.3f} ({c}/{p}/{e})")
    print("  ".join(line))


def cross_validate(items: list[Item], folds: int, thresholds: list[float]) -> None:
    articles = sorted({item.article for item in items})
    random.Random(20261129).shuffle(articles)
    fold_of = {article: n % folds for n, article in enumerate(articles)}
    rules_only = {n: predicted(item, []) for n, item in enumerate(items)}
    report("rules", score(items, rules_only))
    by_threshold = {threshold: {} for threshold in thresholds}
    for fold in range(folds):
        trained = train([u for item in items if fold_of[item.article] != fold for u in item.units], 0.5)
        for n, item in enumerate(items):
            if fold_of[item.article] == fold:
                for threshold in thresholds:
                    labels = [replace(label, threshold=threshold) for label in trained]
                    by_threshold[threshold][n] = predicted(item, labels)
    for threshold in thresholds:
        report(f"rules + learned >= {threshold}", score(items, by_threshold[threshold]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cross-validate", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"train on every set and write {MODEL_FILE}")
    args = parser.parse_args()
    items = read_items()
    print(f"{len(items)} items, {sum(len(i.units) for i in items)} sentences about a supplier")
    if args.cross_validate:
        cross_validate(items, args.folds, [0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    if args.write:
        labels = train([unit for item in items for unit in item.units], THRESHOLD)
        entries = [{"category": x.category, "kind": x.kind, "bias": x.bias, "threshold": x.threshold,
                    "weights": dict(sorted(x.weights.items()))} for x in labels]  # fmt: skip
        MODEL_FILE.write_text(json.dumps({"labels": entries}, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE} ({sum(len(x.weights) for x in labels)} weights)")


if __name__ == "__main__":
    main()
