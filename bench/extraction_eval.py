"""Precision and recall of watchdog.news.extraction.extract_facts on a labelled set written apart from it.

    python bench/extraction_eval.py [--verbose] [--rules-only] [--data bench/extraction_eval.jsonl]

Each line of extraction_eval.jsonl is one news-style sentence (or two, the second referring back with "the firm",
"the company", "it"), the facts it states and a note. About 45% of the items state facts; the rest state none
and are there to catch false positives. The known suppliers are SUPPLIERS below.

Scoring: within an item, each expected fact is paired with at most one predicted fact of the same category, kind
and supplier (KnownSupplier.name) and, where the expected amount is not null, a principal amount (the Fact's first
amount) within 0.5% of it. Currency is not compared. Unpaired predictions are false positives, unpaired expected
facts are misses. A matched fact that carries an amount where none is expected is listed as a warning, not
counted.

Conventions of the labels:
- One fact per (category, kind, supplier) in an item. "A £19.2m penalty plus £3.7m costs" is a dpa_penalty of
  19.2m and costs of 3.7m; "worth £108m, up to £410m with extensions" is one award of 108m (the value stated
  first); two HS2 contracts "worth a combined £1.4bn" are one award of 1.4bn.
- The amount is the number as written, qualifiers aside ("just over £1m" is 1000000, "£68.5m plus VAT" is
  68500000); null where the sentence gives no money for that fact (incidents, censures, notices).
- A fact needs a known supplier named in its sentence, or referred back to ("the firm", "the company", "it") from
  the sentence before. A subsidiary named by a known mention ("Serco Geografix, a Serco subsidiary", "G4S Care and
  Justice Services") counts for the group. Unknown companies, individuals, councils and departments give nothing.
- Only what happened: bids, shortlists, preferred bidders, expected awards, threats ("could face a fine"),
  demands, contract terms ("can be fined up to"), investigations, pending approvals, denials and negations give
  no fact. An appeal against a fine does not undo it.
- The kind follows the substance, not the word: money withheld or deducted by the buyer is a service_credit even
  when reported as a fine, and where the buyer says it was not a fine it is still a service_credit (DOMAIN.md).
  Executive "compensation", business "costs", repaying a loan, an "award" for excellence are not facts.
- An award is an event (won, awarded, handed, a franchise won). An existing contract mentioned ("its £495m
  contract", "runs until 2029", "talks about extending") is not an award.
- An incident stated as the cause of an enforcement outcome is a fact too ("fined £4.4m after a phishing email
  let attackers reach ... employees' details": fine and data_breach); a vague cause ("over staffing levels") is not.
- Enforcement "other": a censure, an improvement notice, a contractual warning notice. Incident kinds: data_breach
  (personal data exposed or stolen), death_or_injury, service_failure (targets missed, backlogs, reports of
  unacceptable quality, not enough staff supplied), inspection_failure (an inspector's adverse rating or finding),
  other (riots, escapes, falsified data).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from watchdog.news.extraction import Fact, KnownSupplier, Mentions, extract_facts

DATA = Path(__file__).with_name("extraction_eval.jsonl")
PRECISION_TARGET, RECALL_TARGET = 0.95, 0.80
TOLERANCE = Decimal("0.005")
KINDS = {
    "contract": ("award",),
    "enforcement": ("fine", "costs", "service_credit", "repayment", "dpa_penalty", "compensation", "other"),
    "incident": ("data_breach", "death_or_injury", "service_failure", "inspection_failure", "other"),
}
SUPPLIERS = [
    KnownSupplier("Serco Group plc", ("Serco", "Serco Group", "Serco Limited")),
    KnownSupplier("Capita plc", ("Capita", "Capita plc", "Capita Business Services")),
    KnownSupplier("G4S plc", ("G4S", "G4S plc", "G4S Care and Justice Services")),
    KnownSupplier("Mitie Group plc", ("Mitie", "Mitie Group", "Mitie Care and Custody")),
    KnownSupplier("Sodexo", ("Sodexo", "Sodexo Limited", "Sodexo Justice Services")),
    KnownSupplier("Atos IT Services UK Limited", ("Atos", "Atos Healthcare", "Atos IT Services")),
    KnownSupplier("Maximus UK Services Limited", ("Maximus", "Maximus UK")),
    KnownSupplier("Interserve plc", ("Interserve", "Interserve plc")),
    KnownSupplier("Carillion plc", ("Carillion", "Carillion plc")),
    KnownSupplier("Babcock International Group plc", ("Babcock", "Babcock International")),
    KnownSupplier("Kier Group plc", ("Kier", "Kier Group")),
]


def known_suppliers(path: Path) -> list[KnownSupplier]:
    return [KnownSupplier(entry["name"], tuple(entry["aliases"])) for entry in json.loads(path.read_text())]


def load(path: Path, suppliers: list[KnownSupplier]) -> list[dict]:
    """The labelled items, checked: unique ids, known categories, kinds and suppliers, one fact per key."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = {s.name for s in suppliers}
    if len({item["id"] for item in items}) != len(items):
        raise ValueError("duplicate ids")
    for item in items:
        keys = [(f["category"], f["kind"], f["supplier"]) for f in item["expected"]]
        bad = [k for k in keys if k[1] not in KINDS.get(k[0], ()) or k[2] not in names]
        if bad or len(set(keys)) != len(keys):
            raise ValueError(f"{item['id']}: unknown or repeated (category, kind, supplier) in {keys}")
    return items


