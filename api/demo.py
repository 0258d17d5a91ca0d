"""Demo data: a small co-op at work, so `make run` shows the whole platform.

Handles are pseudonyms, as they would be for real members. The story: chen
brought in a bakery, bilal talks to it, a team built its web shop, the first
milestone was paid and split, chen was paid out by mobile money (recorded by
the founder, whom the demo charter names treasurer), the members voted to admit
a learner, and a second proposal is still open. The founder may take any
handle: if it is one of the story's, `amina` plays that part.
"""
from __future__ import annotations

import time
from typing import Any

from coop import config, statements
from coop.ids import normalise_handle
from coop.node import Node
from governance import proposals as P
from ledger import entries as E
from projects import clients, learners, payments, work

DEMO_MEMBERS = [
    # part in the story, roles, skills, added by (None: the founder)
    ("bilal", ["member", "mentor"], ["django", "python", "web"], None),
    ("chen", ["member"], ["design", "figma", "web"], None),
    ("dalia", ["member"], ["android", "kotlin", "mobile"], None),
    ("esra", ["learner"], ["html", "web"], "bilal"),
    ("farid", ["learner"], ["python"], "chen"),
]
STAND_IN = "amina"  # plays the part whose handle the founder took (the default founder is amina herself)
VOTE_WINDOW = 2
PASSPHRASE = "demo"  # what `make run` sets as COOP_PASSPHRASE: fine to try the platform, never for real keys

Cast = dict[str, str]  # part in the story -> the handle that plays it


def cast(founder: str) -> Cast:
    """Return who plays each part: the part's own handle, or the stand-in where the founder has it."""
    return {part: STAND_IN if part == founder else part for part, *_ in DEMO_MEMBERS}


def charter_rules(founder: str) -> dict[str, Any]:
    """Return the demo charter's rules: the founder is the treasurer, and a vote may last seconds, to show a whole story at once."""
    return {"treasurers": [normalise_handle(founder)], "min_window_seconds": {"default": 1}}


def fill(node: Node) -> None:
    """Fill a freshly created node with the demo story, and mark it a demo (its made-up people's keys are held here)."""
    config.write_node_file(node.home, {**config.read_node_file(node.home), "demo": True})
    founder = node.view().charter()["founder"]
    who = cast(founder)
    for part, roles, skills, added_by in DEMO_MEMBERS:
        node.add_member(who[part], roles, skills, author=added_by and who[added_by])
    node.write(learners.LEARNER_TYPE, {"handle": who["esra"], "track": "web", "mentor": who["bilal"], "joined_via": "chat"}, who["bilal"])
    node.write(learners.LEARNER_TYPE, {"handle": who["farid"], "track": "backend", "mentor": None, "joined_via": "cli"}, who["chen"])
    node.write(learners.NOTE_TYPE, {"learner": who["esra"], "id": "n-first-page", "note": "Built her first responsive page."}, who["bilal"])
    fill_project(node, who)
    fill_proposals(node, founder, who)


def fill_project(node: Node, who: Cast) -> None:
    """A referred client, a staffed project, a milestone paid and split, a payout by the treasurer (the founder)."""
    now = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("lumen-bakery", "Lumen Bakery", who["chen"], who["bilal"], now), who["chen"],
               created=now)
    node.write(work.PROJECT_TYPE, {"id": "bakery-shop", "client": "lumen-bakery", "title": "Online shop for the bakery",
                                   "text": "# Online shop\n\nOrders for pick-up, a weekly menu, payments by card.\n",
                                   "skills": ["design", "python", "web"], "budget": {"amount": 300000, "currency": "EUR"},
                                   "deadline": "2027-03-31"}, who["chen"])
    for part, note in (("bilal", "I have built three Django shops."), ("chen", "I will design it."), ("dalia", "I can do the app later.")):
        node.write(work.APPLICATION_TYPE, {"project": "bakery-shop", "note": note}, who[part])
    node.write(work.TEAM_TYPE, {"project": "bakery-shop", "shares": {who["bilal"]: 6000, who["chen"]: 4000}}, who["bilal"])
    node.write(work.MOVE_TYPE, {"project": "bakery-shop", "state": "in_progress"}, who["bilal"])
    stone = {"project": "bakery-shop", "milestone": "catalogue", "title": "Product catalogue", "amount": 150000, "currency": "EUR"}
    for status, part in (("planned", "bilal"), ("delivered", "chen"), ("accepted", "bilal")):
        node.write(work.MILESTONE_TYPE, {**stone, "status": status}, who[part])
    node.write(work.MILESTONE_TYPE, {**stone, "milestone": "checkout", "title": "Checkout and payments", "status": "planned"}, who["bilal"])
    payments.pay(node, "bakery-shop", "catalogue", 150000, "EUR", "wise-eur", who["bilal"])
    node.write(E.PAYOUT, E.with_postings(E.PAYOUT, {"id": "pay-demo-1", "member": who["chen"], "amount": 20000, "currency": "EUR",
                                                    "account": "wise-eur", "method": "mobile-money", "fee": 250,
                                                    "arrived": {"amount": 21100, "currency": "USD"}, "rate": "1.0784"}))


def fill_proposals(node: Node, founder: str, who: Cast) -> None:
    """A closed proposal that admitted a learner, and one still open for votes."""
    esra = who["esra"]
    text = f"# Admit {esra}\n\n{esra.capitalize()} finished the web track with **{who['bilal']}** and built the bakery's landing page.\n"
    node.write(P.PROPOSAL_TYPE, P.proposal_fields(f"p-admit-{esra}", f"Admit {esra} as a member", text, "majority",
                                                  {"kind": "admit", "handle": esra}, node.view(), VOTE_WINDOW))
    for handle, choice in ((founder, "yes"), (who["bilal"], "yes"), (who["chen"], "yes"), (who["dalia"], "abstain")):
        node.write(P.VOTE_TYPE, P.vote_fields(node.view(), f"p-admit-{esra}", choice), handle)
    time.sleep(VOTE_WINDOW + 0.5)
    governance = node.registry.area("governance").service
    node.write(P.OUTCOME_TYPE, governance.outcome_fields(node.view(), f"p-admit-{esra}"), who["dalia"])
    text = "# Hosting for 2027\n\nRenew the server that hosts our shop projects: 120 EUR for the year.\n"
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-hosting-2027", "Pay for hosting in 2027", text, "consent",
                                                  {"kind": "spend", "amount": 12000, "currency": "EUR", "purpose": "hosting 2027"},
                                                  node.view(), 7 * 24 * 3600))
    node.write(P.VOTE_TYPE, P.vote_fields(node.view(), "p-hosting-2027", "agree"), who["bilal"])
