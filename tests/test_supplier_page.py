"""The supplier and group pages, the search by name and the links to them, read through Datasette's HTTP interface
(in-process) on the newsroom's sample database; figures are checked against totals worked out from the raw tables."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import replace
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path

import newsroom
import pytest
import serco

from watchdog.database import db
from watchdog.items import EnforcementItem, GroupMembershipItem, Money, SourceDocument, SupplierRef
from watchdog.storage.store import Store
from watchdog.web.chart import pounds
from watchdog.web.serve import datasette_for

GROUP = "Serco Group plc"
# Another spelling of SERCO LIMITED, as a source might write it: found by its company number, kept as an alias.
TRADING_AS = "Serco Ltd t/a Serco Health"


# A penalty an appeal reduced: the sum first imposed is shown, and never added to anything.
APPEALED_FINE = EnforcementItem(
    fact_key="ico:quenby-recruitment-limited",
    supplier=SupplierRef("Quenby Recruitment Limited"),
    kind="fine",
    authority="Information Commissioner's Office",
    action_date=date(2023, 10, 3),
    title="Quenby Recruitment Limited",
    amounts=[
        Money(Decimal("200000"), "fine_before_appeal", text="£200,000"),
        Money(Decimal("80000"), "fine", text="£80,000"),
    ],
    source=SourceDocument(url="https://ico.example/quenby", kind="regulator", publisher="ICO"),
)


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    path = newsroom.sample_file(tmp_path_factory.mktemp("newsroom"))
    engine = db.make_engine(f"sqlite:///{path}")
    spelling = SupplierRef(TRADING_AS, company_number=serco.SERCO_LIMITED.company_number)
    Store(engine).write(
        [GroupMembershipItem(member=spelling, group=serco.SERCO_GROUP, note="another spelling"), APPEALED_FINE]
    )
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def datasette(sample_file):
    """The Datasette `watchdog serve` runs, in this process. (Not Datasette's immutable mode: it ignores what is
    still in the write-ahead log, and a crawl may be writing.)"""
    return datasette_for(sample_file, searchable=True)


@pytest.fixture(scope="module")
def raw(sample_file):
    """The sample's own tables, read without the views."""
    connection = sqlite3.connect(sample_file)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


def get(datasette, path: str):
    return asyncio.run(datasette.client.get(path))


def supplier_id(raw, name: str) -> int:
    return raw.execute("SELECT id FROM suppliers WHERE name = ?", (name,)).fetchone()[0]


def members_of(raw, parent_id: int) -> set[int]:
    rows = raw.execute(
        "SELECT supplier_id FROM group_memberships WHERE group_id = ? AND ended_on IS NULL", (parent_id,)
    )
    return {parent_id} | {row[0] for row in rows}


def won_alone(raw, members: set[int]) -> Decimal:
    """The value of the current official awards whose named suppliers are all members, frameworks aside."""
    total = Decimal(0)
    contracts = raw.execute(
        """SELECT c.id, c.initial_value_gbp, c.suppliers_count, c.is_framework FROM contracts c
           WHERE c.superseded_by IS NULL AND c.basis = 'official' AND c.award_id <> ''
             AND COALESCE(LOWER(c.status), '') NOT IN ('cancelled', 'unsuccessful')"""
    ).fetchall()
    for contract in contracts:
        named = {
            row[0]
            for row in raw.execute(
                "SELECT supplier_id FROM contract_suppliers WHERE contract_id = ?", (contract["id"],)
            )
        }
        if (
            named
            and named <= members
            and not contract["is_framework"]
            and (contract["suppliers_count"] or 1) <= len(named)
        ):
            total += Decimal(str(contract["initial_value_gbp"] or 0))
    return total


def penalties(raw, members: set[int]) -> Decimal:
    marks = ",".join("?" * len(members))
    rows = raw.execute(
        f"""SELECT a.amount_gbp FROM enforcement_amounts a JOIN enforcement_actions e ON e.id = a.enforcement_action_id
            WHERE e.supplier_id IN ({marks})""",
        sorted(members),
    )
    return sum((Decimal(str(row[0])) for row in rows if row[0] is not None), Decimal(0))


def cited_url(raw, sources: str, fact_column: str, fact_key: str) -> str:
    """The source a fact cites: an authority's own document before a news report, then the latest seen."""
    facts = "incidents" if sources == "incident_sources" else "enforcement_actions"
    return raw.execute(
        f"""SELECT d.url FROM {sources} s JOIN documents d ON d.id = s.document_id
            JOIN {facts} f ON f.id = s.{fact_column} WHERE f.fact_key = ?
            ORDER BY d.kind = 'news', s.last_seen_at DESC, s.id DESC LIMIT 1""",
        (fact_key,),
    ).fetchone()[0]


def bars(html: str, panel: str) -> dict[int, Decimal]:
    """The chart's bars in one panel: year -> pounds."""
    drawn = html.split(f'<g class="{panel}">', 1)[1].split("</g>", 1)[0]
    return {int(year): Decimal(value) for year, value in re.findall(r'data-year="(\d+)" data-gbp="([^"]+)"', drawn)}


