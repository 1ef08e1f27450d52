"""Each extraction rule on sentences it must read and sentences it must not (written for these tests)."""

import hashlib
from pathlib import Path

import pytest
from extraction_support import known

from watchdog.news.extraction import extract_facts, language

KNOWN = known("Serco Group plc", "Capita plc", "G4S plc", "Mitie Group plc", "Kier Group plc", "Northgate plc")


def facts(text):
    """(category, kind, supplier, first amount, rule) of each fact read from the text."""
    return sorted(
        (f.category, f.kind, f.supplier.split()[0], f.amounts[0].amount if f.amounts else None, f.rule.split("+")[0])
        for f in extract_facts(text, KNOWN, labels=[])
    )


READS = [
    ("Serco was awarded a £108m contract by the Department of Health.",
     [("contract", "award", "Serco", 108_000_000, "award.passive_recipient")]),
    ("The contract was awarded to Serco and Mitie.",
     [("contract", "award", "Mitie", None, "award.contract_to"),
      ("contract", "award", "Serco", None, "award.contract_to")]),
    ("The Home Office awarded Capita a £50m deal.",
     [("contract", "award", "Capita", 50_000_000, "award.active_recipient")]),
    ("Kier was appointed to build the new hospital.", [("contract", "award", "Kier", None, "award.appointed")]),
    ("Mitie has won a £12m facilities contract.", [("contract", "award", "Mitie", 12_000_000, "award.won")]),
    ("The council renewed Serco's contract for five years.", [("contract", "award", "Serco", None, "award.renewed")]),
    ("Mitie won the cleaning deal. The contract, which has a total value of about £7m, runs to 2030.",
     [("contract", "award", "Mitie", 7_000_000, "award.won")]),
    ("G4S was fined £250,000 and ordered to pay costs of £2,100.",
     [("enforcement", "costs", "G4S", 2100, "costs.noun"), ("enforcement", "fine", "G4S", 250_000, "fine.verb")]),
    ("The regulator fined Capita £14m over the attack.", [("enforcement", "fine", "Capita", 14_000_000, "fine.verb")]),
    ("A fine of £400,000 was imposed on Kier.", [("enforcement", "fine", "Kier", 400_000, "fine.noun")]),
    ("The Home Office withheld £1m from Serco over the state of the housing.",
     [("enforcement", "service_credit", "Serco", 1_000_000, "service_credit.withheld")]),
    ("Serco agreed to repay £68.5m to the Ministry of Justice.",
     [("enforcement", "repayment", "Serco", 68_500_000, "repayment.repaid")]),
    ("A tribunal ordered Capita to pay £23,000 in compensation.",
     [("enforcement", "compensation", "Capita", 23_000, "compensation.noun")]),
    ("The HSE served Mitie with an improvement notice.", [("enforcement", "other", "Mitie", None, "other.notice")]),
    ("Serco exposed the email addresses of 296 contact tracers.",
     [("incident", "data_breach", "Serco", None, "data_breach.exposed")]),
    ("A Kier worker was killed when a wall collapsed.",
     [("incident", "death_or_injury", "Kier", None, "death_or_injury")]),
    ("Capita failed to meet its targets for assessments.",
     [("incident", "service_failure", "Capita", None, "service_failure.missed")]),
    ("Serco could not provide enough staff for the wards.",
     [("incident", "service_failure", "Serco", None, "service_failure.missed")]),
    ("The prison run by G4S was rated inadequate.",
     [("incident", "inspection_failure", "G4S", None, "inspection_failure")]),
    ("A riot broke out at the G4S-run prison.", [("incident", "other", "G4S", None, "incident.other")]),
    ("Northgate's site manager admitted two charges. The company was fined £40,000.",
     [("enforcement", "fine", "Northgate", 40_000, "fine.verb")]),
    ("On top of the fine it will have to pay, Kier was ordered to pay costs of £9,000.",
     [("enforcement", "costs", "Kier", 9000, "costs.noun")]),
    ("A £40m deal agreed with Serco will run to 2030.",
     [("contract", "award", "Serco", 40_000_000, "award.agreed_with")]),
    ("Mitie beat rivals to win the £20m contract.", [("contract", "award", "Mitie", 20_000_000, "award.won")]),
    ("Serco won two of five contracts worth £2bn in all.", [("contract", "award", "Serco", None, "award.won")]),
    ("A combined fine of £500,000 was imposed on Serco and the council.",
     [("enforcement", "fine", "Serco", None, "fine.noun")]),
    ("The £50m contract awarded to Serco in 2019 runs to 2030.",
     [("contract", "award", "Serco", 50_000_000, "award.contract_to")]),
    ("Capita, which won the deal in 2012, says it met its targets.",
     [("contract", "award", "Capita", None, "award.won")]),
    ("The department pressed ahead with renewing the Capita contract in November 2010.",
     [("contract", "award", "Capita", None, "award.renewed")]),
    ("The Ministry of Justice has taken over the running of HMP Birmingham from private contractor G4S.",
     [("enforcement", "other", "G4S", None, "other.stepped_in")]),
    ("The regulator fined Mitie. It also ordered the firm to pay £120,000 to cover the costs of the investigation.",
     [("enforcement", "costs", "Mitie", 120_000, "costs.noun"), ("enforcement", "fine", "Mitie", None, "fine.verb")]),
    ("Serco made a £70m repayment to the Ministry of Justice.",
     [("enforcement", "repayment", "Serco", 70_000_000, "repayment.noun")]),
    ("Capita Financial Managers has paid £51m to the regulator as redress for its part in the collapse.",
     [("enforcement", "compensation", "Capita", 51_000_000, "compensation.noun")]),
    ("The council terminated the contract with Mitie over missed targets.",
     [("enforcement", "other", "Mitie", None, "other.terminated")]),
    ("Capita has paid the regulator £51m in compensation over the fund.",
     [("enforcement", "compensation", "Capita", 51_000_000, "compensation.noun")]),
    ("HMP Doncaster is run by Serco. A previous inspection found a poorly performing institution in a state of drift.",
     [("incident", "inspection_failure", "Serco", None, "inspection_failure.found")]),
    ("Over the tagging scandal, Serco agreed to repay £68.5m and G4S £108.9m.",
     [("enforcement", "repayment", "G4S", 108_900_000, "repayment.repaid"),
      ("enforcement", "repayment", "Serco", 68_500_000, "repayment.repaid")]),
    ("Kier was fined £300,000 after a steel beam fell onto a labourer's foot.",
     [("enforcement", "fine", "Kier", 300_000, "fine.verb"), ("incident", "death_or_injury", "Kier", None,
                                                              "death_or_injury")]),
    ("A cleaner fell from a ladder and died at the hospital. Mitie was fined £90,000 after an HSE investigation.",
     [("enforcement", "fine", "Mitie", 90_000, "fine.verb"),
      ("incident", "death_or_injury", "Mitie", None, "death_or_injury.beside")]),
    ("The trust found serious quality failures in the scans Capita carried out.",
     [("incident", "service_failure", "Capita", None, "service_failure.noun")]),
    ("Capita awarded £400m army recruitment deal", [("contract", "award", "Capita", 400_000_000,
                                                     "award.active_recipient")]),
    ("Against expectations, Mitie won a £75m bid to run the centre.",
     [("contract", "award", "Mitie", 75_000_000, "award.won")]),
    ("The MoJ took control of the jail from its contractor G4S after a damning inspection found that violence was "
     "rife.", [("enforcement", "other", "G4S", None, "other.stepped_in"),
               ("incident", "inspection_failure", "G4S", None, "inspection_failure.found")]),
    ("A man died in a road crash near Leeds. Serco won a £5m contract for the city's buses.",  # not Serco's death
     [("contract", "award", "Serco", 5_000_000, "award.won")]),
    ("Serco was fined £1m. A lorry hit the barrier on the A2.",  # no one was hurt
     [("enforcement", "fine", "Serco", 1_000_000, "fine.verb")]),
    ("Kier was hit with a fine over the collapse. The £2m penalty was imposed by a judge at Leeds.",
     [("enforcement", "fine", "Kier", 2_000_000, "fine.noun")]),
    ("Kier has won a framework place. The extension is worth £40m over four years.",
     [("contract", "award", "Kier", 40_000_000, "award.won")]),
    ("Mitie's security business has been awarded a £30m contract by the Home Office.",
     [("contract", "award", "Mitie", 30_000_000, "award.passive_recipient")]),
    ("A consortium led by Capita was awarded the contract in May.",
     [("contract", "award", "Capita", None, "award.passive_recipient")]),
    ("Capita, the company that won the £400m contract, declined to comment.",
     [("contract", "award", "Capita", 400_000_000, "award.won")]),
    ("Capita is one of six companies that have won places on the £2bn framework agreement.",
     [("contract", "award", "Capita", None, "award.won")]),
    ("Serco was fined £23m by the Serious Fraud Office.",
     [("enforcement", "dpa_penalty", "Serco", 23_000_000, "fine.verb")]),
    ("Serco paid the Ministry of Justice £12.8m in compensation.",
     [("enforcement", "repayment", "Serco", 12_800_000, "compensation.noun")]),
    ("The Army penalised Capita for missing recruitment targets with a deduction of £26m.",
     [("enforcement", "service_credit", "Capita", 26_000_000, "fine.verb"),
      ("incident", "service_failure", "Capita", None, "service_failure.missed")]),
    ("The department found significant quality failures in the reports Capita wrote.",
     [("incident", "service_failure", "Capita", None, "service_failure.noun")]),
    ("Serco fined £10,000 over neglect at asylum house", [("enforcement", "fine", "Serco", 10_000, "fine.verb")]),
    ("The regulator fined Capita £14m for failing to protect the security of 6.6m savers' records.",  # conduct
     [("enforcement", "fine", "Capita", 14_000_000, "fine.verb")]),
    ("Standards at Capita had fallen unacceptably, the department said.",
     [("incident", "service_failure", "Capita", None, "service_failure.missed")]),
    ("More than 47,000 women did not receive screening letters from Capita.",
     [("incident", "service_failure", "Capita", None, "service_failure.not_received")]),
    ("G4S charged the ministry for tagging offenders who were dead or in prison.",
     [("incident", "other", "G4S", None, "incident.overcharged")]),
    ("Serco, which also bid for the contract, lost out to Mitie.", [("contract", "award", "Mitie", None,
                                                                     "award.lost_to")]),
    ("Capita is part of a joint venture that won the £1.3bn contract.",
     [("contract", "award", "Capita", None, "award.venture_won")]),
    ("Under the new deal, Capita will provide meals to 50 schools. The contract is worth £8m.",
     [("contract", "award", "Capita", 8_000_000, "award.under_new_deal")]),
    ("Capita accidentally emailed the personal details of 3,000 tenants to the wrong people.",
     [("incident", "data_breach", "Capita", None, "data_breach.exposed")]),
    ("Mitie tenants were left without heating for weeks, the council said.",
     [("incident", "service_failure", "Mitie", None, "service_failure.left_without")]),
    ("A Kier worker lost two fingers in a machine.", [("incident", "death_or_injury", "Kier", None,
                                                       "death_or_injury")]),
    ("Mitie's failure to grit roads led to several crashes.",
     [("incident", "service_failure", "Mitie", None, "service_failure.noun")]),
    ("Bins went uncollected after Serco failed to send crews.",
     [("incident", "service_failure", "Serco", None, "service_failure.missed")]),
    ("Serco must pay £1.5m after being convicted of exporting waste illegally.",
     [("enforcement", "fine", "Serco", 1_500_000, "fine.ordered_to_pay")]),
    ("The tribunal ordered Mitie to pay £28,000 to a former security guard.",
     [("enforcement", "compensation", "Mitie", 28_000, "compensation.paid_to")]),
    ("Capita agreed to pay a £2m penalty to settle the case.", [("enforcement", "fine", "Capita", 2_000_000,
                                                                "fine.noun")]),
    ("Mitie has been handed another 20 million to run the service.",
     [("contract", "award", "Mitie", 20_000_000, "award.passive_recipient")]),
    ("Capita has been re-appointed to run the scheme.", [("contract", "award", "Capita", None, "award.appointed")]),
    ("A company running a care home has been fined £10,000. The council said Mitie, which runs the home, had "
     "ignored warnings.", [("enforcement", "fine", "Mitie", 10_000, "fine.verb")]),
    ("Mitie incurred penalties of £300,000 for missing targets.",
     [("enforcement", "service_credit", "Mitie", 300_000, "fine.noun")]),
    ("Serco's £1m fine was the largest of its kind.", [("enforcement", "fine", "Serco", 1_000_000, "fine.noun")]),
    ("G4S's £109m repayment to the ministry ended the dispute.",
     [("enforcement", "repayment", "G4S", 109_000_000, "repayment.noun")]),
    ("The judge fined Kier £600,000, saying the firm had ignored warnings.",
     [("enforcement", "fine", "Kier", 600_000, "fine.verb")]),
    ("Mitie's initial £6.5m fine was cut for settlement to £4.23m.",
     [("enforcement", "fine", "Mitie", 4_230_000, "fine.noun")]),
    ("G4S was ordered to pay a £19.2m penalty and £3.7m costs.",
     [("enforcement", "costs", "G4S", 3_700_000, "costs.noun"),
      ("enforcement", "fine", "G4S", 19_200_000, "fine.noun")]),
    ("On top of the £1 million fine, Mitie was ordered to pay £130,000 in costs.",
     [("enforcement", "costs", "Mitie", 130_000, "costs.noun"), ("enforcement", "fine", "Mitie", 1_000_000,
                                                                 "fine.noun")]),
    ("Kier has won a place on a new £750 million highways framework.",
     [("contract", "award", "Kier", None, "award.won")]),
    ("Capita missed 90% of its recruitment targets last year.",
     [("incident", "service_failure", "Capita", None, "service_failure.missed")]),
    ("The council withheld £2.4m in payments from Mitie over poor repairs.",
     [("enforcement", "service_credit", "Mitie", 2_400_000, "service_credit.withheld")]),
    ("G4S apologised after detainees were subjected to abuse by staff.", [("incident", "other", "G4S", None,
                                                                           "incident.other")]),
    ("Mitie was given a public reprimand by the regulator.", [("enforcement", "other", "Mitie", None, "other.notice")]),
    ("At least 600 prisoners seized control of four wings of the G4S-run jail during a riot.",
     [("incident", "other", "G4S", None, "incident.other")]),
    ("A £14m fine has been handed to Capita over security failings. The record fine follows a data breach in "
     "which six million people's information was compromised.",
     [("enforcement", "fine", "Capita", 14_000_000, "fine.noun"),
      ("incident", "data_breach", "Capita", None, "data_breach.noun.beside")]),
    ("Attackers stole the personal information of 6.6 million people from the records that Capita holds.",
     [("incident", "data_breach", "Capita", None, "data_breach.exposed")]),
    ("Kier was fined £1.8m after an investigation into the death of a road worker.",
     [("enforcement", "fine", "Kier", 1_800_000, "fine.verb"),
      ("incident", "death_or_injury", "Kier", None, "death_or_injury")]),
    ("A labourer was hurt when the trench fell in on him. Kier was the principal contractor at the site.",
     [("incident", "death_or_injury", "Kier", None, "death_or_injury.beside")]),
    ("A man was hurt in a crash on the M6. Kier won a £3m resurfacing contract for the road.",  # not Kier's injury
     [("contract", "award", "Kier", 3_000_000, "award.won")]),
    ("Mitie will also pay £300,000 towards the costs of the investigation, the regulator said.",
     [("enforcement", "costs", "Mitie", 300_000, "costs.noun")]),
    ("Both Serco and G4S made repayments after the audit.",
     [("enforcement", "repayment", "G4S", None, "repayment.noun"),
      ("enforcement", "repayment", "Serco", None, "repayment.noun")]),
    ("Serco agreed to pay back £68.5m.", [("enforcement", "repayment", "Serco", 68_500_000, "repayment.repaid")]),
    ("The regulator hit Kier with a £500,000 fine, cut to £325,000 for its admissions.",
     [("enforcement", "fine", "Kier", 325_000, "fine.noun")]),
    ("The fine on Capita was cut to £3m from £4m because it settled.",
     [("enforcement", "fine", "Capita", 3_000_000, "fine.noun")]),
    ("Kier was also ordered to pay £240,000 in costs.", [("enforcement", "costs", "Kier", 240_000, "costs.noun")]),
    ("Mitie was given a two-year extension to its cleaning contract. Worth £42m, the extension runs to 2027.",
     [("contract", "award", "Mitie", 42_000_000, "award.passive_recipient")]),
    ("Capita has won a contract to run the service. Running from May 2025 to May 2030, the deal is worth £85m.",
     [("contract", "award", "Capita", 85_000_000, "award.won")]),
    ("Kier has been appointed to build the prison. The £54m contract will replace the old jail.",
     [("contract", "award", "Kier", 54_000_000, "award.appointed")]),
    ("Kier has signed two building contracts with the ministry, worth a combined £101m.",
     [("contract", "award", "Kier", 101_000_000, "award.won")]),
    ("Serco was fined £350,000 after a cleaner was hit by a reversing lorry.",
     [("enforcement", "fine", "Serco", 350_000, "fine.verb"), ("incident", "death_or_injury", "Serco", None,
                                                                 "death_or_injury")]),
    ("Kier was fined £2m after a reversing wagon ran over a worker at its depot.",
     [("enforcement", "fine", "Kier", 2_000_000, "fine.verb"), ("incident", "death_or_injury", "Kier", None,
                                                                 "death_or_injury")]),
    ("A prison run by G4S has been criticised by the chief inspector of prisons for high levels of drug use.",
     [("incident", "inspection_failure", "G4S", None, "inspection_failure.found")]),
    ("Capita consistently missed more than half of its performance indicators.",
     [("incident", "service_failure", "Capita", None, "service_failure.missed")]),
    ("The contract ended because Mitie was not meeting the service standards.",
     [("incident", "service_failure", "Mitie", None, "service_failure.missed")]),
    ("Serco often did not have enough staff to cover the clinical shifts.",
     [("incident", "service_failure", "Serco", None, "service_failure.understaffed")]),
    ("The out-of-hours service run by Serco was short-staffed.",
     [("incident", "service_failure", "Serco", None, "service_failure.understaffed")]),
    ("Thousands of letters were delayed because of an error at Capita.",
     [("incident", "service_failure", "Capita", None, "service_failure.understaffed")]),
    ("Mitie was fined at least 100 times for breaching its prison contracts.",
     [("enforcement", "service_credit", "Mitie", None, "fine.verb")]),
]  # fmt: skip

