"""The rules that read facts from one parsed sentence, each a small named pattern over lemmas and dependency
relations (spaCy's English labels: nsubj, nsubjpass, dobj, dative, pobj, agent, xcomp...).

A rule finds a trigger (a verb or a noun by its lemma), checks its frame (what it governs), and names the
actor: the grammatical subject, the passive's subject, the object of "to" or "from", a possessor, as the
frame says. The sentence's sums are then given to the facts whose words they hang from. A fact whose own verb
is hedged, negated or conditional is not stated, so it is dropped. Rules are tested one by one in
tests/test_extraction_rules.py, each with sentences it must read and sentences it must not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from watchdog.items import Figure
from watchdog.normalise.money import MULTIPLIERS, Amount, find_amounts

CONTRACT = "contract"
ENFORCEMENT = "enforcement"
INCIDENT = "incident"

# spaCy's small model reads "fined" as a form of "fin": the words that matter are mended here.
LEMMA_FIXES = {
    "fined": "fine",
    "fining": "fine",
    "fines": "fine",
    "rated": "rate",
    "rating": "rate",
    "reappointed": "reappoint",
    "re-appointed": "reappoint",
    "re-appoint": "reappoint",
    "re-awarded": "award",
    "re-award": "award",
    "re-let": "let",
    "re-signed": "sign",
}
KEPT_WHOLE = [word for word in LEMMA_FIXES if "-" in word]  # the tokenizer would split "re-appointed" in three

CONTRACT_NOUNS = {
    "contract", "deal", "framework", "agreement", "franchise", "concession", "work", "job", "order", "extension",
    "lot", "place", "tender", "subcontract", "partnership", "mandate", "scheme",
}  # fmt: skip
AWARD_VERBS = {"award", "grant", "hand", "give", "let", "allocate", "commission", "offer"}
APPOINT_VERBS = {"appoint", "reappoint", "re-appoint", "choose", "select", "pick", "contract", "engage", "hire",
                 "commission", "retain", "name", "confirm"}  # fmt: skip
WIN_VERBS = {"win", "secure", "land", "clinch", "scoop", "bag", "net", "seal", "obtain", "sign", "agree", "ink",
             "gain", "pick", "snap", "collect", "take", "keep", "retain", "get"}  # fmt: skip
NEEDS_CONTRACT_OBJECT = {"sign", "agree", "ink", "gain", "pick", "snap", "collect", "take", "obtain", "offer",
                         "let", "allocate", "give", "grant", "keep", "retain", "get"}  # fmt: skip
RENEW_VERBS = {"renew", "extend"}
NOT_CONTRACT_MODIFIERS = {"prosecution", "settlement", "plea", "confidentiality", "non-disclosure", "pay", "wage",
                          "loan", "credit", "peace", "trade", "licence", "license", "lease", "funding",
                          "financing", "refinancing", "takeover", "merger", "acquisition", "sale"}  # fmt: skip
NOT_YET_CHOSEN = {"bidder", "contender", "favourite", "candidate", "frontrunner", "shortlist", "shortlisted"}
ROLE_NOUNS = {"supplier", "provider", "contractor", "partner", "operator", "manager", "delivery"}
DUTY_VERBS = {"run", "provide", "deliver", "operate", "manage", "supply", "build", "maintain", "design", "carry",
              "develop", "oversee", "support", "handle", "transport", "house", "staff", "clean", "install",
              "undertake", "perform", "replace", "upgrade", "construct", "repair"}  # fmt: skip

PAY_VERBS = {"pay", "receive", "incur", "get", "accept", "suffer", "take", "owe", "shell", "cough", "hand"}
IMPOSE_VERBS = {"impose", "issue", "levy", "serve", "slap", "hand", "give", "award", "order", "hit", "apply", "cost"}
CHALLENGE_VERBS = {"appeal", "challenge", "contest", "dispute"}  # "appealed against the fine": its fine still
HEDGE_NOUNS = {"talk", "plan", "bid", "proposal", "negotiation", "consultation", "hope", "option", "possibility",
               "prospect", "threat", "risk", "chance", "race", "competition", "shortlist", "contender", "claim",
               "allegation", "accusation", "suggestion", "suspicion", "rumour", "call", "demand", "review",
               "investigation", "inquiry", "probe", "decision",
               "favourite", "frontrunner", "bidder", "candidate"}  # fmt: skip
BUYERS = {"department", "ministry", "trust", "government", "nhs", "dwp", "moj", "mod", "army", "navy"}
PUBLIC_BODIES = BUYERS | {"state", "council", "office", "authority", "minister", "secretary", "moj"}
LOCAL_COUNCIL = {"city", "county", "district", "borough", "town", "parish", "metropolitan"}
CENSURING_VERBS = {"criticise", "criticize", "condemn", "slam", "lambast", "castigate", "blast", "censure"}
FINDING_VERBS = {"find", "judge", "deem", "condemn", "criticise", "criticize", "brand", "say", "warn", "report",
                 "conclude", "describe", "reveal", "uncover", "highlight", "set", "rate", "identify"}  # fmt: skip
INSPECTORS = {"inspector", "inspectorate", "ofsted", "cqc", "inspection", "report", "watchdog", "regulator",
              "auditor", "review", "monitor", "board"}  # fmt: skip
BAD_FINDINGS = {"crisis", "inadequate", "unsafe", "failing", "poor", "squalid", "appalling", "dangerous",
                "unacceptable", "violent", "filthy", "chaotic", "worst", "failure", "improvement", "decline",
                "deteriorate", "shortcoming", "concern", "breach", "disgraceful", "dire", "damning", "squalor",
                "cockroach", "rat", "vermin", "filth", "decay", "lack", "problem", "drift", "worse", "violence",
                "excessive", "meanness", "neglect", "unsanitary", "overcrowding"}  # fmt: skip
DEBT_NOUNS = {"bond", "debt", "loan", "borrowing", "note", "facility", "dividend", "shareholder", "overdraft",
              "mortgage", "bill", "invoice", "tax", "rent", "salary", "wage"}  # fmt: skip
PAY_PACKAGE = {"executive", "director", "boss", "remuneration", "salary", "bonus", "package", "ceo", "pension"}
DATA_NOUNS = {"data", "datum", "detail", "address", "record", "information", "file", "name", "number", "email",
              "e", "document", "identity", "photo", "photograph"}  # fmt: skip
EXPOSE_VERBS = {"expose", "leak", "share", "reveal", "disclose", "lose", "publish", "release", "misplace",
                "breach", "compromise", "steal", "access", "circulate", "copy", "reach", "obtain", "view",
                "download", "encrypt", "post", "send", "email", "e-mail", "mail", "forward", "affect",
                "impact"}  # fmt: skip
LOSS_NOUNS = {"exposure", "theft", "loss", "disclosure", "leak", "leaking"}  # "widespread exposure of data"
BREACH_NOUNS = {"breach", "leak", "hack", "cyberattack", "cyber-attack", "ransomware", "attack", "incident", "phishing"}
DATA_MODIFIERS = {"data", "datum", "security", "privacy", "gdpr", "cyber", "information", "email", "e", "mail",
                  "personal", "protection"}  # fmt: skip
HARM_VERBS = {"die", "kill", "injure", "hurt", "burn", "scald", "crush", "drown", "maim", "electrocute", "wound"}
HARM_NOUNS = {"death", "injury", "fatality", "fatal", "suicide", "burn", "amputation", "fracture"}
PERSON_NOUNS = {"man", "woman", "worker", "employee", "prisoner", "detainee", "patient", "child", "resident",
                "person", "people", "officer", "guard", "inmate", "boy", "girl", "pupil", "passenger", "member",
                "cleaner", "driver", "labourer", "operative", "contractor", "engineer", "teenager", "father",
                "mother", "asylum", "seeker", "migrant", "tenant", "staff", "colleague"}  # fmt: skip
TARGET_NOUNS = {"target", "deadline", "appointment", "visit", "call", "screening", "slot", "standard", "milestone",
                "kpi", "measure", "requirement", "assessment", "date", "obligation", "benchmark",
                "indicator"}  # fmt: skip
DELIVER_VERBS = {"deliver", "meet", "provide", "supply", "hit", "achieve", "perform", "complete", "comply",
                 "process", "answer", "staff", "fill", "recruit", "carry", "hand", "maintain", "pay", "respond",
                 "fulfil", "fulfill", "fit", "replace", "repair", "fix", "collect", "clean", "finish", "install",
                 "clear", "treat", "house", "empty", "upgrade", "build", "open", "launch", "run", "send", "grit",
                 "heat", "feed", "attend", "visit", "supervise"}  # fmt: skip
# Not "monitor", "ensure", "assess": the stock findings of a regulator about a firm's own conduct.
FAILURE_NOUNS = {"backlog", "delay", "shortfall", "breakdown", "chaos", "shortage", "outage"}
FAILINGS = {"failure", "failing", "lapse", "shortcoming", "deficiency"}  # an incident only as "quality failures"
# Not "serious failings": a regulator's stock finding of misconduct, the reason for a penalty.
FAILING_KINDS = {"quality", "service", "significant", "systemic", "repeated", "widespread", "catastrophic", "basic",
                 "operational", "performance", "safety", "care"}  # fmt: skip
BODY_PARTS = {"head", "leg", "arm", "hand", "foot", "feet", "back", "neck", "chest", "body", "finger", "eye", "toe",
              "face", "spine", "skull", "shoulder", "knee", "hip"}  # fmt: skip
# What hits a person in an accident at work ("hit by a reversing lorry", "struck by a falling pallet").
STRIKING_THINGS = {"lorry", "truck", "vehicle", "van", "wagon", "cart", "car", "bus", "train", "forklift", "crane",
                   "digger", "excavator", "machine", "machinery", "load", "beam", "pipe", "block", "object", "debris",
                   "tree", "bale", "pallet", "skip", "tractor", "dumper", "loader", "bucket", "gate", "door", "slab",
                   "sheet", "panel", "girder", "plant", "roller", "mower", "vessel"}  # fmt: skip
STRIKE_VERBS = {"fall", "strike", "hit", "land", "crush", "trap", "pin", "topple", "collapse", "drop", "swing"}
BAD_TONE = {"damning", "scathing", "critical", "highly", "excoriating", "withering"}  # "a damning inspection found"
NOTHING_DONE = {"dead", "nothing", "not", "never", "no", "fictitious", "phantom", "nonexistent", "non-existent",
                "jail", "prison"}  # fmt: skip
VAGUE_DUTIES = {"run", "provide", "deliver", "perform", "carry", "operate", "manage", "maintain", "meet", "comply"}
FALLING_VERBS = {"fall", "slip", "drop", "decline", "deteriorate", "worsen", "collapse", "plummet", "sink"}
STANDARD_NOUNS = {"standard", "performance", "quality", "service"}  # "standards at Atos had fallen unacceptably"
REASON_PREPOSITIONS = {"for", "over", "after", "following", "because", "despite"}
INADEQUATE = {"inadequate", "poor", "unacceptable", "unsafe", "dangerous", "failing", "squalid", "appalling"}
OTHER_INCIDENT_NOUNS = {"riot", "escape", "disturbance", "unrest", "absconder", "abuse", "mistreatment"}
FALSIFY_VERBS = {"falsify", "fabricate", "fiddle", "manipulate", "doctor", "forge", "alter", "rig", "inflate"}
NOTICE_KINDS = {"improvement", "prohibition", "enforcement", "warning", "remedial", "rectification", "default",
                "breach", "crown", "stop"}  # fmt: skip

HEDGE_GOVERNORS = {
    "face", "risk", "expect", "plan", "propose", "threaten", "consider", "seek", "bid", "hope", "want", "aim",
    "intend", "prepare", "likely", "poise", "tip", "allege", "deny", "investigate", "examine", "probe", "mull",
    "weigh", "eye", "chase", "pursue", "vie", "compete", "shortlist", "urge", "call", "demand", "ask",
    "fear", "warn", "suggest", "predict", "question", "dispute", "reject", "refuse", "appeal",
    "try", "attempt", "await", "set", "due", "pencil", "tout", "favour", "prefer", "recommend", "argue", "claim",
    "deserve", "avoid", "escape", "dodge", "reconsider", "review",
}  # fmt: skip
# A penalty or contract a supplier only faces, risks, escapes or is promised: "faces a record £15m fine".
FACING_VERBS = {"face", "risk", "avoid", "escape", "dodge", "threaten", "deny", "expect", "propose", "consider",
                "seek", "want", "fear", "predict", "await", "deserve", "bid", "chase", "pursue", "eye", "vie", "plan",
                "recommend", "mull", "weigh"}  # fmt: skip
HEDGE_ADJECTIVES = {"possible", "potential", "proposed", "provisional", "likely", "threatened", "expected",
                    "prospective", "mooted", "planned", "draft", "maximum", "future", "hypothetical"}  # fmt: skip
HEDGE_ADVERBS = {"allegedly", "supposedly", "potentially", "possibly", "purportedly", "reportedly"}
SETTLING_VERBS = {"pay", "repay", "refund", "reimburse"}
HEDGE_MODALS = {"could", "may", "might", "would", "should", "can", "will", "shall", "'ll", "wo", "ca"}
REDUCING_VERBS = {"cut", "reduce", "lower", "slash", "trim", "decrease", "drop", "discount"}
VICTIMS = {"investor", "customer", "victim", "claimant", "family", "worker", "employee", "resident", "tenant",
           "patient", "pupil", "parent", "consumer", "policyholder", "member", "client", "saver", "pensioner",
           "detainee", "prisoner"}  # fmt: skip
ENFORCERS = {
    "court",
    "judge",
    "magistrate",
    "convict",
    "guilty",
    "regulator",
    "watchdog",
    "ico",
    "hse",
    "frc",
    "fca",
    "ofgem",
    "ofwat",
    "ofcom",
    "agency",
    "tribunal",
    "prosecute",
    "sentence",
    "admit",
    "plead",
}
WON_AFTER = {"go", "become", "manage", "beat", "fight", "overcome", "edge", "outbid", "succeed"}
COMPANY_NOUNS = {"company", "firm", "business", "division", "arm", "subsidiary", "unit", "group", "contractor",
                 "outsourcer", "supplier", "provider", "operator"}  # fmt: skip
GROUPINGS = {"consortium", "venture", "partnership", "team", "alliance"}
RIVALS = {"rival", "competitor", "challenger", "peer"}
DIRECTIVE_VERBS = {"call", "urge", "demand", "ask", "want", "tell", "press", "lobby"}
CONDITIONAL_MARKS = {"if", "unless", "whether", "lest"}
COMPARATIVE_TAGS = {"JJR", "RBR"}
NOT_A_VALUE = {"bid", "offer", "turnover", "revenue", "profit", "loss", "share", "salary", "bonus", "budget",
               "price", "saving", "pension", "debt", "cost-cutting", "valuation", "income", "sale", "dividend",
               "capitalisation", "capitalization", "earnings", "funding", "investment", "overspend"}  # fmt: skip
CEILINGS = {"framework", "dps"}  # a framework's value is a ceiling shared by all its suppliers
TOGETHER = {"combined", "total", "all", "together", "between", "collectively", "joint", "jointly"}
FIGURE_UNITS = {"people", "person", "patient", "tracer", "staff", "worker", "employee", "prisoner", "detainee",
                "child", "resident", "record", "address", "customer", "applicant", "claimant", "user", "pupil",
                "student", "member", "passenger", "file", "account", "appointment", "screening", "case", "victim",
                "individual", "officer", "migrant", "seeker", "family", "household", "tenant", "inmate", "client",
                "adult", "woman", "man", "citizen", "clinician", "nurse", "doctor", "contractor", "volunteer",
                "visit", "call", "letter", "email", "detail", "death", "injury", "complaint", "home", "property",
                "vehicle", "bus", "train", "flight", "journey", "shift", "bed", "claim", "assessment",
                "operation", "procedure", "test", "result"}  # fmt: skip
FIGURE_QUALIFIERS = {"almost", "nearly", "around", "about", "over", "more", "some", "up", "at", "least", "roughly",
                     "approximately", "just", "fewer", "less", "under"}  # fmt: skip


@dataclass
class Found:
    """A fact a rule read in one sentence."""

    category: str
    kind: str
    supplier: Any  # a KnownSupplier
    rule: str
    anchors: list = field(default_factory=list)  # the tokens whose words a sum may hang from
    amounts: list[Amount] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    shared: bool = False  # named with other suppliers: a sum "in all" is not this one's
    pooled: bool = False  # won as "one of six companies": no sum is this one's


def is_headline(doc) -> bool:
    """A headline has no full stop: "Serco awarded asylum contracts", "Serco fined £10,000 over neglect"."""
    return not doc.text.rstrip().endswith((".", "!", "?", '"', "”"))


def lemma(token) -> str:
    return LEMMA_FIXES.get(token.lower_, token.lemma_.lower())


def is_contract(token) -> bool:
    """A contract, deal or framework for work, not a deferred prosecution agreement or a loan deal."""
    return lemma(token) in CONTRACT_NOUNS and not any(
        lemma(child) in NOT_CONTRACT_MODIFIERS for child in kids(token, "compound", "amod", "nmod")
    )


def conjuncts(token) -> list:
    return [token, *token.conjuncts]


def kids(token, *deps: str) -> list:
    return [child for child in token.children if child.dep_ in deps]


def is_passive(verb) -> bool:
    return any(child.dep_ in ("nsubjpass", "auxpass", "csubjpass") for child in verb.children) or (
        verb.tag_ == "VBN" and verb.dep_ in ("acl", "amod") and not kids(verb, "nsubj")
    )


def subjects(verb, depth: int = 0) -> list:
    """The subjects of a verb, or of the verb it shares them with ("agreed to repay", "was fined and ordered")."""
    found = [s for child in kids(verb, "nsubj", "nsubjpass") for s in conjuncts(child)]
    if found or depth > 3:
        return found
    auxiliaries = [a for a in kids(verb, "aux", "auxpass") if a.lower_ != "to"]
    before = verb.doc[auxiliaries[0].i - 1] if auxiliaries and auxiliaries[0].i > 0 else None
    if before is not None and before.pos_ == "PROPN" and before.dep_ == "pobj" and before.head.head == verb:
        return [before]  # "On Monday KPMG was fined": the parser hung the name on "On", leaving no subject
    if verb.dep_ == "xcomp" and kids(verb.head, "dobj"):
        return [o for obj in kids(verb.head, "dobj") for o in conjuncts(obj)]  # "ordered Capita to pay"
    if verb.dep_ in ("xcomp", "conj") and verb.head.pos_ in ("VERB", "AUX"):
        return subjects(verb.head, depth + 1)
    if verb.dep_ in ("advcl", "pcomp") and not kids(verb, "mark"):
        head = verb.head if verb.dep_ == "advcl" else verb.head.head
        return subjects(head, depth + 1) if head.pos_ in ("VERB", "AUX") else []
    if verb.dep_ in ("acl", "relcl") and verb.head.pos_ in ("NOUN", "PROPN", "PRON"):
        return [verb.head]
    return []


def objects_of(verb, *preps: str) -> list:
    """The objects of the verb's prepositions ("to Serco", "from Serco"), with their conjuncts."""
    found = []
    for child in verb.children:
        if child.dep_ in ("prep", "dative", "agent") and child.lower_ in preps:
            found += [o for pobj in kids(child, "pobj") for o in conjuncts(pobj)]
    return found


