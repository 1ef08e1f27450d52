"""The storage pipeline writes the Serco example into the exact rows the public views promise."""

from datetime import UTC, date, datetime
from decimal import Decimal

import serco
from pipeline_run import run_pipeline
from scrapy.utils.test import get_crawler
from sqlalchemy import select, text

from watchdog.database.models import Base, Supplier
from watchdog.items import ContractItem, EnforcementItem, Money, SourceDocument, SupplierRef
from watchdog.sources.pipelines import StoragePipeline
from watchdog.storage.store import Store

EVENT_COLUMNS = (
    "supplier_name, group_name, event_date, date_precision, event_type, event_kind, amount, currency, amount_kind, "
    "qualifier, basis, source_url"
)


def feed(database_url, items):
    """Run items through the storage pipeline as a crawl would, and return the crawl's stats."""
    crawler = get_crawler(settings_dict={"WATCHDOG_DATABASE_URL": database_url, "WATCHDOG_BATCH_SIZE": 3})
    run_pipeline(StoragePipeline.from_crawler(crawler), items)
    return crawler.stats


def rows(engine, sql):
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def table_counts(engine):
    with engine.connect() as connection:
        return {t: connection.scalar(text(f"SELECT COUNT(*) FROM {t}")) for t in Base.metadata.tables}


def money(value):
    return Decimal(value).quantize(Decimal("0.01"))


SERCO_EVENTS = [
    (
        "Serco Group plc",
        "Serco Group plc",
        date(2020, 5, 1),
        "month",
        "incident",
        "data_breach",
        None,
        None,
        None,
        None,
        "reported",
        "https://news.example/serco-tracers",
    ),
    (
        "SERCO LIMITED",
        "Serco Group plc",
        date(2020, 5, 1),
        "month",
        "contract",
        "award",
        money(108000000),
        "GBP",
        "initial_value",
        None,
        "official",
        "https://www.contractsfinder.service.gov.uk/Notice/serco-test-and-trace",
    ),
    (
        "Serco Geografix Ltd",
        "Serco Group plc",
        date(2019, 7, 1),
        "month",
        "enforcement",
        "dpa_penalty",
        money(3700000),
        "GBP",
        "costs",
        None,
        "official",
        "https://sfo.example/cases/serco-geografix",
    ),
    (
        "Serco Geografix Ltd",
        "Serco Group plc",
        date(2019, 7, 1),
        "month",
        "enforcement",
        "dpa_penalty",
        money(19200000),
        "GBP",
        "dpa_penalty",
        None,
        "official",
        "https://sfo.example/cases/serco-geografix",
    ),
    (
        "SERCO LIMITED",
        "Serco Group plc",
        date(2016, 1, 1),
        "year",
        "enforcement",
        "service_credit",
        money(1000000),
        "GBP",
        "service_credit",
        "just over",
        "reported",
        "https://news.example/serco-glasgow",
    ),
    (
        "Serco Group plc",
        "Serco Group plc",
        date(2013, 12, 1),
        "month",
        "enforcement",
        "repayment",
        money(68500000),
        "GBP",
        "repayment",
        "plus VAT",
        "reported",
        "https://news.example/serco-tagging",
    ),
]


def normalised(row):
    """Values as Python types, whichever backend returned them (SQLite gives dates as text, sums as floats)."""
    return tuple(
        date.fromisoformat(v)
        if isinstance(v, str) and len(v) == 10 and v[4] == "-"
        else money(v)
        if isinstance(v, float) or isinstance(v, int) and not isinstance(v, bool)
        else money(v)
        if isinstance(v, Decimal)
        else v
        for v in row
    )


def test_serco_example_gives_the_exact_events(engine, database_url):
    stats = feed(database_url, serco.ALL_ITEMS)
    assert stats.get_value("watchdog/items_stored") == len(serco.ALL_ITEMS)
    events = rows(
        engine,
        f"SELECT {EVENT_COLUMNS} FROM supplier_events WHERE group_name = 'Serco Group plc' "
        "ORDER BY event_date DESC, event_type DESC, amount",
    )
    assert [normalised(row) for row in events] == SERCO_EVENTS


def test_serco_record_per_entity_and_per_group(engine, database_url):
    feed(database_url, serco.ALL_ITEMS)
    record = rows(
        engine,
        "SELECT supplier_name, company_number, group_name, contracts_count, contracts_value_gbp, enforcement_count, "
        "penalties_value_gbp, incidents_count, first_event_date, last_event_date FROM supplier_record "
        "ORDER BY supplier_name",
    )
    assert [normalised(row) for row in record] == [
        (
            "SERCO LIMITED",
            "00242246",
            "Serco Group plc",
            1,
            money(108000000),
            1,
            money(1000000),
            0,
            date(2016, 1, 1),
            date(2020, 5, 1),
        ),
        (
            "Serco Geografix Ltd",
            None,
            "Serco Group plc",
            0,
            money(0),
            1,
            money(22900000),
            0,
            date(2019, 7, 1),
            date(2019, 7, 1),
        ),
        (
            "Serco Group plc",
            "02048608",
            "Serco Group plc",
            0,
            money(0),
            1,
            money(68500000),
            1,
            date(2013, 12, 1),
            date(2020, 5, 1),
        ),
    ]
    group = rows(
        engine,
        "SELECT group_name, company_number, members_count, contracts_count, contracts_value_gbp, enforcement_count, "
        "penalties_value_gbp, incidents_count, first_event_date, last_event_date FROM group_record",
    )
    assert [normalised(row) for row in group] == [
        (
            "Serco Group plc",
            "02048608",
            3,
            1,
            money(108000000),
            3,
            money(92400000),
            1,
            date(2013, 12, 1),
            date(2020, 5, 1),
        ),
    ]


