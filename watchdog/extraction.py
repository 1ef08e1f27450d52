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
from decimal import Decimal

from watchdog.items import Figure
from watchdog.normalise.dates import ReportedDate, parse_date
from watchdog.normalise.money import Amount, find_amounts
from watchdog.normalise.names import main_name, short_name

CONTRACT = "contract"
ENFORCEMENT_CATEGORY = "enforcement"
INCIDENT_CATEGORY = "incident"


@dataclass(frozen=True)
class KnownSupplier:
    """A supplier the extractor can recognise: the name to record, and the names that mention it."""

    name: str
    mentions: tuple[str, ...]


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
# "a Serco subsidiary" names another company: not the actor.
ATTRIBUTIVE = re.compile(r"\s+(?:subsidiary|subsidiaries|rivals?|competitors?)\b", re.IGNORECASE)
# "The council was fined": another party is the subject of the trigger.
PASSIVE = re.compile(
    r"\b(?:council|trust|authority|department|ministry|government|hospital|police|home office|nhs)\b[^,;]{0,30}"
    r"\b(?:was|were|has been|had been)\s*$",
    re.IGNORECASE,
)
# "the fine imposed on a rival": the penalty fell on someone else.
IMPOSED_ON_OTHER = re.compile(r"^[^;,]{0,20}\b(?:imposed on|levied on|handed to) (?:a|an|the|another)\b", re.IGNORECASE)
# What was hoped, feared or denied is not a fact.
HEDGED = re.compile(
    r"(?-i:\b(?:may|will)\b)|"  # lower case only: "May 2020" is a month
    r"\b(?:could|can|might|would|shall|should|faces?|facing|risks?|threat(?:ened|ens)?|proposed|plans?|expects?|"
    r"considering|consider|expected to|bid(?:ding)? for|shortlisted|in the running|in talks|hopes?|wants?|"
    r"if|unless|whether|denied|denies|not (?:a |been |being )?(?:fined|a fine|penalised)|no (?:fine|penalty)|"
    r"was not|were not|has not|have not|never|not aware|no evidence)\b",
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
        r"\b(?:won|wins|awarded|secured|landed|handed|given|signed|granted|extended)\b[^;]{0,80}?"
        r"\b(?:contracts?|deal|framework|work)\b|\b(?:contract|deal)\b[^;]{0,40}?\b(?:awarded|handed|given)\b",
    ),
    trigger(
        INCIDENT_CATEGORY,
        "data_breach",
        r"\bdata breach\b|\bbreach of (?:personal )?data\b|\bleaked\b|\binstead of BCC\b"
        r"|\bexposed\b[^;]{0,60}\b(?:e-?mail addresses|personal data|details|records)\b"
        r"|\b(?:details|data|files|records|addresses)\b[^;]{0,60}\bexposed\b|\bshared the e-?mail addresses\b"
        r"|\bcyber[- ]?attack\b|\bhack(?:ed|ers)\b|\bphishing\b|\bstole\b[^;]{0,30}\bdata\b",
    ),
    trigger(
        INCIDENT_CATEGORY,
        "death_or_injury",
        r"\bdied\b|\bdeaths?\b|\bkilled\b|\binjur(?:ed|ies|y)\b|\bburn(?:s|ed|t)\b|\bfell\b|\bhurt\b",
    ),
    trigger(
        INCIDENT_CATEGORY,
        "inspection_failure",
        r"\brated\b[^;]{0,80}\binadequate\b|\binadequate by\b|\bfailed (?:an|its) inspection\b"
        r"|\binspectors found\b|\brequires? improvement\b",
    ),
    trigger(
        INCIDENT_CATEGORY,
        "service_failure",
        r"\bmissed\b[^;]{0,40}\b(?:appointments|screenings|visits|calls|deadlines|targets?)\b"
        r"|\bservice failures?\b|\bfailed to (?:deliver|supply|meet|provide)\b|\bbacklog\b|\bdelays\b"
        r"|\bunacceptable level\b",
    ),
    trigger(
        INCIDENT_CATEGORY, "other", r"\briots?\b|\bescaped\b|\bescapes?\b|\b(?:altered|falsified)\b[^;]{0,40}\bdata\b"
    ),
    trigger(
        ENFORCEMENT_CATEGORY,
        "other",
        r"\b(?:improvement|prohibition|warning|enforcement) notice\b|\bcensured?\b|\breprimand(?:ed)?\b",
    ),
)
DPA = next(rule for rule in TRIGGERS if rule.kind == "dpa_penalty")
# "no fine had been imposed": whatever else the sentence says, there was no fine.
NO_FINE = re.compile(r"\bno (?:fine|penalty)\b|\bnot (?:a |been |being )?(?:fined|a fine|penalised)\b", re.IGNORECASE)
# Repaying bonds or a loan is a company's finance, not money handed back to a buyer.
DEBT = re.compile(
    r"\b(?:bonds?|debts?|loans?|borrowings?|notes|credit facility|dividends?|shareholders)\b", re.IGNORECASE
)
# An event needs no sum for these kinds; other enforcement facts stand on their sum.
KINDS_WITHOUT_SUM = {"other"}
COSTS = re.compile(r"\bcosts\b", re.IGNORECASE)
COSTS_BEFORE = re.compile(r"\bcosts (?:of|totalling)\s*$", re.IGNORECASE)
# An executive's "compensation" is pay, not money paid to people a supplier wronged.
PAY_PACKAGE = re.compile(
    r"\b(?:chief executive|director|boss|remuneration|salary|bonus|pay package|total compensation)\b", re.IGNORECASE
)
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


