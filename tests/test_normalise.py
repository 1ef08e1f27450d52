"""Money, dates and names as sources write them: table-driven, and properties over arbitrary text."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from dateutil.parser import isoparse
from hypothesis import given, settings
from hypothesis import strategies as st

from watchdog.normalise.dates import parse_date, read_iso
from watchdog.normalise.money import amount_in_gbp, find_amounts
from watchdog.normalise.names import company_number, full_name_key, name_key, other_names
from watchdog.normalise.rates import gbp_rate

M = 1_000_000

MONEY = [
    # text, [(amount, currency, qualifier, bound, currency inferred)]
    ("a contract reported as worth £108m", [(108 * M, "GBP", None, None, False)]),
    ("and up to £410m with extensions", [(410 * M, "GBP", "up to", None, False)]),
    ("a £1.2bn deal", [(1_200 * M, "GBP", None, None, False)]),
    ("fined £1 million", [(M, "GBP", None, None, False)]),
    ("costs of £3.7 million", [(Decimal("3.7") * M, "GBP", None, None, False)]),
    ("agreed to repay £68.5m plus VAT", [(Decimal("68.5") * M, "GBP", "plus VAT", None, False)]),
    ("withheld just over £1m from its invoices", [(M, "GBP", "just over", None, False)]),
    ("almost £3 million", [(3 * M, "GBP", "almost", None, False)]),
    ("€3,500,000.00", [(Decimal("3500000.00"), "EUR", None, None, False)]),
    ("1,000.00 GBP", [(Decimal("1000.00"), "GBP", None, None, False)]),
    ("worth £1m-£2m a year", [(M, "GBP", None, "lower", False), (2 * M, "GBP", None, "upper", False)]),
    ("between £5m and £7m", [(5 * M, "GBP", None, "lower", False), (7 * M, "GBP", None, "upper", False)]),
    ("a £1-2m framework", [(M, "GBP", None, "lower", False), (2 * M, "GBP", None, "upper", False)]),
    ("was ordered to pay 5 million", [(5 * M, "GBP", None, None, True)]),
    ("a contract worth 30 million", [(30 * M, "GBP", None, None, True)]),
    ("a fine of 20 million pounds", [(20 * M, "GBP", None, None, False)]),
    ("US$4m", [(4 * M, "USD", None, None, False)]),
    ("over 3 million tests a day", []),
    ("2,000 patients were affected", []),
    ("296 contact tracers", []),
    ("in 2016-17", []),
    ("an amount of 1e9999", []),
]


@pytest.mark.parametrize(("text", "expected"), MONEY)
def test_money_as_written(text, expected):
    found = [(a.amount, a.currency, a.qualifier, a.bound, a.currency_inferred) for a in find_amounts(text)]
    assert found == [(Decimal(amount), *rest) for amount, *rest in expected]


def test_money_keeps_the_text_and_where_it_stands():
    sentence = "The Home Office withheld just over £1m from Serco."
    [amount] = find_amounts(sentence)
    assert amount.text == "just over £1m"
    assert sentence[amount.start : amount.end] == amount.text


def test_other_currencies_in_pounds_at_the_years_average_rate():
    rate = gbp_rate("EUR", 2020)
    assert (rate.year, rate.gbp_per_unit) == (2020, Decimal("0.889704"))
    assert amount_in_gbp(Decimal(3_500_000), "EUR", 2020) == Decimal("3113964.00")
    assert amount_in_gbp(Decimal(100), "GBP", 2020) == Decimal(100)
    assert gbp_rate("EUR", 1950).year == 1999  # before the euro's first year: the nearest year, said so
    assert amount_in_gbp(Decimal(100), "AED", 2026) is None  # no ECB rate: no pounds figure, not a guess


@given(st.text())
@settings(max_examples=400)
def test_money_never_fails_and_never_absurd(text):
    for amount in find_amounts(text):
        assert Decimal(0) <= amount.amount < Decimal(10) ** 13
        assert len(amount.currency) == 3


@given(st.from_regex(r"(up to |over |almost )?[£€$]?\d{1,6}(\.\d{1,2})?(m|bn| million)?( plus VAT)?", fullmatch=True))
def test_money_shaped_text_reads_as_non_negative_sums(text):
    for amount in find_amounts(text):
        assert amount.amount >= 0


DATES = [
    ("2020-05-14", date(2020, 5, 14), "day"),
    ("2020-05-14T23:30:00+01:00", date(2020, 5, 14), "day"),
    ("2025-07-01T10:00:00", date(2025, 7, 1), "day"),
    ("14 August 2020", date(2020, 8, 14), "day"),
    ("26/09/2025", date(2025, 9, 26), "day"),
    ("03:14 GMT14 August 2020", date(2020, 8, 14), "day"),
    ("Monday, July 27, 2026 - 15:30", date(2026, 7, 27), "day"),
    ("May 2020", date(2020, 5, 1), "month"),
    ("December 2013", date(2013, 12, 1), "month"),
    ("2016-17", date(2016, 1, 1), "year"),
    ("2019", date(2019, 1, 1), "year"),
    ("14 August", None, "unknown"),
    ("31/02/2020", None, "unknown"),
    ("soon", None, "unknown"),
    ("", None, "unknown"),
]


@pytest.mark.parametrize(("text", "value", "precision"), DATES)
def test_dates_as_written(text, value, precision):
    parsed = parse_date(text)
    assert (parsed.value, parsed.precision, parsed.text) == (value, precision, text)


@given(st.text())
@settings(max_examples=400)
def test_dates_never_fail(text):
    parsed = parse_date(text)
    assert parsed.precision in ("day", "month", "year", "unknown")
    assert (parsed.value is None) == (parsed.precision == "unknown")


NAMES = [
    # real supplier names from shared/realdata, and the worked example's
    ("Lexis Nexis Limited (RELX (UK) Ltd", "lexis nexis", ["RELX (UK) Ltd"]),
    ("Marstons holdings plc", "marstons holdings", []),
    ("Commonplace Digital Ltd.", "commonplace digital", []),
    ("SWITCH UP C.I.C.", "switch up", []),
    ("PwC (PricewaterhouseCoopers)", "pwc", ["PricewaterhouseCoopers"]),
    ("Ernst & Young LLP", "ernst and young", []),
    ("The Guinness Partnership", "guinness partnership", []),
    ("Hays Specialist Recruitment Limited", "hays specialist recruitment", []),
    ("SERCO LIMITED", "serco", []),
    ("Serco Ltd", "serco", []),
    ("Serco Group plc", "serco group", []),
    ("John Smith t/a Smith Plumbing", "john smith", ["Smith Plumbing"]),
    ("Zurich Insurance Company t/a Zurich Municipal", "zurich insurance", ["Zurich Municipal"]),
    ("Royal School of the Deaf (Derby)", "royal school of the deaf", ["Derby"]),
    ("Royal School for the Deaf Derby", "royal school for the deaf derby", []),
    # "TA" is a trading-as marker only in capitals between two names
    ("TA Associates Ltd", "ta associates", []),
    ("Vista Retail Ltd", "vista retail", []),
    ("Smith Ltd (TA Associates)", "smith", ["TA Associates"]),
]


@pytest.mark.parametrize(("name", "key", "others"), NAMES)
def test_name_keys(name, key, others):
    assert (name_key(name), other_names(name)) == (key, others)


TRADING_AS_SPELLINGS = ["TA", "T/A", "t/a", "T.A.", "t.a.", "trading as", "Trading As", "TRADING AS", "t/as"]


@pytest.mark.parametrize("marker", TRADING_AS_SPELLINGS)
def test_every_spelling_of_trading_as_gives_one_key(marker):
    for name, key, trading_name in [
        (f"Smith Ltd {marker} Jones Cleaning", "smith", "Jones Cleaning"),
        (f"Zurich Insurance Company {marker} Zurich Municipal", "zurich insurance", "Zurich Municipal"),
        (f"SMITH LTD {marker.upper()} JONES CLEANING", "smith", "JONES CLEANING"),
    ]:
        assert (name_key(name), other_names(name)) == (key, [trading_name])


@pytest.mark.parametrize("marker", [m for m in TRADING_AS_SPELLINGS if m != "TA"])
def test_a_bracketed_trading_name_is_listed_without_its_marker(marker):
    name = f"Zurich Insurance Company ({marker} Zurich Municipal)"
    assert (name_key(name), other_names(name)) == ("zurich insurance", ["Zurich Municipal"])


@pytest.mark.parametrize(
    ("name", "full_key"),
    [("Royal School of the Deaf (Derby)", "royal school of the deaf derby"),
     ("Royal School for the Deaf Derby", "royal school for the deaf derby"),
     ("Smith Ltd TA Jones Cleaning", "smith jones cleaning"),
     ("Smith Ltd T/A Jones Cleaning", "smith jones cleaning"),
     ("Lexis Nexis Limited (RELX (UK) Ltd", "lexis nexis relx"),
     ("PwC (PricewaterhouseCoopers)", "pwc pricewaterhousecoopers"),
     ("Hays Specialist Recruitment Limited", "hays specialist recruitment")],
)  # fmt: skip
def test_full_name_keys_keep_bracketed_and_trading_names(name, full_key):
    assert full_name_key(name) == full_key


@pytest.mark.parametrize(
    ("raw", "number"),
    [("242246", "00242246"), ("02048608", "02048608"), ("OC303525", "OC303525"), ("SC12345", "SC012345"),
     ("4142000", "04142000"), ("458577871", None), ("GB123", None), ("0", None), (None, None)],
)  # fmt: skip
def test_company_numbers_are_padded_to_eight(raw, number):
    assert company_number(raw) == number


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("fined half a million pounds by the council", Decimal("500000"), "GBP"),
        ("paid a million pounds in compensation", Decimal("1000000"), "GBP"),
        ("a 900 million pound contract", Decimal("900000000"), "GBP"),
        ("300 million pound (380 million dollars)", Decimal("300000000"), "GBP"),
        ("worth about a billion euros", Decimal("1000000000"), "EUR"),
    ],
)
def test_sums_written_in_words_or_with_a_currency_word(text, amount, currency):
    (first, *_) = find_amounts(text)
    assert (first.amount, first.currency) == (amount, currency)
    assert find_amounts("one of the firms said a million tests were done") == []


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)),
    offset_minutes=st.sampled_from([None, 0, 60, -300, 330]),
    form=st.sampled_from(["T", " ", "Z", "date", "minutes", "basic"]),
)
def test_the_fast_iso_reader_reads_every_form_as_dateutil_does(moment, offset_minutes, form):
    """read_iso tries the standard library first: on the forms notices write, it must agree with dateutil."""
    if offset_minutes is not None:
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    text = {
        "T": moment.isoformat(),
        " ": moment.isoformat(sep=" "),
        "Z": moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        "date": moment.date().isoformat(),
        "minutes": moment.isoformat(timespec="minutes"),
        "basic": moment.strftime("%Y%m%dT%H%M%S") + ("Z" if moment.tzinfo else ""),
    }[form]
    assert read_iso(text) == isoparse(text)
    assert read_iso(text).utcoffset() == isoparse(text).utcoffset()


def test_the_fast_iso_reader_falls_back_for_week_dates_and_midnight_as_24():
    assert read_iso("2020-W18-5") == datetime(2020, 5, 1)
    assert read_iso("2020-05-01T24:00:00Z") == datetime(2020, 5, 2, tzinfo=UTC)
