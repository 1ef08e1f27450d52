"""Finding suppliers that may be the same entity under different names, for a person to confirm.

Nothing here merges anything. Names are compared only within blocks that share a rare word, so that
100,000 names against 50,000 entities take seconds, not hours; rapidfuzz scores each pair, with the words
of bracketed and trading-as names kept, and a word one name lacks forgiven when the names share enough.
Names the same once normalised are not scored against each other: the review offers them as one name group.
The review keeps every supplier's words in the database (supplier_name_words) and builds an index over the
blocks of the suppliers it examines only, with the common words counted by the database over every supplier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from watchdog.normalise.names import full_name_key, other_names

SIMILAR = 85  # rapidfuzz score (0-100) from which two names are worth a person's look
MOST_ALIKE = 5  # similar names offered beside each name, most alike first
COMMON_WORD_SHARE = 0.01  # a word in more than 1% of names ("services", "group") does not make a block
MIN_COMMON_WORD_COUNT = 50
LINKING_WORDS = frozenset({"and", "at", "for", "in", "of", "on", "the", "to"})  # "for the Deaf", "of the Deaf"
MIN_SHARED_WORDS = 2  # one word lies inside many names: "Serco" in "Serco Leisure Operating"
SHARED_SHARE_OF_SHORTER = 0.75  # "Oxford City Council" and "Oxford County Council" share only 2 words of 3
# Why a pair or a name group is offered rather than merged.
DIFFERENT_NUMBERS = "different company numbers: separate legal entities unless a person says otherwise"
SAME_NAME = "the same name once normalised"
SIMILAR_NAMES = "similar names"


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


def full_key_of(name: str, key: str) -> str:
    """The full name key of a name whose key is `key`: the key itself when the name holds no other name (most do
    not, and working the key out again would be most of the cost of indexing a name)."""
    return full_name_key(name) if other_names(name) else key


def name_words(key: str, full_key: str) -> set[str]:
    """The words an entity is found by: those of its name key and of its full name key."""
    return set(words(f"{key} {full_key}"))


def common_word_limit(entities_count: int) -> int:
    """How many entities a word may be in and still make a block."""
    return max(MIN_COMMON_WORD_COUNT, int(entities_count * COMMON_WORD_SHARE))


def block_words(key: str, common: Collection[str]) -> list[str]:
    """The words whose entities are worth scoring against a key: its rare words, or its first word if all are
    common."""
    return [word for word in set(words(key)) if word not in common] or words(key)[:1]


def shares_enough_words(first: str, second: str) -> bool:
    """Whether two name keys share at least two words and three quarters of the shorter one's (linking words
    aside): only then may a word one of them lacks be forgiven, as rapidfuzz's token_set_ratio does."""
    first_words, second_words = (set(words(key)) - LINKING_WORDS for key in (first, second))
    shared = len(first_words & second_words)
    return shared >= MIN_SHARED_WORDS and shared >= SHARED_SHARE_OF_SHORTER * min(len(first_words), len(second_words))


class NameIndex:
    """Known entities, looked up by company number, exact name key, and similar names.

    `common` are the words too frequent to make a block, when they were counted over more entities than these
    (the review's index holds only the blocks it needs); by default they are counted over these entities.
    """

    def __init__(self, entities: Iterable[Entity], common: Collection[str] | None = None) -> None:
        self.entities: dict[int, Entity] = {}
        self.by_number: dict[str, int] = {}
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_word: dict[str, list[int]] = defaultdict(list)
        self.keys: dict[int, str] = {}  # plain dicts of the entities' keys: they are read for every name scored
        self.full_keys: dict[int, str] = {}
        for entity in entities:
            self.add(entity)
        if common is None:
            limit = common_word_limit(len(self.entities))
            common = {word for word, ids in self.by_word.items() if len(ids) > limit}
        self.common = common

    def add(self, entity: Entity) -> None:
        self.entities[entity.supplier_id] = entity
        if entity.company_number:
            self.by_number[entity.company_number] = entity.supplier_id
        self.by_key[entity.key].append(entity.supplier_id)
        self.keys[entity.supplier_id] = entity.key
        self.full_keys[entity.supplier_id] = full_key_of(entity.name, entity.key)
        for word in name_words(entity.key, self.full_keys[entity.supplier_id]):
            self.by_word[word].append(entity.supplier_id)

    def block(self, key: str) -> set[int]:
        """Entities sharing a rare word with the key: the only ones worth scoring."""
        return {supplier_id for word in block_words(key, self.common) for supplier_id in self.by_word.get(word, ())}

    def similar(self, supplier_id: int) -> list[tuple[int, float]]:
        """The entities whose names are most like this one's, scored by the best of: token_sort_ratio of the
        name keys, and of the full name keys, and token_set_ratio of the full name keys if they share enough.
        Entities of the same name key are left out: they are a name group, not a similar name."""
        key, full_key = self.keys[supplier_id], self.full_keys[supplier_id]
        ids = [i for i in self.block(f"{key} {full_key}") if self.keys[i] != key]
        keys, full_keys = list(map(self.keys.get, ids)), list(map(self.full_keys.get, ids))
        scores: dict[int, float] = {}
        for query, choices, scorer in (
            (key, keys, fuzz.token_sort_ratio),
            (full_key, full_keys, fuzz.token_sort_ratio),
            (full_key, full_keys, fuzz.token_set_ratio),
        ):
            hits = process.extract(query, choices, scorer=scorer, score_cutoff=SIMILAR, limit=None)
            for choice, score, index in hits:
                if scorer is fuzz.token_sort_ratio or shares_enough_words(full_key, choice):
                    scores[ids[index]] = max(score, scores.get(ids[index], 0.0))
        return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)[:MOST_ALIKE]

    def candidate_pairs(self, among: Iterable[int] | None = None, same_name: bool = True) -> Iterator[Candidate]:
        """Every pair of known entities that may be one: the same name under two company numbers, or names
        alike enough; with `among`, only the pairs one of those entities is in; without `same_name`, only the
        names alike (the review offers each name shared by several entities once, as a name group). Each pair
        once, lower id first."""
        pairs: dict[tuple[int, int], float] = {}
        for supplier_id in self.entities if among is None else among:
            entity = self.entities[supplier_id]
            for other in self.by_key[entity.key] if same_name else ():
                if other != supplier_id:
                    pairs[tuple(sorted((supplier_id, other)))] = 100.0
            for other, score in self.similar(supplier_id):
                pairs.setdefault(tuple(sorted((supplier_id, other))), score)
        for (first, second), score in sorted(pairs.items()):
            yield Candidate(first, second, score, reason_for(self, first, second))


def reason_for(index: NameIndex, first: int, second: int) -> str:
    a, b = index.entities[first], index.entities[second]
    if a.company_number and b.company_number and a.company_number != b.company_number:
        return DIFFERENT_NUMBERS
    if a.key == b.key:
        return SAME_NAME
    return SIMILAR_NAMES
