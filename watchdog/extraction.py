"""Facts about suppliers read from news text: contracts, enforcement outcomes and incidents, each with the
sentence that states it.

Precision comes first: a wrong fact about a named company is worse than a missing one. So a fact needs a
supplier named in its sentence (or referred back to: "the firm", "the company", "it") and words that say what
happened; money is read with watchdog.normalise.money and must be money ("3 million tests" is not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from watchdog.normalise.dates import ReportedDate
from watchdog.normalise.money import Amount
from watchdog.normalise.names import main_name, short_name

CONTRACT = "contract"
ENFORCEMENT_CATEGORY = "enforcement"
INCIDENT_CATEGORY = "incident"


@dataclass(frozen=True)
class KnownSupplier:
    """A supplier the extractor can recognise: the name to record, and the names that mention it."""

    name: str
    mentions: tuple[str, ...]
    is_group_brand: bool = False


@dataclass
class Figure:
    value: int
    text: str
    unit: str


@dataclass
class Fact:
    """One fact stated by one sentence."""

    category: str  # contract, enforcement or incident
    kind: str  # award; fine, costs, service_credit, repayment, dpa_penalty, compensation, other; data_breach...
    supplier: str  # KnownSupplier.name
    sentence: str
    amounts: list[Amount] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    date: ReportedDate | None = None


ABBREVIATIONS = re.compile(r"\b(?:Ltd|Co|Mr|Mrs|Ms|Dr|St|No|Inc|Corp|Bros|Gov|Dept|vs|etc)\.$")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z\"“‘(£0-9])")
BACK_REFERENCE = re.compile(
    r"\b(?:the (?:firm|company|group|contractor|outsourcer|supplier|provider|business)|it|its)\b|^(?:It|They)\b"
)
# Words naming another party: a fact between a supplier and its trigger across one of these is not its own.
OTHER_PARTY = re.compile(
    r"\b(?:council|trust|authority|department|ministry|government|minister|hospital|police|regulator|"
    r"the home office|the nhs|rival|competitor|subcontractor|former owner|predecessor)\b",
    re.IGNORECASE,
)
ATTRIBUTIVE = re.compile(
    r"\s+(?:subsidiary|subsidiaries|worker|workers|employee|employees|staff|spokesman|spokeswoman|spokesperson|"
    r"executive|boss|chief|manager|managers|guard|guards|officer|officers|director|shareholders?)\b",
    re.IGNORECASE,
)
# "The council was fined": another party is the subject of the trigger.
PASSIVE = re.compile(
    r"\b(?:council|trust|authority|department|ministry|government|hospital|police|home office|nhs)\b[^,;]{0,30}"
    r"\b(?:was|were|has been|had been)\s*$",
    re.IGNORECASE,
)
# What was hoped, feared or denied is not a fact.
HEDGED = re.compile(
    r"(?-i:\b(?:may|will)\b)|"  # lower case only: "May 2020" is a month
    r"\b(?:could|might|would|shall|should|faces?|facing|risks?|threat(?:ened|ens)?|proposed|plans?|"
    r"considering|consider|expected to|bid(?:ding)? for|shortlisted|in the running|in talks|hopes?|wants?|"
    r"if|unless|whether|denied|denies|not (?:a |been |being )?(?:fined|a fine|penalised)|no (?:fine|penalty)|"
    r"was not|were not|has not|have not|never)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Trigger:
    category: str
    kind: str
    pattern: re.Pattern


def trigger(category: str, kind: str, pattern: str) -> Trigger:
    return Trigger(category, kind, re.compile(pattern, re.IGNORECASE))


TRIGGERS = (
    trigger(ENFORCEMENT_CATEGORY, "dpa_penalty", r"\bdeferred prosecution agreement\b|\bDPA\b"),
    trigger(
        ENFORCEMENT_CATEGORY,
        "service_credit",
        r"\bservice credits?\b|\bwithh[eo]ld(?:ing)?\b|\bdeduct(?:ed|ions?)\b|\bdocked\b",
    ),
    trigger(ENFORCEMENT_CATEGORY, "repayment", r"\brepa(?:y|id|ying|yment)\b|\bpa(?:y|id) back\b|\brefund(?:ed)?\b"),
    trigger(ENFORCEMENT_CATEGORY, "compensation", r"\bcompensation\b|\bdamages\b|\bsettlement\b"),
    trigger(
        ENFORCEMENT_CATEGORY, "fine", r"\bfined\b|\bfines?\b|\bpenalis(?:ed|ing)\b|\bpenaliz(?:ed|ing)\b|\bpenalty\b"
    ),
    trigger(
        CONTRACT,
        "award",
        r"\b(?:won|wins|awarded|secured|landed|handed|given|signed|granted|extended)\b[^.;]{0,80}?"
        r"\b(?:contracts?|deal|framework|work)\b|\b(?:contract|deal)\b[^.;]{0,40}?\b(?:awarded|handed|given)\b",
    ),
    trigger(
        INCIDENT_CATEGORY,
        "data_breach",
        r"\bdata breach\b|\bbreach of (?:personal )?data\b|\bleaked\b|\binstead of BCC\b"
        r"|\bexposed\b[^.;]{0,60}\b(?:e-?mail addresses|personal data|details|records)\b",
    ),
    trigger(INCIDENT_CATEGORY, "death_or_injury", r"\bdied\b|\bdeaths?\b|\bkilled\b|\binjur(?:ed|ies|y)\b"),
    trigger(
        INCIDENT_CATEGORY,
        "inspection_failure",
        r"\brated inadequate\b|\binadequate by\b|\bfailed (?:an|its) inspection\b|\binspectors found\b",
    ),
    trigger(
        INCIDENT_CATEGORY,
        "service_failure",
        r"\bmissed\b[^.;]{0,40}\b(?:appointments|screenings|visits|calls|deadlines)\b"
        r"|\bservice failures?\b|\bfailed to deliver\b",
    ),
)
DPA = next(rule for rule in TRIGGERS if rule.kind == "dpa_penalty")
COSTS = re.compile(r"\bcosts?\b", re.IGNORECASE)
FIGURE = re.compile(
    r"\b(?P<qualifier>almost|nearly|around|about|more than|over|some)?\s*(?P<value>\d{1,3}(?:,\d{3})+|\d+)\s+"
    r"(?P<unit>(?:[a-z][a-z'’-]*\s){0,2}(?:people|patients|tracers|staff|workers|prisoners|detainees|children|"
    r"residents|records|addresses|e-?mail addresses|appointments|screenings|deaths|cases))\b"
)
WHEN = re.compile(
    r"\b(?i:in|on|during|since|from|by)\s+(?P<date>(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\s+\d{4}|\d{4}-\d{2}|\d{4})\b"
)


def sentences(text: str) -> list[str]:
    """Split text into sentences, keeping "Serco Ltd." and "£1.2m" whole."""
    pieces, current = [], ""
    for piece in SENTENCE_END.split(" ".join(text.split())):
        current = f"{current} {piece}".strip() if current else piece
        if not ABBREVIATIONS.search(current):
            pieces.append(current)
            current = ""
    return pieces + ([current] if current else [])


class Mentions:
    """Finds the known suppliers a sentence names."""

    def __init__(self, suppliers: Iterable[KnownSupplier]) -> None:
        self.by_mention: dict[str, KnownSupplier] = {}
        for supplier in suppliers:
            for mention in (supplier.name, main_name(supplier.name), short_name(supplier.name), *supplier.mentions):
                self.by_mention.setdefault(mention, supplier)
        alternatives = sorted(self.by_mention, key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, alternatives)) + r")(?:['’]s)?(?![\w-])")
        self.upper = {mention.upper(): supplier for mention, supplier in self.by_mention.items()}

    def find(self, sentence: str) -> list[tuple[int, KnownSupplier]]:
        """The suppliers a sentence names as actors: "a Serco subsidiary" and "a Serco worker" name others."""
        found = [
            (m.start(), self.by_mention[m.group(1)])
            for m in self.pattern.finditer(sentence)
            if not ATTRIBUTIVE.match(sentence, m.end())
        ]
        found += [
            (m.start(), self.upper[word]) for m in re.finditer(r"\b[A-Z0-9&]{3,}(?: [A-Z0-9&]+)*\b", sentence)
            if (word := m.group(0)) in self.upper and word not in self.by_mention
        ]  # fmt: skip
        return sorted(found, key=lambda pair: pair[0])


def extract_facts(text: str, suppliers: Iterable[KnownSupplier]) -> list[Fact]:
    """Every fact the text states about a known supplier, each with its sentence."""
    mentions = Mentions(suppliers)
    facts: list[Fact] = []
    previous: list[tuple[int, KnownSupplier]] = []
    for sentence in sentences(text):
        named = mentions.find(sentence)
        if not named and previous and BACK_REFERENCE.search(sentence):
            named = [(0, previous[-1][1])]
        facts += list(facts_in(sentence, named))
        previous = named or previous
    return facts


def facts_in(sentence: str, named: list[tuple[int, KnownSupplier]]) -> Iterator[Fact]:
    from watchdog.normalise.dates import parse_date
    from watchdog.normalise.money import find_amounts

    if not named:
        return
    found: dict[tuple[str, str], Fact] = {}
    spans = []
    for rule in TRIGGERS:
        for match in rule.pattern.finditer(sentence):
            if any(start <= match.start() < end for start, end, _ in spans):
                continue
            spans.append((match.start(), match.end(), rule))
    spans.sort(key=lambda span: span[0])
    if not spans:
        return
    if any(rule.kind == "dpa_penalty" for _, _, rule in spans):
        # Under a deferred prosecution agreement, "penalty" is the DPA's financial penalty.
        spans = [(s, e, DPA if rule.kind == "fine" else rule) for s, e, rule in spans]
    when = WHEN.search(sentence)
    date = parse_date(when.group("date")) if when else None
    for start, end, rule in spans:
        clause = clause_around(sentence, start, end)
        if HEDGED.search(clause):
            continue
        supplier = nearest_supplier(sentence, named, start, end)
        if supplier is None:
            continue
        found.setdefault((rule.category, rule.kind), Fact(rule.category, rule.kind, supplier.name, sentence, date=date))
    amounts = find_amounts(sentence)
    for amount in amounts:
        owner = nearest_trigger(spans, amount.start, amount.end, found)
        if owner is None:
            continue
        category, kind = owner
        if category == ENFORCEMENT_CATEGORY and COSTS.search(sentence[max(0, amount.start - 12) : amount.end + 12]):
            costs = found.setdefault((category, "costs"), Fact(category, "costs", found[owner].supplier, sentence,
                                                                date=found[owner].date))  # fmt: skip
            costs.amounts.append(amount)
            continue
        found[owner].amounts.append(amount)
    for fact in found.values():
        if fact.category == INCIDENT_CATEGORY:
            fact.figures = [
                Figure(int(m["value"].replace(",", "")), m.group(0).strip(), m["unit"])
                for m in FIGURE.finditer(sentence)
            ]
    yield from (fact for fact in found.values() if fact.category != ENFORCEMENT_CATEGORY or fact.amounts)


def clause_around(sentence: str, start: int, end: int) -> str:
    """The part of the sentence a trigger belongs to: from the last comma or semicolon before it to the next."""
    left = max(sentence.rfind(mark, 0, start) for mark in (",", ";", " but ", " while ", " after ", " weeks before "))
    rights = [i for i in (sentence.find(mark, end) for mark in (",", ";", " but ", " while ")) if i != -1]
    return sentence[left + 1 if left >= 0 else 0 : min(rights) if rights else len(sentence)]


def nearest_supplier(sentence: str, named, start: int, end: int) -> KnownSupplier | None:
    """The supplier mentioned nearest the trigger, unless another party stands between them, or is the
    subject of the trigger while the supplier comes after it ("the council was fined after a Serco...")."""
    best = min(named, key=lambda pair: min(abs(pair[0] - start), abs(pair[0] - end)))
    position = best[0]
    if position < start:
        return None if OTHER_PARTY.search(sentence[position:start]) else best[1]
    subject = clause_around(sentence, start, end)[: max(0, start - clause_start(sentence, start))]
    if OTHER_PARTY.search(sentence[end:position]) or (position >= end and PASSIVE.search(subject)):
        return None
    return best[1]


def clause_start(sentence: str, start: int) -> int:
    return sentence.find(clause_around(sentence, start, start))


def nearest_trigger(spans, amount_start: int, amount_end: int, found: dict) -> tuple[str, str] | None:
    candidates = [
        (min(abs(amount_start - end), abs(start - amount_end)), (rule.category, rule.kind))
        for start, end, rule in spans
        if (rule.category, rule.kind) in found and rule.category != INCIDENT_CATEGORY
    ]
    return min(candidates)[1] if candidates else None
