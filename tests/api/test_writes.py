"""Writes over HTTP: signed statements stored once, or refused with the right status and nothing stored."""
from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from api_harness import Coop, Server, make_node

from api.sdk import Client, key_record, new_key
from api.wiring import open_node
from coop import canonical, statements
from coop.errors import ApiError
from coop.keys import KeyPair
from coop.members import member_fields
from coop.statements import KeyRecord
from coop.store import GitStore
from governance.proposals import PROPOSAL_TYPE, proposal_path, text_sha256
from ledger import entries as E
from projects import clients, work

JSON = {"Content-Type": "application/json"}
WRITERS = 4
WRITES_EACH = 10


def head(sdk: Client) -> str:
    """Return the repository's head commit as the server reports it."""
    return str(sdk.get("/api/v1")["head"])


def client_fields(sdk: Client, pair: KeyPair, client_id: str) -> bytes:
    """Sign a new client record as a member (its registration time is the statement's time)."""
    created = statements.now()
    fields = clients.client_fields(client_id, client_id.title(), pair.handle, None, created)
    return sdk.sign(pair, clients.CLIENT_TYPE, fields, created=created)


def draft(proposal_id: str) -> dict[str, Any]:
    """Return the fields of a draft proposal (nothing in it depends on the time it is signed)."""
    text = f"# {proposal_id}\n\nWritten under contention.\n"
    return {"id": proposal_id, "title": proposal_id, "text": text, "body_sha256": text_sha256(text), "method": "majority",
            "effect": {"kind": "general"}, "opens": None}


def drafts_of(writer: int) -> list[str]:
    """Return the ids of the drafts one writer makes."""
    return [f"w{writer}-{n}" for n in range(WRITES_EACH)]


def write_through_the_node(home: str, writer: int) -> None:
    """Write a writer's drafts as alice through the node's own write path (run in a child process)."""
    node = open_node({"home": home})
    for proposal_id in drafts_of(writer):
        node.write(PROPOSAL_TYPE, draft(proposal_id), "alice")
    node.index.db.close()


def assert_each_landed_once(home: Path, author: str, ids: list[str]) -> None:
    """Check that every statement is in the repository, written by one commit, with a sequence number of its own."""
    repository = GitStore(home / "repo.git")
    seqs = []
    for proposal_id in ids:
        path = proposal_path(proposal_id)
        assert len(repository.history(path)) == 1, path
        body = statements.parse(repository.read(path))[0]
        assert body["author"] == author
        seqs.append(body["seq"])
    assert len(set(seqs)) == len(ids)


def post(coop: Coop, raw: bytes, path: str = "/api/v1/statements", headers: dict[str, str] | None = None) -> requests.Response:
    """Post bytes as they are."""
    return requests.post(coop.url + path, data=raw, headers=headers or JSON, timeout=10)


def refused(coop: Coop, sdk: Client, raw: bytes, path: str = "/api/v1/statements", **headers: str) -> dict[str, Any]:
    """Post a statement that must be refused; check nothing was stored and return the error."""
    before = head(sdk)
    response = post(coop, raw, path, {**JSON, **headers})
    assert response.status_code >= 400, response.text
    assert head(sdk) == before, "a refused statement changed the repository"
    return {"status": response.status_code, **response.json()["error"]}


def test_a_statement_is_stored_once_and_a_repost_gets_the_first_answer(coop: Coop, sdk: Client) -> None:
    raw = client_fields(sdk, coop.keys["alice"], "harbour-cafe")

    first = post(coop, raw, "/api/v1/clients")
    again = post(coop, raw, "/api/v1/clients")

    assert first.status_code == 201 and first.json()["created"] is True
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["commit"] == first.json()["commit"] and again.json()["path"] == first.json()["path"] == "clients/harbour-cafe.json"
    assert first.headers["Location"] == "/api/v1/statements/clients/harbour-cafe.json"
    assert requests.get(coop.url + first.headers["Location"], timeout=5).content == raw
    assert sdk.get("/api/v1/clients/harbour-cafe")["referrer"] == "alice"


def test_a_forged_statement_is_refused_401(coop: Coop, sdk: Client) -> None:
    raw = client_fields(sdk, coop.keys["alice"], "forged-co")
    envelope = json.loads(raw)
    envelope["body"]["name"] = "Changed After Signing"

    error = refused(coop, sdk, canonical.encode(envelope))

    assert error["status"] == 401 and error["code"] == "bad_signature"


