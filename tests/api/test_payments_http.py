"""Paying a milestone over HTTP: the SDK signs its revenue, split and the milestone paid with the member's key, in one call."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from api_harness import PASSPHRASE, Coop, Server, make_node

from api.sdk import Client
from api.wiring import open_node
from coop import canonical, statements
from coop.errors import ApiError
from ledger import entries as E
from projects import clients, work
from projects.payments import PaymentTerms

JSON = {"Content-Type": "application/json"}
STONE: dict[str, Any] = {"title": "Product catalogue", "amount": 123457, "currency": "EUR"}
REQUEST = {"client": "acme", "title": "Online shop", "text": "# Online shop\n\nOrders for pick-up.\n", "skills": ["python"],
           "budget": {"amount": 300000, "currency": "EUR"}, "deadline": "2027-03-31"}


@pytest.fixture(scope="module")
def coop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coop]:
    """Return a served node where carol brought in acme, bob builds projects `shop`, `cafe` and `tea`, and alice accepted each one's m1."""
    home = tmp_path_factory.mktemp("payments") / "node"
    keys, vkey = make_node(home)
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", "Acme Bakery", "carol", "alice", statements.now()), "carol")
    for project in ("shop", "cafe", "tea"):
        node.write(work.PROJECT_TYPE, {**REQUEST, "id": project}, "carol")
        node.write(work.APPLICATION_TYPE, {"project": project, "note": "bob can build it."}, "bob")
        node.write(work.TEAM_TYPE, {"project": project, "shares": {"bob": 10000}}, "alice")
        node.write(work.MOVE_TYPE, {"project": project, "state": "in_progress"}, "bob")
        for status, author in (("planned", "bob"), ("delivered", "bob"), ("accepted", "alice")):
            node.write(work.MILESTONE_TYPE, {**STONE, "project": project, "milestone": "m1", "status": status}, author)
    node.index.db.close()
    server = Server(home).start()
    yield Coop(home, keys, vkey, server)
    server.stop()


def pay_url(coop: Coop, project: str) -> str:
    """Return the payment verb of a project's milestone m1."""
    return f"{coop.url}/api/v1/projects/{project}/milestones/m1/payment"


def signed_payment(coop: Coop, client: Client, pay_for: str) -> list[bytes]:
    """Sign, as bob, the three statements of the payment of m1 of `pay_for`, as the node gives its terms now."""
    terms = PaymentTerms.from_dict(client.get(f"/api/v1/projects/{pay_for}/milestones/m1/payment"))
    seq = iter(range(client.next_seq("bob"), 1000))
    return terms.statements(lambda kind, fields: client.sign(coop.keys["bob"], kind, fields, next(seq), terms.created),
                            STONE["amount"], "EUR", "wise-eur")


def batch(raws: list[bytes]) -> bytes:
    """Return statements as the canonical array a batch is posted as."""
    return canonical.encode([canonical.decode(raw) for raw in raws])


def test_a_member_pays_a_milestone_with_the_sdk_in_one_call_and_one_commit(coop: Coop) -> None:
    client = coop.client()

    receipts = client.pay_milestone(coop.keys["bob"], "shop", "m1", STONE["amount"], "EUR", "wise-eur")

    assert [r["type"] for r in receipts] == [E.REVENUE, E.SPLIT, work.MILESTONE_TYPE]
    assert len({r["commit"] for r in receipts}) == 1 and all(r["created"] for r in receipts)
    assert next(m for m in client.items("/api/v1/milestones", project="shop"))["status"] == "paid"
    split = client.get(f"/api/v1/statements/{receipts[1]['path'].removesuffix('.json')}.json")["body"]
    assert (split["team"], split["referrer"], split["liaison"]) == ({"bob": 10000}, "carol", "alice")


@pytest.mark.parametrize("cut", [
    pytest.param(lambda raws: raws[:2], id="without-the-milestone-paid"),
    pytest.param(lambda raws: [raws[0], raws[2], raws[1]], id="out-of-order"),
    pytest.param(lambda raws: raws[:1], id="revenue-only"),
])
def test_a_batch_that_is_not_exactly_the_milestones_payment_is_refused_with_nothing_written(coop: Coop, cut: Any) -> None:
    client = coop.client()
    before = client.get("/api/v1")["head"]

    response = requests.post(pay_url(coop, "cafe"), data=batch(cut(signed_payment(coop, client, "cafe"))), headers=JSON, timeout=10)

    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_input"
    assert client.get("/api/v1")["head"] == before


def test_the_payment_of_another_milestone_posted_to_this_one_is_refused_with_nothing_written(coop: Coop) -> None:
    client = coop.client()
    before = client.get("/api/v1")["head"]

    response = requests.post(pay_url(coop, "shop"), data=batch(signed_payment(coop, client, "cafe")), headers=JSON, timeout=10)

    assert response.status_code == 400 and "not the payment of milestone m1 of project shop" in response.json()["error"]["message"]
    assert client.get("/api/v1")["head"] == before


def test_the_terms_of_an_unknown_milestone_are_not_found(coop: Coop) -> None:
    with pytest.raises(ApiError) as refused:
        coop.client().get("/api/v1/projects/shop/milestones/m9/payment")

    assert refused.value.status == 404


def test_payment_terms_read_back_what_they_say() -> None:
    terms = PaymentTerms("shop", "m1", "acme", statements.now(), 3, {"members_bp": 1}, "ab" * 32, {"bob": 10000}, "carol", True,
                         "alice", {"project": "shop", "milestone": "m1", "status": "paid"})

    assert PaymentTerms.from_dict(terms.to_dict()) == terms


def test_a_payment_outrun_by_another_ledger_entry_is_signed_again_and_lands(coop: Coop) -> None:
    carol = coop.client()
    session = requests.Session()
    outran: list[dict[str, Any]] = []

    def another_entry_first(response: requests.Response, **_: Any) -> None:
        # Right after the SDK reads the terms, carol records a walk-in's revenue: the split it signs names a taken index.
        if response.request.method == "GET" and response.url.endswith("/payment") and not outran:
            fields = E.with_postings(E.REVENUE, {"id": "rev-walk-in", "client": "walk-in", "project": None, "amount": 500,
                                                 "currency": "EUR", "account": "wise-eur"})
            outran.append(carol.submit(coop.keys["carol"], E.REVENUE, fields, "/api/v1/ledger/entries"))

    session.hooks["response"].append(another_entry_first)

    receipts = Client(coop.url, session=session).pay_milestone(coop.keys["bob"], "tea", "m1", STONE["amount"], "EUR", "wise-eur")

    assert outran and outran[0]["created"]
    assert [r["type"] for r in receipts] == [E.REVENUE, E.SPLIT, work.MILESTONE_TYPE]
