"""A learned reading beside the rules: for each sentence about a supplier, linear models (one per kind of fact)
say how likely the sentence states that kind of fact about that supplier.

The rules (extraction_rules.py) know the phrasings they were written for; news tells the same facts in many more
("it consistently missed more than half of its performance indicators", "inspectors slammed the prison"). The
models are trained on labelled sentences (bench/extraction_train.py) over features of the parse: the sentence's
lemmas and lemma pairs, the supplier's place in it (its relation and the words above it), hedges and negations
on the verb that governs it. They add a fact the rules missed only where they are confident, and only of a kind
that carries no sum (incidents, censures and notices): which sum is a fine's or a contract's stays the rules'
job. The weights are plain JSON (watchdog/data/extraction_model.json), scored here without any learning
library.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from watchdog import DATA_DIR
from watchdog.news.extraction_rules import lemma
from watchdog.normalise.money import find_amounts

MODEL_FILE = DATA_DIR / "extraction_model.json"
MODALS = {"could", "may", "might", "would", "should", "can", "will", "shall", "must"}
NAMED_ENTITIES = {"PERSON": "<person>", "ORG": "<org>", "GPE": "<place>", "DATE": "<date>", "CARDINAL": "<num>",
                  "PERCENT": "<percent>", "MONEY": "<money>"}  # fmt: skip


def features(doc, spans: list[tuple[int, int]]) -> list[str]:
    """The features of a parsed sentence about one supplier, named or referred to at these character spans."""
    sums = [(amount.start, amount.end) for amount in find_amounts(doc.text)]
    supplier_tokens = {token.i for start, end in spans for token in doc if start <= token.idx < end}

    def word(token) -> str:
        """A token's lemma, or its class where the word itself would not generalise: a supplier, a sum, a name."""
        if token.i in supplier_tokens:
            return "<supplier>"
        if any(start <= token.idx < end for start, end in sums):
            return "<money>"
        if token.ent_type_ in ("PERSON", "ORG", "GPE") or token.like_num:
            return NAMED_ENTITIES.get(token.ent_type_, "<num>")
        return lemma(token)

    words = [word(token) for token in doc if not (token.is_punct or token.is_space)]
    found = {f"w:{w}" for w in words}
    found |= {f"b:{first}_{second}" for first, second in zip(words, words[1:], strict=False)}
    found.add(f"sums:{min(len(sums), 2)}")
    heads = [token for token in doc if token.i in supplier_tokens and token.head.i not in supplier_tokens]
    for head in heads or [doc[:].root]:
        found.add(f"dep:{head.dep_}")
        for depth, above in enumerate(list(head.ancestors)[:4]):
            found.add(f"up:{word(above)}")
            if depth == 0:
                found.add(f"up0:{head.dep_}:{word(above)}")
        verb = next((above for above in head.ancestors if above.pos_ in ("VERB", "AUX")), None)
        if verb is not None:
            found.add(f"verb:{word(verb)}")
            found |= {f"verb_neg:{word(verb)}" for child in verb.children if child.dep_ == "neg"}
            found |= {f"verb_modal:{child.lower_}" for child in verb.children if child.lower_ in MODALS}
            found |= {f"verb_obj:{word(child)}" for child in verb.children if child.dep_ in ("dobj", "attr")}
    root = doc[:].root
    found.add(f"root:{word(root)}")
    found |= {f"root_modal:{child.lower_}" for child in root.children if child.lower_ in MODALS}
    found |= {"root_neg" for child in root.children if child.dep_ == "neg"}
    return sorted(found)


@dataclass(frozen=True)
class Label:
    """One kind of fact the model scores, with the weights of its features and the score it must reach."""

    category: str
    kind: str
    bias: float
    weights: dict[str, float]
    threshold: float  # the probability above which a fact the rules missed is added

    def probability(self, found: list[str]) -> float:
        score = self.bias + sum(self.weights.get(feature, 0.0) for feature in found)
        return 1.0 / (1.0 + math.exp(-score))


def labels_from(data: dict) -> list[Label]:
    return [
        Label(entry["category"], entry["kind"], entry["bias"], entry["weights"], entry["threshold"])
        for entry in data["labels"]
    ]


@functools.cache
def model(path: Path = MODEL_FILE) -> tuple[Label, ...]:
    """The shipped model's labels (none if the file is absent: the rules alone then)."""
    if not path.exists():
        return ()
    return tuple(labels_from(json.loads(path.read_text(encoding="utf-8"))))
