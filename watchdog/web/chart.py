"""A record's contract value and penalties per year, drawn as a server-side SVG: two panels, one scale each.

Contract value and penalty money differ by orders of magnitude, so each has its own panel and its own axis from
zero, with every year of the record shown (a year with nothing is a zero bar). The words say what each panel is
and each bar carries its value, so the chart reads without colour; the page shows the same figures as a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

WIDTH = 760
LEFT = 78  # room for the axis labels
RIGHT = 12
TITLE_HEIGHT = 34
PANEL_HEADING = 32
PLOT_HEIGHT = 130
YEAR_LABELS = 24
PANEL_GAP = 18
TICKS = 4
MOST_VALUE_LABELS = 24  # with more years than this, the bars' values are in the table only
MOST_YEAR_LABELS = 16
CONTRACTS_COLOUR = "#2b5d8c"
PENALTIES_COLOUR = "#a8322d"
INK = "#222"
FAINT = "#767676"
RULE = "#d5d5d5"


@dataclass(frozen=True)
class YearTotals:
    """What a record adds up to in one calendar year, in pounds."""

    year: int
    contracts_gbp: Decimal
    penalties_gbp: Decimal


def every_year(totals: list[YearTotals]) -> list[YearTotals]:
    """The years from the first to the last given, those missing as zeros."""
    if not totals:
        return []
    by_year = {row.year: row for row in totals}
    zero = Decimal(0)
    return [by_year.get(year, YearTotals(year, zero, zero)) for year in range(min(by_year), max(by_year) + 1)]


def pounds(value: Decimal | float | int | None) -> str:
    """Pounds as a reader writes them: £108,000,000, or £3,380.86 when there are pence."""
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}£{amount:,.0f}" if amount == amount.to_integral_value() else f"{sign}£{amount:,.2f}"


def short_pounds(value: Decimal | float | int) -> str:
    """Pounds in a few characters for a chart: £108m, £22.9m, £750k, £1.2bn."""
    amount = float(value)
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(amount) >= size:
            scaled = f"{amount / size:.1f}".removesuffix(".0")
            return f"£{scaled}{suffix}"
    return f"£{amount:,.0f}"


def axis_top(largest: float) -> tuple[float, float]:
    """A round top for an axis from zero that holds `largest`, and the step between its ticks."""
    if largest <= 0:
        return 1.0, 1.0
    rough_step = largest / TICKS
    magnitude = 10 ** math.floor(math.log10(rough_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough_step)
    return step * math.ceil(largest / step), step


def text(x: float, y: float, words: str, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(words)}</text>'


def panel(top: float, heading: str, values: list[tuple[int, Decimal]], colour: str, what: str, name: str) -> list[str]:
    """One panel: its heading, a zero-based axis with pound ticks, a bar per year with its value above it."""
    plot_top = top + PANEL_HEADING
    baseline = plot_top + PLOT_HEIGHT
    plot_width = WIDTH - LEFT - RIGHT
    band = plot_width / len(values)
    bar_width = min(band * 0.62, 46)
    largest = max(float(amount) for _, amount in values)
    axis_max, step = axis_top(largest)
    parts = [f'<g class="{name}">', text(LEFT, top + 14, heading, font_weight="bold", fill=INK)]
    tick_count = round(axis_max / step) if largest > 0 else 0
    if largest <= 0:
        parts.append(
            text(LEFT + plot_width / 2, plot_top + PLOT_HEIGHT / 2, "None recorded", text_anchor="middle", fill=FAINT)
        )
    for index in range(tick_count + 1):
        tick = step * index
        y = baseline - PLOT_HEIGHT * tick / axis_max
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{RULE}"/>')
        label = "£0" if tick == 0 else short_pounds(tick)
        parts.append(text(LEFT - 6, y + 4, label, text_anchor="end", fill=FAINT))
    year_step = math.ceil(len(values) / MOST_YEAR_LABELS)
    for index, (year, amount) in enumerate(values):
        centre = LEFT + band * (index + 0.5)
        height = PLOT_HEIGHT * float(amount) / axis_max
        parts.append(
            f'<rect x="{centre - bar_width / 2:.1f}" y="{baseline - height:.1f}" width="{bar_width:.1f}" '
            f'height="{height:.1f}" fill="{colour}" data-year="{year}" data-gbp="{amount}">'
            f"<title>{year}: {escape(what)} {pounds(amount)}</title></rect>"
        )
        if len(values) <= MOST_VALUE_LABELS:
            label, shade = (short_pounds(amount), INK) if amount else ("0", FAINT)
            parts.append(text(centre, baseline - height - 4, label, text_anchor="middle", fill=shade))
        if index % year_step == 0:
            parts.append(text(centre, baseline + 16, str(year), text_anchor="middle", fill=INK))
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{baseline}" y2="{baseline}" stroke="{INK}"/>')
    return [*parts, "</g>"]


def per_year_chart(title: str, years: list[YearTotals]) -> Markup:
    """The SVG, to put inline in a page: contract value won alone per year above, penalty money per year below."""
    panel_height = PANEL_HEADING + PLOT_HEIGHT + YEAR_LABELS
    height = TITLE_HEIGHT + 2 * panel_height + PANEL_GAP
    second_top = TITLE_HEIGHT + panel_height + PANEL_GAP
    contracts = [(row.year, row.contracts_gbp) for row in years]
    penalties = [(row.year, row.penalties_gbp) for row in years]
    description = (
        f"Bar charts by year from {years[0].year} to {years[-1].year}: contracts won alone in pounds (top) and "
        "penalties and other enforcement money in pounds (bottom), each on its own scale from zero."
    )
    parts = [
        f'<svg class="watchdog-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="chart-title chart-description" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-description">{escape(description)}</desc>',
        text(0, 20, title, font_size="15", font_weight="bold", fill=INK),
        *panel(
            TITLE_HEIGHT,
            "Contracts won alone: value awarded each year (£)",
            contracts,
            CONTRACTS_COLOUR,
            "contracts won alone",
            "contracts",
        ),
        *panel(
            second_top,
            "Penalties, deductions, repayments and costs each year (£) — a separate scale",
            penalties,
            PENALTIES_COLOUR,
            "penalties",
            "penalties",
        ),
        "</svg>",
    ]
    return Markup("\n".join(parts))
