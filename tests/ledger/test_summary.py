"""A period's summary: revenue by client, the split's shares by family, payouts by member, expenses; per currency."""
from __future__ import annotations

from typing import Any

from ledger import entries as E
from ledger.index import EntrySummary, PostingSummary
from ledger.summary import summarise


def entry(index: int, kind: str, amount: int | None, currency: str | None = "EUR", postings: tuple[PostingSummary, ...] = (),
          **who: Any) -> EntrySummary:
    """Return an indexed entry with what the summary reads."""
    return EntrySummary(index, f"e-{index}", kind, "alice", "2027-01-01T00:00:00Z", who.get("client"), who.get("project"),
                        who.get("member"), amount, currency, "00" * 32, postings)


def test_revenue_split_payouts_and_expenses_are_totalled_per_currency() -> None:
    split = (PostingSummary("member:bob", -6000, "EUR"), PostingSummary("treasury", -3000, "EUR"), PostingSummary("fund:learning", -1000, "EUR"))
    found = summarise([entry(0, E.REVENUE, 10000, client="cafe"), entry(1, E.SPLIT, None, None, split),
                       entry(2, E.PAYOUT, 2500, member="bob"), entry(3, E.EXPENSE, 700), entry(4, E.REVENUE, 500, "USD", client="cafe")])

    assert found["EUR"] == {"revenue": 10000, "revenue_by_client": {"cafe": 10000}, "split": {"members": 6000, "treasury": 3000, "funds": 1000},
                            "paid_out": 2500, "paid_out_by_member": {"bob": 2500}, "expenses": 700}
    assert found["USD"]["revenue"] == 500 and found["USD"]["paid_out"] == 0


def test_a_period_with_no_money_has_no_currency() -> None:
    assert summarise([entry(0, E.SPLIT, None, None)]) == {}