MONEY_VERBS = {"fine", "pay", "repay", "award", "hand", "cost", "win", "secure", "refund", "withhold", "deduct"}
UNSIGNED = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s?(?P<multiplier>m|bn|million|billion)$", re.IGNORECASE)


def unsigned_sums(doc) -> list[Amount]:
    """A sum said without a currency sign as the object of a money verb, as people say it aloud: "the ICO
    fined Interserve 4.4m". Pounds are inferred (currency_inferred)."""
    found = []
    for token in doc:
        if token.dep_ not in ("dobj", "npadvmod", "attr") or lemma(token.head) not in MONEY_VERBS:
            continue
        start = token.i
        while start > 0 and doc[start - 1].like_num:  # "another 20 million"
            start -= 1
        phrase = doc[start : token.i + 1]
        match = UNSIGNED.match(phrase.text)
        if match and not any(t.text in ("£", "$", "€") for t in doc[max(0, start - 1) : token.i + 1]):
            value = Decimal(match["number"]) * MULTIPLIERS[match["multiplier"].lower()]
            found.append(Amount(value, "GBP", phrase.text, phrase.start_char, phrase.end_char, currency_inferred=True))
    return found


class Sentence:
    """A parsed sentence with the suppliers it names, by token."""

    def __init__(self, doc, named: list) -> None:
        self.doc = doc
        self.asked = asked(doc)
        written = find_amounts(doc.text)
        spoken = [a for a in unsigned_sums(doc) if not any(w.start < a.end and a.start < w.end for w in written)]
        self.amounts = sorted(written + spoken, key=lambda amount: amount.start)
        self.money: dict[int, Amount] = {}
        for amount in self.amounts:
            span = doc.char_span(amount.start, amount.end, alignment_mode="expand")
            for token in span if span is not None else ():
                self.money[token.i] = amount
        self.owner: dict[int, Any] = {}
        self.referred: set[int] = set()
        for mention in named:
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is not None and denied(span.root):
                continue
            for token in span if span is not None else ():
                self.owner.setdefault(token.i, mention.supplier)
                if mention.referred:
                    self.referred.add(token.i)

    def supplier(self, token):
        """The supplier a noun phrase is: a mention, or a noun with a mention in apposition."""
        if token.i in self.owner:
            return self.owner[token.i]
        relative = token.lower_ in ("which", "who", "that") and token.dep_ in ("nsubj", "nsubjpass")
        if relative and token.head.dep_ == "relcl":
            return self.supplier(token.head.head)  # "Serco, which was awarded the contract"
        for child in kids(token, "appos"):
            if child.i in self.owner:
                return self.owner[child.i]
        if token.dep_ == "appos" and token.head.i in self.owner and lemma(token) in COMPANY_NOUNS:
            return self.owner[token.head.i]  # "Capita, the company that won the contract"
        if lemma(token) in COMPANY_NOUNS | GROUPINGS and self.part_of(token) is not None:
            return self.part_of(token)
        if lemma(token) == "one" and token.dep_ == "attr":  # "Capita is one of six companies that have won"
            return next((self.supplier(s) for s in kids(token.head, "nsubj") if self.supplier(s)), None)
        after = token.i + 1
        named_next = after in self.owner and self.doc[after].pos_ == "PROPN"
        if token.pos_ == "NOUN" and token.dep_ != "compound" and named_next:
            return self.owner[after]  # "the construction group Interserve", "contractor Amey", however parsed
        if token.pos_ == "PROPN":  # "Serco Geografix", "Balfour Beatty Civil Engineering Limited": of its group
            for child in token.lefts:
                if child.dep_ in ("compound", "nmod") and child.pos_ == "PROPN":
                    found = self.supplier(child)
                    if found is not None:
                        return found
        return None

    def part_of(self, token):
        """The supplier whose business, division or consortium this is: "Mitie's Care & Custody business", "a
        consortium led by Palantir"."""
        owners = [c for c in token.children if c.dep_ in ("poss",) and c.i in self.owner]
        if lemma(token) in GROUPINGS:
            owners += [o for clause in kids(token, "acl") if lemma(clause) in ("lead", "head", "front")
                       for o in objects_of(clause, "by") if o.i in self.owner]  # fmt: skip
        if token.head.lower_ == "of" and lemma(token.head.head) == "one" and token.head.head.dep_ == "attr":
            owners += [s for s in kids(token.head.head.head, "nsubj") if s.i in self.owner]
        return self.owner[owners[0].i] if len({self.owner[o.i] for o in owners}) == 1 else None

    def owner_of(self, token):
        """The supplier a noun phrase belongs to: itself, or its possessor or modifier ("a Serco guard",
        "G4S-run prison", "staff of Mitie"); a rival of a supplier is not it."""
        if lemma(token) in RIVALS:
            return None
        found = self.supplier(token)
        if found is not None:
            return found
        for child in token.subtree:
            if child.i in self.owner and child.dep_ in ("poss", "compound", "nmod", "npadvmod", "amod", "pobj"):
                if child.head == token or child.head.head == token:
                    return self.owner[child.i]
        for clause in kids(token, "acl", "relcl"):  # "HMP Oakwood, which is run by G4S"
            if lemma(clause) in ("run", "operate", "manage", "own", "staff", "provide", "hold", "keep", "store"):
                runners = self.suppliers(objects_of(clause, "by") + kids(clause, "nsubj"))
                if runners:
                    return runners[0]
        return None

    def context_suppliers(self, token) -> list:
        """For an incident whose own words name no supplier ("after the addresses were exposed", "after a
        worker suffered burns"): the supplier its clause hangs from ("Serco apologised after ..."), or the
        one supplier named within it ("restrained by three G4S guards")."""
        inside = [t for t in token.subtree if t.dep_ in ("poss", "compound", "nsubj", "nsubjpass")
                  or t.dep_ == "pobj" and t.head.lower_ in ("by", "at", "in", "inside")]  # fmt: skip
        inside = self.suppliers(inside, owned=True)
        if len(set(inside)) == 1:
            return inside[:1]
        current = token
        for _ in range(8):
            if current.head == current:
                break
            current = current.head
            if current.pos_ in ("VERB", "AUX"):
                found = self.suppliers(subjects(current) + kids(current, "nsubjpass", "dobj", "dative"), owned=True)
                found = found or self.suppliers(objects_of(current, "at", "in", "on", "inside"), owned=True)
                if found:
                    return found[:1] if len(found) == 1 else []
        return []

    def suppliers(self, tokens: list, owned: bool = False) -> list:
        """The suppliers these noun phrases are (or belong to), with those listed beside them ("the companies
        Serco, G4S and Clearsprings")."""
        tokens = [t for token in tokens for t in [token, *(c for a in kids(token, "appos") for c in conjuncts(a))]]
        tokens += [c for t in tokens if t.i in self.money for c in kids(t, "compound", "nmod", "poss")]  # "PwC £5.1m"
        found = []
        for token in tokens:
            supplier = self.owner_of(token) if owned else self.supplier(token)
            if supplier is not None and supplier not in found:
                found.append(supplier)
        return found


def expanded(tokens: list) -> list:
    """The noun phrases, with those coordinated with them ("Deloitte and an audit partner")."""
    return list({t.i: t for token in tokens for t in conjuncts(token)}.values())


def denied(token) -> bool:
    """ "The trust, not its contractor Sodexo, was fined": a supplier named to say it is not the one."""
    if any(child.lower_ == "not" for child in token.children):
        return True
    return token.dep_ == "appos" and any(c.lower_ == "not" and c.i < token.i for c in token.head.children)


def governing_verbs(token) -> Iterator[tuple[Any, str]]:
    """The verbs whose words decide whether the trigger is stated, each with the relation climbed to reach it:
    its own verb and those it completes ("agreed to repay", "said it had been fined") up to the clause's root;
    not through a relative or adverbial clause."""
    current = token
    if current.pos_ not in ("VERB", "AUX"):
        while current.dep_ != "ROOT" and current.pos_ not in ("VERB", "AUX"):
            if current.dep_ in ("relcl", "acl"):
                break
            current = current.head
        if current.pos_ not in ("VERB", "AUX"):
            return
    via = "self"
    for _ in range(6):
        yield current, via
        purpose = current.dep_ == "advcl" and any(c.lower_ == "to" and c.dep_ == "aux" for c in current.children)
        if current.dep_ not in ("xcomp", "ccomp", "conj", "pcomp") and not purpose or current.head == current:
            return
        if current.dep_ == "conj" and kids(current, "nsubj", "nsubjpass") and current.head.dep_ != "ccomp":
            return  # "The HSE investigated, and the firm was fined": a clause of its own (not "it is claimed
            # the firm erred and people lost out", both under "claimed")
        if current.dep_ == "conj" and any(a.lower_ in ("has", "have", "had") for a in kids(current, "aux")):
            return  # "will get no compensation and has made a settlement": its own tense, its own statement
        via, current = "xcomp" if purpose else current.dep_, current.head
        if current.pos_ not in ("VERB", "AUX", "ADJ"):
            return


def stated(token, allow_inability: bool = False, allow_will: bool = False) -> bool:
    """Whether the trigger states something that happened: no modal, negation, condition or hedging verb governs
    it. With allow_inability, "could not provide" is a failure that happened, not a hedge; with allow_will, "will
    provide" is the work of a deal already made."""
    if token.pos_ in ("NOUN", "PROPN") and any(c.lower_ in ("no", "any") and c.dep_ == "det" for c in token.children):
        return False
    if lemma(token) not in HARM_NOUNS and any(lemma(a) in HEDGE_NOUNS and a.pos_ == "NOUN" for a in token.ancestors):
        return False  # "an investigation into a possible fine"; but "an investigation into the death" tells a death
    if any(lemma(a) in ("close", "near") and a.pos_ == "ADJ" for a in token.ancestors):
        return False  # "close to a deal under which it will pay a fine"
    if token.pos_ in ("NOUN", "PROPN") and any(lemma(c) in HEDGE_ADJECTIVES for c in kids(token, "amod")):
        return False  # "possible fines of up to £45m", "a proposed £2m penalty"
    if token.pos_ in ("NOUN", "PROPN", "ADJ") and token.dep_ in ("dobj", "pobj"):
        verb = next((a for a in token.ancestors if a.pos_ in ("VERB", "AUX")), token.head)
        if lemma(verb) in FACING_VERBS:
            return False  # "faces a record fine", "escaped with a warning"
    if token.dep_ == "pobj" and token.head.lower_ == "of" and token.head.head.tag_ == "NNS":
        if lemma(token.head.head) in ("report", "rumour", "suggestion", "claim"):
            return False  # "investigating reports of a data breach": not yet confirmed
    imposed = [c for c in kids(token, "acl") if lemma(c) in IMPOSE_VERBS and c.tag_ == "VBN"]
    if imposed:  # "appeal against the £750,000 fine imposed by the ICO": the fine's own verb says it happened
        return stated(imposed[0])
    for verb, via in governing_verbs(token):
        negated = any(child.dep_ == "neg" or child.lower_ in ("never", "not", "n't") for child in verb.children)
        modals = [child for child in verb.children if child.lower_ in HEDGE_MODALS]  # "must pay" was ordered
        free_relative = lemma(verb) == "be" and any(s.lower_ == "what" for s in kids(verb, "nsubj"))
        inability = allow_inability and negated and all(m.lower_ in ("could", "can", "ca") for m in modals)
        settled = lemma(verb) in SETTLING_VERBS or allow_will and via == "self"
        if modals and all(m.lower_ in ("will", "'ll") for m in modals) and settled:
            modals = []  # "Deloitte will also pay £300,000 towards the costs": an order, told as what follows
        if modals and not free_relative and not inability:
            return False
        if negated and not inability:
            return False
        if any(child.dep_ == "mark" and child.lower_ in CONDITIONAL_MARKS for child in verb.children):
            return False
        if any(child.lower_ in HEDGE_ADVERBS for child in verb.children):
            return False  # "which has allegedly been fined £48.5m"
        if via in ("xcomp", "ccomp", "pcomp") and lemma(verb) in HEDGE_GOVERNORS:
            return False
        if via == "conj" and lemma(verb) in DIRECTIVE_VERBS:
            return False  # "MPs called on ministers to fine Atos and strip it of the contract"
        if via == "xcomp" and lemma(verb) == "be":
            return False  # "is to be hit with a fine": not yet
    return True


