"""A period's books in a few numbers per currency: revenue (by client), how splits shared it, payouts (by member), expenses.

Pure over the index's entry summaries, so the books page and `GET /api/v1/ledger/summary`
show the same figures.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger import entries as E
from ledger.index import EntrySummary


def summarise(entries: Sequence[EntrySummary]) -> dict[str, dict[str, Any]]:
    """Return per-currency totals of indexed entries and of the postings of their splits."""
    out: dict[str, dict[str, Any]] = {}

    def of(currency: str) -> dict[str, Any]:
        return out.setdefault(currency, {"revenue": 0, "revenue_by_client": {}, "split": {"members": 0, "treasury": 0, "funds": 0},
                                         "paid_out": 0, "paid_out_by_member": {}, "expenses": 0})

    for entry in entries:
        if entry.currency is None:
            continue
        totals = of(entry.currency)
        if entry.type == E.REVENUE:
            totals["revenue"] += entry.amount
            totals["revenue_by_client"][entry.client] = totals["revenue_by_client"].get(entry.client, 0) + entry.amount
        elif entry.type == E.PAYOUT:
            totals["paid_out"] += entry.amount
            totals["paid_out_by_member"][entry.member] = totals["paid_out_by_member"].get(entry.member, 0) + entry.amount
        elif entry.type == E.EXPENSE:
            totals["expenses"] += entry.amount
    for posting in (p for entry in entries if entry.type == E.SPLIT for p in entry.postings):
        family = ("members" if posting.account.startswith("member:") else "funds" if posting.account.startswith("fund:")
                  else "treasury" if posting.account == "treasury" else None)
        if family:
            of(posting.currency)["split"][family] -= posting.amount
    return out