IGNORES = [
    "Serco could face a fine of up to £500,000.",  # a threat
    "Capita has been named preferred bidder for a £200m contract.",  # not yet awarded
    "Mitie appointed a new chief executive in May.",  # a person, not a contract
    "The council renewed criticism of Serco.",  # not a contract
    "Shares in Northgate fell 12% on Monday.",  # no one was hurt
    "The hospital trust, not its contractor Mitie, was fined £200,000.",  # someone else was fined
    "Auditor Hartley was fined over its audit of Northgate.",  # Hartley's fine
    "Serco is in talks about extending its £1.9bn contract.",  # talks
    "Serco Geografix agreed a deferred prosecution agreement.",  # not a contract for work
    "Capita repaid its £300m bond early.",  # a company's debt
    "Mitie made a £40m repayment of its bank loan.",  # a company's debt
    "Kier's contract with the council ended in March.",  # an end, not a termination for failure
    "Serco denied that it had been fined.",  # a denial
    "Kier is expected to win the £30m deal.",  # a hope
    "Rival bidders offered a price £30m lower than Serco.",  # a bid
    "G4S is to be hit with a £5m fine.",  # not yet
    "Serco denied that it had been fined £1m.",  # a denial
    "Kier is expected to win the £30m deal.",  # an expectation
    "Serco has long been seen as the favourite to win the contract.",  # not won yet
    "G4S, which took over the contract from Serco in 2012, runs the prison.",  # a rival's takeover, no step-in
    "Serco could face a £500,000 fine.",  # a threat
    "Capita awarded a £2m subcontract to Brill Ltd.",  # Capita handing out work
    "The G4S share price fell onto a two-year low.",  # markets, not people
    "Deloitte faces a record £15m fine over its audit.",  # faced, not imposed
    "Serco could pay £1m if it misses the targets.",  # a condition
    "The delay was caused by the ministry, which failed to meet its duty to host Capita's software.",  # not Capita's
    "Capita faced possible fines of up to £45m.",  # a possibility
    "A division of Serco is close to a deal under which it will pay a £19.2m fine.",  # not yet agreed
    "The talks failed to find a buyer for Serco's health business.",  # talks, not a service
    "Capita charged the council for each assessment it carried out.",  # ordinary billing
    "Capita said it was investigating reports of a data breach.",  # not confirmed
    "Under its existing contract, Serco will provide the service until 2027.",  # an old contract
    "Kier lost out on the £40m contract.",  # no winner named
    "Serco lost its contract to run the prison.",  # not a limb
    "The council will review its contract with Mitie after fines reported to total £1m.",  # a report is no inspector
    "A company has been fined £5,000. Brill Ltd and Serco were not involved.",  # another company is named
    "The council told Serco to pay £2m for the new vans.",  # no court or regulator: a purchase
    "Despite their failure to run an effective process, ministers kept faith with Capita.",  # a vague charge
    "Patients will not receive letters from Capita until May.",  # a plan
    "Amey has allegedly been fined £48.5m.",  # an allegation
    "Fujitsu is set to receive £180m to extend its contract.",  # a purpose, under a hedge
    "The firm's former partner, who was separately fined £150,000, left Kier.",  # a person's fine
    "Serco said the worker was hit by the decision.",  # hit by no thing
    "Inspectors criticised the ministry for its handling of the Serco contract.",  # the ministry is criticised
    "Capita was never short of staff.",  # a denial
    "Serco denied that the service was understaffed.",  # a denial
    "The council said payments to Serco were delayed.",  # the supplier's own money, not its failure
    "Mitie said it would not miss its targets.",  # a promise
    "It is claimed Capita made mistakes and hundreds of people had their benefits wrongly cut.",  # a claim, both parts
    "There is no suggestion that Capita has in any way failed to comply with its obligations.",  # a denial
    "Apart from a dent to its reputation, Serco has escaped any penalty.",  # escaping a penalty is no escape
]