# A rule: (name, category, kind, finder); the finder yields (supplier tokens, anchors, owned) for one token.
Rule = tuple[str, str, str, Callable]
RULES: list[Rule] = []


def rule(name: str, category: str, kind: str):
    def register(finder: Callable) -> Callable:
        RULES.append((name, category, kind, finder))
        return finder

    return register


def contract_object(verb) -> Any:
    """The contract a verb is about: its object, or a contract noun within its object's phrase ("a £37m claims
    handling contract", "a total of 10 contracts")."""
    objects = kids(verb, "dobj", "nsubjpass", "attr", "oprd")
    for child in objects:
        if is_contract(child):
            return child
    for child in objects:
        for token in child.subtree:
            if is_contract(token) and within_phrase(token, child):
                return token
    return None


def within_phrase(token, ancestor) -> bool:
    """Whether the token is part of the ancestor's own noun phrase, two steps down at most, not in a
    prepositional phrase hung on it ("a gold medal for its apprenticeship scheme") other than "of"."""
    steps = 0
    while token != ancestor:
        if steps == 2 or token.dep_ == "pobj" and token.head.lower_ != "of" or token.dep_ == "prep":
            if not (token.dep_ == "prep" and token.lower_ == "of"):
                return False
        token, steps = token.head, steps + 1
    return steps <= 3


def money_object(verb, sentence: Sentence) -> Any:
    return next((child for child in kids(verb, "dobj", "npadvmod") if child.i in sentence.money), None)


FINE_NOUNS = {"fine", "penalty", "sanction"}
PENALTY_NOUNS = {"fine", "penalty", "sanction", "notice", "cost", "credit", "deduction", "compensation", "damages"}


def hands_out_a_penalty(verb) -> bool:
    """ "has been handed a £4.4m fine": a penalty, not an award; "gave up a contract": the opposite of one."""
    if lemma(verb) in ("give", "hand") and any(c.lower_ in ("up", "back") for c in kids(verb, "prt", "advmod")):
        return True
    return any(lemma(child) in PENALTY_NOUNS for child in verb.children if child.dep_ in ("dobj", "oprd", "attr"))


@rule("award.passive_recipient", CONTRACT, "award")
def award_passive_recipient(token, sentence):
    """ "Serco was awarded a £108m contract", "They've been given a contract", "Serco has been handed another
    £12m"."""
    if lemma(token) not in AWARD_VERBS or not is_passive(token) or hands_out_a_penalty(token):
        return
    contract = contract_object(token)
    amount = money_object(token, sentence)
    if contract is None and (amount is None or lemma(token) in ("give", "offer", "let")):
        return
    recipients = [s for s in kids(token, "nsubjpass") for s in conjuncts(s) if not is_contract(s)]
    yield recipients, [token, *(x for x in (contract, amount) if x is not None)], False


@rule("award.contract_to", CONTRACT, "award")
def award_contract_to(token, sentence):
    """ "The contract was awarded to Serco", "contracts have been awarded to Acme, Brill and Corvin", "the deal
    went to Serco", "the council awarded the contract to Mitie"."""
    if lemma(token) not in AWARD_VERBS | {"go", "pass", "transfer", "outsource"}:
        return  # "This £91m contract was outsourced by the government to Sopra Steria"
    holders = kids(token, "nsubjpass", "dobj", "nsubj") or (subjects(token) if token.dep_ == "conj" else [])
    if token.dep_ == "acl":
        holders.append(token.head)  # "the £50m contract awarded to Serco"
    contract = next((c for c in holders if is_contract(c) or lemma(c) in ("money", "work")), None)
    if contract is None and lemma(token) in AWARD_VERBS:  # "the last PIP and WCA assessment contract", read as PIP's
        contract = next((a for h in holders for a in kids(h, "appos") if is_contract(a)), None)
    if contract is None:
        return
    by_to = [o for agent in objects_of(token, "by") for o in objects_of(agent, "to")]  # "by the council to Capita"
    yield objects_of(token, "to") + by_to, [token, contract], False


@rule("award.active_recipient", CONTRACT, "award")
def award_active_recipient(token, sentence):
    """ "The Department of Health awarded Serco a £108m contract", "handed Capita a deal"."""
    if lemma(token) not in AWARD_VERBS or is_passive(token):
        return
    contract = next((c for c in kids(token, "dobj") if is_contract(c)), None)
    if contract is None:
        contract = next((t for d in kids(token, "dobj") for t in d.subtree if t.dep_ == "appos" and is_contract(t)),
                        None)  # fmt: skip
    if contract is None:  # "awarded Costain a £210m design and build contract", parsed as a design
        contract = next((t for d in kids(token, "dobj") for t in d.subtree if is_contract(t) and within_phrase(t, d)),
                        None)  # fmt: skip
    if contract is None:
        return
    recipients = [r for r in kids(token, "dative", "dobj") if r.i != contract.i and r.dep_ != "prep"]
    if not sentence.suppliers(recipients):
        recipients = recipients_in(contract, token, sentence) or recipients
    headline = (token.tag_ == "VBN" or is_headline(sentence.doc) and token.tag_ == "VBD") and not kids(
        token, "aux", "auxpass"
    )
    if not sentence.suppliers(recipients) and not objects_of(token, "to") and headline:
        recipients = kids(token, "nsubj")  # a headline: "Serco awarded asylum contracts"
    yield [r for recipient in recipients for r in conjuncts(recipient)], [token, contract], False


def recipients_in(contract, verb, sentence: Sentence) -> list:
    """ "gave Serco, Clearsprings and Mears new contracts", parsed as the contract's modifiers: the suppliers
    before the contract when the verb names no recipient with "to"."""
    if objects_of(verb, "to") or kids(contract, "det"):
        return []
    phrase = [contract, *(d for d in kids(verb, "dobj") if d.is_ancestor(contract))]
    modifiers = [m for t in phrase for m in kids(t, "nmod")]
    modifiers += [m for c in modifiers for m in kids(c, "nmod")]  # "Serco, Clearsprings and Mears" in a chain
    return [m for c in modifiers if c.i < contract.i and sentence.supplier(c) is not None for m in conjuncts(c)]


@rule("award.appointed", CONTRACT, "award")
def award_appointed(token, sentence):
    """ "Capita was appointed to run the scheme", "the council selected Kier as its contractor", "Serco has been
    re-appointed for a further five years"; never "appointed a chief executive"."""
    if lemma(token) not in APPOINT_VERBS:
        return
    duty = any(  # "chose Kier to run the depots", "to take over its contract"; not "even though Arriva operates"
        (lemma(x) in DUTY_VERBS or lemma(x) == "take" and taking_over(x)) and not kids(x, "nsubj", "mark")
        for x in kids(token, "xcomp", "advcl")
    )
    role = any(
        lemma(p) in ROLE_NOUNS | CONTRACT_NOUNS
        for prep in token.children if prep.dep_ == "prep" and prep.lower_ in ("as", "for", "on", "under", "to")
        for p in kids(prep, "pobj")
    )  # fmt: skip
    contract = contract_object(token)
    if not (duty or role or contract is not None):
        return
    if any(lemma(t) in NOT_YET_CHOSEN for t in token.subtree):
        return  # "named preferred bidder": not an award yet
    people = kids(token, "nsubjpass") if is_passive(token) else kids(token, "dobj")
    yield [p for person in people for p in conjuncts(person)], [token, *([contract] if contract else [])], False


@rule("award.won", CONTRACT, "award")
def award_won(token, sentence):
    """ "Serco won the deal", "Mitie has secured a £50m contract", "rival Acme landed the work", "a deal
    agreed with ..."."""
    if lemma(token) not in WIN_VERBS or token.pos_ not in ("VERB", "AUX") or hands_out_a_penalty(token):
        return
    if any(a.lower_ == "to" for a in kids(token, "aux")) and lemma(token.head) not in WON_AFTER:
        return  # "favourite to win", "set to win", "bidding to win": not won yet
    contract = contract_object(token)
    if contract is None and token.dep_ == "relcl" and is_contract(token.head):
        contract = token.head  # "a £330m contract it won in 2023"
    if contract is None and lemma(token) == "win":  # "won a £180m bid to run both centres", "won the tender"
        contract = next((c for c in kids(token, "dobj") if lemma(c) in ("bid", "tender", "competition")), None)
    amount = money_object(token, sentence)
    if contract is None and (amount is None or lemma(token) in NEEDS_CONTRACT_OBJECT):
        return
    if lemma(token) == "take" and not any(p.lower_ == "on" for p in kids(token, "prt")) and not took_over(token):
        return
    if lemma(token) == "pick" and not any(p.lower_ == "up" for p in kids(token, "prt")):
        return
    winners = [s for s in subjects(token) if s is not contract]
    if is_passive(token):
        winners = objects_of(token, "by", "with")
    yield winners, [token, *(x for x in (contract, amount) if x is not None)], False


def took_over(token) -> bool:
    """ "Maximus took over the £595m contract from Atos": a contract taken over, told as done and as the news; not
    "will take over", "takes over in September", a company taken over or "G4S, which took over the contract"."""
    told = token.tag_ in ("VBD", "VBN") and token.dep_ not in ("relcl", "acl", "advcl")
    return told and taking_over(token) and not is_passive(token)


def taking_over(token) -> bool:
    """ "take over the contract": a contract, not a company or a place."""
    return any(p.lower_ == "over" for p in kids(token, "prt")) and contract_object(token) is not None


@rule("award.agreed_with", CONTRACT, "award")
def agreed_with(token, sentence):
    """ "A £40m deal agreed with Serco", "NHS England has signed a contract with a Palantir-led consortium", "the
    Army entered into a partnership with Capita"."""
    if lemma(token) not in ("agree", "sign", "strike", "ink", "seal", "enter"):
        return
    contract = contract_object(token) or (token.head if token.dep_ == "acl" and is_contract(token.head) else None)
    if contract is None and lemma(token) == "enter":
        contract = next((c for c in objects_of(token, "into") if is_contract(c)), None)
    if contract is None and any(is_contract(s) for s in kids(token, "nsubj", "nsubjpass")):
        contract = next(s for s in kids(token, "nsubj", "nsubjpass") if is_contract(s))
    if contract is None:
        return
    partners = objects_of(token, "with") + [p for prep in kids(contract, "prep") if prep.lower_ == "with"
                                            for p in kids(prep, "pobj")]  # fmt: skip
    partners += [
        p
        for prep in kids(contract, "prep")
        if prep.lower_ == "for"
        for w in prep.subtree
        if w.dep_ == "prep" and w.lower_ == "with"
        for p in kids(w, "pobj")
    ]  # "for services with Capita"
    if token.dep_ == "acl" and token.tag_ == "VBN":
        partners += objects_of(token, "by")  # "a five-year contract signed by Compass in 2004"
        if contract.dep_ == "pobj" and contract.head.lower_ == "under" and contract.head.head.pos_ == "VERB":
            partners += subjects(contract.head.head)  # "Under a £175m agreement signed in 2010, Steria moved..."
    if any(sentence.supplier(s) is not None for s in subjects(token)):
        if lemma(token) == "enter":  # "Serco entered into a contract with the council"
            yield subjects(token), [token, contract], True
        return  # the supplier signing with someone else is award.won's
    yield partners, [token, contract], True


@rule("award.renewed", CONTRACT, "award")
def award_renewed(token, sentence):
    """ "The council renewed Serco's contract", "Mitie's deal was extended for two years"; not "renewed
    criticism"."""
    if lemma(token) not in RENEW_VERBS:
        return
    contract = contract_object(token)
    if contract is None:
        return
    holders = (
        kids(contract, "poss")
        + [c for c in kids(contract, "compound", "nmod") if c.i in sentence.owner]  # "the ATOS contract"
        + objects_of(token, "with")
        + [p for prep in kids(contract, "prep") if prep.lower_ in ("with", "to") for p in kids(prep, "pobj")]
    )
    yield holders, [token, contract], False


@rule("award.lost_to", CONTRACT, "award")
def lost_to(token, sentence):
    """ "Engie, which also bid for the contract, lost out to Mitie", "Serco lost the contract to Sodexo": the bidder
    it lost to won."""
    if lemma(token) != "lose":
        return
    if not any(p.lower_ == "out" for p in kids(token, "prt", "advmod")):
        contract = contract_object(token)
        if contract is not None and objects_of(token, "to"):
            yield objects_of(token, "to"), [token, contract], False
        return
    if not any(is_contract(t) or lemma(t) in ("bid", "tender") for t in sentence.doc):
        return
    winners = objects_of(token, "to")
    yield winners, [token], False


@rule("award.under_new_deal", CONTRACT, "award")
def under_new_deal(token, sentence):
    """ "Under the new deal, Sodexo will provide meals to 50 schools": a new contract told through its work."""
    if lemma(token) not in DUTY_VERBS | {"receive", "get", "earn"}:
        return
    deals = [d for d in objects_of(token, "under") if is_contract(d) and any(c.lower_ == "new" for c in d.children)]
    if deals:
        yield subjects(token), [token, deals[0]], False


@rule("award.venture_won", CONTRACT, "award")
def venture_won(token, sentence):
    """ "Costain is part of a joint venture that won the £1.3bn contract": each member's award, shared."""
    if lemma(token) not in GROUPINGS or lemma(token.head) != "of" and token.dep_ != "pobj":
        return
    part = token.head.head
    if lemma(part) not in ("part", "member", "one") or part.dep_ not in ("attr", "appos"):
        return
    won = [c for c in kids(token, "relcl") if lemma(c) in WIN_VERBS | AWARD_VERBS and contract_object(c) is not None]
    if won:
        members = kids(part.head, "nsubj") if part.dep_ == "attr" else [part.head]
        yield members, [won[0], contract_object(won[0])], False


