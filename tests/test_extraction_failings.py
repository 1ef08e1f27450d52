"""Incidents a supplier owns up to, faults in its systems, and personal data "affected" (sentences written for
these tests; rules only, labels=[])."""

import pytest
from extraction_support import known, rule_facts

KNOWN = known("Serco Group plc", "Capita plc", "Compass Group plc", "Kier Group plc", "Mitie Group plc")


def facts(text):
    """(category, kind, supplier, first amount, rule) of each incident read from the text."""
    return sorted(
        (f.category, f.kind, f.supplier, f.amounts[0].amount if f.amounts else None, f.rule.split("+")[0])
        for f in rule_facts(text, KNOWN, "incident")
    )


def owned_up(supplier):
    return [("incident", "service_failure", supplier, None, "service_failure.owned_up")]


READS = [
    ("Mitie apologised last week for failures that left dozens of tenants without repairs.",
     owned_up("Mitie Group plc")),
    ("The chief executive of Kier has apologised for the mistakes made on the bin rounds.",
     owned_up("Kier Group plc")),
    ("Serco apologised for the dismal quality of the cleaning its staff carried out at the hospital.",
     owned_up("Serco Group plc")),
    ("In a letter to the trust, Capita acknowledged the shortcomings in its payroll service.",
     owned_up("Capita plc")),
    ("Compass has admitted several breaches of contract at the academy.", owned_up("Compass Group plc")),
]  # fmt: skip

NEAR_MISSES = [
    # a bare apology, one only refused or denied, a question, one for what another did
    "Serco apologised to the families on Tuesday.",
    "Kier refused to apologise for the failures.",
    "Capita did not apologise for the errors.",
    "Will Mitie apologise for the mistakes?",
    "The council apologised for the failures of its own staff, not Serco.",
    # an admission of bare mistakes, or of a data breach (a breach, not a service failure)
    "Mitie admitted mistakes.",
    "Capita admitted a data breach at its pensions arm.",
    # an error that exposed data is a breach
    "Capita apologised for an error which put the addresses of 500 residents online.",
]


# data_breach.exposed: personal data "affected" or "impacted", stated; not when none was
BREACHES = [
    ("Capita confirmed on Friday that records belonging to some scheme members had been affected.",
     [("incident", "data_breach", "Capita plc", None, "data_breach.exposed")]),
    ("The ransomware attack on Serco impacted the personal details of 12,000 staff.",
     [("incident", "data_breach", "Serco Group plc", None, "data_breach.exposed")]),
]  # fmt: skip

BREACH_NEAR_MISSES = [
    "Capita said no personal data had been affected by the outage.",
    "Serco said no customer details were leaked.",
    "Mitie said staff records may have been affected.",
    "The strike at Kier affected the collection of bins.",
]


# service_failure.faults: faults in the supplier's service or systems
FAULTS = [
    ("Thousands of parking permits were held up after software glitches at Serco last month.",
     [("incident", "service_failure", "Serco Group plc", None, "service_failure.faults")]),
    ("Residents said there had been problems with Kier's helpline since the spring.",
     [("incident", "service_failure", "Kier Group plc", None, "service_failure.faults")]),
]  # fmt: skip

FAULT_NEAR_MISSES = [
    "The council has had problems with the contract it signed with Mitie.",  # the contract, not the work
    "Capita was fined for technical problems in its call centres.",  # the reason for a penalty
    "The technical problems were fixed by Serco within a day.",  # told already
    "Did Kier have technical problems at the depot?",  # a question
    "Compass said there were no technical problems at its kitchens.",  # none
]


@pytest.mark.parametrize(("text", "expected"), READS + BREACHES + FAULTS)
def test_a_rule_reads_its_incident(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [(text, "service_failure") for text in NEAR_MISSES + FAULT_NEAR_MISSES]
    + [(text, "data_breach") for text in BREACH_NEAR_MISSES],
)
def test_a_near_miss_gives_no_incident_of_its_kind(text, kind):
    assert not [f for f in facts(text) if f[1] == kind]
