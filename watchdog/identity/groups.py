"""Group membership: which group (parent company) a supplier belongs to.

Groups are one level deep. A supplier belongs to at most one group at a time (its membership with no
`ended_on`); putting a group's parent into another group moves its members along, so every member points
at the top of its chain and the views need a single join.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import Connection, insert, select, update

from watchdog import DATA_DIR
from watchdog.database.models import GroupMembership
from watchdog.database.totals import touch_placement

memberships = GroupMembership.__table__
CURRENT = memberships.c.ended_on.is_(None)
GROUPS_FILE = DATA_DIR / "groups.yaml"


def current_group(connection: Connection, supplier_id: int) -> int | None:
    return connection.scalar(select(memberships.c.group_id).where(CURRENT, memberships.c.supplier_id == supplier_id))


def join_group(
    connection: Connection,
    member_id: int,
    group_id: int,
    now: datetime,
    started_on: date | None = None,
    note: str | None = None,
) -> bool:
    """Make `member_id` a current member of `group_id`'s group; False if it already was (or is the group)."""
    group_id = current_group(connection, group_id) or group_id
    existing = current_group(connection, member_id)
    if group_id == member_id or existing == group_id:
        return False
    if existing is not None:
        leave_group(connection, member_id, started_on or now.date())
    touch_placement(connection, [member_id, group_id])
    connection.execute(
        insert(memberships).values(
            supplier_id=member_id, group_id=group_id, started_on=started_on, note=note, created_at=now
        )
    )
    connection.execute(
        update(memberships).where(CURRENT, memberships.c.group_id == member_id).values(group_id=group_id)
    )
    return True


def leave_group(connection: Connection, member_id: int, on: date) -> None:
    touch_placement(connection, [member_id, current_group(connection, member_id)])
    connection.execute(update(memberships).where(CURRENT, memberships.c.supplier_id == member_id).values(ended_on=on))


def record_past_membership(
    connection: Connection, member_id: int, group_id: int, started_on: date | None, ended_on: date, note: str | None,
    now: datetime,
) -> None:  # fmt: skip
    """A membership that has ended, kept for the record (once, however often a source repeats it)."""
    period = {"supplier_id": member_id, "group_id": group_id, "started_on": started_on, "ended_on": ended_on}
    known = select(memberships.c.id).where(*(memberships.c[name] == value for name, value in period.items()))
    if connection.scalar(known) is None:
        connection.execute(insert(memberships).values(**period, note=note, created_at=now))


@dataclass(frozen=True)
class GroupEntry:
    """One group of the groups file: its parent company, the brand the press uses, its subsidiaries."""

    parent: str
    brand: str | None
    members: tuple[str, ...]


def read_groups_file(path: Path = GROUPS_FILE) -> list[GroupEntry]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of groups")
    groups = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("group"):
            raise ValueError(f"{path}: group {number} has no `group:` (the parent company's name)")
        members = entry.get("members") or []
        groups.append(GroupEntry(str(entry["group"]), entry.get("brand"), tuple(str(m) for m in members)))
    return groups