def timeline(html: str) -> list[str]:
    """The timeline's entries, as the text of each, in page order."""
    listed = html.split('<ol class="watchdog-timeline">', 1)[1].split("</ol>", 1)[0]
    return [
        unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item))).strip()
        for item in re.split(r"<li\b[^>]*>", listed)[1:]
    ]


def test_the_group_page_shows_its_members_and_totals_as_the_raw_tables_add_up(datasette, raw):
    parent = supplier_id(raw, GROUP)
    members = members_of(raw, parent)
    response = get(datasette, f"/-/group/{parent}")
    assert response.status_code == 200
    html = response.text
    for name in (GROUP, "SERCO LIMITED", "Serco Geografix Ltd"):
        assert f'<a href="/-/supplier/{supplier_id(raw, name)}">{name}</a>' in html
    assert TRADING_AS in html  # the members' names
    assert (won_alone(raw, members), penalties(raw, members)) == (Decimal(108_000_000), Decimal(92_400_000))
    assert pounds(won_alone(raw, members)) in html and pounds(penalties(raw, members)) in html
    figures = re.findall(r'<span class="figure">([^<]+)</span>', html)
    assert figures == ["1", "£108,000,000", "£0", "3", "£92,400,000", "1"]


def test_the_group_timeline_is_newest_first_with_sources_and_evidence(datasette, raw):
    entries = timeline(get(datasette, f"/-/group/{supplier_id(raw, GROUP)}").text)
    assert [entry.split(" ", 2)[:2] for entry in entries] == [
        ["May", "2020"], ["May", "2020"], ["May", "2020"], ["4", "July"], ["2016", "(as"], ["December", "2013"],
    ]  # fmt: skip
    glasgow = entries[4]
    assert glasgow.startswith("2016 (as written: 2016-17) Service credits (deducted from payments)")
    assert "just over £1,000,000 service credits" in glasgow and "Authority: Home Office" in glasgow
    assert "withheld just over £1m from Serco in 2016-17 over its asylum housing in Glasgow" in glasgow
    assert "news report" in glasgow
    breach = next(entry for entry in entries if "email addresses of 296 contact tracers" in entry)
    assert breach.startswith("May 2020 Data breach: Serco's record: the contracts, the deductions and the data breach")
    html = get(datasette, f"/-/group/{supplier_id(raw, GROUP)}").text
    [breach_key] = raw.execute("SELECT fact_key FROM incidents WHERE kind = 'data_breach'").fetchone()
    breach_source = cited_url(raw, "incident_sources", "incident_id", breach_key)
    glasgow_source = cited_url(
        raw, "enforcement_action_sources", "enforcement_action_id", serco.GLASGOW_SERVICE_CREDITS.fact_key
    )
    assert breach_source.endswith("/uk-news/2020/jun/01/serco-record-contracts-deductions-data-breach")
    assert f'<a href="{breach_source}">' in html and f'<a href="{glasgow_source}">' in html
    contract = entries[0]
    assert "£108,000,000 Buyer: Department of Health and Social Care SERCO LIMITED official record" in contract
    assert "Known from the news only: not counted in the totals." in entries[1]


def test_the_chart_shows_every_year_of_the_record_with_its_money(datasette, raw):
    html = get(datasette, f"/-/group/{supplier_id(raw, GROUP)}").text
    years = list(range(2013, 2021))
    assert bars(html, "contracts") == {year: Decimal(108_000_000 if year == 2020 else 0) for year in years}
    assert bars(html, "penalties") == {
        year: Decimal({2013: 68_500_000, 2016: 1_000_000, 2019: 22_900_000}.get(year, 0)) for year in years
    }
    assert "<title>2019: penalties £22,900,000</title>" in html
    assert ">Serco Group plc: contract value and penalties per year</text>" in html
    assert "<tr><td>2016</td><td>£0</td><td>£1,000,000</td></tr>" in html


def test_a_member_page_shows_its_own_record_names_and_group(datasette, raw):
    member = supplier_id(raw, "SERCO LIMITED")
    html = get(datasette, f"/-/supplier/{member}").text
    assert "<h1>SERCO LIMITED</h1>" in html
    assert f'Part of the group <a href="/-/group/{supplier_id(raw, GROUP)}">{GROUP}</a>' in html
    assert f"<li>{TRADING_AS}</li>" in html and "<li>SERCO LIMITED</li>" in html
    assert bars(html, "contracts") == {2020: Decimal(108_000_000)}
    [contract] = timeline(html)
    assert contract.startswith("May 2020 Contract awarded: COVID-19 contact tracing service £108,000,000")


def test_a_supplier_is_found_by_another_spelling_and_its_group_linked(datasette, raw):
    html = get(datasette, "/-/suppliers?q=serco+HEALTH").text
    matches = html.split('<table class="rows-and-columns watchdog-matches">', 1)[1]
    rows = matches.split("<tr>")[2:]
    assert len(rows) == 1
    assert f'<a href="/-/supplier/{supplier_id(raw, "SERCO LIMITED")}">SERCO LIMITED</a>' in rows[0]
    assert TRADING_AS in rows[0]
    assert f'member of <a href="/-/group/{supplier_id(raw, GROUP)}">{GROUP}</a>' in rows[0]


