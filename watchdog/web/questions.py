"""The canned queries `watchdog serve` offers: the README's six questions with a supplier or group and a period to
fill in, what is new since the last crawl, and a search over titles and evidence.

Each keeps the logic of its README query (tests/test_questions.py checks those); a blank field means "any".
Names match any part of a supplier's or its group's name, in any case ("serco" finds Serco Group plc's group).
"""

from __future__ import annotations

from watchdog.database.search import EVENT_TYPES, index_name

# SQL fragments: a group whose name, or one of whose members' names, contains :name; an optional period.
NAMED_GROUPS = (
    "SELECT group_id FROM supplier_groups WHERE :name = '' "
    "OR supplier_name LIKE '%' || :name || '%' OR group_name LIKE '%' || :name || '%'"
)


def in_period(column: str) -> str:
    """The column's date falls within :since and :until, either of which may be left blank."""
    return (
        f"(:since = '' OR SUBSTR(CAST({column} AS TEXT), 1, 10) >= :since) "
        f"AND (:until = '' OR SUBSTR(CAST({column} AS TEXT), 1, 10) <= :until)"
    )


def months(column: str) -> str:
    return (
        f"(CAST(SUBSTR(CAST({column} AS TEXT), 1, 4) AS INTEGER) * 12 "
        f"+ CAST(SUBSTR(CAST({column} AS TEXT), 6, 2) AS INTEGER))"
    )


SUPPLIER_RECORD = f"""
SELECT event_date, date_precision, event_type, event_kind, supplier_name, group_name, title, amount, currency,
       amount_kind, shared_award, basis, buyer_or_authority, source_url, evidence
FROM supplier_events
WHERE group_id IN ({NAMED_GROUPS}) AND {in_period("event_date")}
ORDER BY event_date DESC, event_type, event_id, amount_kind
"""

WON_AFTER_TROUBLE = f"""
SELECT won.group_name, trouble.event_kind AS what_went_wrong, trouble.event_date AS went_wrong_on,
       won.title AS contract, won.buyer_or_authority AS buyer, won.event_date AS awarded_on,
       {months("won.event_date")} - {months("trouble.event_date")} AS months_after, won.source_url
FROM (SELECT DISTINCT group_id, event_kind, event_id, event_date FROM supplier_events
      WHERE event_type IN ('enforcement', 'incident')) trouble
JOIN supplier_events won ON won.group_id = trouble.group_id AND won.event_type = 'contract'
     AND won.basis = 'official' AND won.event_date > trouble.event_date
WHERE won.group_id IN ({NAMED_GROUPS}) AND {in_period("won.event_date")}
ORDER BY won.group_name, months_after
"""

TOP_SUPPLIERS = f"""
SELECT r.supplier_name, COUNT(DISTINCT e.event_id) AS contracts,
       SUM(CASE WHEN e.shared_award = 0 THEN e.amount_gbp ELSE 0 END) AS won_alone_gbp,
       g.group_name, g.enforcement_count, g.penalties_value_gbp, g.incidents_count
FROM supplier_events e
JOIN supplier_record r ON r.supplier_id = e.supplier_id
JOIN group_record g ON g.group_id = r.group_id
WHERE e.event_type = 'contract' AND e.basis = 'official' AND {in_period("e.event_date")}
GROUP BY r.supplier_id, r.supplier_name, g.group_name, g.enforcement_count, g.penalties_value_gbp, g.incidents_count
ORDER BY won_alone_gbp DESC
LIMIT 25
"""

VALUE_CHANGES = f"""
SELECT change_kind, buyer_name, title, first_value, latest_value, value_change, currency, first_release_at,
       latest_release_at, contract_id
FROM contract_value_changes
WHERE {in_period("latest_release_at")}
  AND (:name = '' OR contract_id IN (SELECT cs.contract_id FROM contract_suppliers cs
                                     JOIN supplier_groups sg ON sg.supplier_id = cs.supplier_id
                                     WHERE sg.group_id IN ({NAMED_GROUPS})))
ORDER BY ABS(value_change) DESC
"""

BUYERS_AFTER_TROUBLE = f"""
WITH trouble AS (
    SELECT group_id, MIN(event_date) AS first_trouble
    FROM supplier_events
    WHERE event_type IN ('enforcement', 'incident')
    GROUP BY group_id
)
SELECT a.buyer_name, sg.group_name, COUNT(DISTINCT a.contract_id) AS awards_after,
       MIN(t.first_trouble) AS first_trouble, MAX(a.awarded_on) AS latest_award
FROM awards a
JOIN contract_suppliers cs ON cs.contract_id = a.contract_id
JOIN supplier_groups sg ON sg.supplier_id = cs.supplier_id
JOIN trouble t ON t.group_id = sg.group_id AND a.awarded_on > t.first_trouble
WHERE sg.group_id IN ({NAMED_GROUPS}) AND {in_period("a.awarded_on")}
GROUP BY a.buyer_name, sg.group_name
ORDER BY awards_after DESC, a.buyer_name
"""

LATEST_RUN = """
SELECT event_type, event_kind, supplier_name, title, amount, currency, source_url, first_seen_at
FROM supplier_events
WHERE first_seen_at >= (SELECT MAX(started_at) FROM crawl_runs)
ORDER BY first_seen_at DESC, event_type, event_id
"""

