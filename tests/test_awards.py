"""One current row per real award: tenders, republications and shared awards counted honestly (both backends)."""

import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fake_portal import fixture
from serco import GEOGRAFIX_DPA, GROUPS, SERCO_GEOGRAFIX, SERCO_LIMITED  # both members of Serco Group plc
from sqlalchemy import text

from watchdog.cli.crawl import project_settings
from watchdog.database import awards
from watchdog.items import ContractItem, EnforcementItem, Money, SourceDocument, SupplierRef
from watchdog.sources.ingest import Ingest
from watchdog.sources.ocds import Fetch, contract_items, release_fingerprint, sets_up_framework
from watchdog.sources.spiders.contracts_finder import ContractsFinderSpider
from watchdog.storage.store import Store

OCID = "ocds-b5fd17-republished"
PUBLISHED = datetime(2025, 1, 23, 16, 4, tzinfo=UTC)


def rows(engine, sql, **params):
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def pounds(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def award(award_id, value, *suppliers, release_id=None, minutes=0, awarded_on=date(2025, 1, 17), ocid=OCID, **extra):
    release_id = release_id or f"release-{award_id}"
    return ContractItem(
        ocid=ocid,
        award_id=award_id,
        release_id=release_id,
        release_at=PUBLISHED + timedelta(minutes=minutes),
        title="Provision of non-traditional construction archetype surveys",
        buyer=None,
        suppliers=[name if isinstance(name, SupplierRef) else SupplierRef(name) for name in suppliers],
        awarded_on=awarded_on,
        initial_value=None if value is None else Decimal(value),
        currency="GBP",
        source=SourceDocument(f"https://www.contractsfinder.service.gov.uk/{release_id}", "procurement"),
        **extra,
    )


def tender(minutes=-60 * 24 * 30):
    return ContractItem(
        ocid=OCID,
        release_id="release-tender",
        release_at=PUBLISHED + timedelta(minutes=minutes),
        title="Provision of non-traditional construction archetype surveys",
        maximum_value=Decimal("120000"),
        currency="GBP",
        source=SourceDocument("https://www.contractsfinder.service.gov.uk/release-tender", "procurement"),
    )


def current_awards(engine):
    return rows(engine, "SELECT award_id, value, suppliers_count, shared FROM awards ORDER BY award_id")


def record(engine, name):
    """(contracts_count, contracts_value_gbp, shared_awards_count, shared_awards_ceiling_gbp) of a supplier."""
    ((count, value, shared, ceiling),) = rows(
        engine,
        "SELECT contracts_count, contracts_value_gbp, shared_awards_count, shared_awards_ceiling_gbp "
        "FROM supplier_record WHERE supplier_name = :name",
        name=name,
    )
    return count, pounds(value), shared, pounds(ceiling)


def test_the_tender_row_is_superseded_by_the_award_whatever_the_order(engine):
    Store(engine).write([award("1", "98700", "Constructive Thinking Studio Limited")])
    Store(engine).write([tender()])  # the tender release arrives after the award
    assert rows(engine, "SELECT award_id, superseded_reason FROM contracts ORDER BY award_id") == [
        ("", "awarded"),
        ("1", None),
    ]
    assert [(a, pounds(v)) for a, v, _, _ in current_awards(engine)] == [("1", pounds(98700))]
    assert rows(engine, "SELECT COUNT(*) FROM contracts WHERE superseded_by IS NULL") == [(1,)]


def test_a_misplaced_decimal_point_republished_under_a_new_award_id_counts_once(engine):
    Store(engine).write([award("1", "4512650", "Lyreco UK Limited")])
    Store(engine).write([award("2", "45126.50", "Lyreco UK Limited", minutes=7)])
    assert [(a, pounds(v)) for a, v, _, _ in current_awards(engine)] == [("2", pounds("45126.50"))]
    assert rows(engine, "SELECT award_id, superseded_reason FROM contracts ORDER BY award_id") == [
        ("1", "republished"),
        ("2", None),
    ]
    assert record(engine, "Lyreco UK Limited")[:2] == (1, pounds("45126.5"))
    changes = rows(
        engine,
        "SELECT award_id, first_value, latest_value, change_kind, earlier_award_id FROM contract_value_changes",
    )
    assert [(a, pounds(f), pounds(v), k, e) for a, f, v, k, e in changes] == [
        ("2", pounds(4512650), pounds("45126.50"), "republished", "1")
    ]


def test_a_list_of_placements_republished_with_one_supplier_more_counts_once(engine):
    Store(engine).write([award("1", "3380.86", "Hennessy Flooring Ltd", "LGM Limited")])
    Store(engine).write([award("2", "3380.86", "Hennessy Flooring Ltd", "LGM Limited", "McManus Flooring", minutes=3)])
    assert [(a, n, s) for a, _, n, s in current_awards(engine)] == [("2", 3, 1)]
    assert record(engine, "LGM Limited")[0] == 1


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(dict(minutes=3 * 24 * 60), id="published three days later"),
        pytest.param(dict(awarded_on=date(2025, 1, 20)), id="another award date"),
        pytest.param(dict(value="45000"), id="another value"),
        pytest.param(dict(release_id="release-1"), id="two lots of one notice"),
        pytest.param(dict(supplier="Ryman Limited"), id="another supplier"),
    ],
)
def test_two_real_awards_are_never_taken_for_a_republication(engine, later):
    Store(engine).write([award("1", "45126.50", "Lyreco UK Limited")])
    Store(engine).write(
        [
            award(
                "2", later.get("value", "45126.50"), later.get("supplier", "Lyreco UK Limited"),
                release_id=later.get("release_id"), minutes=later.get("minutes", 5),
                awarded_on=later.get("awarded_on", date(2025, 1, 17)),
            )
        ]
    )  # fmt: skip
    assert [a for a, *_ in current_awards(engine)] == ["1", "2"]


