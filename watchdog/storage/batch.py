"""What the writers of one batch share, in its one transaction."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class Batch:
    """What the writers of one batch share: its time and crawl run, and the ids of its documents and suppliers."""

    now: datetime
    run_id: int | None
    document_ids: dict[str, int]
    supplier_ids: dict[int, int]
    counts: Counter[str]
    reports_of_official: set[str] = dataclasses.field(default_factory=set)

    @property
    def seen(self) -> dict[str, datetime]:
        return {"first_seen_at": self.now, "last_seen_at": self.now}

    @property
    def found(self) -> dict[str, int | None]:
        """A new fact's runs: this batch's found it and, so far, last changed it."""
        return {"first_crawl_run_id": self.run_id, "changed_crawl_run_id": self.run_id}

    def source_row(self, fact_column: str, fact_id: int, item: Any) -> dict[str, Any]:
        return {
            fact_column: fact_id,
            "document_id": self.document_ids[item.source.url],
            "evidence": item.evidence,
            "extraction_rule": item.extraction_rule,
            **self.seen,
        }


def in_rounds(rows: list[dict[str, Any]], key: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Split rows so no key repeats within a round: one statement may not update a row twice."""
    rounds: list[list[dict[str, Any]]] = []
    occurrences: dict[tuple, int] = {}
    for row in rows:
        value = tuple(row[name] for name in key)
        index = occurrences.get(value, 0)
        occurrences[value] = index + 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(row)
    return rounds
