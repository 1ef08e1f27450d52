"""Similar supplier names offered for review: a bracketed place, a trading name, a word more or less; and the
names that only look alike because one holds the other's one word, which are not offered."""

import pytest
from rapidfuzz import fuzz

from watchdog.identity.matching import SIMILAR, Entity, NameIndex, shares_enough_words
from watchdog.normalise.names import full_name_key, name_key


def pairs_offered(*suppliers: tuple[str, str | None]) -> list[tuple[str, str, float, str]]:
    """The pairs the review queue would offer among these (name, company number) suppliers."""
    index = NameIndex(
        Entity(supplier_id, name, name_key(name), number) for supplier_id, (name, number) in enumerate(suppliers)
    )
    return [(suppliers[pair.supplier_id][0], suppliers[pair.other_id][0], pair.score, pair.reason)
            for pair in index.candidate_pairs()]  # fmt: skip


ONE_FIRM = [
    # a bracketed place, and "for"/"of" (the pair)
    ("Royal School for the Deaf Derby", "Royal School of the Deaf (Derby)"),
    # the real trading name, written alone
    ("Zurich Insurance Company t/a Zurich Municipal", "Zurich Municipal"),
    ("Smith Ltd TA Jones Cleaning", "Jones Cleaning"),
    # a word dropped
    ("Hitachi Solutions Europe Ltd", "Hitachi Solutions Ltd"),
    ("Skyline Taxi and Private Hire Limited", "Skyline Private Hire Ltd"),
    ("Star Cars Of Corby Ltd", "Star Cars Ltd"),
]


@pytest.mark.parametrize(("name", "other"), ONE_FIRM)
def test_a_firm_under_two_spellings_is_offered(name, other):
    assert fuzz.token_sort_ratio(name_key(name), name_key(other)) < SIMILAR  # never offered before
    [(first, second, score, reason)] = pairs_offered((name, None), (other, None))
    assert (first, second, reason) == (name, other, "similar names")
    assert SIMILAR <= score <= 100


# Real-shaped names of different firms that share a word, a few of them buyers' suppliers in the fixtures.
TWO_FIRMS = [
    ("Hays Specialist Recruitment Limited", "Hays Travel Ltd"),
    ("McManus Flooring", "Hennessy Flooring Ltd"),
    ("Ace Cabs of Stamford", "TLC Cabs"),
    ("Independent Care Group", "Independent Domestic Abuse Services (IDAS)"),
    ("Friends of the Earth", "Friends of the Elderly"),
]
# ...and pairs that token_set_ratio alone would score 85 or more: one name's words inside the other's.
CONTAINED = [
    ("Serco Ltd", "Serco Leisure Operating Ltd"),
    ("Capita plc", "Capita Business Services Ltd"),
    ("Mitie Ltd", "Mitie Security Ltd"),
    ("Oxford City Council", "Oxford County Council"),
]


@pytest.mark.parametrize(("name", "other"), TWO_FIRMS + CONTAINED)
def test_different_firms_sharing_a_word_are_not_offered(name, other):
    assert pairs_offered((name, None), (other, None)) == []


@pytest.mark.parametrize(("name", "other"), CONTAINED)
def test_a_word_is_forgiven_only_when_the_names_share_enough(name, other):
    assert fuzz.token_set_ratio(full_name_key(name), full_name_key(other)) >= SIMILAR
    assert not shares_enough_words(full_name_key(name), full_name_key(other))


@pytest.mark.parametrize(
    ("first", "second", "enough"),
    [("royal school for the deaf derby", "royal school of the deaf derby", True),
     ("star cars of corby", "star cars", True),
     ("serco", "serco leisure operating", False),  # one word
     ("oxford city council", "oxford county council", False),  # two words of three
     ("friends of the earth", "friends of the elderly", False)],  # "of" and "the" are not shared names
)  # fmt: skip
def test_shared_words(first, second, enough):
    assert shares_enough_words(first, second) is enough


def test_names_offered_before_are_still_offered():
    offered = pairs_offered(("A1 Taxis", "14783275"), ("BA Taxis Ltd", None),
                            ("Lexis Nexis Limited (RELX (UK) Ltd", None), ("Lexis Nexus Ltd", None))  # fmt: skip
    assert [(first, second) for first, second, _, _ in offered] == [
        ("A1 Taxis", "BA Taxis Ltd"),
        ("Lexis Nexis Limited (RELX (UK) Ltd", "Lexis Nexus Ltd"),
    ]


def test_trading_as_spellings_under_two_company_numbers_are_offered_not_merged():
    offered = pairs_offered(("Smith Ltd TA Jones Cleaning", "09876543"), ("Smith Ltd T/A Jones Cleaning", "08765432"))
    assert offered == [
        ("Smith Ltd TA Jones Cleaning", "Smith Ltd T/A Jones Cleaning", 100.0,
         "different company numbers: separate legal entities unless a person says otherwise"),
    ]  # fmt: skip
