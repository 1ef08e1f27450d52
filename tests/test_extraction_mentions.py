"""How the text is read before the rules: sentence splitting, and known suppliers' names the parser would misread
(sentences written for these tests; rules only, labels=[])."""

from decimal import Decimal

import pytest

from watchdog.news import extraction
from watchdog.news.extraction import KnownSupplier, Mentions, extract_facts, read, sentences

KNOWN = Mentions(
    [
        KnownSupplier("Galliford Try plc", ("Galliford Try",)),
        KnownSupplier("Serco Group plc", ("Serco",)),
        KnownSupplier("Costain Group plc", ("Costain",)),
    ]
)


def facts(text):
    """(category, kind, supplier, first amount) of each fact read from the text."""
    return sorted(
        (f.category, f.kind, f.supplier, f.amounts[0].amount if f.amounts else None)
        for f in extract_facts(text, KNOWN, labels=[])
    )


NAME_READ_AS_VERB = [
    ("The health board has selected Galliford Try as principal construction partner to design and build two "
     "clinics worth a total of £14.8 million in Fife.",
     [("contract", "award", "Galliford Try plc", Decimal("14800000"))]),
    ("Two school contracts in Leeds totalling £18.4 million have also been secured by Galliford Try under the "
     "Yorkshire schools framework.",
     [("contract", "award", "Galliford Try plc", Decimal("18400000"))]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NAME_READ_AS_VERB)
def test_a_name_the_parser_reads_as_a_verb_is_parsed_as_one_name(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), NAME_READ_AS_VERB)
def test_without_it_the_name_is_misread(text, expected, monkeypatch):
    monkeypatch.setattr(extraction, "names_misread", lambda doc, named: False)
    assert facts(text) != expected


@pytest.mark.parametrize(
    "text",
    [
        "The health board has shortlisted Galliford Try as principal construction partner to design and build two "
        "clinics worth a total of £14.8 million in Fife.",
        "Five housing contracts in Hull totalling £12.7 million could be secured by Galliford Try under the regional "
        "framework.",
    ],
)
def test_a_name_parsed_whole_gives_no_fact_the_sentence_does_not_state(text):
    assert facts(text) == []


def test_the_name_parsed_whole_keeps_its_words_and_the_sentence_its_sums():
    text = NAME_READ_AS_VERB[1][0]
    doc = read(text, KNOWN).docs[0]
    assert doc.text == text
    assert [token.text for token in doc if token.pos_ == "PROPN" and " " in token.text] == ["Galliford Try"]
    assert "£18.4 million" in [token.text for token in doc]


def test_a_name_the_parser_reads_well_is_left_as_it_is():
    doc = read("Serco has won a £12m contract from Costain.", KNOWN).docs[0]
    assert [token.text for token in doc][:2] == ["Serco", "has"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Serco defrauded the U.S. Army and the U.S. Navy. It paid $30m.",
         ["Serco defrauded the U.S. Army and the U.S. Navy.", "It paid $30m."]),
        ("The firm is based in the U.K. The firm was fined £1m.",
         ["The firm is based in the U.K.", "The firm was fined £1m."]),
        ("The ruling came on Sept. 17 after a hearing. Serco paid.",
         ["The ruling came on Sept. 17 after a hearing.", "Serco paid."]),
        ("May I urge my hon. Friend to stay firm? He agreed.",
         ["May I urge my hon. Friend to stay firm?", "He agreed."]),
        ("Acme Ltd. was fined. Serco Ltd. was not.", ["Acme Ltd. was fined.", "Serco Ltd. was not."]),
    ],
)  # fmt: skip
def test_sentences_keep_initials_months_and_titles_whole(text, expected):
    assert sentences(text) == expected


def test_a_reference_reaches_over_a_name_in_initials():
    text = "Serco has admitted defrauding the U.S. Army, U.S. Navy and U.S. Air Force. The company was fined $5m."
    assert facts(text) == [
        ("enforcement", "fine", "Serco Group plc", Decimal("5000000")),
        ("incident", "other", "Serco Group plc", None),  # the fraud it admitted
    ]


PLACES = Mentions(
    [KnownSupplier("Ridgeway Care Ltd", ("Ridgeway Care",)), KnownSupplier("Serco Group plc", ("Serco",))]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Larches was closed in May after being rated Inadequate by the Care Quality Commission. "
         "It had been run by Ridgeway Care for six years.",
         [("incident", "inspection_failure", "Ridgeway Care Ltd")]),
        ("Inspectors have rated the Hillside surgery in Leeds inadequate. "
         "The surgery was taken over by the provider Ridgeway Care in 2019.",
         [("incident", "inspection_failure", "Ridgeway Care Ltd")]),
    ],
)  # fmt: skip
def test_a_place_told_of_before_the_supplier_that_runs_it_is_named(text, expected):
    found = extract_facts(text, PLACES, labels=[])
    assert [(f.category, f.kind, f.supplier) for f in found] == expected
    assert found[0].sentence == text  # the passage names the supplier


@pytest.mark.parametrize(
    "text",
    [
        # the next sentence names another company beside the supplier
        "The Larches was closed in May after being rated Inadequate by inspectors. "
        "It had been run by Ridgeway Care and Brill Homes Ltd for six years.",
        # a public body opens the sentence: "it" is not the place
        "The Care Quality Commission has rated the home inadequate. It was run by Ridgeway Care.",
        # the next sentence does not say who runs the place
        "The Larches was closed in May after being rated Inadequate by inspectors. It had worked with Ridgeway Care.",
        # the supplier is named in the sentence itself, which says nothing of it
        "The Hillside surgery in Leeds was rated inadequate, a report on Serco said. "
        "The surgery was taken over by the provider Ridgeway Care in 2019.",
    ],
)
def test_no_place_is_taken_for_the_supplier_when_the_next_sentence_does_not_say_it_runs_it(text):
    assert [f.kind for f in extract_facts(text, PLACES, labels=[]) if f.supplier == "Ridgeway Care Ltd"] == []


def test_a_short_name_left_as_one_common_word_is_not_a_mention():
    care = Mentions([KnownSupplier("Care UK", ()), KnownSupplier("Capita plc", ())])
    assert [m.supplier.name for m in care.find("A resident died at Cradlehall Care Home.")] == []
    assert [m.supplier.name for m in care.find("Care UK was fined and Capita paid.")] == ["Care UK", "Capita plc"]