def test_feeding_twice_changes_no_counts_and_moves_last_seen(engine, database_url):
    feed(database_url, serco.ALL_ITEMS)
    counts = table_counts(engine)
    seen = rows(engine, "SELECT fact_key, first_seen_at, last_seen_at FROM enforcement_actions ORDER BY fact_key")
    feed(database_url, serco.ALL_ITEMS)
    assert table_counts(engine) == counts
    assert counts["suppliers"] == 3 and counts["enforcement_amounts"] == 4 and counts["group_memberships"] == 2
    again = rows(engine, "SELECT fact_key, first_seen_at, last_seen_at FROM enforcement_actions ORDER BY fact_key")
    for (key, first, last), (key_again, first_again, last_again) in zip(seen, again, strict=False):
        assert (key, first) == (key_again, first_again)
        assert last_again > last


def test_an_invalid_item_is_dropped_and_counted_without_losing_its_batch(engine, database_url):
    no_supplier_name = ContractItem(
        ocid="ocds-b5fd17-broken",
        source=SourceDocument("https://cf.example/broken", "procurement"),
        suppliers=[SupplierRef(" ")],
    )
    stats = feed(database_url, [serco.CONTACT_TRACING, no_supplier_name, serco.GEOGRAFIX_DPA])
    assert stats.get_value("watchdog/items_stored") == 2
    assert stats.get_value("watchdog/items_dropped") == 1
    assert rows(engine, "SELECT ocid FROM contracts") == [("ocds-b5fd17-serco-test-and-trace",)]


def test_a_batch_the_database_refuses_is_written_item_by_item(engine):
    unknown_kind = EnforcementItem(**{**serco.GEOGRAFIX_DPA.__dict__, "kind": "scolding"})
    rejected = Store(engine).write([serco.CONTACT_TRACING, unknown_kind, serco.TRACERS_DATA_BREACH])
    assert [r.item.kind for r in rejected] == ["scolding"]
    assert "ck_enforcement_actions_kind" in rejected[0].reason or "CHECK" in rejected[0].reason
    assert rows(engine, "SELECT kind FROM incidents") == [("data_breach",)]
    assert rows(engine, "SELECT ocid FROM contracts") == [("ocds-b5fd17-serco-test-and-trace",)]


def test_company_numbers_are_padded_and_never_merged(engine):
    Store(engine).write(
        [
            serco.CONTACT_TRACING,
            ContractItem(
                ocid="ocds-b5fd17-other",
                source=SourceDocument("https://cf.example/other", "procurement"),
                suppliers=[SupplierRef("Serco Limited", company_number="99999999")],
            ),
        ]
    )
    with engine.connect() as connection:
        numbers = connection.scalars(select(Supplier.company_number).order_by(Supplier.company_number)).all()
    assert numbers == ["00242246", "99999999"]


def test_a_report_joins_the_authoritys_record_across_the_group_and_leaves_its_sums(engine):
    report = EnforcementItem(
        fact_key="reported:serco-dpa", supplier=serco.SERCO_GROUP, kind="dpa_penalty", basis="reported",
        action_date=date(2019, 7, 4), date_precision="day",
        amounts=[Money(Decimal("19100000"), "dpa_penalty", qualifier="about", text="about £19.1m")],
        evidence="Serco agreed to pay about £19.1m under a deferred prosecution agreement.",
        source=SourceDocument("https://news.example/serco-dpa", "news"),
    )  # fmt: skip
    Store(engine).write([*serco.GROUPS, serco.GEOGRAFIX_DPA])
    Store(engine).write([report])
    actions = rows(engine, "SELECT e.fact_key, s.name, e.basis FROM enforcement_actions e "
                           "JOIN suppliers s ON s.id = e.supplier_id")  # fmt: skip
    assert actions == [("sfo/serco-geografix/dpa", "Serco Geografix Ltd", "official")]
    amounts = rows(engine, "SELECT kind, amount, qualifier FROM enforcement_amounts ORDER BY kind")
    assert [(k, money(a), q) for k, a, q in amounts] == [
        ("costs", money(3700000), None),
        ("dpa_penalty", money(19200000), None),
    ]
    assert rows(engine, "SELECT COUNT(*) FROM enforcement_action_sources") == [(2,)]


def test_the_latest_release_says_who_won(engine):
    def award(release_id, hour, supplier):
        return ContractItem(
            ocid="ocds-b5fd17-correction", award_id="1", release_id=release_id,
            release_at=datetime(2025, 3, 11, hour, tzinfo=UTC), initial_value=Decimal(1000), currency="GBP",
            suppliers=[SupplierRef(supplier)], source=SourceDocument(f"https://cf.example/{release_id}", "procurement"),
        )  # fmt: skip

    Store(engine).write([award("r1", 10, "Capita Business Services Ltd")])
    Store(engine).write([award("r2", 11, "Serco Limited")])
    Store(engine).write([award("r1", 10, "Capita Business Services Ltd")])  # the old release seen again
    winners = rows(engine, "SELECT s.name FROM contract_suppliers cs JOIN suppliers s ON s.id = cs.supplier_id")
    assert winners == [("Serco Limited",)]
