"""The enforcement rules on made-up sentences: each pattern with a sentence it must read and a near miss it must
not (rules only: labels=[])."""

from decimal import Decimal

import pytest
from extraction_support import known, rule_facts

KNOWN = known("Serco Group plc", "Capita plc", "G4S plc", "Mitie Group plc", "Kier Group plc")


def enforcement(text):
    """(kind, supplier, first amount) of each enforcement outcome read from the text by the rules alone."""
    return sorted(
        (f.kind, f.supplier, f.amounts[0].amount if f.amounts else None) for f in rule_facts(text, KNOWN, "enforcement")
    )


READS = [
    # a participle joined to a passive verb shares its passive
    (
        "Mitie was criticised and fined £300,000 by the regulator over its accounts.",
        [("fine", "Mitie Group plc", Decimal("300000"))],
    ),
    # a penalty under the supplier's own contract is the buyer's deduction
    (
        "Serco was fined £1.2m on its prison escort contract last year.",
        [("service_credit", "Serco Group plc", Decimal("1200000"))],
    ),
    (
        "G4S was fined £900,000 for contract breaches at the hospital.",
        [("service_credit", "G4S plc", Decimal("900000"))],
    ),
    (
        "Mitie has been fined £75,000 by the local authority for missed bin collections.",
        [("service_credit", "Mitie Group plc", Decimal("75000"))],
    ),
    # service credits are a fact without their sum
    (
        "The department imposed service credits on Capita after the backlog grew.",
        [("service_credit", "Capita plc", None)],
    ),
    # "£190,000 plus £50,000 costs": the costs are the second sum, the fine the first
    (
        "Kier was prosecuted and fined £190,000 plus £50,000 costs.",
        [("costs", "Kier Group plc", Decimal("50000")), ("fine", "Kier Group plc", Decimal("190000"))],
    ),
    # stripped of a duty it held
    (
        "Capita has been stripped of its responsibilities for running the pension scheme.",
        [("other", "Capita plc", None)],
    ),
    (
        "Serco, the ferry operator stripped of its franchise last year, has won a new contract.",
        [("other", "Serco Group plc", None)],
    ),
    # "withheld £40,000 of payments from"
    (
        "The council withheld £40,000 of payments from Mitie over the repairs.",
        [("service_credit", "Mitie Group plc", Decimal("40000"))],
    ),
    # "As well as the fine, the firm was ordered to pay costs"
    (
        "As well as the £60,000 fine, Kier was ordered to pay £9,000 in costs.",
        [("costs", "Kier Group plc", Decimal("9000")), ("fine", "Kier Group plc", Decimal("60000"))],
    ),
    # the costs of the case against the firm, with no sum
    ("Capita has agreed to pay the costs of the investigation.", [("costs", "Capita plc", None)]),
    ("Serco will also pay all of the regulator's costs of the inquiry.", [("costs", "Serco Group plc", None)]),
    ("G4S was ordered to pay £120,000 of costs after the hearing.", [("costs", "G4S plc", Decimal("120000"))]),
    (
        "The tribunal ordered Mitie to pay the costs of the proceedings and an interim payment on account of costs of "
        "£800,000.",
        [("costs", "Mitie Group plc", Decimal("800000"))],
    ),
]

READS += [
    # a reduced sum is the fine's only when the sum it reduces is
    (
        "The regulator hit Serco with a £400,000 fine, cut to £280,000 for admissions, while a director was fined "
        "£30,000, cut to £21,000.",
        [("fine", "Serco Group plc", Decimal("280000"))],
    ),
    # the sum that stands, told in the next sentence
    (
        "Capita has been fined by the regulator. The penalty, a £900,000 fine reduced to £630,000 for co-operation, "
        "concerns its pension audits.",
        [("fine", "Capita plc", Decimal("630000"))],
    ),
    # "a penalty of £2m plus legal costs": the sum is the penalty's; "£300,000 of the agency's costs" are costs
    (
        "Mitie agreed to pay a £2m financial penalty and £300,000 of the Environment Agency's costs.",
        [("costs", "Mitie Group plc", Decimal("300000")), ("fine", "Mitie Group plc", Decimal("2000000"))],
    ),
    (
        "Kier agreed to pay the regulator a penalty of £2m plus legal costs.",
        [("fine", "Kier Group plc", Decimal("2000000"))],
    ),
    # "plus tax" is the sum's tax, not a tax debt repaid
    (
        "Serco has agreed to give the government back £50m plus tax for overcharging.",
        [("repayment", "Serco Group plc", Decimal("50000000"))],
    ),
    # a settlement paid to a department over the contract is a repayment
    (
        "Serco will get no compensation and has made a large settlement to the DWP for leaving the contract.",
        [("repayment", "Serco Group plc", None)],
    ),
]

