"""What the public views mean, column by column: the data dictionary's half that SQL comments cannot hold.

The views themselves are created by the migrations; a test checks these columns against the database.
"""

from __future__ import annotations

# Columns of the views that hold money, printed exact to the penny by `watchdog query` and `watchdog export`.
MONEY_COLUMNS = frozenset({
    "amount", "amount_gbp", "contracts_value_gbp", "penalties_value_gbp", "first_value", "latest_value",
    "value_change", "value", "value_gross", "value_gbp", "shared_awards_ceiling_gbp", "previous_value",
})  # fmt: skip

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
    "contracts_value_gbp": "Sum in pounds of the values of the contracts it won alone: awards shared with other "
    "suppliers and frameworks are in shared_awards_ceiling_gbp instead (a value with no pounds figure is not "
    "counted; an award giving only a value including VAT counts with that value).",
    "enforcement_count": "Enforcement actions: fines, deductions, repayments, DPA penalties, compensation...",
    "penalties_value_gbp": "Sum in pounds of every amount of those actions, of every kind, costs included, "
    "but a fine's first sum where an appeal reduced it (fine_before_appeal): read supplier_events by amount_kind "
    "to keep fines, deductions and repayments apart.",
    "incidents_count": "Incidents: data breaches, deaths or injuries, service and inspection failures.",
    "first_event_date": "Date of the earliest contract, action or incident.",
    "last_event_date": "Date of the latest one.",
    "shared_awards_count": "Of contracts_count, the awards shared with other suppliers (several named on one "
    "award) or setting up a framework agreement or dynamic purchasing system.",
    "shared_awards_ceiling_gbp": "Sum in pounds of those shared awards' whole values. Each is a ceiling for all "
    "the suppliers that share it, not money this supplier was paid: never add it up across suppliers.",
}
SHARED_AWARD = {
    "suppliers_count": "For a contract: how many suppliers its award names (one firm listed twice is one).",
    "is_framework": "For a contract: 1 if the award sets up a framework agreement or dynamic purchasing system "
    "(its value is a ceiling, not money paid), else 0.",
    "shared_award": "For a contract: 1 if the award is shared (suppliers_count above 1, or a framework), so its "
    "amount is not this supplier's alone; else 0.",
}

VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "supplier_groups": (
        "Every supplier with the group it currently belongs to (a supplier in no group is its own group).",
        {**SUPPLIER, "group_company_number": "The group parent's Companies House number, if known."},
    ),
    "supplier_events": (
        "Everything known about each supplier, one row per contract award, per amount of an enforcement action "
        "(a penalty and its costs are two rows sharing event_id), and per incident. "
        "Filter on group_id to read a whole group. Superseded contract rows (contracts.superseded_by) and awards "
        "that did not go ahead (status cancelled or unsuccessful) are left out. A shared award appears once for "
        "each of its suppliers with its whole value: sum amount_gbp only where shared_award = 0, or read the "
        "awards view.",
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
            "amount": "The contract's initial value (its value including VAT when that is all the award gives), "
            "or one amount of an action; empty for incidents.",
            "currency": "ISO 4217 currency of amount.",
            "amount_gbp": "amount in pounds sterling.",
            "amount_kind": "What amount is: initial_value (initial_value_gross when it includes VAT), fine, costs, "
            "service_credit, dpa_penalty...",
            "qualifier": "Words beside the amount as written: up to, over, almost, plus VAT.",
            "basis": "official (from the buyer or authority) or reported (from the news).",
            "source_url": "Where to read it: the notice page; for an action or incident, the authority's own "
            "document when there is one, else the latest news report.",
            "evidence": "The sentence or passage of that source that states it (for facts read from the news).",
            "first_seen_at": "When a crawl first found it (UTC).",
            "last_seen_at": "When a crawl last found it (UTC).",
            "date_text": 'For an action or incident, the date as the source wrote it ("2016-17", "May 2020").',
            **SHARED_AWARD,
        },
    ),
    "supplier_record": (
        "One row per supplier: what it won and what went wrong, in totals.",
        {**SUPPLIER, **TOTALS},
    ),
    "group_record": (
        "One row per group (and per supplier in no group): the totals of all its members. "
        "A contract won by two members counts once, and counts as the group's alone unless it names suppliers "
        "outside the group or sets up a framework.",
        {
            "group_id": "The group's parent (suppliers.id).",
            "group_name": "The group's name.",
            "company_number": "The parent's Companies House number, if known.",
            "members_count": "Entities in the group, the parent included.",
            **TOTALS,
        },
    ),
    "contract_value_changes": (
        "Awards whose published value was corrected: a later release of the same award with another value "
        "(change_kind corrected), or the award published again under a new award id with another value, "
        "replacing the earlier row (change_kind republished). previous_value, changed_at and changed_crawl_run_id "
        "say what the latest value replaced, and when and by which crawl run it was found.",
        {
            "contract_id": "The contract (contracts.id); for a republication, the row that replaced the earlier.",
            "ocid": "Open Contracting id of the procurement.",
            "award_id": "The award within it.",
            "title": "Title of the procurement.",
            "buyer_name": "The buyer.",
            "currency": "ISO 4217 currency.",
            "releases_count": "How many releases of it we have (of both rows, for a republication).",
            "first_value": "The value in the earliest release that gave one (the earlier row's, for a republication).",
            "latest_value": "The value in the latest release that gave one.",
            "value_change": "latest_value minus first_value.",
            "first_release_at": "When the earliest release was published (UTC).",
            "latest_release_at": "When the latest release was published (UTC).",
            "change_kind": "corrected (one award id, a new value) or republished (a new award id replacing another).",
            "earlier_contract_id": "For a republication: the replaced row (contracts.id).",
            "earlier_award_id": "For a republication: the replaced row's award id.",
            "previous_value": "The value latest_value replaced: that of the latest release with another value (the "
            "replaced row's, for a republication).",
            "changed_at": "When a crawl first found the release that brought latest_value (of the releases giving it "
            "since the last with another value, the one found first; for a republication, the row that replaced the "
            "earlier) (UTC).",
            "changed_crawl_run_id": "The crawl run (or ingest) that found it (crawl_runs.id); empty when unknown "
            "(found before revision 0009).",
        },
    ),
    "awards": (
        "One row per current award published by a buyer: superseded rows (a tender before its award, an award "
        "republished under a new id), awards cancelled or unsuccessful, and news reports left out, so value_gbp "
        "can be summed directly. A shared award (shared = 1) or a framework (is_framework = 1) is one row "
        "whatever the number of its suppliers; its value is a ceiling, not money paid.",
        {
            "contract_id": "The contract (contracts.id); its suppliers are in contract_suppliers.",
            "ocid": "Open Contracting id of the procurement.",
            "award_id": "The award within it.",
            "notice_id": "The portal's notice number.",
            "title": "Title of the procurement.",
            "buyer_id": "The buyer (buyers.id).",
            "buyer_name": "The buyer's name.",
            "awarded_on": "Date of the award decision.",
            "date_precision": "How much of awarded_on is known: day, month, year or unknown.",
            "status": "Status as published: active, pending, cancelled...",
            "value": "The value awarded, net of VAT where stated.",
            "value_gross": "The value including VAT, if given.",
            "currency": "ISO 4217 currency of the values.",
            "value_gbp": "value in pounds sterling (value_gross's when the award gives only that).",
            "value_gbp_includes_vat": "1 when value_gbp is a value including VAT (the award gives no other), else 0.",
            "maximum_value": "The most it can be worth (extensions, call-offs), if given.",
            "suppliers_count": "How many suppliers the award names (one firm listed twice is one).",
            "is_framework": "1 if the award sets up a framework agreement or dynamic purchasing system, else 0.",
            "shared": "1 if the value is shared: several suppliers, or a framework; else 0.",
            "start_on": "Contract start date.",
            "end_on": "Contract end date.",
            "notice_url": "The notice as a person reads it on the portal.",
            "first_seen_at": "When a crawl first found it (UTC).",
            "last_seen_at": "When a crawl last found it (UTC).",
        },
    ),
}
