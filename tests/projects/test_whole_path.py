"""The whole path of DESIGN section 7 in one go: referral, request, team, milestone, payment, split, balances, verify."""
from __future__ import annotations

from coop import audit, statements
from coop.node import Node
from ledger import balances, records
from ledger import entries as E
from projects import clients, payments, work


def test_referred_client_to_paid_milestone_splits_to_the_cent_and_verifies(node: Node) -> None:
    # carol brings in acme (she is its referrer) and alice talks to it (its liaison).
    now = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme Bakery", "carol", "alice", now), "carol", created=now)
    node.write(work.PROJECT_TYPE, {"id": "shop", "client": "acme", "title": "Online shop",
                                   "text": "# Online shop\n\nOrders for pick-up and a weekly menu.\n", "skills": ["python", "web"],
                                   "budget": {"amount": 300000, "currency": "EUR"}, "deadline": "2027-03-31"}, "carol")
    node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "I have built three shops."}, "bob")
    node.write(work.APPLICATION_TYPE, {"project": "shop", "note": "I will design it."}, "carol")
    node.write(work.TEAM_TYPE, {"project": "shop", "shares": {"bob": 6000, "carol": 4000}}, "alice")
    node.write(work.MOVE_TYPE, {"project": "shop", "state": "in_progress"}, "bob")
    stone = {"project": "shop", "milestone": "m1", "title": "Product catalogue", "amount": 123457, "currency": "EUR"}
    for status, who in (("planned", "bob"), ("delivered", "carol"), ("accepted", "alice")):
        node.write(work.MILESTONE_TYPE, {**stone, "status": status}, who)

    payments.pay(node, "shop", "m1", 123457, "EUR", "wise-eur", "bob")
    node.write(work.MOVE_TYPE, {"project": "shop", "state": "delivered"}, "alice")
    node.write(work.MOVE_TYPE, {"project": "shop", "state": "paid"}, "carol")

    # 1,234.57 EUR under the default policy, in cents, each role's exact part first:
    #   treasury 10%  12,345.70    referral 5% 6,172.85 (carol)    liaison 5% 6,172.85 (alice)
    #   learners 3%    3,703.71    team 77%   95,061.89
    # The floors sum to 123,453; the 4 cents left go to the largest remainders: team .89, liaison .85,
    # referral .85 (tie: liaison sorts first, both get one), learners .71. Treasury (.70) gets none.
    #   treasury 12,345   referral 6,173   liaison 6,173   learners 3,704   team 95,062
    # The team's 95,062 by shares: bob 60% = 57,037.2, carol 40% = 38,024.8; the cent left goes to carol (.8).
    #   bob 57,037   carol 38,025 + 6,173 referral = 44,198   alice 6,173
    entries = {body["id"]: body for _, body, _ in records.entry_bodies(node.view())}
    revenue = entries[work.revenue_id("shop", "m1")]
    assert (revenue["client"], revenue["project"], revenue["milestone"], revenue["amount"], revenue["currency"]) == \
        ("acme", "shop", "m1", 123457, "EUR")
    (split,) = [body for body in entries.values() if body["type"] == E.SPLIT]
    assert (split["referrer"], split["referral_active"], split["liaison"], split["team"]) == ("carol", True, "alice", {"bob": 6000, "carol": 4000})
    assert split["postings"] == [
        {"account": "fund:learners", "amount": -3704, "currency": "EUR"},
        {"account": "income:acme", "amount": 123457, "currency": "EUR"},
        {"account": "member:alice", "amount": -6173, "currency": "EUR"},
        {"account": "member:bob", "amount": -57037, "currency": "EUR"},
        {"account": "member:carol", "amount": -44198, "currency": "EUR"},
        {"account": "treasury", "amount": -12345, "currency": "EUR"},
    ]
    assert balances.balances_now(node.view()) == {
        ("assets:wise-eur", "EUR"): 123457,
        ("income:acme", "EUR"): 0,
        ("treasury", "EUR"): -12345,
        ("fund:learners", "EUR"): -3704,
        ("member:alice", "EUR"): -6173,
        ("member:bob", "EUR"): -57037,
        ("member:carol", "EUR"): -44198,
    }
    assert work.state(node.view(), "shop") == "paid"
    report = audit.verify_repository(node.store, node.registry)
    assert report.problems == []
    assert report.commits == len(list(node.store.repo.walk(node.store.head_id())))