def test_a_statement_signed_with_someone_elses_key_is_refused_401(coop: Coop, sdk: Client) -> None:
    impostor = KeyPair("alice", coop.keys["bob"].seed)

    error = refused(coop, sdk, client_fields(sdk, impostor, "impostor-co"))

    assert error["status"] == 401 and "not a key of 'alice'" in error["message"]


def test_a_replayed_sequence_number_is_refused_409(coop: Coop, sdk: Client) -> None:
    alice = coop.keys["alice"]
    stored = sdk.post(client_fields(sdk, alice, "first-co"), "/api/v1/clients")
    created = statements.now()
    replay = sdk.sign(alice, clients.CLIENT_TYPE, clients.client_fields("second-co", "Second", "alice", None, created),
                         seq=stored["seq"], created=created)

    error = refused(coop, sdk, replay, "/api/v1/clients")

    assert error["status"] == 409 and "sequence number" in error["message"]


@pytest.mark.parametrize(("path", "kind"), [("/api/v1/proposals", "coop.client/v1"), ("/api/v1/members", "coop.client/v1"),
                                            ("/api/v1/ledger/entries", "coop.client/v1"), ("/api/v1/statements", "coop.nothing/v1")])
def test_a_statement_of_the_wrong_kind_is_refused_400(coop: Coop, sdk: Client, path: str, kind: str) -> None:
    body = statements.make_body(kind, sdk.origin, "alice", sdk.next_seq("alice"), {"id": "x"})

    error = refused(coop, sdk, statements.sign(body, [coop.keys["alice"]]), path)

    assert error["status"] == 400 and error["code"] == "bad_input"


def test_a_statement_for_another_proposal_than_the_url_names_is_refused_400(coop: Coop, sdk: Client) -> None:
    vote = sdk.sign(coop.keys["bob"], "coop.vote/v1", {"proposal": "p-one", "proposal_sha256": "0" * 64, "choice": "yes"})

    error = refused(coop, sdk, vote, "/api/v1/proposals/p-two/votes")

    assert error["status"] == 400 and "URL names 'p-two'" in error["message"]


def test_a_learner_may_not_make_a_proposal_403(coop: Coop, sdk: Client) -> None:
    dan = coop.keys["dan"]
    text = "Let learners vote."
    fields = {"id": "p-dan", "title": "Learners vote", "text": text, "body_sha256": text_sha256(text), "method": "majority",
              "effect": {"kind": "general"}, "opens": None}

    error = refused(coop, sdk, sdk.sign(dan, "coop.proposal/v1", fields), "/api/v1/proposals")

    assert error["status"] == 403 and error["code"] == "forbidden"


def payout(member: str) -> dict[str, Any]:
    """Return a payout of 100.00 EUR to a member, postings computed."""
    return E.with_postings(E.PAYOUT, {"id": "pay-1", "member": member, "amount": 10_000, "currency": "EUR", "account": "wise-eur",
                                      "method": "bank", "fee": 0, "arrived": {"amount": 10_000, "currency": "EUR"}, "rate": "1"})


def test_a_payout_from_another_members_account_is_refused_403(coop: Coop, sdk: Client) -> None:
    raw = sdk.sign(coop.keys["carol"], E.PAYOUT, payout("bob"))

    error = refused(coop, sdk, raw, "/api/v1/ledger/entries")

    assert error["status"] == 403 and "recorded only by 'bob' or a treasurer" in error["message"]


def test_a_payout_to_an_unknown_member_is_refused_404(coop: Coop, sdk: Client) -> None:
    raw = sdk.sign(coop.keys["carol"], E.PAYOUT, payout("zed"))

    error = refused(coop, sdk, raw, "/api/v1/ledger/entries")

    assert error["status"] == 404 and error["message"] == "no such member 'zed'"


def test_an_oversized_statement_is_refused_413(coop: Coop, sdk: Client) -> None:
    fields = {"id": "big-co", "name": "x" * 70_000, "referrer": "alice", "liaison": None, "registered": statements.now()}

    error = refused(coop, sdk, sdk.sign(coop.keys["alice"], clients.CLIENT_TYPE, fields))

    assert error["status"] == 413 and error["code"] == "too_large"