NOT_READ = [
    "Mitie was criticised and could be fined £300,000 by the regulator.",  # only a threat
    "G4S denied reports that it had been fined by the Ministry of Justice.",  # what reports say
    "No payments have been withheld from Kier since the project began.",  # negated
    "The department could impose service credits on Capita if the backlog grows.",  # a contract term
    "Capita has agreed to pay the costs of the new office building.",  # a business's own costs
    "Serco has been stripped of its chairman after the vote.",  # not a duty it held
    "As well as the £60,000 fine on its subcontractor, Kier was criticised by the judge.",  # another's fine
    "Serco will get no compensation and will make a settlement to the DWP.",  # not yet made
    "Capita has made a large settlement to a rival bidder.",  # not a public body
    "Having offered to repay £4m last year, G4S is still in talks.",  # only offered
    "Mitie promised to hand back any profits above the cap.",  # only promised
    "Kier has repaid a £20m loan to its banks.",  # a debt
]


@pytest.mark.parametrize(("text", "expected"), READS)
def test_an_enforcement_rule_reads_its_outcome(text, expected):
    assert enforcement(text) == expected


@pytest.mark.parametrize("text", NOT_READ)
def test_an_enforcement_rule_does_not_read_a_near_miss(text):
    assert enforcement(text) == []


def test_a_fine_on_the_site_of_a_contract_is_still_a_fine():
    """ "after a worker died on its road contract": the contract is where the death happened, not the penalty's
    ground."""
    text = "Kier was fined £2m after a worker died on its road contract."
    assert enforcement(text) == [("fine", "Kier Group plc", Decimal("2000000"))]


def test_a_regulator_called_an_authority_fines():
    text = "Capita was fined £5m by the Financial Conduct Authority."
    assert enforcement(text) == [("fine", "Capita plc", Decimal("5000000"))]


def test_non_financial_sanctions_are_no_fine():
    assert "fine" not in [kind for kind, _, _ in enforcement("Capita has accepted non-financial sanctions.")]
    assert enforcement("Capita has accepted sanctions of £80,000.") == [("fine", "Capita plc", Decimal("80000"))]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ohio fined Serco $200,000 last year for unauthorised menu changes.", "service_credit"),  # a state: client
        ("In April the state levied a $142,000 fine against Serco.", "service_credit"),
        ("Serco was fined $150,000 by the Department of Corrections after an inmate escaped.", "service_credit"),
        ("Serco was fined £1m for poor performance on the trains.", "service_credit"),  # how the service performed
        ("Serco was fined £5m by the rail regulator over its poor performance.", "fine"),  # a regulator
        ("The Environmental Protection Agency fined Serco $50,000 for the spill.", "fine"),
        ("A judge in Ohio fined Serco $30,000.", "fine"),  # a court, in a state
        ("Kier was fined £500,000 after a worker fell from a roof.", "fine"),
    ],
)
def test_a_fine_charged_by_the_client_is_a_deduction_and_a_regulators_a_fine(text, kind):
    """DOMAIN.md: money a buyer takes off under its contract is a service credit even when reported as a fine."""
    assert [found[0] for found in enforcement(text)] == [kind]


def test_a_name_the_parser_hangs_on_an_opening_date_is_still_the_subject():
    """ "On Monday Kier was fined": the small parser reads "Kier" as the object of "On" and leaves "fined" with no
    subject; the name just before the verb's auxiliaries is its subject."""
    assert enforcement("On Monday Kier was fined £2m after a worker died.") == [
        ("fine", "Kier Group plc", Decimal("2000000"))
    ]
    assert enforcement("On 12 January 2022 Kier Limited was fined £640,000.") == [
        ("fine", "Kier Group plc", Decimal("640000"))
    ]