def test_the_search_puts_the_closest_names_first_and_takes_wildcards_literally(datasette, raw):
    html = get(datasette, "/-/suppliers?q=Serco+Ltd").text
    found = re.findall(r'<td><a href="/-/supplier/\d+">([^<]+)</a>', html)
    assert found == ["SERCO LIMITED", "Serco Geografix Ltd", GROUP]  # "serco ltd" is SERCO LIMITED's name key
    assert f'parent of <a href="/-/group/{supplier_id(raw, GROUP)}">its group of 3</a>' in html
    assert "No supplier has a name like “%”." in get(datasette, "/-/suppliers?q=%25").text


def test_unknown_ids_are_not_found_and_a_member_is_not_a_group(datasette, raw):
    assert get(datasette, "/-/supplier/999999").status_code == 404
    assert get(datasette, "/-/group/999999").status_code == 404
    member = supplier_id(raw, "Serco Geografix Ltd")
    response = get(datasette, f"/-/group/{member}")
    assert (response.status_code, response.headers["location"]) == (302, f"/-/supplier/{member}")


def test_the_record_views_link_names_to_the_pages(datasette, raw):
    html = get(datasette, f"/watchdog/supplier_record?supplier_id={supplier_id(raw, 'SERCO LIMITED')}").text
    assert f'<a href="/-/supplier/{supplier_id(raw, "SERCO LIMITED")}">SERCO LIMITED</a>' in html
    assert f'<a href="/-/group/{supplier_id(raw, GROUP)}">{GROUP}</a>' in html


def test_the_home_and_database_pages_have_the_search_box(datasette):
    for path in ("/", "/watchdog"):
        html = get(datasette, path).text
        assert '<form class="watchdog-search" action="/-/suppliers" method="get" role="search">' in html


def test_a_fine_reduced_on_appeal_counts_the_final_sum_and_shows_the_first_apart(datasette, raw):
    quenby = supplier_id(raw, "Quenby Recruitment Limited")
    html = get(datasette, f"/-/supplier/{quenby}").text
    assert re.findall(r'<span class="figure">([^<]+)</span>', html)[3:5] == ["1", "£80,000"]
    [entry] = timeline(html)
    assert "£80,000 fine (not added up: £200,000 before an appeal reduced it)" in entry
    assert bars(html, "penalties") == {2023: Decimal(80_000)}


def test_an_award_two_members_won_is_the_groups_alone_and_shared_on_each_members_page(tmp_path):
    """As the totals count it: on the group's page the award two of its members won is not marked shared, while
    one shared with a supplier outside the group is; on a member's page both are shared."""
    path = tmp_path / "watchdog.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    outsider = SupplierRef("Capita Business Services Ltd", company_number="02299747")
    together = replace(serco.CONTACT_TRACING, suppliers=[serco.SERCO_LIMITED, serco.SERCO_GEOGRAFIX])
    with_outsider = replace(
        serco.CONTACT_TRACING, ocid="ocds-b5fd17-shared-outside", title="Shared outside", initial_value=Decimal(1000),
        suppliers=[serco.SERCO_GEOGRAFIX, outsider],
    )  # fmt: skip
    Store(engine).write([*serco.GROUPS, together, with_outsider])
    with engine.connect() as connection:
        ids = dict(connection.exec_driver_sql("SELECT name, id FROM suppliers").all())
    engine.dispose()
    site = datasette_for(path, searchable=False)

    group_page = get(site, f"/-/group/{ids['Serco Group plc']}").text
    member_page = get(site, f"/-/supplier/{ids['SERCO LIMITED']}").text

    [both] = [entry for entry in timeline(group_page) if "COVID-19 contact tracing service" in entry]
    [outside] = [entry for entry in timeline(group_page) if "Shared outside" in entry]
    assert "Shared by" not in both
    assert "Shared by 2 suppliers: its value is a ceiling for all of them, not this group's." in outside
    [member_entry] = timeline(member_page)
    assert "Shared by 2 suppliers: its value is a ceiling for all of them, not this one's." in member_entry
    assert re.findall(r'<span class="figure">([^<]+)</span>', group_page)[1] == pounds(Decimal("108000000"))


def test_an_undated_fine_with_its_costs_is_one_entry_left_out_of_the_chart(tmp_path):
    path = tmp_path / "watchdog.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    undated = replace(APPEALED_FINE, fact_key="hse:undated", action_date=None, amounts=[
        Money(Decimal("40000"), "fine", text="£40,000"), Money(Decimal("2100"), "costs", text="£2,100"),
    ])  # fmt: skip
    Store(engine).write([APPEALED_FINE, undated])  # a dated fine, for a chart to show
    with engine.connect() as connection:
        [quenby] = connection.exec_driver_sql("SELECT id FROM suppliers").scalars()
    engine.dispose()

    html = get(datasette_for(path, searchable=False), f"/-/supplier/{quenby}").text

    assert "1 entry has no date and is not in the chart." in unescape(re.sub(r"\s+", " ", html))
