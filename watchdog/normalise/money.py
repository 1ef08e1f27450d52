"""Sums of money: their value in pounds sterling."""

from __future__ import annotations

from decimal import Decimal


def amount_in_gbp(amount: Decimal | None, currency: str | None) -> Decimal | None:
    """The sum in pounds; None where it is in another currency, since no rate is applied yet."""
    if amount is None or currency != "GBP":
        return None
    return amount
