"""Sums of money as notices and news write them ("£108m", "up to £410m", "between £5m and £7m"), and their
value in pounds sterling.

We looked at price-parser (Scrapinghub's library for prices on shop pages) first: it finds one price in a
short string and does not read "m"/"bn", qualifiers, ranges or money in a sentence, so this module is our own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from watchdog.normalise.rates import gbp_rate

SYMBOLS = {"£": "GBP", "€": "EUR", "US$": "USD", "$": "USD"}
CODES = ("GBP", "EUR", "USD", "AED", "CHF", "JPY", "CAD", "AUD", "NOK", "SEK", "DKK", "PLN", "CNY", "INR")
MULTIPLIERS = {
    "k": 10**3, "thousand": 10**3,
    "m": 10**6, "mn": 10**6, "million": 10**6, "millions": 10**6,
    "bn": 10**9, "billion": 10**9, "billions": 10**9,
    "tn": 10**12, "trillion": 10**12,
}  # fmt: skip
WORD_MULTIPLIERS = ("thousand", "million", "millions", "billion", "billions", "trillion")
# Words before a bare number ("ordered to pay 5 million") that make it money; the currency is then inferred.
MONEY_CUES = (
    r"pay|paid|pays|paying|repay|repaid|fined|fine of|fines of|penalty of|penalties of|worth|valued at|"
    r"value of|cost|costs|costing|compensation of|contract of|deal of|award of|damages of|settlement of"
)
QUALIFIERS_BEFORE = (
    "just over", "just under", "up to", "more than", "less than", "at least", "in excess of", "an estimated",
    "over", "under", "almost", "nearly", "around", "about", "approximately", "roughly", "some",
)  # fmt: skip
QUALIFIERS_AFTER = ("plus VAT", "excluding VAT", "including VAT", "ex VAT", "inc VAT", "exc VAT")
ABSURD = Decimal(10) ** 13

NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
MULTIPLIER = rf"\s?(?:{'|'.join(WORD_MULTIPLIERS)})\b|(?:k|mn|m|bn|tn)\b"
SYMBOL = r"US\$|[£€$]"
CODE = "|".join(CODES)
BEFORE = "|".join(re.escape(q) for q in QUALIFIERS_BEFORE)
AFTER = "|".join(re.escape(q) for q in QUALIFIERS_AFTER)

ONE = rf"""
    (?P<symbol>{SYMBOL})\s?(?P<number>{NUMBER})(?P<multiplier>{MULTIPLIER})?(?:\s?(?P<trailing_code>{CODE})\b)?
  | (?P<code>{CODE})\s?(?P<code_number>{NUMBER})(?P<code_multiplier>{MULTIPLIER})?
  | (?P<bare_number>{NUMBER})(?P<bare_multiplier>{MULTIPLIER})?
        (?:\s?(?:(?P<after_code>{CODE})\b|(?P<pounds>pounds\ sterling|pounds|pound)\b
                 |(?P<currency_word>dollars?|euros?)\b))?