@rule("fine.verb", ENFORCEMENT, "fine")
def fine_verb(token, sentence):
    """ "Serco was fined £1m", "the regulator fined G4S £500,000", "Mitie was penalised"."""
    if lemma(token) not in ("fine", "penalise", "penalize") or token.pos_ not in ("VERB", "AUX"):
        return
    passive = is_passive(token) or joined_to_passive(token)
    actors = kids(token, "nsubjpass") if passive else kids(token, "dobj", "dative")
    if not actors and passive:
        actors = subjects(token)
    headline = token.tag_ in ("VBN", "VBD") and not kids(token, "aux", "auxpass") and token.dep_ == "ROOT"
    headline = headline and is_headline(sentence.doc)
    if headline and all(a.i in sentence.money or a.like_num for a in actors):
        actors = kids(token, "nsubj")  # a headline: "Serco fined £10,000 over neglect at asylum house"
    if any(a.lower_ in ("who", "whom") for a in actors):
        return  # "a retired partner at the firm, who was separately fined £150,000": a person's fine
    if only_reported(token):
        return
    named_after = [sentence.doc[a.i + 1] for a in actors if a.i + 1 < len(sentence.doc)]
    actors += [t for t in named_after if t.i in sentence.owner]  # "fined the construction group Interserve"
    yield [a for actor in actors for a in conjuncts(actor)], [token], False


REPORTS = {"report", "rumour", "rumor", "suggestion", "claim", "allegation", "speculation"}


def only_reported(verb) -> bool:
    """ "G4S denied reports that it had been fined": what reports say, not what happened."""
    current = verb
    for _ in range(4):
        if current.dep_ not in ("acl", "relcl", "ccomp", "conj", "xcomp") or current.head == current:
            return False
        current = current.head
        if current.pos_ == "NOUN" and lemma(current) in REPORTS:
            return True
    return False


def joined_to_passive(verb) -> bool:
    """ "Deloitte was rapped and fined £500,000": a participle joined to a passive verb shares its passive."""
    return (
        verb.dep_ == "conj"
        and verb.tag_ == "VBN"
        and not kids(verb, "nsubj", "aux")
        and verb.head.pos_ in ("VERB", "AUX")
        and is_passive(verb.head)
    )


def noun_frame_actors(noun, sentence: Sentence) -> list:
    """Who a noun's fact is about: its possessor ("Serco's fine"), "on/against/for Serco", or the verb's
    frame: who pays, receives or suffers it ("Serco paid a fine"), who it is imposed on or handed to ("a fine
    was imposed on Serco", "the HSE handed Serco a fine", "Serco was hit with a fine")."""
    found = kids(noun, "poss") + [c for c in kids(noun, "compound") if c.i in sentence.owner]
    found += [p for prep in kids(noun, "prep") if prep.lower_ in ("on", "against", "for", "to")
              for p in kids(prep, "pobj")]  # fmt: skip
    found += [o for acl in kids(noun, "acl") if lemma(acl) in IMPOSE_VERBS
              for o in objects_of(acl, "to", "on", "against")]  # fmt: skip
    if sentence.suppliers(found):  # "for its part in the collapse" names no one: read the verb's frame instead
        return found
    if noun.dep_ == "pobj" and noun.head.lower_ == "of" and noun.head.head.i in sentence.money:
        noun = noun.head.head  # "£750,000 of service credits": the sum's place in the sentence is the noun's
    head = noun.head
    if noun.dep_ == "conj":
        return noun_frame_actors(noun.head, sentence)
    if noun.dep_ in ("dobj", "attr", "oprd", "npadvmod") and head.pos_ in ("VERB", "AUX"):
        verb_lemma = lemma(head)
        if verb_lemma in IMPOSE_VERBS and not is_passive(head):
            return kids(head, "dative") + objects_of(head, "on", "against", "to", "upon")
        if verb_lemma in IMPOSE_VERBS and is_passive(head):
            return kids(head, "nsubjpass") + objects_of(head, "on", "against", "to")
        return subjects(head)
    if noun.dep_ == "nsubjpass" and head.pos_ in ("VERB", "AUX"):
        return objects_of(head, "on", "against", "to", "upon", "from")
    if noun.dep_ == "pobj" and head.lower_ in ("with", "of") and head.head.pos_ in ("VERB", "AUX"):
        verb = head.head
        if head.lower_ == "of" and lemma(verb) not in ("strip", "relieve", "accuse", "warn"):
            return []
        if is_passive(verb):
            return kids(verb, "nsubjpass")
        if lemma(verb) in IMPOSE_VERBS:
            return kids(verb, "dobj", "dative")  # "served Mitie with an improvement notice"
        return subjects(verb)
    if noun.dep_ == "pobj" and head.lower_ == "against" and lemma(head.head) in CHALLENGE_VERBS:
        return subjects(head.head)
    if noun.dep_ == "pobj" and head.lower_ == "as" and any(c.lower_ == "well" for c in head.children):
        clause = head.head  # "As well as the £130,000 fine, the firm was ordered to pay £220,000 in costs"
        if clause.pos_ in ("VERB", "AUX") and not found:  # not "the fine on its subcontractor"
            return kids(clause, "nsubjpass") if is_passive(clause) else subjects(clause)
    if noun.dep_ == "pobj" and head.lower_ == "of" and head.head.lower_ in ("top", "addition"):
        clause = head.head.head.head if head.head.head.pos_ == "ADP" else head.head.head  # "On top of the fine,"
        if clause.pos_ in ("VERB", "AUX"):
            return kids(clause, "nsubjpass") if is_passive(clause) else subjects(clause)
    if noun.dep_ == "pobj" and head.lower_ in ("in", "as", "towards"):
        payer = paying_verb(head)  # "paid £51m in redress", however the parse hangs "in redress"
        return subjects(payer) if payer is not None else []
    return []


def paying_verb(preposition):
    """The verb of paying a prepositional phrase belongs to: its head, or its head's head ("paid the FCA £51m in
    redress", where the parse hangs "in redress" on "the FCA")."""
    for candidate in list(preposition.ancestors)[:3]:
        if candidate.pos_ in ("VERB", "AUX") and lemma(candidate) in PAY_VERBS:
            return candidate
    return None


@rule("fine.noun", ENFORCEMENT, "fine")
def fine_noun(token, sentence):
    """ "Serco paid a £1m fine", "a fine of £1m was imposed on Serco", "Serco was hit with a £1m penalty"; a
    penalty under the contract is a deduction (service_credit)."""
    misread = token.lower_ in ("fine", "fines") and token.i > 0 and token.i - 1 in sentence.money  # "a £4.4m fine"
    if not (token.pos_ in ("NOUN", "PROPN") or misread) or lemma(token) not in FINE_NOUNS:
        return
    if re.search(r"\bnon\s*-\s*financial\b", token.doc[token.left_edge.i : token.i].text, re.IGNORECASE):
        return  # "non-financial sanctions: a severe reprimand and a declaration", no fine
    if told_before(token) and not any(t.i in sentence.money for t in token.subtree):
        if lemma(token.head) not in REDUCING_VERBS:
            return  # "as well as the fine on KPMG": told already; "the fine on KPMG was cut to £3m" tells it
    frame = token.head if misread and token.dep_ == "amod" and token.head.i in sentence.money else token
    if token.dep_ in ("nmod", "compound") and lemma(token.head) in PENALTY_NOUNS:
        frame = token.head  # "a £19.2m penalty and £3.7m costs", parsed as the costs' modifier
    yield noun_frame_actors(frame, sentence), [token, frame], False  # "A £14m fine has been handed to": the sum's


@rule("costs.noun", ENFORCEMENT, "costs")
def costs_noun(token, sentence):
    """ "ordered to pay costs of £2,100", "£3.7m costs" beside a penalty."""
    if lemma(token) != "cost" or token.tag_ != "NNS":
        return
    if token.dep_ == "dobj" and lemma(token.head) == "pay" or token.dep_ in ("conj", "npadvmod", "appos"):
        yield noun_frame_actors(token, sentence), [token], False
    elif token.dep_ == "pobj" and token.head.lower_ == "of" and lemma(token.head.head) == "all":
        verb = token.head.head.head  # "will also pay all of executive counsel's costs"
        if lemma(verb) == "pay" and token.head.head.dep_ == "dobj":
            yield subjects(verb), [token, verb], False
    elif token.dep_ == "pobj" and (
        token.head.lower_ in ("in", "towards", "toward", "for")
        or token.head.lower_ == "of"
        and token.head.head.i in sentence.money  # "ordered to pay £500,000 of costs"
    ):
        verb = token.head.head  # "paid £45,000 in costs", "paid a further £5.9m towards the agency's costs"
        if verb.i in sentence.money and verb.dep_ == "conj" and verb.head.dep_ == "dobj":
            verb = verb.head.head  # "agreed to pay a £19.2m penalty and £3.7m of the agency's costs"
        if verb.i in sentence.money and verb.dep_ == "dobj":
            verb = verb.head  # "ordered to pay £240,000 in costs", the parse hanging "in costs" on the sum
        if lemma(verb) in ("pay", "order", "contribute"):
            yield subjects(verb), [token, verb], False
    elif token.dep_ == "dobj" and lemma(token.head) in ("cover", "meet") and lemma(token.head.head) == "pay":
        verb = token.head.head  # "ordered the auditors to pay £120,000 to cover the costs of the investigation"
        yield subjects(verb), [token, verb], False


PROCEEDINGS = {"investigation", "proceeding", "prosecution", "case", "tribunal", "hearing", "inquiry", "counsel"}


def costs_of_proceedings(token) -> bool:
    """ "the costs of the investigation", "executive counsel's costs": the costs of the case against the firm, a
    fact even when no sum is given (not a business's own costs)."""
    if lemma(token) != "cost" or token.tag_ != "NNS":
        return False
    return any(lemma(t) in PROCEEDINGS for o in objects_of(token, "of") + kids(token, "poss") for t in o.subtree)


@rule("service_credit.withheld", ENFORCEMENT, "service_credit")
def withheld(token, sentence):
    """ "The Home Office withheld £1m from Serco", "Serco was docked £500,000", "deducted from Mitie's
    payments"."""
    if lemma(token) not in ("withhold", "deduct", "dock", "claw", "recoup", "recover", "hold"):
        return
    if lemma(token) == "claw" and not any(p.lower_ == "back" for p in kids(token, "prt", "advmod")):
        return
    if lemma(token) == "hold" and not any(p.lower_ == "back" for p in kids(token, "prt", "advmod")):
        return
    actors = objects_of(token, "from") + [o for p in objects_of(token, "in") for o in objects_of(p, "from")]
    held = kids(token, "dobj") + objects_of(token, "of")  # "withheld £46,319 of payments from Capita"
    actors += [o for p in held + [p for d in held for p in objects_of(d, "of")] for o in objects_of(p, "from")]
    actors += [o for pobj in actors for o in kids(pobj, "poss")]  # "withheld £2.4m in payments from Amey"
    if not actors:
        actors = kids(token, "nsubjpass") if is_passive(token) else kids(token, "dative", "dobj")
    if only_reported(token) or any(
        c.lower_ == "no" for o in kids(token, "nsubjpass", "dobj") for c in o.children
    ):  # "No payments have been withheld from Kier"
        return
    yield actors, [token], True


@rule("service_credit.noun", ENFORCEMENT, "service_credit")
def service_credit_noun(token, sentence):
    """ "Serco incurred £1m in service credits", "deductions of £2m from Serco's fees"."""
    is_credit = lemma(token) == "credit" and any(lemma(c) == "service" for c in kids(token, "compound", "amod"))
    if not is_credit and lemma(token) not in ("deduction",):
        return
    actors = noun_frame_actors(token, sentence) + [
        p for prep in kids(token, "prep") if prep.lower_ in ("from",) for p in kids(prep, "pobj")
    ]
    yield actors, [token], True


PLEDGES = {"offer", "promise", "pledge", "vow", "volunteer"}


@rule("repayment.repaid", ENFORCEMENT, "repayment")
def repaid(token, sentence):
    """ "Serco agreed to repay £68.5m", "G4S paid back £109m", "the firm refunded £2m"; not bonds or loans."""
    back = lemma(token) in ("pay", "hand", "give") and any(
        p.lower_ == "back" for p in kids(token, "prt", "advmod", "prep")
    )
    if lemma(token) not in ("repay", "refund", "reimburse") and not back or contract_object(token) is not None:
        return  # not "Balfour was handed a £217m deal back in 2019"
    if token.dep_ == "xcomp" and lemma(token.head) in PLEDGES:
        return  # "Having offered to repay £24m", "promised to hand back profits": not paid yet
    if any(lemma(o) in DEBT_NOUNS and not (o.dep_ == "conj" and o.head.i in sentence.money) for o in token.subtree):
        return  # a bond or a loan repaid; but "£108.9m plus tax" is the sum's tax
    yield subjects(token), [token], False


@rule("repayment.noun", ENFORCEMENT, "repayment")
def repayment_noun(token, sentence):
    """ "Serco made a £70m repayment to the Ministry of Justice", "G4S's repayment of £109m"."""
    if lemma(token) not in ("repayment", "refund", "clawback") or token.pos_ != "NOUN":
        return
    if any(lemma(t) in DEBT_NOUNS for t in token.subtree) or told_before(token):
        return
    yield noun_frame_actors(token, sentence), [token], False


@rule("compensation.noun", ENFORCEMENT, "compensation")
def compensation_noun(token, sentence):
    """ "ordered to pay £10,000 compensation", "Serco agreed to pay damages"; not an executive's pay."""
    if lemma(token) not in ("compensation", "damages", "redress", "settlement"):
        return
    if lemma(token) == "settlement" and not paid_to_the_public(token):
        return  # a settlement is a fact here only as money paid back to a public body
    if any(lemma(t) in PAY_PACKAGE and t.pos_ == "NOUN" for t in token.sent):
        return
    yield noun_frame_actors(token, sentence), [token], False


@rule("compensation.paid_to", ENFORCEMENT, "compensation")
def paid_to_victims(token, sentence):
    """ "ordered Capita Financial Managers to pay up to £66m to investors", "paid £51m in redress"."""
    if lemma(token) not in ("pay", "hand", "refund") or money_object(token, sentence) is None:
        return
    if any(lemma(r) in VICTIMS | PERSON_NOUNS | {"guard"} for r in objects_of(token, "to")):
        yield subjects(token), [token], False


@rule("other.terminated", ENFORCEMENT, "other")
def terminated(token, sentence):
    """ "a contract Atos held was terminated early after concerns over quality", "the council scrapped Kier's
    contract over delays"; not a contract that simply ended."""
    if lemma(token) not in ("terminate", "scrap", "cancel", "axe", "end", "revoke"):
        return
    contract = contract_object(token)
    reason = any(p.lower_ in REASON_PREPOSITIONS | {"amid", "due"} for p in kids(token, "prep", "advcl", "mark"))
    if contract is None or not (reason or any(a.lower_ == "early" for a in kids(token, "advmod"))):
        return
    holders = kids(contract, "poss") + [c for c in kids(contract, "compound") if c.i in sentence.owner]
    holders += [s for clause in kids(contract, "relcl") for s in subjects(clause) if s.lower_ not in ("which", "that")]
    yield holders + objects_of(token, "with"), [token], False