def test_a_body_that_is_not_json_is_refused_415(coop: Coop, sdk: Client) -> None:
    error = refused(coop, sdk, client_fields(sdk, coop.keys["alice"], "plain-co"), **{"Content-Type": "text/plain"})

    assert error["status"] == 415 and error["code"] == "unsupported_media_type"


def test_json_that_is_not_canonical_is_refused_400(coop: Coop, sdk: Client) -> None:
    raw = client_fields(sdk, coop.keys["alice"], "spaced-co")

    error = refused(coop, sdk, json.dumps(json.loads(raw), indent=2).encode())

    assert error["status"] == 400 and "canonical" in error["message"]


@pytest.fixture(scope="module")
def app_key(coop: Coop) -> KeyPair:
    """Register an app owned by carol that may post client requests; return its key."""
    key = new_key("intake-app")
    coop.client().register_app(coop.keys["carol"], "intake-app", "Intake form", key, ["coop.project/v1"])
    return key


def test_an_app_posts_what_its_scopes_allow(coop: Coop, sdk: Client, app_key: KeyPair) -> None:
    sdk.post(client_fields(sdk, coop.keys["carol"], "dockside"), "/api/v1/clients")
    fields = {"id": "dock-site", "client": "dockside", "title": "A website for the dock", "text": "Pages and a booking form.",
              "skills": ["web"], "budget": {"amount": 250000, "currency": "EUR"}, "deadline": "2027-06-30"}

    receipt = sdk.submit(app_key, work.PROJECT_TYPE, fields, "/api/v1/requests")

    assert receipt["created"] and receipt["author"] == "intake-app"
    assert [r["id"] for r in sdk.items("/api/v1/requests")] == ["dock-site"]
    project = sdk.get("/api/v1/projects/dock-site")
    assert project["state"] == "requested" and project["html"] == "<p>Pages and a booking form.</p>"


def test_an_app_posting_outside_its_scopes_is_refused_403(coop: Coop, sdk: Client, app_key: KeyPair) -> None:
    created = statements.now()
    raw = sdk.sign(app_key, clients.CLIENT_TYPE, clients.client_fields("app-co", "App Co", None, None, created), created=created)

    error = refused(coop, sdk, raw, "/api/v1/clients")

    assert error["status"] == 403 and "scopes are coop.project/v1" in error["message"]


def test_an_app_may_not_widen_its_own_scopes_403(coop: Coop, sdk: Client, app_key: KeyPair) -> None:
    record = sdk.get("/api/v1/apps/intake-app")
    fields = {**{k: record[k] for k in ("id", "name", "owner", "keys", "events")}, "webhook": None, "scopes": ["coop.client/v1", "coop.project/v1"]}

    error = refused(coop, sdk, sdk.sign(app_key, "coop.app/v1", fields), "/api/v1/apps")

    assert error["status"] == 403 and "its owner does" in error["message"]


def test_only_a_member_registers_an_app_403(coop: Coop, sdk: Client) -> None:
    fields = {"id": "dans-app", "name": "Dan's app", "owner": "dan", "keys": [key_record(new_key("dans-app"))], "scopes": [],
              "webhook": None, "events": []}

    error = refused(coop, sdk, sdk.sign(coop.keys["dan"], "coop.app/v1", fields), "/api/v1/apps")

    assert error["status"] == 403 and "only members register apps" in error["message"]


def test_a_batch_is_stored_in_one_commit(coop: Coop, sdk: Client) -> None:
    alice = coop.keys["alice"]
    seq = sdk.next_seq("alice")
    raws = []
    for offset, client_id in enumerate(["batch-one", "batch-two"]):
        created = statements.now()
        fields = clients.client_fields(client_id, client_id, "alice", None, created)
        raws.append(sdk.sign(alice, clients.CLIENT_TYPE, fields, seq=seq + offset, created=created))

    response = post(coop, b"[" + b",".join(raws) + b"]", "/api/v1/statements/batch")

    assert response.status_code == 201
    items = response.json()["items"]
    assert [i["path"] for i in items] == ["clients/batch-one.json", "clients/batch-two.json"]
    assert items[0]["commit"] == items[1]["commit"]