def test_a_person_keeps_both_awards_and_the_decision_outlasts_a_recrawl(engine):
    Store(engine).write([award("1", "98700", "Constructive Thinking Studio Limited")])
    Store(engine).write([award("2", "98700", "Constructive Thinking Studio Limited", minutes=9)])
    first, second = (row[0] for row in rows(engine, "SELECT id FROM contracts ORDER BY award_id"))
    assert [a for a, *_ in current_awards(engine)] == ["2"]
    with engine.begin() as connection:
        awards.decide(connection, "keep_both", first, second, by="ana", reason="two surveys", now=PUBLISHED)
    assert [a for a, *_ in current_awards(engine)] == ["1", "2"]
    Store(engine).write([award("2", "98700", "Constructive Thinking Studio Limited", minutes=9)])
    assert [a for a, *_ in current_awards(engine)] == ["1", "2"]
    assert rows(engine, "SELECT action, decided_by, reason FROM contract_decisions") == [
        ("keep_both", "ana", "two surveys")
    ]
    with engine.begin() as connection:
        awards.decide(connection, "supersede", first, second, by="ben", reason="same survey", now=PUBLISHED)
    assert rows(engine, "SELECT award_id, superseded_reason FROM contracts ORDER BY award_id") == [
        ("1", "person"),
        ("2", None),
    ]
    with engine.begin() as connection, pytest.raises(awards.ContractDecisionRefused, match="different procurements"):
        Store(engine).write([award("9", "1", "Lyreco UK Limited", ocid="ocds-b5fd17-other")])
        other = rows(engine, "SELECT id FROM contracts WHERE ocid = 'ocds-b5fd17-other'")[0][0]
        awards.decide(connection, "supersede", first, other, by="ben", reason=None, now=PUBLISHED)


def test_a_shared_award_is_not_credited_in_full_to_each_supplier(engine):
    taxis = ["24x7", "A1 Taxis", "Ace Cabs of Stamford", "BA Taxis Ltd"]
    Store(engine).write(
        [
            award("1", "776888.48", *taxis, ocid="ocds-b5fd17-dps-call-off"),
            award("1", "60000", "A1 Taxis", ocid="ocds-b5fd17-school-run"),
            award("1", "900000", "BA Taxis Ltd", ocid="ocds-b5fd17-framework", is_framework=True),
        ]
    )
    assert record(engine, "A1 Taxis") == (2, pounds("60000"), 1, pounds("776888.48"))
    assert record(engine, "BA Taxis Ltd") == (2, pounds(0), 2, pounds("1676888.48"))
    assert record(engine, "24x7") == (1, pounds(0), 1, pounds("776888.48"))
    total_awarded = rows(engine, "SELECT SUM(value_gbp) FROM awards")[0][0]
    assert pounds(total_awarded) == pounds("1736888.48")  # each award once, however many suppliers share it
    events = rows(
        engine,
        "SELECT supplier_name, suppliers_count, is_framework, shared_award FROM supplier_events "
        "WHERE event_type = 'contract' AND supplier_name = 'BA Taxis Ltd' ORDER BY amount",
    )
    assert events == [("BA Taxis Ltd", 4, 0, 1), ("BA Taxis Ltd", 1, 1, 1)]