@rule("other.stepped_in", ENFORCEMENT, "other")
def stepped_in(token, sentence):
    """ "HMP Birmingham is being taken over by the government from G4S", "took control of the prison from its
    contractor G4S"."""
    over = any(p.lower_ == "over" for p in kids(token, "prt", "advmod", "prep"))
    control = any(lemma(o) in ("control", "running", "charge", "management") for o in kids(token, "dobj"))
    takers = subjects(token) + objects_of(token, "by")
    public = any(lemma(t) in PUBLIC_BODIES for taker in takers for t in taker.subtree)
    if lemma(token) == "take" and (over or control) and public:  # not a rival taking over a contract
        held = objects_of(token, "from") + [o for obj in kids(token, "dobj") for o in objects_of(obj, "from")]
        yield held, [token], False


@rule("compensation.settled", ENFORCEMENT, "compensation")
def settled(token, sentence):
    """ "Serco settled a claim for £2m"; with a public body over the contract it is a repayment."""
    if lemma(token) != "settle" or not any(lemma(o) in ("claim", "case", "action", "lawsuit", "suit", "dispute")
                                           for o in kids(token, "dobj")):  # fmt: skip
        return
    if token.dep_ in ("advcl", "xcomp") and any(lemma(t) in PENALTY_NOUNS for t in token.head.subtree):
        return  # "agreed to pay a £2m penalty to settle the case": the penalty is how it was settled
    yield subjects(token), [token], False


@rule("fine.ordered_to_pay", ENFORCEMENT, "fine")
def ordered_to_pay(token, sentence):
    """ "Biffa must pay £1.5m after being convicted", "Interserve has been told to pay £4.4m by the data watchdog":
    a sum a court or regulator orders paid, named by no other word, is a fine."""
    if lemma(token) != "pay" or money_object(token, sentence) is None:
        return
    if any(lemma(t) in PENALTY_NOUNS | {"compensation", "damages", "redress", "back"} for t in token.subtree):
        return  # its own noun or "back" says what it is
    if objects_of(token, "to", "towards"):
        return
    ordered = token.dep_ == "xcomp" and lemma(token.head) in ("order", "tell", "force", "require", "direct")
    must = any(c.lower_ == "must" for c in token.children)
    if not (ordered or must) or not any(lemma(t) in ENFORCERS for t in sentence.doc):
        return
    yield subjects(token), [token], False


def deferred_prosecution(token, sentence):
    """ "Serco Geografix entered into a deferred prosecution agreement", "a DPA with G4S"."""
    text = token.lower_
    if not (text == "dpa" or (lemma(token) == "agreement" and "prosecution" in {c.lower_ for c in token.subtree})):
        return
    actors = noun_frame_actors(token, sentence) + objects_of(token, "with")
    if token.dep_ == "pobj" and token.head.head.pos_ in ("VERB", "AUX"):
        actors += subjects(token.head.head)
    penalties = [t for t in token.sent if lemma(t) in ("penalty", "fine")]
    yield actors, [token, *penalties], False


DUTIES_HELD = {"responsibility", "running", "management", "control", "licence", "license", "role"}


@rule("other.notice", ENFORCEMENT, "other")
def notice(token, sentence):
    """ "The HSE served an improvement notice on Kier", "Serco was censured", "Mitie received a warning
    notice", "stripped of the contract"."""
    is_notice = lemma(token) == "notice" and any(lemma(c) in NOTICE_KINDS for c in kids(token, "compound", "amod"))
    if is_notice or lemma(token) in ("censure", "reprimand", "rebuke", "dressing-down"):
        if token.pos_ in ("VERB",):
            yield (kids(token, "nsubjpass") if is_passive(token) else kids(token, "dobj")), [token], False
        else:
            yield noun_frame_actors(token, sentence), [token], False
    elif lemma(token) == "strip" and any(is_contract(p) or lemma(p) in DUTIES_HELD for p in objects_of(token, "of")):
        stripped = kids(token, "nsubjpass") if is_passive(token) else kids(token, "dobj")
        if not stripped and token.dep_ == "acl":
            stripped = [token.head]  # "Arriva, the operator stripped of the Mersey franchise"
        elif not stripped and token.tag_ == "VBN":
            stripped = kids(token, "nsubj")  # the same, read as a clause: "Arriva ... stripped of the franchise"
        yield stripped, [token], False


@rule("data_breach.exposed", INCIDENT, "data_breach")
def exposed(token, sentence):
    """ "Serco exposed the email addresses of 296 tracers", "details were leaked by Capita", "Capita lost
    the personal data of..."."""
    if lemma(token) not in EXPOSE_VERBS or token.pos_ not in ("VERB",):
        return
    data = kids(token, "nsubjpass") if is_passive(token) else kids(token, "dobj")
    if not any(lemma(d) in DATA_NOUNS or any(lemma(c) in DATA_NOUNS for c in d.children) for d in data):
        return
    if any(c.lower_ == "no" and c.dep_ == "det" for d in data for c in d.children):
        return  # "no personal data was affected"
    actors = objects_of(token, "by") if is_passive(token) else subjects(token)
    actors += [p for d in data for p in kids(d, "poss")] if is_passive(token) else []
    yield actors, [token], True


@rule("data_breach.noun", INCIDENT, "data_breach")
def breach_noun(token, sentence):
    """ "a data breach at Serco", "Capita suffered a cyber-attack", "the Serco data breach"."""
    lost = lemma(token) in LOSS_NOUNS and any(lemma(o) in DATA_NOUNS for o in objects_of(token, "of"))
    at_supplier = [p for prep in kids(token, "prep") if prep.lower_ in ("at", "by") for p in kids(prep, "pobj")]
    told = told_before(token) and not sentence.suppliers(at_supplier, owned=True)  # "the data breach at Interserve"
    if lemma(token) not in BREACH_NOUNS and not lost or told or token.dep_ == "compound":
        return  # "the breach" told already; "a data breach notification" is about a notice
    if any(c.lower_ == "no" and c.dep_ == "det" for d in kids(token, "nsubjpass", "dobj") for c in d.children):
        return  # "no personal data was leaked"
    modifiers = {lemma(c) for c in token.subtree if c.i < token.i or c.dep_ == "pobj"}
    if lemma(token) in ("breach", "incident", "attack") and not modifiers & DATA_MODIFIERS and not lost:
        return
    actors = noun_frame_actors(token, sentence) + [
        p for prep in kids(token, "prep") if prep.lower_ in ("at", "by", "of", "in") for p in kids(prep, "pobj")
    ]
    yield actors, [token], True


def told_before(noun) -> bool:
    """ "the breach", "the attack": something the text has told already, not a new fact."""
    return any(child.lower_ in ("the", "this", "that") and child.dep_ == "det" for child in noun.children)


def harm_actors(token, sentence: Sentence) -> list:
    """Whose incident a death or injury is: the supplier that caused it, employed or held the people, or ran
    the place ("a Serco worker was injured", "died at a G4S-run centre", "killed by a Kier lorry")."""
    people = kids(token, "nsubjpass", "nsubj", "dobj") + objects_of(token, "by", "at", "in", "under", "while", "on")
    if token.pos_ in ("NOUN",):
        people += [token, *objects_of(token, "at", "in", "of", "under", "on")]
    return people


def lost_a_limb(token) -> bool:
    """ "a worker lost two fingers", "lost the sight of one eye"."""
    if lemma(token) != "lose" or token.pos_ != "VERB":
        return False
    return any(
        lemma(t) in BODY_PARTS | {"sight", "limb"} for o in kids(token, "dobj") for t in [o, *objects_of(o, "of")]
    )


def struck_someone(token) -> bool:
    """ "a block fell onto a worker's leg", "the crane swung back, striking him on the head", "a cleaner was hit
    by a reversing lorry", "a wagon ran over a worker": something hit a person or a person's body."""
    run_over = lemma(token) == "run" and any(p.lower_ == "over" for p in kids(token, "prt", "prep"))
    if lemma(token) not in STRIKE_VERBS and not run_over or token.pos_ != "VERB":
        return False
    if is_passive(token) and any(lemma(p) in PERSON_NOUNS for p in kids(token, "nsubjpass")):
        moving = ("reversing", "falling", "moving")
        return any(lemma(a) in STRIKING_THINGS or any(c.lower_ in moving for c in a.children)
                   for a in objects_of(token, "by"))  # fmt: skip
    struck = kids(token, "dobj") + objects_of(token, "on", "onto", "upon", "over")
    if run_over:
        return any(lemma(t) in PERSON_NOUNS for t in struck)
    return any(
        lemma(t) in BODY_PARTS
        and any(lemma(p) in PERSON_NOUNS or p.pos_ in ("PROPN", "PRON") for p in kids(t, "poss"))
        or lemma(t) in PERSON_NOUNS
        and t.dep_ == "dobj"
        or t.lower_ in ("him", "her", "them")  # "the trench fell in on him"
        and t.dep_ == "pobj"
        or lemma(t) in BODY_PARTS
        and lemma(token) in ("strike", "hit")
        and kids(token, "dobj")
        for t in struck
    )


@rule("death_or_injury", INCIDENT, "death_or_injury")
def harmed(token, sentence):
    """ "A Serco worker was killed", "a detainee died at a G4S-run centre", "deaths in Serco custody"; never
    shares or profits that "fell"."""
    fell = lemma(token) == "fall" and any(
        lemma(s) in PERSON_NOUNS or s.lower_ in ("he", "she") and kids(token, "prep", "npadvmod")
        for s in kids(token, "nsubj")
    )  # "he fell about 3.9 metres to the floor"
    harm = lemma(token) in HARM_VERBS and token.pos_ == "VERB" or lemma(token) in HARM_NOUNS and token.pos_ == "NOUN"
    if not (fell or harm or struck_someone(token) or lost_a_limb(token)):
        return
    yield harm_actors(token, sentence), [token], True


@rule("service_failure.missed", INCIDENT, "service_failure")
def missed(token, sentence):
    """ "Serco missed its targets", "Capita failed to meet deadlines", "Atos could not provide enough staff"."""
    verb_lemma = lemma(token)
    missed_what = [t for o in kids(token, "dobj", "nsubjpass") for t in [o, *objects_of(o, "of")]]  # "90% of targets"
    if verb_lemma == "miss" and any(lemma(o) in TARGET_NOUNS for o in missed_what):
        if token.dep_ == "pcomp" and token.head.lower_ in REASON_PREPOSITIONS:  # "penalised Capita for missing"
            penalised = token.head.head
            if penalised.pos_ == "NOUN":  # "incurred penalties of £300,000 for missing targets"
                yield noun_frame_actors(penalised, sentence), [token], True
            else:
                yield kids(penalised, "nsubjpass") if is_passive(penalised) else kids(penalised, "dobj"), [token], True
            return
        yield (subjects(token) if not is_passive(token) else objects_of(token, "by")), [token], True
    elif verb_lemma == "fail" and any(lemma(x) in DELIVER_VERBS for x in kids(token, "xcomp")):
        if token.dep_ == "pcomp" and token.head.lower_ in REASON_PREPOSITIONS:
            return  # "fined for failing to keep data safe": the reason for a penalty, not an incident of its own
        yield subjects(token), [token], True
    elif verb_lemma in FALLING_VERBS and any(lemma(s) in STANDARD_NOUNS for s in kids(token, "nsubj")):
        standards = [s for s in kids(token, "nsubj") if lemma(s) in STANDARD_NOUNS]
        yield [o for s in standards for o in [*kids(s, "poss"), *objects_of(s, "at", "of", "in")]], [token], True
    elif (
        verb_lemma in DELIVER_VERBS
        and any(c.dep_ == "neg" for c in token.children)
        and any(c.lower_ in ("could", "can", "ca") for c in token.children)
    ):
        yield subjects(token), [token], True
    elif (
        verb_lemma in ("meet", "hit", "achieve", "reach")
        and any(c.dep_ == "neg" for c in token.children)
        and any(lemma(o) in TARGET_NOUNS for o in kids(token, "dobj"))
    ):
        yield subjects(token), [token], True  # "it was not meeting the service standards"


@rule("service_failure.not_received", INCIDENT, "service_failure")
def not_received(token, sentence):
    """ "47,000 women did not receive letters from Capita", "patients never got their appointments from Atos"."""
    if lemma(token) not in ("receive", "get") or not any(
        c.dep_ == "neg" or c.lower_ == "never" for c in token.children
    ):
        return
    if any(lemma(c) in HEDGE_MODALS for c in token.children if c.lower_ not in ("could", "ca", "can")):
        return
    yield objects_of(token, "from") + [o for d in kids(token, "dobj") for o in objects_of(d, "from")], [token], True


@rule("service_failure.left_without", INCIDENT, "service_failure")
def left_without(token, sentence):
    """ "Mears tenants were left without heating for weeks", "Engie left the hospital without hot water"."""
    if lemma(token) != "leave" or not any(p.lower_ == "without" and p.children for p in kids(token, "prep")):
        return
    if is_passive(token):
        yield kids(token, "nsubjpass") + objects_of(token, "by"), [token], True
    else:
        yield subjects(token), [token], True


@rule("service_failure.noun", INCIDENT, "service_failure")
def failure_noun(token, sentence):
    """ "a backlog of 20,000 assessments at Capita", "Serco's failures", "delays blamed on Atos"."""
    if token.pos_ != "NOUN" or told_before(token) and not worked_through(token):
        return
    failings = lemma(token) in FAILINGS and any(lemma(c) in FAILING_KINDS for c in kids(token, "amod", "compound"))
    failings = (
        failings
        or lemma(token) == "failure"
        and any(  # "Amey's failure to grit roads"
            lemma(c) in DELIVER_VERBS - VAGUE_DUTIES and any(a.lower_ == "to" for a in c.children)
            for c in kids(token, "acl", "relcl")
        )
    )
    if lemma(token) not in FAILURE_NOUNS and not failings:
        return
    found = token.dep_ == "dobj" and lemma(token.head) in FINDING_VERBS | {"identify", "uncover", "reveal"}
    actors = [] if found else noun_frame_actors(token, sentence)  # who found the failures did not fail
    actors += [p for prep in kids(token, "prep") if prep.lower_ in ("at", "by", "in") for p in kids(prep, "pobj")]
    if token.head.pos_ == "VERB" and lemma(token.head) in ("blame", "attribute"):
        actors += objects_of(token.head, "on", "to")
    if worked_through(token):
        actors = subjects(token.head.head if token.dep_ == "pobj" else token.head)
    yield actors, [token], True


def worked_through(noun) -> bool:
    """ "Liberata was working through the backlog", "Capita is clearing the backlog": the backlog is its own."""
    if lemma(noun) != "backlog":
        return False
    if noun.dep_ == "pobj" and noun.head.lower_ == "through":
        return lemma(noun.head.head) in ("work", "plough", "wade", "battle")
    return noun.dep_ == "dobj" and lemma(noun.head) in ("clear", "tackle", "reduce")


