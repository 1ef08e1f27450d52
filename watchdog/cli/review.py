"""`watchdog suppliers` and `watchdog contracts`: a person's judgements on identity and republished awards."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime

import click
from tabulate import tabulate

from watchdog.console import WatchdogGroup
from watchdog.database import awards, db
from watchdog.database.record import money
from watchdog.identity import review


@click.group("suppliers", cls=WatchdogGroup)
def suppliers_group() -> None:
    """Judge supplier identity: review candidates, merge, split, reject, group.

    \b
    Name a supplier by #id (as `review` shows it), company number, or name.
    Every decision is logged in supplier_decisions (who, when, why) and outlasts re-crawls.
    """


def decide(url: str, action, *references: str, **options) -> object:
    """Run one decision in a transaction, naming suppliers as a person writes them."""
    engine = db.ready_engine(url)
    try:
        with engine.begin() as connection:
            ids = [review.resolve_reference(connection, reference) for reference in references]
            return action(connection, *ids, **options)
    except review.DecisionRefused as error:
        raise click.ClickException(str(error)) from error


def who() -> str:
    return os.environ.get("WATCHDOG_USER") or getpass.getuser()


BY = click.option("--by", default=who, show_default="$WATCHDOG_USER or your login", help="Who decides.")
REASON = click.option("--reason", help="Why, for the log.")


@suppliers_group.command("review")
@click.option("--limit", default=20, show_default=True, help="How many pairs and name groups to show.")
@click.pass_obj
def suppliers_review(url: str, limit: int) -> None:
    """Show what may be one entity, with the evidence: pairs of alike names, and name groups (all the suppliers
    sharing one name, kept apart by their company numbers)."""
    engine = db.ready_engine(url, writing=False)
    with engine.connect() as connection:
        items = review.open_candidates(connection, limit)
    if not items:
        click.echo("Nothing to review.")
    for item in items:
        members = item["members"]
        click.echo(f"\nscore {item['score']:.0f}: {item['reason']}")
        if item["name_key"] is not None:
            click.echo(f"  {len(members)} suppliers share the name {item['name_key']!r}:")
        for side in members:
            number = side["company_number"] or "no company number"
            others = [n for n in side["names"] if n != side["name"]]
            click.echo(f"  #{side['id']:<6} {side['name']} ({number}), {side['contracts']} contracts")
            if others:
                click.echo(f"          also written: {'; '.join(others[:5])}")
            if side["identifiers"]:
                click.echo(f"          identifiers: {', '.join(side['identifiers'][:5])}")
        if item["shared_buyers"]:
            both = "both supplied" if len(members) == 2 else "supplied by several"
            click.echo(f"  {both}: {'; '.join(item['shared_buyers'][:5])}")
        for line in answers(item["name_key"], members):
            click.echo(f"  {line}")


def answers(name_key: str | None, members: list[dict]) -> list[str]:
    """The commands that answer a review item: a pair's, or a name group's (a merge or group of two of its
    members, or all of them rejected at once)."""
    numbered = [m["id"] for m in members if m["company_number"]]
    unnumbered = [m["id"] for m in members if not m["company_number"]]
    lines = []
    if len(numbered) >= 2:
        lines.append(f"one group: watchdog suppliers group #{numbered[1]} #{numbered[0]}")
    if unnumbered:
        keep = (numbered or unnumbered)[0]
        lines.append(f"same:      watchdog suppliers merge #{keep} #{next(i for i in unnumbered if i != keep)}")
    if name_key is None:
        lines.append(f"not same:  watchdog suppliers reject #{members[0]['id']} #{members[1]['id']}")
    else:
        lines.append(f"not same:  watchdog suppliers reject #{members[0]['id']}   (all {len(members)} are different)")
    return lines


@suppliers_group.command("merge")
@click.argument("keep")
@click.argument("other")
@BY
@REASON
@click.pass_obj
def suppliers_merge(url: str, keep: str, other: str, by: str, reason: str | None) -> None:
    """Fold OTHER into KEEP: one entity from now on, whatever later crawls bring."""
    decide(url, review.merge, keep, other, by=by, reason=reason)
    click.echo(f"merged {other} into {keep}")


@suppliers_group.command("reject")
@click.argument("first")
@click.argument("second", required=False)
@BY
@REASON
@click.pass_obj
def suppliers_reject(url: str, first: str, second: str | None, by: str, reason: str | None) -> None:
    """Record that FIRST and SECOND are different entities; they are not offered again.

    With FIRST alone (a supplier, or a name), the suppliers sharing its name, a name group in `review`, are all
    different entities: the group is offered again only when another supplier of that name appears.
    """
    if second is None:
        members = decide(url, review.reject_name_group, reference=first, by=by, reason=reason)
        listed = " ".join(f"#{member}" for member in members)
        click.echo(f"the {len(members)} suppliers named as {first} ({listed}) are recorded as different suppliers")
        return
    decide(url, review.reject, first, second, by=by, reason=reason)
    click.echo(f"{first} and {second} are recorded as different suppliers")


@suppliers_group.command("split")
@click.argument("supplier")
@click.argument("names", nargs=-1, required=True)
@BY
@REASON
@click.pass_obj
def suppliers_split(url: str, supplier: str, names: tuple[str, ...], by: str, reason: str | None) -> None:
    """Move NAMES (and the contracts published under them) from SUPPLIER to a new supplier."""
    new_id = decide(url, review.split, supplier, names=list(names), by=by, reason=reason)
    click.echo(f"split {', '.join(names)} from {supplier} into #{new_id}")


@suppliers_group.command("group")
@click.argument("child")
@click.argument("parent")
@BY
@REASON
@click.pass_obj
def suppliers_group_command(url: str, child: str, parent: str, by: str, reason: str | None) -> None:
    """Put CHILD in PARENT's group (its record then counts in the group's)."""
    decide(url, review.group, child, parent, by=by, reason=reason)
    click.echo(f"{child} is now in the group of {parent}")


@suppliers_group.command("ungroup")
@click.argument("child")
@BY
@REASON
@click.pass_obj
def suppliers_ungroup(url: str, child: str, by: str, reason: str | None) -> None:
    """Take CHILD out of its group."""
    decide(url, review.ungroup, child, by=by, reason=reason)
    click.echo(f"{child} is in no group now")


@click.group("contracts", cls=WatchdogGroup)
def contracts_group() -> None:
    """Judge award rows that the republication rule may have got wrong.

    \b
    Name a row by its contracts.id, as `contracts superseded` shows it.
    Every decision is logged in contract_decisions (who, when, why) and outlasts re-crawls.
    """


def decide_contracts(url: str, action: str, first: int, second: int, by: str, reason: str | None) -> None:
    """Log and apply a person's word on two award rows, in one transaction, and say where each row stands."""
    try:
        with db.ready_engine(url).begin() as connection:
            awards.decide(connection, action, first, second, by=by, reason=reason, now=datetime.now(UTC))
            for row_id, replaced_by in awards.standing(connection, [first, second]):
                click.echo(f"#{row_id} counts" if replaced_by is None else f"#{row_id} is replaced by #{replaced_by}")
    except awards.ContractDecisionRefused as error:
        raise click.ClickException(str(error)) from error


