"""Contract awards (contract/award): the rules' readings added for the frames the train set missed, each with a
near miss it must not read (sentences written for these tests)."""

from decimal import Decimal

import pytest
from extraction_support import known, rule_facts

KNOWN = known("Serco Group plc", "Capita plc", "G4S plc", "Mitie Group plc", "Kier Group plc", "Compass Group plc")


def awards(text):
    """(supplier, kind, first amount, rule) of each contract fact the rules read from the text."""
    return sorted(
        (f.supplier, f.kind, f.amounts[0].amount if f.amounts else None, f.rule.split("+")[0])
        for f in rule_facts(text, KNOWN, "contract")
    )


READS = [
    # a contract taken over, told as the news
    ("Kier took over the £45m highways contract from a rival in March.",
     [("Kier Group plc", "award", Decimal("45000000"), "award.won")]),
    ("Mitie has taken over the cleaning contract at the hospital.",
     [("Mitie Group plc", "award", None, "award.won")]),
    ("The county council picked Capita to take over its £120m back-office contract.",
     [("Capita plc", "award", Decimal("120000000"), "award.appointed")]),
    # the recipient or the contract where the parse puts it
    ("The Home Office gave Serco, Mitie and Capita new five-year contracts to run the centres.",
     [("Capita plc", "award", None, "award.active_recipient"),
      ("Mitie Group plc", "award", None, "award.active_recipient"),
      ("Serco Group plc", "award", None, "award.active_recipient")]),
    ("The agency has awarded Kier a £75 million design and build contract to widen the bypass.",
     [("Kier Group plc", "award", Decimal("75000000"), "award.active_recipient")]),
    ("The DWP said the final PIP and WCA assessment contract had been awarded to Capita.",
     [("Capita plc", "award", None, "award.contract_to")]),
    # award verbs the rules did not know
    ("The £60m payroll contract was outsourced by the council to Capita in 2019.",
     [("Capita plc", "award", Decimal("60000000"), "award.contract_to")]),
    ("The £45m catering contract was awarded by the trust to Compass in 2021.",
     [("Compass Group plc", "award", Decimal("45000000"), "award.contract_to")]),
    ("After years of complaints, G4S lost the escort contract to Serco.",
     [("Serco Group plc", "award", None, "award.lost_to")]),
    # a signed contract's partner, off the verb
    ("In May the ministry signed a three year Framework Agreement for interpreting services with Capita.",
     [("Capita plc", "award", None, "award.agreed_with")]),
    ("The move follows a ten-year contract signed by Compass in 2015 to feed the garrison.",
     [("Compass Group plc", "award", None, "award.agreed_with")]),
    ("Under its £90m outsourcing agreement signed in 2012, Capita moved the force's payroll onto a new system.",
     [("Capita plc", "award", Decimal("90000000"), "award.agreed_with")]),
    ("In 2015 the trust entered into a seven-year partnership with Serco to run its laboratories.",
     [("Serco Group plc", "award", None, "award.agreed_with")]),
    ("Mitie entered into a £20m contract with the hospital trust.",
     [("Mitie Group plc", "award", Decimal("20000000"), "award.agreed_with")]),
    # a framework's ceiling, told in the next sentence, is not the supplier's award
    ("Kier has won a place on the council's building framework. The framework will run for eight years, with a "
     "pipeline of £400m.", [("Kier Group plc", "award", None, "award.won")]),
]  # fmt: skip

NEAR_MISSES = [
    "Mitie will take over the cleaning contract next year.",
    "Serco takes over the prison contract in September.",
    "G4S, which took over the contract from Serco in 2012, was fined £600,000 last year.",
    "Capita took over a smaller rival in 2010.",
    "The county council picked Capita to take over the software company.",
    "The authority instead picked Serco and another firm, even though G4S operates part of the network.",
    "Under the contract signed last year, the council may fine Mitie.",
    "Mitie cleans 40 schools under a contract with the council.",
    "A contract signed by the council runs to 2030.",
    "The council may enter into a contract with Mitie next year.",
    "The council outsourced its payroll to Capita.",
    "The contract was awarded by the council to the west of Capita's depot.",
    "G4S could lose the escort contract to Serco.",
    "G4S lost the escort contract to a smaller rival.",
    "The DWP said the final PIP and WCA assessment contract could be awarded to Capita.",
    "Serco entered into a deferred prosecution agreement with the Serious Fraud Office.",
]
OLD_HOLDER = "The council awarded the Serco contract to Mitie."


@pytest.mark.parametrize(("text", "expected"), READS)
def test_an_award_is_read(text, expected):
    assert awards(text) == expected


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_a_near_miss_is_no_award_of_theirs(text):
    assert awards(text) == []


def test_a_contract_named_for_its_old_holder_is_the_new_holders_award():
    assert awards(OLD_HOLDER) == [("Mitie Group plc", "award", None, "award.contract_to")]


def test_a_contracts_own_value_in_the_next_sentence_is_still_read():
    text = "Kier has won a highways contract from the council. The contract is worth £5m."
    assert awards(text) == [("Kier Group plc", "award", Decimal("5000000"), "award.won")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Serco was handed a contract to run the fleet. Awarded to Serco, the £110m contract runs to 2030.", 110000000),
        ("The ministry awarded the contract to Serco in 2010. The £4.62bn ($6.4bn) contract calls for 589 vehicles.",
         4620000000),
    ],
)  # fmt: skip
def test_an_awards_value_in_the_next_sentence_after_a_leading_phrase_or_with_its_conversion(text, value):
    assert [(supplier, kind, amount) for supplier, kind, amount, _ in awards(text)] == [
        ("Serco Group plc", "award", Decimal(value))
    ]