def test_a_contract_won_by_two_members_of_one_group_is_the_groups_alone(engine):
    Store(engine).write(GROUPS)
    Store(engine).write([award("1", "500000", SERCO_LIMITED, SERCO_GEOGRAFIX, ocid="ocds-b5fd17-serco")])
    group = rows(
        engine,
        "SELECT contracts_count, contracts_value_gbp, shared_awards_count FROM group_record "
        "WHERE group_name = 'Serco Group plc'",
    )
    assert [(c, pounds(v), s) for c, v, s in group] == [(1, pounds(500000), 0)]
    assert record(engine, SERCO_LIMITED.name)[2] == 1  # for each entity, the award is shared


def release(name, **award_extra):
    """A Contracts Finder award release, cut down to what the mapping reads."""
    return {
        "ocid": "ocds-b5fd17-3c0e6a1e",
        "id": "3c0e6a1e-819950",
        "date": "2025-01-23T17:00:00Z",
        "tag": ["award"],
        "tender": {"title": "Waste collection", "procurementMethodDetails": "Open procedure (below threshold)"},
        "parties": [{"id": "GB-COH-02048608", "name": name}, {"id": "GB-CFS-1", "name": ""}],
        "awards": [
            {
                "id": "ocds-b5fd17-3c0e6a1e-1",
                "date": "2025-01-10",
                "suppliers": [{"id": "GB-COH-02048608", "name": name}, {"id": "GB-CFS-1"}],
                **award_extra,
            }
        ],
    }


def test_a_nameless_supplier_keeps_the_award_and_is_counted_as_a_warning(engine, caplog):
    spider = ContractsFinderSpider()
    with caplog.at_level(logging.WARNING, logger="watchdog.sources.ocds"):
        (item,) = contract_items(
            release("Serco Group plc", value={"amount": 250000, "currency": "GBP"}), spider, spider.base_url, Fetch()
        )
    assert "1 of 2 suppliers have no name" in caplog.text
    item.validate()
    assert [ref.name for ref in item.suppliers] == ["Serco Group plc"] and item.suppliers_count == 2
    Store(engine).write([item])
    assert [(a, pounds(v), n, s) for a, v, n, s in current_awards(engine)] == [
        ("ocds-b5fd17-3c0e6a1e-1", pounds(250000), 2, 1)
    ]


def test_a_gross_only_value_counts_in_pounds(engine):
    spider = ContractsFinderSpider()
    (item,) = contract_items(
        release("Chess ICT Ltd", value={"amountGross": 256378.74, "currency": "GBP"}), spider, spider.base_url, Fetch()
    )
    item.validate()
    Store(engine).write([item])
    assert [(pounds(v), vat) for v, vat in rows(engine, "SELECT value_gbp, value_gbp_includes_vat FROM awards")] == [
        (pounds("256378.74"), 1)
    ]
    assert rows(engine, "SELECT amount_kind FROM supplier_events") == [("initial_value_gross",)]


def test_an_authoritys_record_stays_the_cited_source_when_the_news_reports_it(engine):
    report = EnforcementItem(
        fact_key="reported:serco-dpa", supplier=SupplierRef("Serco Group plc"), kind="dpa_penalty",
        basis="reported", action_date=date(2019, 7, 4),
        amounts=[Money(Decimal("19200000"), "dpa_penalty", text="£19.2m")],
        evidence="Serco Geografix agreed to pay a £19.2m penalty.",
        source=SourceDocument("https://news.example/serco-dpa", "news"),
    )  # fmt: skip
    Store(engine).write([*GROUPS, GEOGRAFIX_DPA])
    Store(engine).write([report])
    cited = rows(engine, "SELECT DISTINCT source_url, basis FROM supplier_events WHERE event_type = 'enforcement'")
    assert cited == [(GEOGRAFIX_DPA.source.url, "official")]
    assert rows(engine, "SELECT COUNT(*) FROM enforcement_action_sources") == [(2,)]