@pytest.mark.parametrize(("text", "expected"), READS)
def test_a_rule_reads_its_fact(text, expected):
    assert facts(text) == sorted(expected)


@pytest.mark.parametrize("text", IGNORES)
def test_a_rule_does_not_read_what_did_not_happen_or_was_not_theirs(text):
    assert facts(text) == []


def test_an_incident_keeps_how_many_were_affected():
    (fact,) = extract_facts("Serco shared the email addresses of almost 300 contact tracers.", KNOWN, labels=[])
    assert [(f.value, f.qualifier, f.unit) for f in fact.figures] == [(300, "almost", "contact tracers")]


def test_a_fact_keeps_the_passage_and_the_rule():
    text = "Northgate's site manager admitted two charges. The company was fined £40,000."
    (fact,) = extract_facts(text, KNOWN, labels=[])
    assert fact.sentence == text
    assert fact.rule == "fine.verb"


MODEL_FILES = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
}


def test_the_installed_pipeline_is_the_one_checked():
    """The package registry's upload of en_core_web_sm 3.8.0: its weights and vocabulary as first checked."""
    pipeline = language()
    assert (pipeline.meta["version"], pipeline.meta["lang"]) == ("3.8.0", "en")
    root = Path(pipeline.path)
    for name, digest in MODEL_FILES.items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest, name


