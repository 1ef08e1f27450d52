"""The worked example of shared/DOMAIN.md as items: Serco's contract, deductions, penalty and data breach.

The facts are those of the public record; source URLs are stand-ins under .example. A story naming just
"Serco" is about the group, so those facts are the group parent's.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from watchdog.items import (
    BuyerRef,
    ContractItem,
    EnforcementItem,
    Figure,
    GroupMembershipItem,
    IncidentItem,
    Money,
    SourceDocument,
    SupplierRef,
)

SERCO_GROUP = SupplierRef("Serco Group plc", company_number="02048608")
SERCO_LIMITED = SupplierRef("SERCO LIMITED", company_number="242246")
SERCO_GEOGRAFIX = SupplierRef("Serco Geografix Ltd")


def news(path: str, title: str, published: datetime) -> SourceDocument:
    return SourceDocument(
        url=f"https://news.example/{path}",
        kind="news",
        publisher="News Example",
        title=title,
        published_at=published,
        fetched_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    )


CONTACT_TRACING = ContractItem(
    ocid="ocds-b5fd17-serco-test-and-trace",
    award_id="1",
    release_id="serco-test-and-trace-1",
    release_at=datetime(2020, 5, 29, 12, 0, tzinfo=UTC),
    release_tags=["award"],
    title="COVID-19 contact tracing service",
    buyer=BuyerRef("Department of Health and Social Care", identifier="GB-GOR-D12"),
    suppliers=[SERCO_LIMITED],
    status="active",
    awarded_on=date(2020, 5, 1),
    date_precision="month",
    initial_value=Decimal("108000000"),
    maximum_value=Decimal("410000000"),
    currency="GBP",
    notice_url="https://www.contractsfinder.service.gov.uk/Notice/serco-test-and-trace",
    source=SourceDocument(
        url="https://www.contractsfinder.service.gov.uk/Notice/serco-test-and-trace",
        kind="procurement",
        publisher="Contracts Finder",
    ),
)

GLASGOW_SERVICE_CREDITS = EnforcementItem(
    fact_key="home-office/serco/glasgow-asylum-2016-17",
    supplier=SERCO_LIMITED,
    kind="service_credit",
    authority="Home Office",
    action_date=date(2016, 1, 1),
    date_precision="year",
    date_text="2016-17",
    title="Service credits withheld over asylum accommodation in Glasgow",
    amounts=[Money(Decimal("1000000"), "service_credit", qualifier="just over", text="just over £1m")],
    basis="reported",
    evidence="The Home Office withheld just over £1m from Serco's invoices in 2016-17 over its Glasgow asylum housing.",
    source=news("serco-glasgow", "Serco had £1m withheld", datetime(2017, 3, 1, tzinfo=UTC)),
)

TAGGING_REPAYMENT = EnforcementItem(
    fact_key="moj/serco/electronic-tagging-repayment",
    supplier=SERCO_GROUP,
    kind="repayment",
    authority="Ministry of Justice",
    action_date=date(2013, 12, 1),
    date_precision="month",
    date_text="December 2013",
    title="Repayment over electronic-tagging overcharging",
    amounts=[Money(Decimal("68500000"), "repayment", qualifier="plus VAT", text="£68.5m plus VAT")],
    basis="reported",
    evidence="Serco agreed to repay £68.5m plus VAT to the Ministry of Justice.",
    source=news("serco-tagging", "Serco to repay £68.5m", datetime(2013, 12, 19, tzinfo=UTC)),
)

GEOGRAFIX_DPA = EnforcementItem(
    fact_key="sfo/serco-geografix/dpa",
    supplier=SERCO_GEOGRAFIX,
    kind="dpa_penalty",
    authority="Serious Fraud Office",
    action_date=date(2019, 7, 1),
    date_precision="month",
    date_text="July 2019",
    title="Deferred prosecution agreement",
    amounts=[
        Money(Decimal("19200000"), "dpa_penalty", text="£19.2m"),
        Money(Decimal("3700000"), "costs", text="£3.7m"),
    ],
    source=SourceDocument(
        url="https://sfo.example/cases/serco-geografix", kind="regulator", publisher="Serious Fraud Office"
    ),
)

TRACERS_DATA_BREACH = IncidentItem(
    fact_key="serco/contact-tracers-email-2020-05",
    supplier=SERCO_GROUP,
    kind="data_breach",
    incident_date=date(2020, 5, 1),
    date_precision="month",
    date_text="May 2020",
    title="Contact tracers' e-mail addresses exposed",
    figures=[Figure("contact tracers' e-mail addresses", "296", Decimal("296"))],
    evidence="Serco exposed the e-mail addresses of 296 contact tracers by using CC instead of BCC.",
    source=news("serco-tracers", "Serco data breach", datetime(2020, 5, 20, tzinfo=UTC)),
)

GROUPS = [
    GroupMembershipItem(member=SERCO_LIMITED, group=SERCO_GROUP, note="DOMAIN.md"),
    GroupMembershipItem(member=SERCO_GEOGRAFIX, group=SERCO_GROUP, note="DOMAIN.md"),
]

ALL_ITEMS = [*GROUPS, CONTACT_TRACING, GLASGOW_SERVICE_CREDITS, TAGGING_REPAYMENT, GEOGRAFIX_DPA, TRACERS_DATA_BREACH]