STAFF_NOUNS = {"staff", "officer", "worker", "employee", "nurse", "doctor", "gp", "guard", "driver", "carer",
               "personnel", "clinician", "assessor", "people"}  # fmt: skip
UNDERSTAFFED = {"understaffed", "under-staffed", "short-staffed"}
DELAYABLE = {"letter", "payment", "appointment", "assessment", "decision", "result", "claim", "application",
             "referral", "operation", "collection", "delivery", "grant", "benefit", "test", "repair"}  # fmt: skip


@rule("service_failure.understaffed", INCIDENT, "service_failure")
def understaffed(token, sentence):
    """ "the Serco-run service was understaffed", "Serco did not have enough staff", "short of staff", "letters
    were delayed" (of the supplier the clause hangs from)."""
    short_staffed = token.lower_ == "staffed" and any(c.lower_ in ("short", "under") for c in token.children)
    if (
        lemma(token) in UNDERSTAFFED
        or short_staffed
        or token.lower_ == "short"
        and any(lemma(p) in STAFF_NOUNS for p in objects_of(token, "of"))
    ):
        holder = token.head if token.dep_ in ("acomp", "conj") else token
        if not any(c.dep_ == "neg" or c.lower_ == "never" for c in [*holder.children, *token.children]):
            yield kids(holder, "nsubj", "nsubjpass") or subjects(holder), [token], True
    elif lemma(token) == "have" and any(c.dep_ == "neg" for c in token.children):
        staff = [o for o in kids(token, "dobj") if lemma(o) in STAFF_NOUNS]
        if any(lemma(c) in ("enough", "sufficient") for o in staff for c in o.children):
            yield subjects(token), [token], True
    elif lemma(token) == "delay" and is_passive(token):
        delayed = [t for s in kids(token, "nsubjpass") for t in [s, *objects_of(s, "of")]]  # "thousands of letters"
        if any(lemma(t) in DELAYABLE for t in delayed) and not any(
            t.i in sentence.owner for s in delayed for t in s.subtree
        ):  # not "payments to Serco were delayed"
            yield objects_of(token, "by"), [token], True


# Work a supplier delivers that may be judged bad as a state of affairs ("Carillion's performance was poor").
WORK_NOUNS = {"performance", "service", "quality", "standard", "report", "assessment", "work", "care", "maintenance",
              "repair", "food", "meal", "system", "delivery", "workmanship", "level"}  # fmt: skip
POOR_WORK = {"poor", "unacceptable", "substandard", "sub-standard", "flawed", "appalling", "unsatisfactory", "faulty",
             "shoddy", "dismal", "woeful", "abysmal", "defective"}  # fmt: skip
# "Capita's financial performance was poor": the business's results, not its service.
NOT_SERVICE = {"financial", "share", "trading", "market", "stock", "sale", "price", "revenue", "profit", "earnings",
               "investment", "fund", "economic", "commercial", "business", "interim", "annual",
               "quarterly"}  # fmt: skip
PENALISING = {"fine", "penalise", "penalize", "penalty", "deduction", "sanction", "punish", "withhold", "dock"}


def work_makers(noun, sentence: Sentence, depth: int = 0) -> list:
    """Whose work a noun is: its possessor or modifier ("Capita's reports"), "from/by Kier", the one who made it
    in a clause ("the service we are getting from Kier", "assessments carried out by Atos", "the meals Chartwells
    supplied"), or that of the work it is "of" ("the quality of the meals")."""
    if lemma(noun) not in WORK_NOUNS or any(lemma(c) in NOT_SERVICE for c in kids(noun, "amod", "compound")):
        return []
    found = [noun, *kids(noun, "poss", "compound")] + objects_of(noun, "from", "by")
    for clause in kids(noun, "acl", "relcl"):
        found += objects_of(clause, "by", "from") + (kids(clause, "nsubj") if clause.dep_ == "relcl" else [])
    if sentence.suppliers(found, owned=True) or depth > 1:
        return found
    return [m for o in objects_of(noun, "of") for m in work_makers(o, sentence, depth + 1)]


def judged_work(token) -> list:
    """The work a bad word judges: "poor performance", "the service is appalling", "3.3% of reports were
    unacceptable"."""
    if token.dep_ == "amod":
        return [token.head]
    if kids(token, "nsubj") and any(lemma(c) == "be" for c in kids(token, "aux")):
        return kids(token, "nsubj")  # "the service we get from Kier is appalling", parsed with "is" as its aux
    if token.dep_ in ("acomp", "attr", "oprd") and lemma(token.head) in ("be", "become", "remain", "prove", "seem"):
        judged = kids(token.head, "nsubj")
        return judged + [o for j in judged if j.lower_ in ("%", "percent", "share", "proportion", "third", "half")
                         for o in objects_of(j, "of")]  # fmt: skip
    return []


@rule("service_failure.poor_work", INCIDENT, "service_failure")
def poor_work(token, sentence):
    """ "Carillion's performance was poor", "the service we are getting from Kier is appalling", "Amey was
    performing poorly", "assessments carried out by Atos fell short of basic standards"; not a business's
    "poor financial performance", nor the reason given for a penalty ("fined for poor performance")."""
    reason = [a for a in token.ancestors if a.dep_ == "prep" and a.lower_ in REASON_PREPOSITIONS]
    if any(lemma(r.head) in PENALISING for r in reason) or sentence.asked:
        return
    if lemma(token) in POOR_WORK and token.pos_ == "ADJ":
        makers = [m for work in judged_work(token) for m in work_makers(work, sentence)]
        if makers:
            yield makers, [token], True
    elif lemma(token) == "perform" and token.pos_ == "VERB" and token.dep_ not in ("amod", "acl"):
        if any(c.lower_ in ("poorly", "badly") for c in kids(token, "advmod")) and subjects(token):
            yield subjects(token), [token], True  # not "a poorly performing jail"
    elif lemma(token) == "fall" and token.pos_ == "VERB" and any(c.lower_ == "short" for c in token.children):
        fallen = subjects(token)
        made = [m for s in fallen for m in work_makers(s, sentence)]
        short_of = [o for c in token.children if c.lower_ == "short" for o in objects_of(c, "of")]
        if made or fallen and any(lemma(o) in SERVICE_LEVELS for o in short_of):  # not "short of its duty"
            yield made or fallen, [token], True


SERVICE_LEVELS = {"standard", "target", "expectation"}


def asked(doc) -> bool:
    """A question states nothing: "what is the council doing about the poor service Kier provides?"."""
    return doc.text.rstrip().rstrip("\"'”’ ").endswith("?")


WRONGLY = {"wrongly", "wrongfully", "incorrectly", "mistakenly", "erroneously"}
# Not what a supplier does wrongly to its buyer (overcharging) or what others wrongly do or think of it.
NOT_SERVICE_WRONGS = {"charge", "bill", "invoice", "claim", "accuse", "blame", "convict", "arrest", "believe",
                      "think", "assume", "say", "suggest", "report", "describe", "pay"}  # fmt: skip
MISTAKES = {"mistake", "error", "blunder", "failing", "mishandling", "mishandle", "maladministration"}


@rule("service_failure.done_wrong", INCIDENT, "service_failure")
def done_wrong(token, sentence):
    """ "tax credits wrongly stopped by Concentrix", "Capita wrongly told women they were clear", "a series of
    failings by Capita", "because of mishandling by Concentrix"; not "fined for errors by Capita"."""
    reason = [a for a in token.ancestors if a.dep_ == "prep" and a.lower_ in REASON_PREPOSITIONS]
    if any(lemma(r.head) in PENALISING for r in reason) or sentence.asked:
        return
    actors = []
    if token.pos_ == "VERB" and lemma(token) not in NOT_SERVICE_WRONGS | MISTAKES | EXPOSE_VERBS:
        if any(c.lower_ in WRONGLY for c in kids(token, "advmod")):  # not "mistakenly shared the addresses"
            agents = objects_of(token, "by") if is_passive(token) or kids(token, "agent") else []
            actors = agents or ([] if is_passive(token) else subjects(token))  # "had their claims wrongly stopped by"
    elif lemma(token) in MISTAKES and token.pos_ in ("NOUN", "VERB") and not told_before(token):
        holders = [token, token.head.head] if token.dep_ == "pobj" and token.head.lower_ == "of" else [token]
        actors = [o for h in holders for o in objects_of(h, "by")]  # "a series of failings by Capita"
    if actors:  # never the supplier of the sentence around it: "fined for failings in its audit"
        yield actors, [token], True


GRIEVANCES = {"complaint", "claim", "grievance"}


@rule("service_failure.complaints_upheld", INCIDENT, "service_failure")
def complaints_upheld(token, sentence):
    """ "Capita received 15,000 complaints and upheld 9,800 of them", "64% of the claims made against Serco were
    upheld"; not complaints merely received, nor a supplier's own appeal upheld."""
    if lemma(token) != "uphold" or token.pos_ != "VERB":
        return
    things = [t for o in kids(token, "dobj", "nsubjpass") for t in [o, *objects_of(o, "of")]]
    grievances = [t for t in things if lemma(t) in GRIEVANCES]
    if not grievances and not any(t.lower_ in ("them", "these") for t in things):
        return
    if not grievances and not any(lemma(t) in GRIEVANCES and t.i < token.i for t in sentence.doc):
        return  # "upheld 9,834 of them": the complaints named before in the sentence
    against = [o for g in grievances for h in [g, *kids(g, "acl", "relcl")] for o in objects_of(h, "against", "about")]
    yield against + ([] if is_passive(token) else subjects(token)), [token], True


APOLOGISING = {"apologise", "apologize"}
OWNING_UP = {"admit", "acknowledge", "accept", "concede"}
OWNED_FAILINGS = FAILINGS | MISTAKES | FAILURE_NOUNS | {"problem", "fault", "breach"}


def owned_failing(noun, apology: bool) -> bool:
    """A failing the supplier owns up to: "failures", "the mistake", "the poor quality of the meals" after an
    apology; after an admission only one tied to its work ("the shortcomings in its service", "breaches of
    contract"), not bare "mistakes". Not an error that exposed data (a breach, told as such)."""
    if any(lemma(t) in DATA_NOUNS for c in kids(noun, "relcl", "acl") for t in c.subtree):
        return False
    if lemma(noun) not in OWNED_FAILINGS:
        return apology and any(lemma(c) in POOR_WORK for c in kids(noun, "amod")) and lemma(noun) in WORK_NOUNS
    if lemma(noun) == "breach" and not any(lemma(o) == "contract" for o in objects_of(noun, "of")):
        return False  # "a data breach", "breaches of the law": not its service
    return apology or any(p.lower_ in ("in", "of", "with") for p in kids(noun, "prep"))


@rule("service_failure.owned_up", INCIDENT, "service_failure")
def owned_up(token, sentence):
    """ "Concentrix apologised for failures", "Compass apologised for the poor quality of the meals", "Chartwells
    acknowledged the shortcomings in its service", "Sodexo admitted some breaches of contract": the supplier
    owns up to its failing; not a bare apology, nor one for what others did."""
    if token.pos_ != "VERB" or sentence.asked:
        return
    if lemma(token) in APOLOGISING:
        failings = [t for o in objects_of(token, "for") for t in conjuncts(o) if owned_failing(t, True)]
    elif lemma(token) in OWNING_UP and not is_passive(token):
        failings = [t for o in kids(token, "dobj") for t in conjuncts(o) if owned_failing(t, False)]
    else:
        return
    if failings:
        yield subjects(token), [token], True


FAULT_NOUNS = {"problem", "fault", "glitch", "issue", "bug", "difficulty"}
TECHNICAL = {"technical", "computer", "it", "software", "system", "systems", "performance", "operational"}
FAULTY_THINGS = WORK_NOUNS | {"operation", "helpline", "software", "website", "payment"}


@rule("service_failure.faults", INCIDENT, "service_failure")
def faults(token, sentence):
    """ "technical problems at Liberata", "computer glitches in Capita's payments system", "problems with Sopra
    Steria's operations": faults in the supplier's service or systems; not problems merely of a contract or faced
    by a buyer, nor the reason given for a penalty."""
    if lemma(token) not in FAULT_NOUNS or token.pos_ != "NOUN" or told_before(token):
        return
    reason = [a for a in token.ancestors if a.dep_ == "prep" and a.lower_ in REASON_PREPOSITIONS]
    if any(lemma(r.head) in PENALISING for r in reason) or sentence.asked:
        return
    places = [o for n in conjuncts(token) for o in objects_of(n, "at", "in", "with")]
    technical = lemma(token) in ("glitch", "bug") or any(
        lemma(c) in TECHNICAL or c.lower_ == "it" for n in conjuncts(token) for c in kids(n, "amod", "compound")
    )
    if not technical and not any(lemma(p) in FAULTY_THINGS for p in places):
        return
    yield places + kids(token, "poss"), [token], True


SENDING_VERBS = {"send", "print", "post", "process", "issue", "deliver", "forward"}
SENT_THINGS = {"letter", "invitation", "reminder", "result", "information", "email", "notice", "leaflet", "form",
               "card", "referral", "application", "request"}  # fmt: skip


@rule("service_failure.not_sent", INCIDENT, "service_failure")
def not_sent(token, sentence):
    """ "Capita found that 4,508 results letters were not printed and sent", "3,591 women were not sent
    information because of mistakes by Capita": things the supplier should have sent, not sent."""
    if lemma(token) not in SENDING_VERBS or token.pos_ != "VERB" or not is_passive(token):
        return
    verbs = [token, token.head] if token.dep_ == "conj" else [token]  # "were not printed and sent"
    if not any(c.dep_ == "neg" or c.lower_ == "never" for v in verbs for c in v.children):
        return
    things = [t for v in verbs for s in kids(v, "nsubjpass", "dobj") for t in [s, *objects_of(s, "of")]]
    if any(lemma(t) in SENT_THINGS for t in things) and not any(t.i in sentence.owner for t in things):
        yield objects_of(token, "by"), [token], True  # else the supplier the clause hangs from


@rule("inspection_failure", INCIDENT, "inspection_failure")
def inspection(token, sentence):
    """ "A G4S-run prison was rated inadequate", "inspectors found Serco's centre unsafe", "rated 'requires
    improvement'"."""
    if lemma(token) == "rate" and any(lemma(t) in INADEQUATE | {"improvement"} for t in token.subtree):
        rated = kids(token, "nsubjpass") if is_passive(token) else kids(token, "dobj")
        yield rated, [token], True
    elif lemma(token) == "inspection" and token.dep_ == "dobj" and lemma(token.head) == "fail":
        yield subjects(token.head), [token], True


@rule("inspection_failure.found", INCIDENT, "inspection_failure")
def inspectors_found(token, sentence):
    """ "Inspectors found HMP Birmingham, run by G4S, in a state of crisis", "the prisons inspector warned that
    the jail, managed by G4S, had seriously deteriorated", "a damning inspection found..."."""
    if lemma(token) not in FINDING_VERBS:
        return
    speakers = subjects(token) + objects_of(token, "by")
    own_words = set(token.subtree) if any(s.is_ancestor(token) for s in speakers) else {token}  # "fines reported"
    if not any(lemma(t) in INSPECTORS for s in speakers for t in s.subtree if t not in own_words):
        return
    tone = any(lemma(c) in BAD_TONE for s in speakers for c in s.children)
    found = kids(token, "dobj", "nsubjpass") + [s for c in kids(token, "ccomp") for s in subjects(c)]
    if lemma(token) in CENSURING_VERBS:  # "criticised the G4S-run prison", not "criticised the ministry over Serco"
        tone = tone or any(t.i in sentence.owner for f in found for t in f.subtree)
    if not tone and not any(lemma(t) in BAD_FINDINGS for t in token.subtree):
        return
    yield found or [t for t in token.subtree if t.i in sentence.owner], [token], True


