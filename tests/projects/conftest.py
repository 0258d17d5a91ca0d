"""Project fixtures: the story of the request `shop`, refusals that leave no trace, and passed proposals.

The story: carol brings in the client acme (alice is its liaison) and posts the request `shop`; bob and
carol apply and alice forms the team (bob 60%, carol 40%); milestone m1 is worth 1,234.57 EUR.
Test modules name the types below for their annotations only (under TYPE_CHECKING): conftest is not
imported at run time.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from coop import statements
from coop.errors import CoopError
from coop.node import Node
from governance import proposals as P
from projects import clients, payments, work

CLIENT = "acme"
PROJECT = "shop"
MILESTONE = "m1"
TEAM = {"bob": 6000, "carol": 4000}
# 1,234.57 EUR: an amount whose split has remainders in every part.
STONE: dict[str, Any] = {"project": PROJECT, "milestone": MILESTONE, "title": "Product catalogue", "amount": 123457, "currency": "EUR"}
REQUEST = {"id": PROJECT, "client": CLIENT, "title": "Online shop", "text": "# Online shop\n\nOrders for pick-up and a weekly menu.\n",
           "skills": ["python", "web"], "budget": {"amount": 300000, "currency": "EUR"}, "deadline": "2027-03-31"}
# The steps of the story, in order; a project is cancelled from `staffed`.
STEPS = ("requested", "staffed", "in_progress", "milestone_delivered", "milestone_accepted", "milestone_paid", "delivered", "paid")

WINDOW = 1  # seconds a proposal is open: the test charter's minimum

Clock = Any  # the `clock` fixture of tests/conftest.py: call it for the time, advance(seconds) to move it
Refused = Callable[..., None]  # (action, error, match): the action must fail and leave the branch head where it was
Decide = Callable[[Mapping[str, Any]], Mapping[str, Any]]  # effect -> outcome of a passed proposal


class Shop:
    """The story of one project: carol brings in acme, posts its request, bob and carol build it, alice is the liaison."""

    def __init__(self, node: Node, referrer: str | None = "carol", registered: str | None = None,
                 shares: Mapping[str, int] = TEAM) -> None:
        self.node = node
        self.referrer = referrer
        self.registered = registered
        self.shares = dict(shares)
        self.done: list[str] = []

    def upto(self, step: str) -> Shop:
        """Run the story up to and including a step (`cancelled` cancels a staffed project)."""
        wanted = "staffed" if step == "cancelled" else step
        actions: dict[str, Callable[[], None]] = {
            "requested": self._request, "staffed": self._staff, "in_progress": self._start,
            "milestone_delivered": lambda: self.milestone("delivered", "bob"),
            "milestone_accepted": lambda: self.milestone("accepted", "alice"),
            "milestone_paid": self.pay, "delivered": lambda: self.move("delivered", "alice"),
            "paid": lambda: self.move("paid", "carol"),
        }
        for name in STEPS[:STEPS.index(wanted) + 1]:
            if name not in self.done:
                actions[name]()
                self.done.append(name)
        if step == "cancelled":
            self.move("cancelled", "alice", reason="The client closed the shop.")
        return self

    def move(self, target: str, author: str, **extra: Any) -> None:
        """Move the project's state."""
        self.node.write(work.MOVE_TYPE, {"project": PROJECT, "state": target, **extra}, author)

    def milestone(self, status: str, author: str) -> None:
        """Write milestone m1 with a status."""
        self.node.write(work.MILESTONE_TYPE, {**STONE, "status": status}, author)

    def pay(self, amount: int = STONE["amount"], currency: str = STONE["currency"], author: str = "bob") -> None:
        """Record the payment of m1 (revenue, split and milestone paid in one commit)."""
        payments.pay(self.node, PROJECT, MILESTONE, amount, currency, "wise-eur", author)

    def _request(self) -> None:
        registered = self.registered or statements.now()
        author = self.referrer or "carol"
        self.node.write(clients.CLIENT_TYPE, clients.client_fields(CLIENT, "Acme Bakery", self.referrer, "alice", registered),
                        author, created=registered)
        self.node.write(work.PROJECT_TYPE, REQUEST, "carol")

    def _staff(self) -> None:
        for handle in self.shares:
            self.node.write(work.APPLICATION_TYPE, {"project": PROJECT, "note": f"{handle} can build it."}, handle)
        self.node.write(work.TEAM_TYPE, {"project": PROJECT, "shares": self.shares}, "alice")

    def _start(self) -> None:
        self.move("in_progress", "bob")
        self.milestone("planned", "bob")


def head(node: Node) -> str:
    """Return the branch head's commit id."""
    return str(node.store.head_id())


@pytest.fixture
def open_shop(node: Node) -> Callable[..., Shop]:
    """Return a function that starts the story with another referrer, registration time or team."""
    return lambda **options: Shop(node, **options)


@pytest.fixture
def shop(node: Node) -> Shop:
    """Return the story as it usually goes: carol refers acme, bob 60% and carol 40%."""
    return Shop(node)


@pytest.fixture
def refused(node: Node) -> Refused:
    """Return a function that runs an action which must be refused and checks the branch head did not move."""

    def check(action: Callable[[], Any], error: type[CoopError], match: str | None = None) -> None:
        before = head(node)
        with pytest.raises(error, match=match):
            action()
        assert head(node) == before

    return check


@pytest.fixture
def decide(node: Node, clock: Clock) -> Decide:
    """Return a function that passes a proposal with an effect (alice, bob and carol vote yes) and returns its outcome.

    The node's clock moves past the voting window instead of the test waiting for it.
    """
    counter = iter(range(1, 1000))

    def passed(effect: Mapping[str, Any]) -> Mapping[str, Any]:
        proposal_id = f"p-{next(counter)}"
        text = "# Re-assign a referral\n\nThe member who really brought the client in should earn its share.\n"
        fields = P.proposal_fields(proposal_id, "Re-assign", text, "majority", effect, node.view(), WINDOW, now=clock())
        node.write(P.PROPOSAL_TYPE, fields, "alice")
        for voter in ("alice", "bob", "carol"):
            node.write(P.VOTE_TYPE, P.vote_fields(node.view(), proposal_id, "yes"), voter)
        clock.advance(WINDOW)
        governance = node.registry.area("governance").service
        node.write(P.OUTCOME_TYPE, governance.outcome_fields(node.view(), proposal_id), "carol")
        return node.view().body(P.outcome_path(proposal_id)) or {}

    return passed
