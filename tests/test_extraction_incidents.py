"""Incident rules read from service failures told as states of affairs: poor work, things done wrongly, things not
sent (sentences written for these tests; rules only, labels=[])."""

import pytest
from extraction_support import known, rule_facts

KNOWN = known("Serco Group plc", "Capita plc", "Amey", "Kier Group plc", "Atos", "Deloitte")


def facts(text):
    """(category, kind, supplier, first amount, rule) of each incident read from the text."""
    return sorted(
        (f.category, f.kind, f.supplier, f.amounts[0].amount if f.amounts else None, f.rule.split("+")[0])
        for f in rule_facts(text, KNOWN, "incident")
    )


def failure(supplier, rule):
    return [("incident", "service_failure", supplier, None, rule)]


READS = [
    # service_failure.poor_work
    ("The council said Amey's performance on the roads contract was poor.",
     failure("Amey", "service_failure.poor_work")),
    ("The committee called Kier's service \"wholly unacceptable\".",
     failure("Kier Group plc", "service_failure.poor_work")),
    ("The service we have had from Serco this winter is appalling.",
     failure("Serco Group plc", "service_failure.poor_work")),
    ("Nearly 5% of Atos's medical reports were substandard last year.", failure("Atos", "service_failure.poor_work")),
    ("The council said Capita had performed badly throughout the first year.",
     failure("Capita plc", "service_failure.poor_work")),
    ("Despite the bonuses it received, Serco fell far short of the agreed standards.",
     failure("Serco Group plc", "service_failure.poor_work")),
    ("Over 3,000 repairs carried out by Kier fell short of what tenants were promised.",
     failure("Kier Group plc", "service_failure.poor_work")),
    ("The mayor said in May: \"The service we are getting from Amey these days is dismal.\"",
     failure("Amey", "service_failure.poor_work")),
    # service_failure.complaints_upheld
    ("Serco received 4,200 complaints last year and it upheld 1,900 of them.",
     failure("Serco Group plc", "service_failure.complaints_upheld")),
    ("Almost 40% of the complaints made against Atos were upheld by the examiner.",
     failure("Atos", "service_failure.complaints_upheld")),
    # service_failure.noun: a backlog the supplier works through or clears
    ("Kier said it was working through the backlog of 8,000 repairs.",
     failure("Kier Group plc", "service_failure.noun")),
    ("Capita has been clearing the backlog since March.", failure("Capita plc", "service_failure.noun")),
    # service_failure.done_wrong
    ("Hundreds of pensions were wrongly suspended by Capita during the summer.",
     failure("Capita plc", "service_failure.done_wrong")),
    ("Atos incorrectly assessed 900 claimants as fit for work.", failure("Atos", "service_failure.done_wrong")),
    ("The review blamed the lost bookings on a string of errors by Serco.",
     failure("Serco Group plc", "service_failure.done_wrong")),
    # incident.dishonesty
    ("Kier has pleaded guilty to defrauding the council over road repairs.",
     [("incident", "other", "Kier Group plc", None, "incident.dishonesty")]),
    ("The regulator found that several of Deloitte's trainees had cheated in their exams.",
     [("incident", "other", "Deloitte", None, "incident.dishonesty")]),
    ("Capita admitted defrauding the pension scheme.",
     [("incident", "other", "Capita plc", None, "incident.dishonesty")]),
    # data_breach.noun: "the breach" with the supplier it happened at is told here, not back-referred
    ("The data breach at Serco exposed the home addresses of 4,000 staff.",
     [("incident", "data_breach", "Serco Group plc", None, "data_breach.noun")]),
    # service_failure.not_sent
    ("Capita admitted that 2,100 appointment letters were never posted to patients.",
     failure("Capita plc", "service_failure.not_sent")),
    ("Thousands of reminders were not issued by Serco before the deadline.",
     failure("Serco Group plc", "service_failure.not_sent")),
]  # fmt: skip

NEAR_MISSES = [
    # poor_work: the business's results, a penalty's reason, a question, a rating of a place, another's work
    "Amey's financial performance was poor in the first half.",
    "Kier was fined for poor performance on the waste contract.",
    "Why is the service from Serco still so poor?",
    "Inspectors found a poorly performing prison run by Serco.",
    "Capita said the council's own performance had been poor.",
    "The council said Serco's service was not poor.",
    # fall short: a duty or requirements are misconduct, not service levels
    "The regulator said Deloitte fell short of the duty of care it owed.",
    "A Deloitte audit of the bank fell short of the reporting requirements.",
    # done_wrong: what others wrongly think, a data breach, a penalty's reason, no one named as the doer
    "Serco was wrongly accused of losing the files.",
    "Capita mistakenly shared the email addresses of 200 staff.",
    "Deloitte was fined for failings in its audit of the retailer.",
    "Thousands of claims were wrongly rejected last year.",
    # complaints_upheld: a supplier's own appeal or claim upheld, complaints not upheld or only received
    "Serco's appeal against the deduction was upheld.",
    "Capita received 300 complaints, and none were upheld.",
    "The ombudsman did not uphold the complaints about Atos.",
    # a backlog someone else clears, or one only mentioned
    "The council is clearing the backlog left by Kier.",
    "Capita said the backlog had been cut.",
    # dishonesty: only accused, denied, possible, or the supplier the victim
    "Kier was accused of defrauding the council.",
    "Capita denied defrauding the pension scheme.",
    "Serco could have cheated the ministry.",
    "Fraudsters defrauded Atos of £2m.",
    # not_sent: hedged, denied, done
    "Capita said the letters would not be sent until May.",
    "Capita denied that any letters were not sent.",
    "The reminders from Serco were sent on time.",
]


@pytest.mark.parametrize(("text", "expected"), READS)
def test_reads(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses(text):
    assert not [f for f in facts(text) if f[1] in ("service_failure", "other")]


# data_breach.noun: "the breach" with no supplier it happened at, a notification
BREACH_NEAR_MISSES = [
    "The breach was reported to the regulator by Capita.",
    "The data breach notification from Serco came late.",
]


@pytest.mark.parametrize("text", BREACH_NEAR_MISSES)
def test_breach_near_misses(text):
    assert not facts(text)
