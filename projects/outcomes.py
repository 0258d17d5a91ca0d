"""The outcomes tracker: do learners become members, do members earn, what do payments cost?

Pure functions over pseudonymous records (handles only): cohorts are the month
people joined. Payment costs are the fees taken on the way and the exchange-rate
loss: what the member should have received at the recorded rate minus what
arrived, both in the currency the co-op paid in.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from statistics import median
from typing import Any

from ledger.money import CURRENCIES


@dataclass(frozen=True)
class Person:
    """Someone in the co-op: when they joined, whether they began as a learner and became a member."""

    handle: str
    joined: str  # YYYY-MM
    was_learner: bool
    is_member: bool


@dataclass(frozen=True)
class CohortRow:
    """One cohort's outcomes."""

    cohort: str
    joined: int
    learners: int
    became_members: int
    earned: int
    median_earnings: int  # minor units of the report currency, over those who earned
    currency: str


@dataclass(frozen=True)
class CostRow:
    """Payment costs in one month and currency."""

    month: str
    currency: str
    paid: int
    fees: int
    fx_loss: int


@dataclass(frozen=True)
class Report:
    """The whole outcomes report."""

    cohorts: list[CohortRow]
    costs: list[CostRow]
    currency: str
    notes: list[str] = field(default_factory=list)


def fx_loss(payout: Mapping[str, Any]) -> int:
    """Return the exchange-rate loss of a payout in the paid currency's minor units (never negative)."""
    paid_currency, got = payout["currency"], payout["arrived"]
    expected = Decimal(payout["amount"] - payout["fee"])
    if got["currency"] == paid_currency:
        arrived = Decimal(got["amount"])
    else:
        scale = Decimal(10) ** (CURRENCIES[paid_currency] - CURRENCIES[got["currency"]])
        arrived = Decimal(got["amount"]) * scale / Decimal(payout["rate"])
    return max(0, int((expected - arrived).to_integral_value(ROUND_HALF_EVEN)))


def earnings(splits: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """Return what each member earned from splits, by (handle, currency)."""
    totals: dict[tuple[str, str], int] = {}
    for body in splits:
        for posting in body["postings"]:
            if posting["account"].startswith("member:"):
                key = (posting["account"][7:], posting["currency"])
                totals[key] = totals.get(key, 0) - posting["amount"]
    return totals


def main_currency(earned: Mapping[tuple[str, str], int]) -> str:
    """Return the currency most of the earnings are in (EUR when there are none)."""
    per: dict[str, int] = {}
    for (_, currency), _amount in earned.items():
        per[currency] = per.get(currency, 0) + 1
    return max(sorted(per), key=lambda c: per[c]) if per else "EUR"


def cohorts(people: Sequence[Person], earned: Mapping[tuple[str, str], int], currency: str) -> list[CohortRow]:
    """Summarise each cohort: how many joined, were learners, became members, earned, and the median earned."""
    rows = []
    for cohort in sorted({p.joined for p in people}):
        group = [p for p in people if p.joined == cohort]
        amounts = [earned[(p.handle, currency)] for p in group if earned.get((p.handle, currency), 0) > 0]
        rows.append(CohortRow(
            cohort, len(group),
            learners=sum(p.was_learner for p in group),
            became_members=sum(p.was_learner and p.is_member for p in group),
            earned=len(amounts),
            median_earnings=int(Decimal(median(amounts)).to_integral_value(ROUND_HALF_EVEN)) if amounts else 0,
            currency=currency,
        ))
    return rows


def costs(payouts: Iterable[Mapping[str, Any]]) -> list[CostRow]:
    """Sum payouts, fees and exchange-rate losses per month and currency."""
    totals: dict[tuple[str, str], list[int]] = {}
    for body in payouts:
        key = (body["created"][:7], body["currency"])
        row = totals.setdefault(key, [0, 0, 0])
        row[0] += body["amount"]
        row[1] += body["fee"]
        row[2] += fx_loss(body)
    return [CostRow(month, currency, *values) for (month, currency), values in sorted(totals.items())]


def build(people: Sequence[Person], splits: Iterable[Mapping[str, Any]], payouts: Iterable[Mapping[str, Any]]) -> Report:
    """Build the report from people, split entries and payout entries."""
    earned = earnings(splits)
    currency = main_currency(earned)
    others = sorted({c for (_, c) in earned} - {currency})
    notes = [f"median earnings are in {currency}; earnings in {', '.join(others)} are not in the medians"] if others else []
    return Report(cohorts(people, earned, currency), costs(payouts), currency, notes)