def test_framework_flags_follow_the_source():
    assert sets_up_framework({"techniques": {"hasFrameworkAgreement": True}, "title": "Cleaning"})
    assert sets_up_framework({"techniques": {"hasDynamicPurchasingSystem": True}})
    assert not sets_up_framework({"techniques": {"hasFrameworkAgreement": False}, "title": "Framework for cleaning"})
    assert sets_up_framework({"procurementMethodDetails": "Open procedure - framework agreement"})
    assert not sets_up_framework({"procurementMethodDetails": "Call-off from a framework agreement"})
    assert not sets_up_framework({"procurementMethodDetails": "Other - Direct Award from a Framework Contract"})
    assert not sets_up_framework({"procurementMethodDetails": "Other - Further Competition - Framework"})
    assert not sets_up_framework({"procurementMethodDetails": "Call-off from a dynamic purchasing system"})
    assert sets_up_framework({"procurementMethodDetails": "Other - ", "title": "Highways Framework 2025-2029"})
    assert sets_up_framework({"title": "RCC Home to School DPS"})
    assert not sets_up_framework({"title": "UOW822 Flooring Term Contract 2021 - AWARD"})


def test_a_release_has_one_fingerprint_whatever_its_numbers_look_like():
    written = '{"ocid": "ocds-b5fd17-x", "awards": [{"value": {"amount": 45126.50}}], "n": 25755000.00}'
    as_decimal = json.loads(written, parse_float=Decimal)
    as_float = json.loads(written)
    reordered = {"n": 25755000.0, "awards": [{"value": {"amount": 45126.5}}], "ocid": "ocds-b5fd17-x"}
    assert release_fingerprint(as_decimal) == release_fingerprint(as_float) == release_fingerprint(reordered)
    assert release_fingerprint(as_float) != release_fingerprint({**reordered, "n": 25755001.0})
    huge = {"ocid": "ocds-b5fd17-x", "n": 2**70}  # past what orjson writes: the exact fallback
    assert release_fingerprint(huge) == release_fingerprint(dict(reversed(huge.items())))


def test_the_same_releases_as_a_bare_list_report_nothing_updated(database_url, engine, tmp_path):
    package = fixture("cf_search_page_2025-01-20_to_2025-01-23_100releases.json")
    bare_list = tmp_path / "releases.json"
    bare_list.write_text(json.dumps(package["releases"]))
    packaged = tmp_path / "package.json"
    packaged.write_text(json.dumps(package))
    first = Ingest(database_url, project_settings(database_url, {})).run([packaged])
    contract_rows = "SELECT id, ocid, award_id, initial_value, superseded_by, suppliers_count FROM contracts ORDER BY 1"
    before = rows(engine, contract_rows)
    again = Ingest(database_url, project_settings(database_url, {})).run([bare_list])
    assert first.counts["contracts_new"] > 90 and again.counts.get("contracts_updated", 0) == 0
    assert again.unchanged == first.releases == 100
    assert rows(engine, contract_rows) == before


def test_the_contracts_commands_list_republications_and_take_a_persons_word(engine, database_url):
    from click.testing import CliRunner

    from watchdog.cli import main

    Store(engine).write([award("1", "4512650", "Lyreco UK Limited")])
    Store(engine).write([award("2", "45126.50", "Lyreco UK Limited", minutes=7)])
    first, second = (row[0] for row in rows(engine, "SELECT id FROM contracts ORDER BY award_id"))
    runner = CliRunner()
    listing = runner.invoke(main, ["--db", database_url, "contracts", "superseded"])
    assert listing.exit_code == 0, listing.output
    assert "£4,512,650" in listing.output and "£45,126.50" in listing.output and "republished" in listing.output
    kept = runner.invoke(
        main, ["--db", database_url, "contracts", "keep-both", str(first), str(second), "--by", "ana", "--reason", "x"]
    )
    assert kept.exit_code == 0 and kept.output == f"#{first} counts\n#{second} counts\n"
    assert [a for a, *_ in current_awards(engine)] == ["1", "2"]
    refused = runner.invoke(main, ["--db", database_url, "contracts", "supersede", str(first), "999"])
    assert refused.exit_code == 1 and "there is no contract #999" in refused.output