@dataclass(frozen=True)
class Mention:
    """A known supplier named in a sentence, and how: after a preposition ("from Serco"), or as the
    owner of a person ("a Serco guard"), which decides which facts it can be the actor of."""

    position: int
    supplier: KnownSupplier
    preposition: str | None = None
    of_person: bool = False

    def can_act_in(self, rule: Trigger) -> bool:
        if rule.category == INCIDENT_CATEGORY:
            return True  # "a riot at a G4S-run prison", "restrained by G4S guards": still its incident
        if self.of_person:
            return False  # "a former Serco employee was fined": a person, not the company
        # Money is withheld or deducted "from" the supplier; otherwise a preposition names someone else.
        return self.preposition is None or (self.preposition == "from" and rule.kind == "service_credit")


PERSON = re.compile(
    r"(?:['’]s)?\s+(?:former\s+)?(?:employees?|workers?|staff member|guards?|officers?|managers?|directors?|"
    r"chief executive|boss|spokes(?:man|woman|person))\b",
    re.IGNORECASE,
)
PREPOSITION_BEFORE = re.compile(
    r"\b(?P<word>of|from|than|against|beating|unlike|not|over|rivals?|competitor|contractor)\s+"
    r"(?:its\s+|the\s+|a\s+|an\s+)?(?:[a-z]+\s+){0,2}$",
)


class Mentions:
    """Finds the known suppliers a sentence names."""

    def __init__(self, suppliers: Iterable[KnownSupplier]) -> None:
        self.by_mention: dict[str, KnownSupplier] = {}
        for supplier in suppliers:
            for mention in (supplier.name, main_name(supplier.name), short_name(supplier.name), *supplier.mentions):
                self.by_mention.setdefault(mention, supplier)
        alternatives = sorted(self.by_mention, key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, alternatives)) + r")(?:['’]s)?(?!\w)")
        self.upper = {mention.upper(): supplier for mention, supplier in self.by_mention.items()}

    def find(self, sentence: str) -> list[Mention]:
        """The suppliers a sentence names, except as another company's parent ("a Serco subsidiary")."""
        matches = [(m, self.by_mention[m.group(1)]) for m in self.pattern.finditer(sentence)]
        matches += [
            (m, self.upper[m.group(0)]) for m in re.finditer(r"\b[A-Z0-9&]{3,}(?: [A-Z0-9&]+)*\b", sentence)
            if m.group(0) in self.upper and m.group(0) not in self.by_mention
        ]  # fmt: skip
        found = []
        for match, supplier in sorted(matches, key=lambda pair: pair[0].start()):
            if ATTRIBUTIVE.match(sentence, match.end()):
                continue
            preposition = PREPOSITION_BEFORE.search(sentence[: match.start()])
            found.append(Mention(match.start(), supplier, preposition and preposition["word"].lower(),
                                 bool(PERSON.match(sentence, match.end()))))  # fmt: skip
        return found


def extract_facts(text: str, suppliers: Mentions | Iterable[KnownSupplier]) -> list[Fact]:
    """Every fact the text states about a known supplier, each with its sentence. Give a Mentions built once
    when reading many texts: it compiles the names of every known supplier."""
    mentions = suppliers if isinstance(suppliers, Mentions) else Mentions(suppliers)
    facts: list[Fact] = []
    previous: list[Mention] = []
    for sentence in sentences(text):
        named = mentions.find(sentence)
        if BACK_REFERENCE.search(sentence) and previous:
            referred = next((m for m in reversed(previous) if m.preposition is None and not m.of_person), None)
            if referred and not any(m.supplier == referred.supplier for m in named):
                named = [Mention(BACK_REFERENCE.search(sentence).start(), referred.supplier), *named]
                named.sort(key=lambda mention: mention.position)
        facts += list(facts_in(sentence, named))
        previous = named or previous
    return facts


def triggers_in(sentence: str) -> list[tuple[int, int, Trigger]]:
    spans: list[tuple[int, int, Trigger]] = []
    for rule in TRIGGERS:
        for match in rule.pattern.finditer(sentence):
            if not any(start <= match.start() < end for start, end, _ in spans):
                spans.append((match.start(), match.end(), rule))
    spans.sort(key=lambda span: span[0])
    if any(rule.kind == "dpa_penalty" for _, _, rule in spans):
        # Under a deferred prosecution agreement, "penalty" is the DPA's financial penalty.
        spans = [(s, e, DPA if rule.kind == "fine" else rule) for s, e, rule in spans]
    if NO_FINE.search(sentence):
        spans = [span for span in spans if span[2].kind != "fine"]
    return spans


