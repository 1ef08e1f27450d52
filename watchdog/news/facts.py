"""From a news article to fact items: each fact about a known supplier, marked as reported, with its sentence.

The same fact told by several outlets gets the same key (supplier, kind, sum, year), so it is stored once
with several sources; the store also folds a reported enforcement action into the authority's own record of
it (watchdog/storage/events.py, `as_known_action`).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, select

from watchdog.database.models import Supplier
from watchdog.identity.groups import read_groups_file
from watchdog.identity.review import groups_files
from watchdog.items import ArticleItem, ContractItem, EnforcementItem, IncidentItem, Money, SupplierRef
from watchdog.news.extraction import CONTRACT, ENFORCEMENT_CATEGORY, Fact, KnownSupplier, Mentions, extract_facts
from watchdog.normalise.names import main_name, name_key


def known_suppliers(engine: Engine) -> Mentions:
    """The suppliers news can name, ready to find in sentences: the groups files' parents (also by brand) and
    members, and every supplier with a company number whose name is distinctive enough (two words or more)
    to find in prose. Built once per crawl."""
    known = []
    for path in groups_files():
        for entry in read_groups_file(path):
            mentions = tuple(filter(None, (entry.brand, main_name(entry.parent))))
            known.append(KnownSupplier(entry.parent, mentions))
            known += [KnownSupplier(member, (main_name(member),)) for member in entry.members]
    with engine.connect() as connection:
        rows = connection.execute(select(Supplier.name).where(Supplier.company_number.is_not(None)))
        known += [KnownSupplier(name, (main_name(name),)) for (name,) in rows if len(name_key(name).split()) >= 2]
    return Mentions(known)


def digest(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()


def principal(fact: Fact):
    """The sum the fact is about: the first that is not an upper bound ("up to")."""
    plain = [a for a in fact.amounts if a.bound != "upper" and not (a.qualifier or "").lower().startswith("up to")]
    return (plain or fact.amounts or [None])[0]


def fact_items(article: ArticleItem, known: Mentions) -> list:
    facts = extract_facts(article.text, known)
    items = []
    for fact in facts:
        if (
            fact.category == ENFORCEMENT_CATEGORY
            and fact.kind == "costs"
            and any(
                other.sentence == fact.sentence and other.category == ENFORCEMENT_CATEGORY and other.kind != "costs"
                for other in facts
            )
        ):
            continue  # costs beside a penalty are an amount of that action (below), not an action
        items.append(item_of(fact, article, facts))
    return items


def item_of(fact: Fact, article: ArticleItem, facts: list[Fact]):
    supplier = SupplierRef(fact.supplier)
    amount = principal(fact)
    date = fact.date
    year = date.value.year if date and date.value else None
    common = {"supplier": supplier, "source": article.source, "basis": "reported", "evidence": fact.sentence,
              "extraction_rule": fact.rule}  # fmt: skip
    dated = {"date_precision": date.precision if date else "unknown", "date_text": date.text if date else None}
    if fact.category == CONTRACT:
        maximum = next((a for a in fact.amounts if a is not amount), None)
        return ContractItem(
            ocid=f"reported-{digest(name_key(fact.supplier), amount and amount.amount, year)}",
            source=article.source,
            title=article.source.title,
            description=fact.sentence,
            suppliers=[supplier],
            awarded_on=date.value if date else None,
            date_precision=dated["date_precision"] if date and date.value else "unknown",
            initial_value=amount.amount if amount else None,
            maximum_value=maximum.amount if maximum else None,
            currency=amount.currency if amount else None,
            basis="reported",
            evidence=fact.sentence,
            extraction_rule=fact.rule,
        )
    if fact.category == ENFORCEMENT_CATEGORY:
        amounts = [Money(a.amount, fact.kind, a.currency, a.qualifier, a.text) for a in [amount] if a]
        costs = next((f for f in facts if f.sentence == fact.sentence and f.kind == "costs" and f is not fact), None)
        if costs and costs.amounts and fact.kind != "costs":
            first = costs.amounts[0]
            amounts.append(Money(first.amount, "costs", first.currency, first.qualifier, first.text))
        return EnforcementItem(
            fact_key=f"reported:{digest(name_key(fact.supplier), fact.kind, amount and amount.amount, year)}",
            kind=fact.kind,
            action_date=date.value if date else None,
            title=article.source.title,
            description=fact.sentence,
            amounts=amounts,
            **dated,
            **common,
        )
    return IncidentItem(
        fact_key=f"reported:{digest(name_key(fact.supplier), fact.kind, year, year is None and fact.sentence)}",
        kind=fact.kind,
        incident_date=date.value if date else None,
        title=article.source.title,
        description=fact.sentence,
        figures=fact.figures,
        **dated,
        **common,
    )
