"""The learned layer of news extraction: its features, its scoring, and how it adds to the rules' facts."""

import json
import sys
from pathlib import Path

import pytest

from watchdog.news.extraction import KnownSupplier, Mentions, extract_facts, language, read, supplier_sentences
from watchdog.news.learned import MODEL_FILE, Label, features, labels_from, model

KNOWN = Mentions([KnownSupplier("Serco Group plc", ("Serco",)), KnownSupplier("Capita plc", ("Capita",))])


def features_of(text):
    ((index, supplier, spans),) = list(supplier_sentences(read(text, KNOWN)))
    return features(language()(text), spans)


def test_features_name_the_words_the_supplier_and_its_place_in_the_parse():
    found = features_of("Serco did not have enough staff at the prison.")
    assert {"w:<supplier>", "w:enough", "w:staff", "b:enough_staff", "dep:nsubj", "verb:have", "verb_neg:have",
            "verb_obj:staff", "root:have", "root_neg", "sums:0"} <= set(found)  # fmt: skip
    assert "w:serco" not in found  # the supplier's own name teaches nothing about other suppliers


def test_sums_people_and_places_are_classes_not_words():
    found = features_of("The council fined Serco £40,000 in Glasgow.")
    assert {"w:<money>", "w:<place>", "w:fine", "sums:1", "verb:fine", "root:fine", "verb_obj:<money>"} <= set(found)
    assert not any("40,000" in feature or "glasgow" in feature for feature in found)


def test_a_label_scores_a_logistic_of_its_weights():
    label = Label("incident", "service_failure", -1.0, {"w:backlog": 3.0, "w:deny": -2.0}, 0.8)
    assert label.probability(["w:backlog"]) == pytest.approx(1 / (1 + 2.718281828**-2.0))
    assert label.probability(["w:backlog", "w:deny"]) == pytest.approx(0.5)
    assert label.probability([]) < 0.5


CONFIDENT = [Label("incident", "service_failure", -4.0, {"w:shamble": 6.0}, 0.8)]


def test_a_confident_label_adds_a_fact_the_rules_missed_with_its_passage_and_rule():
    text = "Capita runs the service. It has been a shambles."
    assert extract_facts(text, KNOWN, labels=[]) == []
    (fact,) = extract_facts(text, KNOWN, labels=CONFIDENT)
    assert (fact.category, fact.kind, fact.supplier, fact.amounts) == ("incident", "service_failure", "Capita plc", [])
    assert fact.rule == "learned:incident/service_failure"
    assert fact.sentence == text  # referred to as "it": the sentence naming it comes too


def test_a_label_adds_nothing_the_rules_already_read_nearby_or_below_its_threshold():
    text = "Capita has a backlog of 20,000 assessments."
    (fact,) = extract_facts(text, KNOWN, labels=CONFIDENT)
    assert fact.rule == "service_failure.noun"
    unsure = [Label("incident", "service_failure", -4.0, {"w:shamble": 5.0}, 0.8)]  # 0.73
    assert extract_facts("Capita's service has been a shambles.", KNOWN, labels=unsure) == []


def test_the_shipped_model_is_read_from_its_json_file():
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    labels = model()
    assert [(label.category, label.kind) for label in labels] == [
        ("incident", "data_breach"),
        ("incident", "death_or_injury"),
        ("incident", "service_failure"),
        ("incident", "inspection_failure"),
        ("incident", "other"),
        ("enforcement", "other"),
    ]
    assert labels == tuple(labels_from(data))
    assert all(label.threshold == 0.8 for label in labels)


def test_the_shipped_model_reads_a_finding_no_rule_knows():
    text = "Inspectors who visited the Serco-run prison found many inmates too frightened to leave their cells."
    assert extract_facts(text, KNOWN, labels=[]) == []
    assert [(f.kind, f.supplier, f.rule) for f in extract_facts(text, KNOWN)] == [
        ("inspection_failure", "Serco Group plc", "learned:incident/inspection_failure")
    ]


def training_script():
    """bench/extraction_train.py as a module (it needs scikit-learn, the `train` extra)."""
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    import extraction_train

    return extraction_train


def test_the_shipped_model_is_what_the_training_script_makes_of_the_sets_in_the_repository():
    script = training_script()
    items = script.read_items()
    trained = script.train([unit for item in items for unit in item.units], script.THRESHOLD)
    assert len(items) == 6961
    assert tuple(trained) == model()  # retrain (--write) whenever the rules or the sets change


def test_the_training_fits_labels_whose_weights_point_the_right_way():
    script = training_script()
    Unit, train = script.Unit, script.train

    units = [Unit(0, ["w:backlog", "w:<supplier>"], {("incident", "service_failure")}) for _ in range(6)]
    units += [Unit(0, ["w:win", "w:<supplier>"], set()) for _ in range(6)]
    (label,) = train(units, 0.8)
    assert (label.category, label.kind, label.threshold) == ("incident", "service_failure", 0.8)
    assert label.weights["w:backlog"] > 0 > label.weights["w:win"]