"""
AMOUNT = re.compile(
    rf"(?:(?P<before>{BEFORE})\s+)?(?:{ONE})(?:\s?\(?(?P<after>{AFTER})\)?)?",
    re.VERBOSE | re.IGNORECASE,
)
CUE_BEFORE = re.compile(rf"\b(?:{MONEY_CUES})\s+(?:(?:a|an|the|some|{BEFORE})\s+)*$", re.IGNORECASE)
RANGE_JOINER = re.compile(r"^\s*(?:-|–|—|to)\s*$", re.IGNORECASE)
BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)
# "£1-2m": the second number's multiplier applies to the first too.
SHARED_MULTIPLIER = re.compile(
    rf"(?P<symbol>{SYMBOL})\s?(?P<low>{NUMBER})\s?(?:-|–|to)\s?(?P<high>{NUMBER})(?P<multiplier>{MULTIPLIER})",
    re.IGNORECASE,
)

# A sum written alone where a number belongs: "£1,000", "1,000.50", "GBP 2.5m", "1000 EUR".
LONE_AMOUNT = re.compile(
    rf"\s*(?:(?P<symbol>{SYMBOL})\s?|(?P<code>{CODE})\s?)?(?P<number>{NUMBER})(?P<multiplier>{MULTIPLIER})?"
    rf"(?:\s?(?P<trailing_code>{CODE}))?\s*",
    re.IGNORECASE,
)

CURRENCY_WORDS = {"dollar": "USD", "euro": "EUR", "pound": "GBP"}
WORD_COUNTS = {"half a": Decimal("0.5"), "a": Decimal(1), "one": Decimal(1), "two": Decimal(2), "three": Decimal(3),
               "four": Decimal(4), "five": Decimal(5), "six": Decimal(6), "seven": Decimal(7), "eight": Decimal(8),
               "nine": Decimal(9), "ten": Decimal(10)}  # fmt: skip
# "half a million pounds", "a million pounds": a sum in words, money only with its currency word.
WORDED = re.compile(
    rf"(?:(?P<before>{BEFORE})\s+)?\b(?P<count>half a|a|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?P<multiplier>thousand|million|billion)\s+(?P<unit>pounds?(?: sterling)?|dollars?|euros?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    """A sum found in text: the number, its currency, and the words around it as written."""

    amount: Decimal
    currency: str
    text: str
    start: int
    end: int
    qualifier: str | None = None
    currency_inferred: bool = False
    bound: str | None = None  # "lower" or "upper" when the text gives a range


def to_decimal(number: str, multiplier: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if multiplier:
        value *= MULTIPLIERS[multiplier.strip().lower()]
    return value if value.is_finite() and 0 <= value < ABSURD else None


def lone_amount(text: str) -> tuple[Decimal, str | None] | None:
    """A sum written alone where a number belongs ("£1,000"): its value and the currency it names, if any;
    None for any other text."""
    match = LONE_AMOUNT.fullmatch(text)
    value = to_decimal(match["number"], match["multiplier"]) if match else None
    if value is None:
        return None
    currency = match["trailing_code"] or match["code"] or SYMBOLS.get((match["symbol"] or "").upper())
    return value, currency.upper() if currency else None


def _amount_of(match: re.Match, text: str) -> Amount | None:
    parts = match.groupdict()
    if parts["symbol"]:
        currency = parts["trailing_code"] or SYMBOLS[parts["symbol"].upper()]
        value, inferred = to_decimal(parts["number"], parts["multiplier"]), False
    elif parts["code"]:
        currency, value, inferred = parts["code"], to_decimal(parts["code_number"], parts["code_multiplier"]), False
    else:
        currency = (
            parts["after_code"]
            or ("GBP" if parts["pounds"] else None)
            or CURRENCY_WORDS.get((parts["currency_word"] or "").lower().rstrip("s"))
        )
        inferred = currency is None
        if inferred and not (parts["bare_multiplier"] and CUE_BEFORE.search(text[: match.start("bare_number")])):
            return None  # a bare number is money only when the sentence says so: "3 million tests" is not
        value = to_decimal(parts["bare_number"], parts["bare_multiplier"])
        currency = currency or "GBP"
    if value is None:
        return None
    qualifier = "; ".join(q for q in (parts["before"], parts["after"]) if q) or None
    return Amount(value, currency.upper(), match.group(0), match.start(), match.end(), qualifier, inferred)


def find_amounts(text: str) -> list[Amount]:
    """Every sum of money in the text, in order; a range gives two, its lower and upper bound."""
    found: list[Amount] = []
    shared = {}
    for match in SHARED_MULTIPLIER.finditer(text):
        currency = SYMBOLS[match["symbol"].upper()]
        low, high = to_decimal(match["low"], match["multiplier"]), to_decimal(match["high"], match["multiplier"])
        if low is not None and high is not None:
            shared[match.start()] = (match.end(), [
                Amount(low, currency, match.group(0), match.start(), match.end(), bound="lower"),
                Amount(high, currency, match.group(0), match.start(), match.end(), bound="upper"),
            ])  # fmt: skip
    position = 0
    while position < len(text):
        if position in shared:
            end, pair = shared[position]
            found += pair
            position = end
            continue
        match = AMOUNT.search(text, position)
        if not match:
            break
        next_shared = min((s for s in shared if s >= position), default=None)
        if next_shared is not None and match.start() >= next_shared:
            position = next_shared
            continue
        amount = _amount_of(match, text)
        if amount:
            found.append(amount)
        position = max(match.end(), position + 1)
    for match in WORDED.finditer(text):
        if not any(a.start <= match.start("count") < a.end for a in found):
            value = WORD_COUNTS[" ".join(match["count"].lower().split())] * MULTIPLIERS[match["multiplier"].lower()]
            unit = match["unit"].lower().split()[0].rstrip("s")
            found.append(Amount(value, CURRENCY_WORDS[unit], match.group(0), match.start(), match.end(),
                                match["before"]))  # fmt: skip
    found.sort(key=lambda amount: amount.start)
    return mark_ranges(found, text)


def mark_ranges(amounts: list[Amount], text: str) -> list[Amount]:
    """'£1m-£2m', '£1m to £2m' and 'between £5m and £7m' are the two bounds of one range."""
    marked = list(amounts)
    for i in range(len(marked) - 1):
        low, high = marked[i], marked[i + 1]
        if low.bound or low.currency != high.currency:
            continue
        between = text[low.end : high.start]
        if RANGE_JOINER.match(between) or (between.strip().lower() == "and" and BETWEEN.search(text[: low.start])):
            marked[i] = _with_bound(low, "lower")
            marked[i + 1] = _with_bound(high, "upper")
    return marked


def _with_bound(amount: Amount, bound: str) -> Amount:
    return Amount(amount.amount, amount.currency, amount.text, amount.start, amount.end, amount.qualifier,
                  amount.currency_inferred, bound)  # fmt: skip


def amount_in_gbp(amount: Decimal | None, currency: str | None, year: int | None = None) -> Decimal | None:
    """The sum in pounds: as it is if in pounds, else at the year's average rate (None if no rate is known)."""
    if amount is None or currency is None:
        return None
    if currency == "GBP":
        return amount
    rate = gbp_rate(currency, year)
    return None if rate is None else (amount * rate.gbp_per_unit).quantize(Decimal("0.01"))