def test_a_merge_of_two_spellings_reveals_a_republication(engine):
    from watchdog.identity import review

    Store(engine).write([award("1", "4512650", "Lyreco UK Limited")])
    Store(engine).write([award("2", "45126.50", "Lyreco Office Supplies", minutes=7)])
    assert [a for a, *_ in current_awards(engine)] == ["1", "2"]
    keep, other = (row[0] for row in rows(engine, "SELECT id FROM suppliers ORDER BY name DESC"))
    with engine.begin() as connection:
        review.merge(connection, keep, other, by="ana", reason="one firm")
    assert [a for a, *_ in current_awards(engine)] == ["2"]


def test_a_persons_word_against_the_rule_keeps_the_row_they_chose(engine):
    Store(engine).write([award("1", "45126.50", "Lyreco UK Limited")])
    Store(engine).write([award("2", "4512650", "Lyreco UK Limited", minutes=7)])  # the rule: #2 replaces #1
    first, second = (row[0] for row in rows(engine, "SELECT id FROM contracts ORDER BY award_id"))
    with engine.begin() as connection:  # a reviewer: #2 is the mistyped one
        awards.decide(connection, "supersede", second, first, by="ana", reason="typo", now=PUBLISHED)
    assert [(a, pounds(v)) for a, v, _, _ in current_awards(engine)] == [("1", pounds("45126.50"))]
    with engine.begin() as connection:  # and a change of mind: the latest word on the pair stands
        awards.decide(connection, "supersede", first, second, by="ana", reason="no", now=PUBLISHED + timedelta(1))
    assert [a for a, *_ in current_awards(engine)] == ["2"]


def test_rows_kept_apart_stay_whatever_is_published_after_them(engine):
    for number, minutes in (("1", 0), ("2", 5), ("3", 9)):
        Store(engine).write([award(number, "98700", "Constructive Thinking Studio Limited", minutes=minutes)])
    assert [a for a, *_ in current_awards(engine)] == ["3"]
    first, second, _ = (row[0] for row in rows(engine, "SELECT id FROM contracts ORDER BY award_id"))
    with engine.begin() as connection:
        awards.decide(connection, "keep_both", first, second, by="ana", reason="two surveys", now=PUBLISHED)
    assert [a for a, *_ in current_awards(engine)] == ["1", "2", "3"]


def test_one_firm_listed_twice_on_an_award_has_it_alone(engine):
    twice = [SupplierRef("Serco Limited", company_number="242246"), SupplierRef("SERCO LTD", company_number="242246")]
    Store(engine).write([award("1", "500000", *twice, ocid="ocds-b5fd17-twice")])
    assert [(n, shared) for _, _, n, shared in current_awards(engine)] == [(1, 0)]


def test_an_award_that_did_not_go_ahead_counts_nowhere(engine):
    Store(engine).write([tender(), award("1", "98700", "Constructive Thinking Studio Limited", status="cancelled")])
    assert current_awards(engine) == []
    assert rows(engine, "SELECT award_id, superseded_reason FROM contracts ORDER BY award_id") == [
        ("", None),
        ("1", None),
    ]


def test_two_awards_without_a_value_are_never_taken_for_one(engine):
    Store(engine).write([award("1", None, "Lyreco UK Limited")])
    Store(engine).write([award("2", None, "Lyreco UK Limited", minutes=5)])
    assert [a for a, *_ in current_awards(engine)] == ["1", "2"]


def test_a_merge_of_two_spellings_on_one_award_makes_it_the_firms_alone(engine):
    from watchdog.identity import review

    Store(engine).write([award("1", "500000", "Lyreco UK Limited", "Lyreco Office Supplies", ocid="ocds-b5fd17-two")])
    assert [(n, shared) for _, _, n, shared in current_awards(engine)] == [(2, 1)]
    keep, other = (row[0] for row in rows(engine, "SELECT id FROM suppliers ORDER BY name DESC"))
    with engine.begin() as connection:
        review.merge(connection, keep, other, by="ana", reason="one firm")
    assert [(n, shared) for _, _, n, shared in current_awards(engine)] == [(1, 0)]
    assert record(engine, "Lyreco UK Limited") == (1, pounds(500000), 0, pounds(0))