@rule("incident.overcharged", INCIDENT, "other")
def overcharged(token, sentence):
    """ "Serco and G4S overcharged the government for electronic tagging"."""
    for_nothing = (
        lemma(token) in ("charge", "bill", "invoice")
        and token.pos_ == "VERB"
        and any(t.lower_ in NOTHING_DONE for p in kids(token, "prep") if p.lower_ == "for" for t in p.subtree)
    )  # "charged the government for tagging people who were dead", "billed for doing nothing"
    if lemma(token) not in ("overcharge", "overbill", "overcharging") and not for_nothing:
        return
    if token.dep_ == "pcomp" and token.head.lower_ in REASON_PREPOSITIONS:
        return  # "repaid £68.5m after overcharging": the reason for the repayment
    yield subjects(token) if token.pos_ == "VERB" else noun_frame_actors(token, sentence), [token], False


@rule("incident.other", INCIDENT, "other")
def other_incident(token, sentence):
    """ "a riot at a G4S-run prison", "prisoners escaped from a Serco van", "Mitie staff falsified records"."""
    if lemma(token) in OTHER_INCIDENT_NOUNS and token.pos_ == "NOUN":
        yield noun_frame_actors(token, sentence) + objects_of(token, "at", "in", "from"), [token], True
    elif lemma(token) == "escape" and token.pos_ == "VERB" and not kids(token, "dobj"):
        yield objects_of(token, "from", "at"), [token], True  # not "Serco escaped any penalty"
    elif lemma(token) in FALSIFY_VERBS and any(lemma(o) in DATA_NOUNS | {"figure", "result", "log"}
                                              for o in kids(token, "dobj", "nsubjpass")):  # fmt: skip
        yield subjects(token) if not is_passive(token) else objects_of(token, "by"), [token], True


DISHONEST_VERBS = {"defraud", "cheat", "swindle", "embezzle"}
ADMITTING = {"plead", "admit", "confess"}


@rule("incident.dishonesty", INCIDENT, "other")
def dishonesty(token, sentence):
    """ "Balfour Beatty Communities pleaded guilty to defrauding the Army", "Serco staff defrauded the MoJ",
    "some of its auditors were cheating on exams"; not "accused of defrauding"."""
    if lemma(token) not in DISHONEST_VERBS or token.pos_ != "VERB":
        return
    if kids(token, "nsubj", "nsubjpass"):
        doers = kids(token, "nsubj")
    elif token.dep_ == "pcomp" and token.head.lower_ == "to" and lemma(token.head.head) in ADMITTING | {"guilty"}:
        admitter = token.head.head.head if token.head.head.lower_ == "guilty" else token.head.head
        doers = subjects(admitter) if lemma(admitter) in ADMITTING else []  # "pleaded guilty to defrauding"
    elif token.dep_ == "xcomp" and lemma(token.head) in ADMITTING:
        doers = subjects(token.head)  # "admitted defrauding"
    else:
        return  # "accused of defrauding", "charged with cheating"
    doers = [p for d in doers for p in [d, *objects_of(d, "of")]]  # "some of its auditors"
    if doers:
        yield doers, [token], True


WILL_RULES = {"award.under_new_deal"}  # "Under the new deal, Sodexo will provide meals"
INABILITY_RULES = {"service_failure.missed", "service_failure.not_received", "service_failure.understaffed",
                   "service_failure.not_sent"}  # fmt: skip
AT_ITS_PLACE = {"inspection_failure", "other", "death_or_injury"}  # "a riot at the G4S-run jail"
RUNS_A_PLACE = re.compile(r"-run\b|\b(?:run|operated|managed) by\b", re.IGNORECASE)
CONTEXT_WITH_ACTORS = {"death_or_injury", "inspection_failure", "data_breach"}  # the hurt, the inspected, hackers
UNPRICED = {"other", "fine", "repayment", "compensation", "service_credit"}  # kinds that are facts without their sums


def facts_in_sentence(doc, named: list) -> list[Found]:
    """Every fact the parsed sentence states about the suppliers it names (or refers to)."""
    sentence = Sentence(doc, named)
    if not sentence.owner:
        return []
    found: dict[tuple, Found] = {}
    for token in doc:
        for name, category, kind, finder in RULES:
            for actors, anchors, owned in finder(token, sentence) or ():
                if not stated(token, allow_inability=name in INABILITY_RULES, allow_will=name in WILL_RULES):
                    continue
                suppliers = sentence.suppliers(actors, owned=owned)
                if not suppliers and category == INCIDENT and (not actors or kind in CONTEXT_WITH_ACTORS):
                    suppliers = sentence.context_suppliers(token)  # not "the ministry, which failed to..."
                if not suppliers and kind in AT_ITS_PLACE and len(set(sentence.owner.values())) == 1:
                    if kind == "inspection_failure" or RUNS_A_PLACE.search(doc.text):
                        suppliers = list(set(sentence.owner.values()))  # at the place the one supplier runs
                for supplier in suppliers:
                    key = (category, kind_in(kind, token, doc), supplier.name)
                    fact = found.setdefault(key, Found(category, key[1], supplier, name))
                    fact.anchors += anchors + sum_holders(token, sentence)
                    if category == CONTRACT:  # "agreed to extend its contract, committing to pay an extra £41m"
                        fact.anchors += [verb for verb, _ in governing_verbs(token)]
                    fact.shared = fact.shared or len(suppliers) > 1 or len(expanded(actors)) > 1
                    fact.pooled = fact.pooled or one_of_many(actors)
    if any(
        lemma(t) in ("fine", "penalty")
        and not stated(t)
        and any(c.lower_ in ("no", "not", "never") for c in [*t.children, *t.head.children])
        for t in doc
    ):
        for key in [key for key in found if key[1] == "fine"]:
            del found[key]  # "the Home Office said no fine had been imposed"
    facts = list(found.values())
    give_sums(sentence, facts, sentence.amounts)
    for fact in facts:
        if fact.category == INCIDENT:
            fact.figures = figures_in(doc)
    return [
        fact
        for fact in facts
        if fact.category != ENFORCEMENT
        or fact.amounts
        or fact.kind in UNPRICED
        or fact.kind == "costs"
        and any(costs_of_proceedings(t) for t in fact.anchors)
    ]


BESIDE_KINDS = {"death_or_injury", "data_breach"}  # events told on their own, as a prosecution or a penalty tells them


def incidents_beside(doc, supplier) -> list[Found]:
    """A death, an injury or a data breach told in a sentence that names no company, beside a sentence that makes
    one supplier answerable ("A worker fell 10 metres and died. The HSE prosecuted Balfour Beatty...", "The record
    fine follows a data breach in which..."): that supplier's incident."""
    sentence = Sentence(doc, [])
    found: dict[str, Found] = {}
    for token in doc:
        for name, _category, kind, finder in RULES:
            if kind in BESIDE_KINDS and kind not in found and any(finder(token, sentence) or ()) and stated(token):
                found[kind] = Found(INCIDENT, kind, supplier, f"{name}.beside", figures=figures_in(doc))
    return list(found.values())


def one_of_many(actors: list) -> bool:
    """ "one of six companies that have won places": a sum for all of them is no one supplier's."""
    heads = [a.head.head if a.lower_ in ("that", "which", "who") and a.head.dep_ == "relcl" else a for a in actors]
    venture = any(lemma(a) in ("part", "member") for h in actors for a in h.head.children if a.dep_ == "attr")
    return venture or any(h.tag_ == "NNS" and h.head.lower_ == "of" and lemma(h.head.head) == "one" for h in heads)


def sum_holders(token, sentence: Sentence) -> list:
    """Where a noun trigger's sum may stand apart from it: "paid £23,000 in compensation" (the verb),
    "£750,000 of service credits" (the sum the noun completes)."""
    if token.dep_ in ("dobj", "oprd") and lemma(token.head) in IMPOSE_VERBS | PAY_VERBS | {"make", "agree"}:
        return [token.head]  # "has been handed a £4.4m fine": the sum may hang from the verb
    if token.dep_ in ("nsubj", "nsubjpass") and token.pos_ in ("NOUN", "PROPN"):
        return [token.head]  # "Deloitte's penalty was discounted to £4.23m"
    if token.pos_ not in ("NOUN", "PROPN") or token.dep_ != "pobj":
        return []
    head = token.head.head
    if token.head.lower_ == "of" and head.i in sentence.money:
        return [head]
    payer = paying_verb(token.head) if token.head.lower_ in ("in", "towards", "as") else None
    return [payer] if payer is not None else []


def verb_over(token):
    """The penalty's verb: the trigger itself when it is one, else the nearest verb above it."""
    return next((t for t in [token, *token.ancestors] if t.pos_ in ("VERB", "AUX")), token.head)


def imposed_by_a_buyer(token) -> bool:
    """ "Birmingham City Council has fined contractor Amey £50m": a buyer's penalty under its contract."""
    verb = verb_over(token)
    imposers = ([] if is_passive(verb) else kids(verb, "nsubj")) + objects_of(verb, "by")
    imposers += [o for obj in kids(verb, "dobj") for o in objects_of(obj, "by")]  # "fined £500,000 by the council"
    home_office = any(lemma(t) == "office" and any(c.lower_ == "home" for c in t.children) for t in imposers)
    home_office = home_office or any(  # "fined by the local authority"
        lemma(t) == "authority" and any(c.lower_ in LOCAL_COUNCIL | {"local"} for c in kids(t, "amod", "compound"))
        for t in imposers
    )
    home_office = home_office or any(  # "Birmingham City Council", "the council"; not the Financial Reporting Council
        lemma(t) == "council"
        and (
            any(c.lower_ in LOCAL_COUNCIL for c in t.children)
            or not any(c.dep_ == "compound" for c in t.children)
            and any(c.lower_ == "the" for c in t.children)
        )
        for t in imposers
    )
    return home_office or any(lemma(t) in BUYERS or any(lemma(c) in BUYERS for c in t.subtree) for t in imposers)


# A penalty "for poor performance", "for delayed or cancelled services": what a buyer charges under its contract.
PERFORMANCE_REASONS = {"performance", "delay", "cancellation", "lateness", "punctuality", "kpi"}
# Words that make an imposer a regulator or a court, whatever public body it belongs to.
REGULATING_WORDS = ENFORCERS | {
    "commission", "commissioner", "inspectorate", "authority", "protection", "environmental", "environment", "safety",
    "sec", "epa", "osha", "orr", "police",
}  # fmt: skip


def charged_by_the_client(token) -> bool:
    """ "Michigan fined Aramark $200,000", "the state levied a fine against Aramark", "fined for poor performance":
    a state, a city or a country fining the supplier that works for it, or a penalty for how the contract's
    service performed, with no regulator or court named as the one who imposed it."""
    verb = verb_over(token)
    imposing = lemma(verb) in IMPOSE_VERBS | {"fine", "penalise", "penalize", "levy"} and not is_passive(verb)
    imposers = (kids(verb, "nsubj") if imposing else []) + objects_of(verb, "by")
    if token.pos_ == "NOUN":
        imposers += objects_of(token, "by", "from")
    if any(lemma(t) in REGULATING_WORDS for imposer in imposers for t in imposer.subtree):
        return False
    if any(
        imposer.ent_type_ == "GPE" or lemma(imposer) in ("state", "city", "corrections")
        or any(lemma(t) == "corrections" for t in imposer.subtree)
        for imposer in imposers
    ):  # fmt: skip
        return True
    frames = [token, verb, *kids(token, "dobj")]
    reasons = [o for frame in frames for p in kids(frame, "prep") if p.lower_ in ("for", "over") for o in p.subtree]
    return any(lemma(t) in PERFORMANCE_REASONS for t in reasons)


def under_the_contract(token) -> bool:
    """ "fined £2.8m on its asylum housing contracts", "fined for contract breaches": a penalty under the
    supplier's own contract, the buyer's deduction."""
    frames = [token, *(o for o in kids(token, "dobj") if o.i != token.i)]  # "fined £2m for ...", however hung
    for prep in (p for frame in frames for p in kids(frame, "prep")):
        for pobj in (o for p in kids(prep, "pobj") for o in conjuncts(p)):
            if prep.lower_ in ("on", "under") and is_contract(pobj) and lemma(pobj) not in CEILINGS:
                return True
            contractual = [c for c in pobj.children if c.dep_ in ("compound", "amod", "nmod")] + objects_of(pobj, "of")
            if (
                prep.lower_ in ("for", "over")
                and lemma(pobj) == "breach"
                and any(lemma(c) in ("contract", "contractual") for c in contractual)
            ):
                return True
        breaching = [v for v in kids(prep, "pcomp") if lemma(v) == "breach"]  # "for breaching its prison contracts"
        if prep.lower_ in ("for", "over") and any(is_contract(o) for v in breaching for o in kids(v, "dobj")):
            return True
    return False


PAID_BACK_TO = BUYERS | {"council", "taxpayer", "exchequer", "treasury", "hmrc", "justice"}


def paid_to_the_public(token) -> bool:
    """ "£12.8m in compensation Serco paid to the Ministry of Justice", "paid the MoJ a £70m settlement": money
    handed back to a public body."""
    verb = next((v for v in [token.head, token.head.head, *token.ancestors] if lemma(v) in PAY_VERBS | {"make"}), None)
    if verb is None:
        verb = next((v for c in kids(token, "relcl", "acl") for v in [c] if lemma(v) in PAY_VERBS), None)
    if verb is None:
        return False
    receivers = objects_of(verb, "to") + kids(verb, "dative") + objects_of(token, "to")  # "a settlement to the DWP"
    receivers += [d for d in kids(verb, "dobj") if d.i != token.i and d.pos_ == "PROPN"]
    return any(lemma(t) in PAID_BACK_TO for r in receivers for t in r.subtree)  # a regulator passes redress on


def kind_in(kind: str, token, doc) -> str:
    """A penalty under a deferred prosecution agreement is the DPA's; one under the contract, or imposed by the
    buyer, is a deduction; compensation paid to a public body is a repayment."""
    if kind == "compensation" and lemma(token) != "redress" and paid_to_the_public(token):
        return "repayment"
    if kind == "fine" and (imposed_by_a_buyer(token) or under_the_contract(token) or charged_by_the_client(token)):
        return "service_credit"
    if kind == "fine":
        words = {t.lower_ for t in doc}
        if "dpa" in words or ("deferred" in words and "prosecution" in words):
            return "dpa_penalty"
        if "sfo" in words or {"serious", "fraud", "office"} <= words:
            return "dpa_penalty"  # the Serious Fraud Office cannot fine: what it agrees with a company is a DPA
        if {lemma(t) for t in doc} & {"deduction", "clawback", "contractual"}:
            return "service_credit"  # "penalised Capita with a credit deduction of £26m"
        if any(lemma(t) == "miss" and any(lemma(o) in TARGET_NOUNS for o in [*t.subtree, t.head]) for t in doc):
            return "service_credit"  # "penalties of £300,000 for missing targets": under the contract
        if token.pos_ == "NOUN" and any(
            lemma(t) in ("contractual", "performance", "contract") for t in token.subtree if t.i != token.i
        ):
            return "service_credit"
    return kind