def stands(sentence: str, start: int, end: int, rule: Trigger) -> bool:
    """Whether the trigger states a thing that happened (not a hope, a threat, a denial, a company's debt)."""
    clause = clause_around(sentence, start, end)
    if HEDGED.search(NO_FINE.sub("", clause)):
        return False
    if rule.kind == "repayment" and DEBT.search(clause):
        return False
    if rule.kind == "compensation" and PAY_PACKAGE.search(clause):
        return False
    return not IMPOSED_ON_OTHER.search(sentence[end : end + 40])


def facts_in(sentence: str, named: list[Mention]) -> Iterator[Fact]:
    if not named:
        return
    spans = triggers_in(sentence)
    when = WHEN.search(sentence)
    date = parse_date(when.group("date")) if when else None
    found: dict[tuple[str, str, str], Fact] = {}
    owners: dict[int, tuple[str, str, str]] = {}
    for start, end, rule in spans:
        if not stands(sentence, start, end, rule):
            continue
        actor = nearest_actor(sentence, [m for m in named if m.can_act_in(rule)], start, end)
        if actor is None:
            continue
        key = (rule.category, rule.kind, actor.name)
        found.setdefault(key, Fact(rule.category, rule.kind, actor.name, sentence, date=date))
        owners[start] = key
    for amount in find_amounts(sentence):
        key = owner_of(sentence, spans, owners, amount)
        if key is None:
            continue
        category, kind, supplier = key
        other = elliptical_supplier(sentence, named, amount, supplier)
        if other is not None:
            key = (category, kind, other.name)
        elif category == ENFORCEMENT_CATEGORY and COSTS.search(sentence[amount.end : amount.end + 45].split("£")[0]):
            key = (category, "costs", supplier)
        elif category == ENFORCEMENT_CATEGORY and COSTS_BEFORE.search(
            sentence[max(0, amount.start - 12) : amount.start]
        ):
            key = (category, "costs", supplier)
        fact = found.setdefault(key, Fact(key[0], key[1], key[2], sentence, date=date))
        fact.amounts.append(amount)
    for fact in found.values():
        if fact.category == INCIDENT_CATEGORY:
            fact.figures = [
                Figure(m["unit"], m.group(0).strip(), Decimal(m["value"].replace(",", "")), m["qualifier"])
                for m in FIGURE.finditer(sentence)
            ]
    yield from (
        fact
        for fact in found.values()
        if fact.category != ENFORCEMENT_CATEGORY or fact.amounts or fact.kind in KINDS_WITHOUT_SUM
    )


def clause_around(sentence: str, start: int, end: int) -> str:
    """The part of the sentence a trigger belongs to: from the last comma or semicolon before it to the next."""
    left = max(sentence.rfind(mark, 0, start) for mark in (",", ";", " but ", " while ", " after ", " weeks before "))
    rights = [i for i in (sentence.find(mark, end) for mark in (",", ";", " but ", " while ")) if i != -1]
    return sentence[left + 1 if left >= 0 else 0 : min(rights) if rights else len(sentence)]


def nearest_actor(sentence: str, named: list[Mention], start: int, end: int) -> KnownSupplier | None:
    """The supplier a trigger is about: the nearest named before it (its subject), else the nearest after, unless
    another party stands between them or is the subject ("the council was fined after a Serco...")."""
    before = [m for m in named if m.position < start]
    if before:
        mention = before[-1]
        return None if OTHER_PARTY.search(sentence[mention.position : start]) else mention.supplier
    after = [m for m in named if m.position >= start]
    if not after:
        return None
    mention = after[0]
    clause = clause_around(sentence, start, end)
    subject = clause[: max(0, start - sentence.find(clause))]
    if OTHER_PARTY.search(sentence[end : mention.position]) or (mention.position >= end and PASSIVE.search(subject)):
        return None
    return mention.supplier


def owner_of(sentence: str, spans, owners: dict, amount) -> tuple[str, str, str] | None:
    """The fact an amount belongs to: the nearest money-bearing trigger, preferring one in the same clause."""
    candidates = [(start, end) for start, end, rule in spans if start in owners and rule.category != INCIDENT_CATEGORY]
    if not candidates:
        return None
    clause = clause_around(sentence, amount.start, amount.end)
    clause_start = sentence.find(clause)
    same = [c for c in candidates if clause_start <= c[0] < clause_start + len(clause)] or candidates
    start, _ = min(same, key=lambda c: min(abs(amount.start - c[1]), abs(c[0] - amount.end)))
    return owners[start]


def elliptical_supplier(sentence: str, named: list[Mention], amount, owner: str) -> KnownSupplier | None:
    """ "Serco agreed to repay £68.5m and G4S £108.9m": the second supplier named just before its own sum."""
    for mention in named:
        gap = sentence[mention.position : amount.start]
        if mention.supplier.name != owner and 0 < len(gap) <= 30 and re.match(r"^[\w&'’ -]+\s*$", gap):
            if re.search(r"(?:\band|,)\s*$", sentence[: mention.position]):
                return mention.supplier
    return None
