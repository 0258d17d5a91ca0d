"""Demo data: a small co-op at work, so `make run` shows the whole platform.

Each area adds its part here as it grows; handles are pseudonyms, as they would be
for real members.
"""
from __future__ import annotations

from coop import statements
from coop.node import Node
from ledger import book, log
from ledger import entries as E

DEMO_MEMBERS = [
    # handle, roles, skills, added by
    ("bilal", ["member", "mentor"], ["python", "web", "django"], None),
    ("chen", ["member"], ["design", "figma", "web"], None),
    ("dalia", ["member"], ["android", "kotlin", "mobile"], None),
    ("esra", ["learner"], ["html", "web"], "bilal"),
    ("farid", ["learner"], ["python"], "chen"),
]


def fill(node: Node) -> None:
    """Fill a freshly created node with demo members (and, later, everything else)."""
    for handle, roles, skills, added_by in DEMO_MEMBERS:
        node.add_member(handle, roles, skills, author=added_by)
    fill_ledger(node)


def fill_ledger(node: Node) -> None:
    """Record a paid milestone, its split and a payout by mobile money, as the books would show them."""
    revenue = E.with_postings(E.REVENUE, {"id": "rev-demo-1", "client": "lumen-bakery", "project": "bakery-shop",
                                          "amount": 150000, "currency": "EUR", "account": "wise-eur"})
    node.write(E.REVENUE, revenue, "bilal")
    view = node.view()
    raw = log.entry_at(view, 0)
    policy, sha = book.policy_in_force(view)
    team = {"bilal": 5000, "chen": 3000, "dalia": 2000}
    node.write(E.SPLIT, E.split_fields(0, book.leaf_hash_hex(raw), statements.parse(raw)[0], policy, sha, team, "chen", True, "bilal"), "bilal")
    node.write(E.PAYOUT, E.with_postings(E.PAYOUT, {"id": "pay-demo-1", "member": "dalia", "amount": 20000, "currency": "EUR",
                                                    "account": "wise-eur", "method": "mobile-money", "fee": 250,
                                                    "arrived": {"amount": 21298, "currency": "USD"}, "rate": "1.0784"}), "bilal")