@contracts_group.command("superseded")
@click.option("--limit", default=50, show_default=True, help="How many rows to show.")
@click.pass_obj
def contracts_superseded(url: str, limit: int) -> None:
    """List award rows replaced by a republication or a person, with the rows that replaced them."""
    with db.ready_engine(url, writing=False).connect() as connection:
        rows = awards.superseded_rows(connection, limit)
    if not rows:
        click.echo("No award row has been replaced by a republication.")
        return
    click.echo(
        tabulate(
            [
                (
                    row["id"],
                    row["award_id"],
                    money(row["initial_value"]),
                    row["superseded_reason"],
                    row["by_id"],
                    row["by_award_id"],
                    money(row["by_value"]),
                    row["awarded_on"] or "",
                )
                for row in rows
            ],  # fmt: skip
            headers=["row", "award id", "value", "why", "replaced by", "award id", "value", "awarded on"],
            disable_numparse=True,
        )
    )


@contracts_group.command("keep-both")
@click.argument("first", type=int)
@click.argument("second", type=int)
@BY
@REASON
@click.pass_obj
def contracts_keep_both(url: str, first: int, second: int, by: str, reason: str | None) -> None:
    """Two award rows are two awards, not one published twice: count both."""
    decide_contracts(url, "keep_both", first, second, by, reason)


@contracts_group.command("supersede")
@click.argument("old", type=int)
@click.argument("new", type=int)
@BY
@REASON
@click.pass_obj
def contracts_supersede(url: str, old: int, new: int, by: str, reason: str | None) -> None:
    """Award row NEW is award row OLD published again: count NEW only."""
    decide_contracts(url, "supersede", old, new, by, reason)


@contracts_group.command("refresh")
@click.pass_obj
def contracts_refresh(url: str) -> None:
    """Work out again, for every procurement, which rows are current (after a change of the rule, say)."""
    with db.ready_engine(url).begin() as connection:
        changed = awards.refresh_awards(connection)
    click.echo(f"{changed} rows changed")