def test_a_proposal_is_opened_voted_on_and_closed_over_http(coop: Coop, sdk: Client) -> None:
    sdk.open_proposal(coop.keys["alice"], "p-garden", "A garden", "We plant **herbs** <script>x</script>.", "majority", closes_in=2)
    for voter in ("alice", "bob", "carol"):
        sdk.vote(coop.keys[voter], "p-garden", "yes")

    live = sdk.get("/api/v1/proposals/p-garden")
    assert live["state"] == "open" and live["tally"]["counts"]["yes"] == 3
    assert "<strong>herbs</strong>" in live["html"] and "<script>" not in live["html"]
    # `coop serve` runs in another process on the real clock, which no test can move: wait for it to pass the close.
    time.sleep(max(0.0, (statements.parse_time(live["closes"]).timestamp() - time.time()) + 0.2))
    closed = sdk.close(coop.keys["bob"], "p-garden")

    assert closed["created"] and closed["path"].endswith("p-garden/outcome.json")
    after = sdk.get("/api/v1/proposals/p-garden")
    assert after["state"] == "closed" and after["outcome"]["result"] == "passed"
    assert [v["voter"] for v in sdk.items("/api/v1/proposals/p-garden/votes")] == ["alice", "bob", "carol"]
    assert next(p for p in sdk.items("/api/v1/proposals", state="closed") if p["id"] == "p-garden")["votes"] == 3


def test_a_ranked_vote_over_http_counts_its_order(coop: Coop, sdk: Client) -> None:
    sdk.open_proposal(coop.keys["alice"], "p-logo", "A logo", "# Pick one\n", "ranked_choice", closes_in=3600, options=["red", "blue", "green"])
    sdk.vote(coop.keys["bob"], "p-logo", "rank", ranking=["blue", "red"])

    tally = sdk.get("/api/v1/proposals/p-logo")["tally"]
    assert tally["rounds"][0]["counts"] == {"blue": 1, "green": 0, "red": 0}  # counted for its first choice


@pytest.fixture
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Return a server that allows 3 writes and 8 reads a minute per client."""
    home = tmp_path_factory.mktemp("limited") / "node"
    make_node(home)
    server = Server(home, {"COOP_RATE_WRITES": "3", "COOP_RATE_READS": "8"}).start()
    yield server
    server.stop()


def test_a_client_over_its_rate_limit_gets_429_with_retry_after(limited: Server) -> None:
    writes = [requests.post(limited.url + "/api/v1/statements", data=b"{}", headers=JSON, timeout=5).status_code for _ in range(4)]
    reads = [requests.get(limited.url + "/api/v1/members", timeout=5) for _ in range(10)]

    assert writes == [400, 400, 400, 429]
    over = reads[-1]
    assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(over.headers["Retry-After"]) <= 60


def test_the_sdk_raises_on_refusal(coop: Coop, sdk: Client) -> None:
    with pytest.raises(ApiError) as caught:
        sdk.post(b"{}")

    assert caught.value.status == 400


def test_a_list_read_before_a_write_shows_the_write_after_it(coop: Coop, sdk: Client) -> None:
    before = [m["handle"] for m in sdk.items("/api/v1/learners")]
    pair = new_key("fatou")
    sdk.submit(coop.keys["bob"], "coop.member/v1", member_fields("fatou", ["learner"], [], [KeyRecord(pair.public)]), "/api/v1/members")

    after = [m["handle"] for m in sdk.items("/api/v1/learners")]

    assert "fatou" not in before and "fatou" in after


def test_every_write_of_sdk_writers_sharing_a_key_gets_through(coop: Coop) -> None:
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        sdk = coop.client()
        try:
            for proposal_id in drafts_of(writer):
                sdk.submit(coop.keys["alice"], PROPOSAL_TYPE, draft(f"sdk-{proposal_id}"), "/api/v1/proposals")
        except BaseException as e:  # reported below, with every other writer's
            failures.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert_each_landed_once(coop.home, "alice", [f"sdk-{p}" for n in range(WRITERS) for p in drafts_of(n)])


def test_every_write_of_node_processes_sharing_a_key_gets_through(tmp_path: Path) -> None:
    home = tmp_path / "node"
    make_node(home)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=write_through_the_node, args=(str(home), n)) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)

    assert [writer.exitcode for writer in writers] == [0] * WRITERS
    assert_each_landed_once(home, "alice", [p for n in range(WRITERS) for p in drafts_of(n)])