# As `watchdog changes` reads "the last crawl": every run after the last run of the `crawl --all` round before
# the newest one; every run when there have been fewer than two rounds.
NEW_SINCE_LAST_CRAWL = """
WITH rounds AS (
    SELECT round_started_at, MAX(id) AS last_run_id FROM crawl_runs
    WHERE round_started_at IS NOT NULL GROUP BY round_started_at ORDER BY round_started_at DESC LIMIT 2
), first_run AS (
    SELECT CASE WHEN (SELECT COUNT(*) FROM rounds) < 2 THEN 0
                ELSE (SELECT last_run_id FROM rounds ORDER BY round_started_at LIMIT 1) + 1 END AS id
), found AS (
    SELECT 'contract' AS event_type, id, first_crawl_run_id FROM contracts
    UNION ALL SELECT 'enforcement', id, first_crawl_run_id FROM enforcement_actions
    UNION ALL SELECT 'incident', id, first_crawl_run_id FROM incidents
)
SELECT e.first_seen_at, found.first_crawl_run_id AS crawl_run_id, e.event_type, e.event_kind, e.supplier_name,
       e.group_name, e.title, e.amount, e.currency, e.amount_kind, e.basis, e.source_url
FROM supplier_events e
JOIN found ON found.event_type = e.event_type AND found.id = e.event_id
WHERE found.first_crawl_run_id >= (SELECT id FROM first_run)
ORDER BY e.first_seen_at DESC, e.event_type, e.event_id, e.amount_kind
"""

FOUND_IN_INDEX = "\n    UNION ALL ".join(
    f"SELECT '{event_type}' AS event_type, rowid AS event_id, rank, "
    f"snippet({index_name(table)}, -1, '[', ']', '…', 16) AS excerpt "
    f"FROM {index_name(table)} WHERE {index_name(table)} MATCH search_terms(:words)"
    for table, event_type in EVENT_TYPES.items()
)
SEARCH = f"""
WITH found AS (
    {FOUND_IN_INDEX}
)
SELECT DISTINCT e.event_date, e.event_type, e.event_kind, e.supplier_name, e.group_name, e.title, found.excerpt,
       e.buyer_or_authority, e.basis, e.source_url, found.rank
FROM found JOIN supplier_events e ON e.event_type = found.event_type AND e.event_id = found.event_id
ORDER BY found.rank, e.event_date DESC
LIMIT 200
"""

PERIOD = "Leave since and until blank for all time, or give dates as 2020-01-01."
NAME = "Give part of a supplier's or group's name (\"serco\"), or leave it blank for every supplier."

QUESTIONS: dict[str, dict[str, str]] = {
    "everything_about": {
        "title": "1. Everything we know about a supplier or its group",
        "description": "Contracts, fines, deductions, repayments and incidents of every group whose name, or a "
        f"member's, matches: newest first, with the source of each and the sentence that states it. {NAME} "
        f"{PERIOD} A penalty and its costs are two rows; a shared award shows its whole value (shared_award = 1).",
        "sql": SUPPLIER_RECORD,
    },
    "contracts_after_trouble": {
        "title": "2. Contracts won after a fine, deduction or incident",
        "description": "Each published contract a group won after something went wrong, and how many months after "
        f"(dates known only to the month or year count from their start). {NAME} {PERIOD} (the period is when the "
        "contract was awarded)",
        "sql": WON_AFTER_TROUBLE,
    },
    "top_suppliers": {
        "title": "3. The top suppliers by what they won alone, with their group's record beside them",
        "description": "The 25 suppliers with the most contract value won alone in a period (awards shared with "
        "others or frameworks are not counted: their value is a ceiling for all), with the fines and incidents of "
        f"their group. {PERIOD}",
        "sql": TOP_SUPPLIERS,
    },
    "value_changes": {
        "title": "4. Contracts whose value changed after award",
        "description": "Awards whose published value was corrected or republished with another value, the largest "
        f"change first. {NAME} {PERIOD} (the period is when the latest value was published)",
        "sql": VALUE_CHANGES,
    },
    "buyers_after_trouble": {
        "title": "5. Buyers that kept awarding to a group after it was fined or had an incident",
        "description": "Public bodies that awarded contracts to a group after its first fine, deduction or "
        f"incident, with how many awards. {NAME} {PERIOD} (the period is when the award was made)",
        "sql": BUYERS_AFTER_TROUBLE,
    },
    "latest_run": {
        "title": "6. What the latest crawl or ingest found that was not known before",
        "description": "Contracts, actions and incidents first found by the most recent crawl or file load.",
        "sql": LATEST_RUN,
    },
    "new_since_last_crawl": {
        "title": "What is new since the last crawl",
        "description": "Contracts, enforcement actions and incidents first found since the nightly round before "
        "last, as `watchdog changes` counts them (every crawl when there has been one round or none). Value "
        "corrections are in question 4; `watchdog changes` also lists new suppliers and merges.",
        "sql": NEW_SINCE_LAST_CRAWL,
    },
    "search": {
        "title": "Search titles, descriptions and evidence",
        "description": "Contracts, enforcement actions and incidents whose title, description or evidence "
        'sentence has every word given ("data breach", "legionella hospital"); word endings are ignored '
        "(fined finds fine). The excerpt shows the words found in [brackets], the best matches first.",
        "sql": SEARCH,
    },
}
