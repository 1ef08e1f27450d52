"""What the public views mean, column by column: the data dictionary's half that SQL comments cannot hold.

The views themselves are created by the migrations; a test checks these columns against the database.
"""

from __future__ import annotations

SUPPLIER = {
    "supplier_id": "The supplier (suppliers.id).",
    "supplier_name": "The supplier's name.",
    "company_number": "Its Companies House number, if known.",
    "group_id": "The group it belongs to (suppliers.id of the group's parent); itself if it is in no group.",
    "group_name": "The group's name.",
}
TOTALS = {
    "contracts_count": "Contracts awarded, as published by buyers (contracts known only from the news are "
    "in supplier_events, not counted here, as they may be published ones told again).",
    "contracts_value_gbp": "Sum of their initial values in pounds (a value with no pounds figure is not counted).",
    "enforcement_count": "Enforcement actions: fines, deductions, repayments, DPA penalties, compensation...",
    "penalties_value_gbp": "Sum in pounds of every amount of those actions, of every kind, costs included: "
    "read supplier_events by amount_kind to keep fines, deductions and repayments apart.",
    "incidents_count": "Incidents: data breaches, deaths or injuries, service and inspection failures.",
    "first_event_date": "Date of the earliest contract, action or incident.",
    "last_event_date": "Date of the latest one.",
}

VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "supplier_groups": (
        "Every supplier with the group it currently belongs to (a supplier in no group is its own group).",
        {**SUPPLIER, "group_company_number": "The group parent's Companies House number, if known."},
    ),
    "supplier_events": (
        "Everything known about each supplier, one row per contract award, per amount of an enforcement action "
        "(a penalty and its costs are two rows sharing event_id), and per incident. "
        "Filter on group_id to read a whole group.",
        {
            **SUPPLIER,
            "event_date": "When it happened: award date, date imposed, date of the incident.",
            "date_precision": "How much of event_date is known: day, month, year or unknown.",
            "event_type": "contract, enforcement or incident.",
            "event_id": "The row in contracts, enforcement_actions or incidents.",
            "event_kind": "award; fine, service_credit, repayment, dpa_penalty...; data_breach, death_or_injury...",
            "title": "Title of the contract, action or incident.",
            "description": "Its description.",
            "buyer_or_authority": "The buyer that awarded the contract, or the authority that took the action.",
            "amount": "The contract's initial value, or one amount of an action; empty for incidents.",
            "currency": "ISO 4217 currency of amount.",
            "amount_gbp": "amount in pounds sterling.",
            "amount_kind": "What amount is: initial_value, fine, costs, service_credit, dpa_penalty...",
            "qualifier": "Words beside the amount as written: up to, over, almost, plus VAT.",
            "basis": "official (from the buyer or authority) or reported (from the news).",
            "source_url": "Where to read it: the notice page, or the latest source document.",
            "evidence": "The sentence or passage of that source that states it (for facts read from the news).",
            "first_seen_at": "When a crawl first found it (UTC).",
            "last_seen_at": "When a crawl last found it (UTC).",
        },
    ),
    "supplier_record": (
        "One row per supplier: what it won and what went wrong, in totals.",
        {**SUPPLIER, **TOTALS},
    ),
    "group_record": (
        "One row per group (and per supplier in no group): the totals of all its members. "
        "A contract won by two members counts once.",
        {
            "group_id": "The group's parent (suppliers.id).",
            "group_name": "The group's name.",
            "company_number": "The parent's Companies House number, if known.",
            "members_count": "Entities in the group, the parent included.",
            **TOTALS,
        },
    ),
    "contract_value_changes": (
        "Contracts whose published value changed between releases, with the first and latest value.",
        {
            "contract_id": "The contract (contracts.id).",
            "ocid": "Open Contracting id of the procurement.",
            "award_id": "The award within it.",
            "title": "Title of the procurement.",
            "buyer_name": "The buyer.",
            "currency": "ISO 4217 currency.",
            "releases_count": "How many releases of it we have.",
            "first_value": "The value in the earliest release that gave one.",
            "latest_value": "The value in the latest release that gave one.",
            "value_change": "latest_value minus first_value.",
            "first_release_at": "When the earliest release was published (UTC).",
            "latest_release_at": "When the latest release was published (UTC).",
        },
    ),
}