def give_sums(sentence: Sentence, facts: list[Found], amounts: list[Amount]) -> None:
    """Each sum to the fact whose words it hangs from in the parse; a sum that is a bid, a comparison
    ("£30m lower"), a company's turnover, or a total shared by several suppliers is no fact's."""
    anchors = {token.i: fact for fact in facts if fact.category != INCIDENT for token in fact.anchors}
    doc = sentence.doc
    for index, amount in enumerate(amounts):
        span = doc.char_span(amount.start, amount.end, alignment_mode="expand")
        if span is None:
            continue
        current, owner, path = span.root, None, []
        for _ in range(8):
            path.append(current)
            if current.i in anchors:
                owner = anchors[current.i]
                break
            if current.head == current:
                break
            current = current.head
        other = elliptical_supplier(sentence, span)
        if owner is None and reduced_to(span) and not reduces_another(sentence, facts, amounts[:index]):
            owner = the_only(facts, costs=False)  # "hit EY with a £500,000 fine, cut to £325,000": the fine's sum
        if owner is None and said_as(span) == "costs":
            owner = the_only(facts, costs=True)  # "ordered an interim payment on account of costs of £2,275,000"
        if owner is None:
            owner = nearest_fact(span.root, facts, loose=other is not None)
        if owner is None or owner.pooled or any(not_a_value(token) for token in path if token not in span):
            continue
        if owner.shared and any(lemma(t) in TOGETHER for token in path for t in [token, *token.children]):
            continue  # "a combined total of £1.5m" for two
        beyond = [token for token in path if token not in span]
        combined = any(lemma(c) in ("combined", "joint") for t in path for c in kids(t, "amod"))
        if partitive(beyond) or combined and (owner.category != CONTRACT or owner.shared):
            continue  # "two of five contracts worth £2bn in all", "a combined fine of £500,000": not one fact's
        if owner.category == CONTRACT and any(lemma(t) in CEILINGS for t in path):
            continue  # "a place on the £750m framework": a ceiling its suppliers share, not this one's money
        of_costs = [p for prep in kids(span.root, "prep") if prep.lower_ == "of" for p in kids(prep, "pobj")]
        of_costs += [
            o
            for verb in path
            if verb.pos_ == "VERB"
            for x in kids(verb, "xcomp", "advcl")
            if lemma(x) in ("cover", "meet")
            for o in kids(x, "dobj")
        ]  # "£5.6m to cover the costs"
        costs_words = any(lemma(t) == "cost" and t.tag_ == "NNS" for t in path + of_costs)
        said = said_as(span)
        if costs_words and (said == "penalty" or said != "costs" and costs_beside(span)):
            costs_words = False  # "fined £190,000 plus £50,000 costs", "a penalty of £19.2m plus legal costs"
        if owner.category == ENFORCEMENT and owner.kind == "costs" and said == "penalty":
            owner = penalty_beside(owner, facts, doc[span.end] if span.end < len(doc) else span.root)
        kind = "costs" if owner.category == ENFORCEMENT and (costs_words or said == "costs") else None
        if kind and owner.kind != "costs":
            costs = next((f for f in facts if f.kind == "costs" and f.supplier == owner.supplier), None)
            if costs is None:
                costs = Found(ENFORCEMENT, "costs", owner.supplier, owner.rule + "+costs")
                facts.append(costs)
            costs.amounts.append(amount)
            continue
        if other is not None and other != owner.supplier:
            key = (owner.category, owner.kind, other)
            twin = next((f for f in facts if (f.category, f.kind, f.supplier) == key), None)
            if twin is None:
                twin = Found(owner.category, owner.kind, other, owner.rule + "+ellipsis")
                facts.append(twin)
            twin.amounts.append(amount)
            continue
        if reduced_to(span):
            owner.amounts.insert(0, amount)  # "cut from £20m to £14.4m": the sum that stands
        else:
            owner.amounts.append(amount)


def costs_beside(span) -> bool:
    """ "£190,000 plus £50,000 costs": a sum joined to another that the word "costs" follows."""
    doc = span.doc
    return any(said_as(doc[c.i : c.i + 1]) == "costs" for c in span.root.conjuncts if c.i >= span.end)


def said_as(span) -> str | None:
    """What the words right beside a sum call it, whatever the parse: "£3.7m costs", "£3.7m in costs", "a
    £19.2m penalty", "a penalty of £19.2m"."""
    doc = span.doc
    after = [lemma(t) for t in doc[span.end : span.end + 2]]
    before = [lemma(t) for t in doc[max(0, span.start - 2) : span.start]]
    if after[:1] == ["cost"] or after[:1] in (["in"], ["of"]) and after[1:] == ["cost"] or before == ["cost", "of"]:
        return "costs"
    if after[:1] == ["of"]:  # "£3.7m of the Serious Fraud Office's costs"
        rest = [t for t in doc[span.end + 1 : span.end + 8] if t.dep_ not in ("det", "poss", "case", "compound")]
        if rest and lemma(rest[0]) == "cost" and rest[0].tag_ == "NNS":
            return "costs"
    if after[:1] and after[0] in FINE_NOUNS or before[-1:] == ["of"] and before[:1] and before[0] in FINE_NOUNS:
        return "penalty"
    return None


def penalty_beside(costs: Found, facts: list[Found], word) -> Found:
    """The penalty a sum names, when the parse hung it on the costs beside it."""
    found = next((f for f in facts if f.category == ENFORCEMENT and f.kind not in ("costs",) and f.supplier ==
                  costs.supplier), None)  # fmt: skip
    if found is None:
        found = Found(ENFORCEMENT, kind_in("fine", word, word.doc), costs.supplier, costs.rule + "+penalty")
        facts.append(found)
    return found


def partitive(path: list) -> bool:
    """ "two of five contracts": the sum is of the five, not of the two won."""
    return any(
        any(g.lower_ == "of" for g in c.children) and (c.like_num or any(g.like_num for g in c.children))
        for t in path
        for c in [t, *t.children]
        if c.dep_ != "pobj" or c.head.lower_ != "of"
    )


def reduces_another(sentence: Sentence, facts: list[Found], before: list[Amount]) -> bool:
    """ "a £20,000 fine for the partner (reduced to £13,000)": the sum just before a reduced one was no fact's, so
    the reduction is someone else's too (not "cut from £20m to £14.4m")."""
    if not before or any(before[-1] in fact.amounts for fact in facts):
        return False
    span = sentence.doc.char_span(before[-1].start, before[-1].end, alignment_mode="expand")
    return span is not None and not (span.root.dep_ == "pobj" and span.root.head.lower_ == "from")


def the_only(facts: list[Found], costs: bool) -> Found | None:
    """The sentence's one enforcement fact that is costs (or, with costs=False, its one penalty), if just one."""
    found = [fact for fact in facts if fact.category == ENFORCEMENT and (fact.kind == "costs") == costs]
    return found[0] if len(found) == 1 else None


def reduced_to(span) -> bool:
    """ "cut to £14.4m", "discounted for settlement to 4.23 million pounds"."""
    return any(
        token.dep_ == "pobj"
        and token.head.lower_ == "to"
        and any(lemma(a) in REDUCING_VERBS for a in list(token.head.ancestors)[:3])  # "cut for settlement to £4m"
        or any(c.lower_ == "to" for c in token.children)
        and lemma(token.head) in REDUCING_VERBS  # "cut ... to £4m", the sum read as a verb
        for token in span
    )


def elliptical_supplier(sentence: Sentence, span):
    """ "Serco agreed to repay £68.5m and G4S £108.9m": a supplier named right before its own sum, after "and"
    or a comma."""
    doc = sentence.doc
    before = span.start - 1
    if before < 1 or before not in sentence.owner:
        return None
    first = before
    while first - 1 >= 0 and first - 1 in sentence.owner and sentence.owner[first - 1] == sentence.owner[before]:
        first -= 1
    if first >= 1 and doc[first - 1].lower_ in ("and", ",", "while", "whereas"):
        return sentence.owner[before]
    return None


def nearest_fact(root, facts: list[Found], loose: bool = False) -> Found | None:
    """A sum beside a single fact of its clause: the only fact of the sentence that takes a sum, when the sum
    hangs from its verb's clause (or anywhere, for an elliptical "and G4S £108.9m")."""
    takers = [fact for fact in facts if fact.category != INCIDENT]
    if len(takers) != 1:
        return None
    if loose:
        return takers[0]
    verbs = {t.i for t in takers[0].anchors if t.pos_ in ("VERB", "AUX")}
    current = root
    for _ in range(8):
        if current.i in verbs:
            return takers[0]
        if current.head == current:
            return None
        current = current.head
    return None


def not_a_value(token) -> bool:
    """A bid, a turnover, a comparison: not a contract's or a penalty's value; but a bid won is the contract."""
    won_bid = lemma(token) in ("bid", "tender") and token.dep_ == "dobj" and lemma(token.head) in WIN_VERBS
    return (
        token.tag_ in COMPARATIVE_TAGS
        or lemma(token) in NOT_A_VALUE
        and not won_bid
        or any(child.lower_ == "than" for child in token.children)
    )


def figures_in(doc) -> list[Figure]:
    """How many people or records an incident affected, as written ("296 tracers", "almost 300 people")."""
    figures = []
    for token in doc:
        if token.dep_ != "nummod" or lemma(token.head) not in FIGURE_UNITS or not token.like_num:
            continue
        try:
            value = Decimal(token.text.replace(",", ""))
        except ArithmeticError:
            continue
        qualifier = " ".join(c.lower_ for c in token.children if c.lower_ in FIGURE_QUALIFIERS) or None
        unit_tokens = [t for t in token.head.subtree if t.i >= token.i + 1 and t.i <= token.head.i]
        unit = " ".join(t.text for t in unit_tokens)
        text = doc[min([token.i, *(c.i for c in token.children)]) : token.head.i + 1].text
        figures.append(Figure(unit=unit, text=text, value=value, qualifier=qualifier))
    return figures


# The sentence after a fact that gives its sum: it opens on the thing told before ("The contract", "This
# extension", "Under the agreement", "It") and values it ("worth", "valued at", "comes to", "is £7m").
TOLD_BEFORE = r"(?:Under |Together, |In all, |In total, )?(?:the|this|that|these|those|its|it|they|their|both)\b"
# "Running to 2021, the extension is worth", "Awarded to Raytheon, the £110m contract": a leading phrase before the
# thing told before
LEADING_PHRASE = r"(?:(?:Running|Starting|Lasting|From|Beginning|Covering|Awarded|Signed|Granted) [^,.;£]{0,60},\s+)?"
VALUE_FIRST = re.compile(r"^(?:Worth|Valued at|Estimated at|With a value of)\s+(?:about |around |up to |some )?$")
TOLD_BEFORE_CONTRACT = re.compile(
    r"^[^,]{0,30},\s+(?:the|this|that|its)\s+(?:[\w-]+\s+){0,2}?(?:contracts?|deals?|extensions?|renewals?|"
    r"agreements?)\b",
    re.IGNORECASE,
)  # "Worth £42 million, the extension keeps..."
CONTRACT_AFTER_SUM = re.compile(  # "Under the £64m contract", "The £4.62bn ($6.4bn) contract calls for"
    r"^(?:\s*\([^()]{0,40}\))?(?:\s+[\w-]+){0,2}?\s+(?:contracts?|deals?|extensions?|renewals?|agreements?)\b",
    re.IGNORECASE,
)
VALUE_WORDS = re.compile(
    r"\b(?:worth|valued|value|values|estimated at|total(?:s|ling|ing|led|ed)?|comes? to|amounts? to|costs?|turnover|"
    r"price|(?:is|are|was|were) (?:about |around |nearly |almost |over |up to )?£)",
    re.IGNORECASE,
)
CONTRACT_WORDS = re.compile(
    r"\b(?:contracts?|deals?|agreements?|frameworks?|franchises?|work|extensions?|renewals?|awards?|schemes?|"
    r"programmes?|projects?|services?|it|they)\b",
    re.IGNORECASE,
)
CEILING_TOLD = re.compile(LEADING_PHRASE + r"(?:the|this|that|its)\s+(?:[\w-]+\s+){0,2}?frameworks?\b", re.I)
PENALTY_WORDS = {
    "fine": r"fines?|penalt(?:y|ies)|sanctions?",
    "dpa_penalty": r"fines?|penalt(?:y|ies)",
    "service_credit": r"deductions?|service credits?|penalt(?:y|ies)|fines?",
    "repayment": r"repayments?|refunds?|settlement",
    "compensation": r"compensation|damages|payouts?|award",
}


def value_stated_next(sentence: str, kind: str = "award") -> Amount | None:
    """A fact's sum given in the sentence after it: "The contract, which has a total value of about £7m, runs to
    2030.", "The extension is worth £140m.", "The £14.4m fine was issued by a tribunal."."""
    amounts = find_amounts(sentence)
    if not amounts:
        return None
    if kind == "award" and VALUE_FIRST.match(sentence[: amounts[0].start]):
        return amounts[0] if TOLD_BEFORE_CONTRACT.match(sentence[amounts[0].end :]) else None
    opening = re.match(LEADING_PHRASE + TOLD_BEFORE + r"[^.;]{0,90}", sentence, re.IGNORECASE)
    if opening is None:
        return None
    before_sum = sentence[: amounts[0].start]
    if kind == "award" and CEILING_TOLD.match(sentence):
        return None  # "The framework will run for ten years, with a pipeline of £700m": shared by its suppliers
    if kind == "award":
        valued = VALUE_WORDS.search(sentence[: amounts[0].end]) and CONTRACT_WORDS.search(before_sum)
        named_by_sum = CONTRACT_AFTER_SUM.match(sentence[amounts[0].end :])  # "Under the £64m contract, ..."
        return amounts[0] if valued or named_by_sum else None
    words = PENALTY_WORDS.get(kind)
    if words is None:
        return None
    told = re.match(TOLD_BEFORE + r"(?:\s+[\w£.,-]+){0,4}?\s+(?:" + words + r")\b", sentence, re.IGNORECASE)
    if not (told and re.search(r"\b(?:" + words + r")\b", sentence[: amounts[0].end + 12], re.I)):
        return None
    reduced = [a for a in amounts[1:2] if REDUCED_TO.search(sentence[amounts[0].end : a.start])]
    return reduced[0] if reduced else amounts[0]  # "a £500,000 fine reduced to £325,000": the sum that stands


REDUCED_TO = re.compile(r"^[^.;]{0,6}\b(?:cut|reduced|discounted|lowered)\b[^.;]{0,40}?\bto\s*$", re.IGNORECASE)