def principal(fact: Fact) -> Decimal | None:
    return fact.amounts[0].amount if fact.amounts else None


def matches(expected: dict, fact: Fact) -> bool:
    if (fact.category, fact.kind, fact.supplier) != (expected["category"], expected["kind"], expected["supplier"]):
        return False
    if expected["amount"] is None:
        return True
    want, got = Decimal(expected["amount"]), principal(fact)
    return got is not None and abs(got - want) <= TOLERANCE * want


def pair(expected: list[dict], predicted: list[Fact]) -> tuple[list[tuple[dict, Fact]], list[dict], list[Fact]]:
    """(matched pairs, misses, false positives) of one item."""
    left, pairs, misses = list(predicted), [], []
    for fact in expected:
        hit = next((p for p in left if matches(fact, p)), None)
        if hit is None:
            misses.append(fact)
        else:
            left.remove(hit)
            pairs.append((fact, hit))
    return pairs, misses, left


def groups(category: str, kind: str) -> list[tuple[str, ...]]:
    return [("overall",), (category,), (category, kind)]


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def show(fact: dict | Fact) -> str:
    if isinstance(fact, dict):
        return f"{fact['category']}/{fact['kind']} {fact['supplier']} {fact['amount'] or '-'}"
    amount = principal(fact)
    return f"{fact.category}/{fact.kind} {fact.supplier} {'-' if amount is None else format(amount.normalize(), 'f')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--suppliers", type=Path, help="the known suppliers, as JSON [{name, aliases}] (default: the list above)"
    )
    parser.add_argument("--verbose", action="store_true", help="list the misses and false positives")
    parser.add_argument("--rules-only", action="store_true", help="without the learned labels")
    args = parser.parse_args()

    known = known_suppliers(args.suppliers) if args.suppliers else SUPPLIERS
    items = load(args.data, known)
    suppliers = Mentions(known)
    expected_n, predicted_n, correct_n = Counter(), Counter(), Counter()
    report, warnings, negatives_hit = [], [], 0
    for item in items:
        predicted = extract_facts(item["text"], suppliers, labels=[] if args.rules_only else None)
        pairs, misses, false_positives = pair(item["expected"], predicted)
        for fact in item["expected"]:
            expected_n.update(groups(fact["category"], fact["kind"]))
        for fact in predicted:
            predicted_n.update(groups(fact.category, fact.kind))
        for fact, _ in pairs:
            correct_n.update(groups(fact["category"], fact["kind"]))
        warnings += [(item, p) for e, p in pairs if e["amount"] is None and p.amounts]
        negatives_hit += bool(false_positives and not item["expected"])
        if misses or false_positives:
            report.append((item, misses, false_positives))

    rows = [("overall",)]
    for category, kinds in KINDS.items():
        rows += [(category,)] + [(category, kind) for kind in kinds]
    rows += sorted(set(predicted_n) - set(rows))  # categories or kinds the set does not know
    print(f"{'':30}{'expected':>9}{'predicted':>10}{'correct':>8}{'precision':>10}{'recall':>7}")
    for row in rows:
        label = row[0] if len(row) == 1 else f"  {row[1]}" if row[1] in KINDS.get(row[0], ()) else f"  {'/'.join(row)}"
        e, p, c = expected_n[row], predicted_n[row], correct_n[row]
        print(f"{label:30}{e:>9}{p:>10}{c:>8}{ratio(c, p):>10}{ratio(c, e):>7}")

    negatives = sum(not item["expected"] for item in items)
    print(f"\n{len(items)} items, {negatives} with no fact, of which {negatives_hit} drew a false positive")
    overall = ("overall",)
    for name, value, target in (
        ("precision", correct_n[overall] / max(predicted_n[overall], 1), PRECISION_TARGET),
        ("recall", correct_n[overall] / expected_n[overall], RECALL_TARGET),
    ):
        print(f"{name:10} {value:.3f}  target >= {target:.2f}: {'met' if value >= target else 'NOT MET'}")

    if args.verbose:
        for item, misses, false_positives in report:
            print(f"\n[{item['id']}] {item['text']}\n  note: {item['note']}")
            print("".join(f"  missed:         {show(f)}\n" for f in misses), end="")
            print("".join(f"  false positive: {show(f)}\n" for f in false_positives), end="")
        for item, fact in warnings:
            print(f"\n[{item['id']}] amount where none is expected: {show(fact)}\n  {item['text']}")
    elif report or warnings:
        print("(--verbose lists the misses and false positives)")


if __name__ == "__main__":
    main()