def test_another_pipeline_can_be_named_and_a_missing_one_is_explained(monkeypatch):
    language.cache_clear()
    monkeypatch.setenv("WATCHDOG_SPACY_MODEL", "no_such_pipeline")
    with pytest.raises(RuntimeError, match="no_such_pipeline.*WATCHDOG_SPACY_MODEL"):
        language()
    language.cache_clear()


def test_a_sum_said_without_a_currency_sign_is_pounds_inferred():
    (fact,) = extract_facts("The ICO fined Capita 14m for failing to keep people's data safe.", KNOWN, labels=[])
    assert (fact.kind, fact.amounts[0].amount, fact.amounts[0].currency_inferred) == ("fine", 14_000_000, True)


def test_a_supplier_named_only_in_the_next_sentence_is_kept_in_the_passage():
    text = "A company running a care home has been fined £10,000. The council said Mitie runs the home."
    (fact,) = extract_facts(text, KNOWN, labels=[])
    assert (fact.supplier, fact.sentence, fact.amounts[0].amount) == ("Mitie Group plc", text, 10_000)


def test_a_deal_handed_back_in_time_is_no_repayment():
    assert [f.kind for f in extract_facts("Kier was handed a £217m deal back in 2019.", KNOWN, labels=[])] != [
        "repayment"
    ]
