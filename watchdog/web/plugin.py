"""Datasette plugin of `watchdog serve`: sums in pounds written as pounds, the words of a search made safe, and a
facet by year (a date known only to its year or month still has one)."""

from __future__ import annotations

import re
from decimal import Decimal

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from markupsafe import Markup, escape

WORD = re.compile(r"\w+")


def search_terms(words: str | None) -> str:
    """An FTS5 query finding rows with every word given, whatever punctuation or FTS5 syntax the words hold."""
    return " ".join(f'"{word}"' for word in WORD.findall(words or "")) or '""'


def pounds(value: float) -> str:
    """A sum as £1,234,567.89 (-£1,234.50 below zero)."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"-£{-amount:,}" if amount < 0 else f"£{amount:,}"


@hookimpl
def prepare_connection(conn) -> None:
    conn.create_function("search_terms", 1, search_terms, deterministic=True)


@hookimpl
def render_cell(value, column):
    """A column in pounds (`*_gbp`) as £108,000,000.00, the exact value in its tooltip."""
    if column.endswith("_gbp") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Markup(f'<span class="watchdog-pounds" title="{escape(str(value))}">{escape(pounds(value))}</span>')
    return None


class YearFacet(Facet):
    """Rows counted by the year of a date column, newest year first; a year picks its rows by
    `column__startswith=YEAR`. Set in metadata as {"year": "event_date"}, or asked for with ?_facet_year=COLUMN."""

    type = "year"

    async def suggest(self) -> list:
        return []

    async def facet_results(self) -> tuple[list, list]:
        results, timed_out = [], []
        chosen = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for configured in self.get_configs():
            column = configured["config"].get("column") or configured["config"]["simple"]
            year = f"SUBSTR(CAST({escape_sqlite(column)} AS TEXT), 1, 4)"
            sql = (
                f"SELECT {year} AS value, COUNT(*) AS count FROM ({self.sql}) WHERE {year} GLOB '[0-9][0-9][0-9][0-9]' "
                f"GROUP BY value ORDER BY value DESC LIMIT {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            argument = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = chosen.get(argument) == row["value"]
                change = path_with_removed_args if selected else path_with_added_args
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(
                            self.request, change(self.request, {argument: row["value"]})
                        ),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": configured["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                    "truncated": len(rows) > size,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [YearFacet]
