"""Supplier and buyer names, and company numbers, in the form used to match them."""

from __future__ import annotations

import functools
import re
import unicodedata

# Legal forms dropped from the end of a name before matching ("Serco Ltd" and "SERCO LIMITED" match).
LEGAL_FORM_WORDS = frozenset(
    {
        "limited",
        "ltd",
        "plc",
        "llp",
        "lp",
        "cic",
        "inc",
        "incorporated",
        "corporation",
        "corp",
        "co",
        "company",
        "lda",
        "gmbh",
        "ag",
        "sa",
        "bv",
        "nv",
        "llc",
        "uk",
    }
)
# Legal forms that only make sense as a phrase.
LEGAL_FORM_PHRASES = ("public limited company", "community interest company", "limited liability partnership")

# Companies House prefixes: Scotland, Northern Ireland, LLPs, overseas companies, partnerships, societies...
COMPANY_PREFIXES = frozenset(
    ("SC", "NI", "OC", "SO", "NC", "FC", "SF", "NF", "NL", "GE", "GN", "GS", "IP", "SP", "IC", "SI", "NP", "NO")
    + ("NA", "NV", "RC", "SR", "NR", "NZ", "SE", "ES", "LP", "SL", "PC", "SA", "SG", "SZ", "CE", "CS", "RS", "ZC")
)


BRACKETED = re.compile(r"\s*[(\[].*$")  # "(RELX (UK) Ltd", "[trading as ...]": to the end, balanced or not
SPELLED_TRADING_AS = r"(?i:t/as?|t\.a\.|trading\s+as)"  # "t/a", "T/A", "t/as", "T.A.", "Trading As"...
# ...or "TA", only in capitals and between two names: "Smith Ltd TA Jones", but not "TA Associates" or "Vista"
TRADING_AS = re.compile(rf"(?<=\S)\s+(?:{SPELLED_TRADING_AS}|TA)\s+(?=\S)")
LEADING_TRADING_AS = re.compile(rf"^{SPELLED_TRADING_AS}\s+")  # "Smith Ltd (t/a Jones)"


def main_name(name: str) -> str:
    """The entity's own name, without a bracketed or trading-as name after it."""
    stripped = TRADING_AS.split(BRACKETED.sub("", name), maxsplit=1)[0].strip()
    return stripped or name.strip()


def other_names(name: str) -> list[str]:
    """The name in brackets or after 'trading as': evidence for a reviewer, not a key."""
    found = []
    bracket = re.search(r"[(\[](.*)$", name)
    if bracket:
        inner = bracket.group(1).strip()
        if inner[-1:] in ")]" and inner.count("(") + inner.count("[") < inner.count(")") + inner.count("]"):
            inner = inner[:-1].strip()
        found.append(LEADING_TRADING_AS.sub("", inner))
    found += [trading.strip() for trading in TRADING_AS.split(name, maxsplit=1)[1:]]
    return [n for n in found if n]


def short_name(name: str) -> str:
    """The main name as written, without its trailing legal form: "Serco Geografix Ltd" -> "Serco Geografix"."""
    words = main_name(name).split()
    while len(words) > 1 and re.sub(r"[^a-z]", "", words[-1].lower()) in LEGAL_FORM_WORDS:
        words.pop()
    return " ".join(words).rstrip(",")


@functools.lru_cache(maxsize=1 << 16)  # the same buyers and suppliers recur on every page
def name_key(name: str) -> str:
    """The matching form of a name: its main name in lower case, '&' as 'and', no punctuation, no trailing
    legal form, no leading 'The' ("The Serco Group PLC (t/a Serco)" -> "serco group")."""
    text = unicodedata.normalize("NFKD", main_name(name)).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"(?<=\b\w)\.(?=\w\b)", "", text)  # C.I.C. -> CIC, U.K. -> UK
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    for phrase in LEGAL_FORM_PHRASES:
        text = re.sub(rf"\b{phrase}$", "", text).strip()
    words = text.split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_FORM_WORDS:
        words.pop()
    return " ".join(words)


def full_name_key(name: str) -> str:
    """The name key followed by the keys of its bracketed and trading-as names, for scoring similar names
    ("Royal School of the Deaf (Derby)" -> "royal school of the deaf derby")."""
    return " ".join(filter(None, (name_key(part) for part in (name, *other_names(name)))))


def company_number(raw: str | None) -> str | None:
    """A Companies House number in its 8-character form ('242246' -> '00242246'), or None if it is not one."""
    if not raw:
        return None
    value = re.sub(r"[\s-]", "", str(raw)).upper()
    if value.isdigit() and len(value) <= 8 and int(value) > 0:
        return value.zfill(8)
    prefix, digits = value[:2], value[2:]
    if prefix in COMPANY_PREFIXES and digits.isdigit() and len(digits) <= 6:
        return prefix + digits.zfill(6)
    return None
