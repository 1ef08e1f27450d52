"""Finding suppliers that may be the same entity under different names, for a person to confirm.

Nothing here merges anything. Names are compared only within blocks that share a rare word, so that
100,000 names against 50,000 entities take seconds, not hours; rapidfuzz scores each pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

SIMILAR = 85  # rapidfuzz token_sort_ratio from which two names are worth a person's look
COMMON_WORD_SHARE = 0.01  # a word in more than 1% of names ("services", "group") does not make a block
MIN_COMMON_WORD_COUNT = 50


@dataclass(frozen=True)
class Entity:
    supplier_id: int
    name: str
    key: str
    company_number: str | None


@dataclass(frozen=True)
class Candidate:
    """Two suppliers that may be one: how alike their names are, and why they were not simply merged."""

    supplier_id: int
    other_id: int
    score: float
    reason: str


def words(key: str) -> list[str]:
    return [word for word in key.split() if len(word) > 1]


class NameIndex:
    """Known entities, looked up by company number, exact name key, and similar names."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.entities: dict[int, Entity] = {}
        self.by_number: dict[str, int] = {}
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for entity in entities:
            self.add(entity)
        limit = max(MIN_COMMON_WORD_COUNT, int(len(self.entities) * COMMON_WORD_SHARE))
        self.common = {word for word, ids in self.by_word.items() if len(ids) > limit}

    def add(self, entity: Entity) -> None:
        self.entities[entity.supplier_id] = entity
        if entity.company_number:
            self.by_number[entity.company_number] = entity.supplier_id
        self.by_key[entity.key].append(entity.supplier_id)
        for word in set(words(entity.key)):
            self.by_word[word].append(entity.supplier_id)

    def block(self, key: str) -> set[int]:
        """Entities sharing a rare word with the key: the only ones worth scoring."""
        rare = [w for w in set(words(key)) if w not in self.common] or words(key)[:1]
        return {supplier_id for word in rare for supplier_id in self.by_word.get(word, ())}

    def similar(self, key: str, exclude: int | None = None) -> list[tuple[int, float]]:
        ids = [i for i in self.block(key) if i != exclude]
        if not ids:
            return []
        choices = [self.entities[i].key for i in ids]
        found = process.extract(key, choices, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR, limit=5)
        return [(ids[index], score) for _, score, index in found]

    def candidate_pairs(self, among: set[int] | None = None) -> Iterator[Candidate]:
        """Every pair of known entities that may be one: the same name under two company numbers, or names
        alike enough; with `among`, only the pairs one of those entities is in. Each pair once, lower id first."""
        pairs: dict[tuple[int, int], float] = {}
        for supplier_id in self.entities if among is None else among:
            entity = self.entities[supplier_id]
            for other in self.by_key[entity.key]:
                if other != supplier_id:
                    pairs[tuple(sorted((supplier_id, other)))] = 100.0
            for other, score in self.similar(entity.key, exclude=supplier_id):
                pairs.setdefault(tuple(sorted((supplier_id, other))), score)
        for (first, second), score in sorted(pairs.items()):
            yield Candidate(first, second, score, reason_for(self, first, second))


def reason_for(index: NameIndex, first: int, second: int) -> str:
    a, b = index.entities[first], index.entities[second]
    if a.company_number and b.company_number and a.company_number != b.company_number:
        return "different company numbers: separate legal entities unless a person says otherwise"
    if a.key == b.key:
        return "the same name once normalised"
    return "similar names"
