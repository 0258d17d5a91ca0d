"""The books on a node: what an entry must satisfy to be logged, and what verify_ledger catches afterwards."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coop import statements
from coop.errors import BadInput, Conflict, CoopError, Forbidden, Invalid
from coop.keys import KeyPair
from coop.node import Node
from coop.statements import KeyRecord
from coop.view import View
from ledger import audit, log, records
from ledger import entries as E
from ledger.index import BUNDLES

ROOT = Path(__file__).resolve().parents[2]
# A writer in its own process: open the node, append revenues as one author, print a line after each append.
WRITER = """
import sys
from api.wiring import open_node
from ledger import entries as E
home, prefix, count, author = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
node = open_node({"home": home})
for n in range(count):
    node.write(E.REVENUE, E.with_postings(E.REVENUE, {"id": f"{prefix}-{n}", "client": "acme", "project": None,
                                                      "amount": 100 + n, "currency": "EUR", "account": "wise-eur"}), author)
    print(n, flush=True)
"""


def revenue_fields(entry_id: str = "rev-1", amount: int = 150_000) -> dict[str, Any]:
    """Return the fields of a revenue entry in EUR, postings computed."""
    return E.with_postings(E.REVENUE, {"id": entry_id, "client": "acme", "project": None, "amount": amount, "currency": "EUR",
                                       "account": "wise-eur"})


def record_revenue(node: Node, entry_id: str = "rev-1", amount: int = 150_000) -> tuple[int, bytes, dict[str, Any]]:
    """Log a revenue entry as alice; return its index, its bytes and its fields."""
    fields = revenue_fields(entry_id, amount)
    node.write(E.REVENUE, fields)
    view = node.view()
    index = log.size(view) - 1
    return index, log.entry_at(view, index), fields


def split(node: Node, index: int, raw: bytes, revenue: dict[str, Any], team: dict[str, int]) -> dict[str, Any]:
    """Return the fields of a split of a logged revenue under the policy in force."""
    policy, sha = records.policy_in_force(node.view())
    return E.split_fields(index, records.leaf_hash_hex(raw), revenue, policy, sha, team, "bob", True, None)


def test_second_split_of_a_revenue_is_refused(node: Node) -> None:
    index, raw, revenue = record_revenue(node)
    node.write(E.SPLIT, split(node, index, raw, revenue, {"alice": 5000, "bob": 5000}), "bob")
    head = node.store.snapshot().id
    with pytest.raises(Conflict, match="already used"):
        node.write(E.SPLIT, split(node, index, raw, revenue, {"carol": 10_000}), "bob")
    assert node.store.snapshot().id == head and log.size(node.view()) == 2


def test_two_splits_of_a_revenue_in_one_commit_are_refused_together(node: Node) -> None:
    index, raw, revenue = record_revenue(node)
    view = node.view()
    teams = [{"alice": 10_000}, {"carol": 10_000}]
    batch = [node.sign(E.SPLIT, split(node, index, raw, revenue, team), "bob", view, seq=view.last_seq("bob") + n)
             for n, team in enumerate(teams, start=1)]
    with pytest.raises(Conflict, match="already used"):
        node.submit(batch)
    assert view.snapshot is not None and node.store.snapshot().id == view.snapshot.id and log.size(node.view()) == 1


def test_unbalanced_postings_are_refused(node: Node) -> None:
    fields = revenue_fields()
    fields["postings"][0]["amount"] += 1
    head = node.store.snapshot().id
    with pytest.raises(Invalid, match="differ|sum"):
        node.write(E.REVENUE, fields)
    assert node.store.snapshot().id == head and log.size(node.view()) == 0


def _float_amount_signed(node: Node) -> bytes:
    return node.sign(E.REVENUE, {**revenue_fields(), "amount": 1500.0})


def _float_amount_on_the_wire(node: Node) -> bytes:
    return node.sign(E.REVENUE, revenue_fields()).replace(b'"amount":150000,', b'"amount":1500.00,', 1)


@pytest.mark.parametrize("make", [_float_amount_signed, _float_amount_on_the_wire], ids=["when-signing", "on-the-wire"])
def test_float_amount_is_refused(node: Node, make: Callable[[Node], bytes]) -> None:
    head = node.store.snapshot().id
    with pytest.raises(BadInput, match="float"):
        node.submit([make(node)])
    assert node.store.snapshot().id == head and log.size(node.view()) == 0


def test_split_whose_postings_differ_from_the_policy_is_refused(node: Node) -> None:
    index, raw, revenue = record_revenue(node, amount=100_001)
    fields = split(node, index, raw, revenue, {"alice": 5000, "bob": 5000})
    by_account = {p["account"]: p for p in fields["postings"]}
    by_account["treasury"]["amount"] += 1  # one cent moved from the treasury's share to alice's: still balanced
    by_account["member:alice"]["amount"] -= 1
    with pytest.raises(Invalid, match="differ"):
        node.write(E.SPLIT, fields, "bob")
    assert log.size(node.view()) == 1


def test_replayed_entry_is_answered_as_already_stored(node: Node) -> None:
    raw = node.sign(E.REVENUE, revenue_fields())
    first = node.submit_one(raw)
    head, size = node.store.snapshot().id, log.size(node.view())
    again = node.submit_one(raw)
    assert first.created and not again.created and again.path == first.path
    assert (node.store.snapshot().id, log.size(node.view())) == (head, size) == (first.commit, 1)


def test_same_id_signed_again_is_refused(node: Node) -> None:
    node.write(E.REVENUE, revenue_fields("rev-1", 150_000))
    head = node.store.snapshot().id
    with pytest.raises(Conflict, match="already used"):
        node.write(E.REVENUE, revenue_fields("rev-1", 990_000), "carol")
    assert node.store.snapshot().id == head and log.size(node.view()) == 1


def test_entry_signed_by_a_revoked_key_is_refused(node: Node) -> None:
    old, new = node.identity("bob"), KeyPair.generate("bob")
    seq = node.view().last_seq("bob") + 1
    node.update_member("bob", keys=[KeyRecord(old.public, revoked_after=seq), KeyRecord(new.public)])
    view = node.view()
    assert [k.revoked_after for k in view.keys("bob")] == [seq, None]
    raw = statements.sign(statements.make_body(E.REVENUE, view.origin, "bob", seq + 1, revenue_fields()), [old])
    with pytest.raises(Forbidden, match="revoked"):
        node.submit_one(raw)
    assert log.size(node.view()) == 0


@pytest.mark.parametrize(("kind", "fields", "error"), [
    (E.EXPENSE, {"id": "exp-1", "category": "rent", "description": "Desk", "amount": 5000, "currency": "EUR", "account": "wise-eur"}, Invalid),
    (E.EXPENSE, {"id": "exp-1", "category": "rent", "description": "Desk", "amount": 5000, "currency": "EUR", "account": "wise-eur",
                 "authorised_by": {"proposal": "p-never-made", "sha256": "0" * 64}}, CoopError),
    (E.TRANSFER, {"id": "move-1", "from": "treasury", "to": "member:bob", "amount": 5000, "currency": "EUR"}, Invalid),
], ids=["expense-naming-no-proposal", "expense-naming-no-passed-proposal", "transfer-out-of-treasury"])
def test_common_money_does_not_leave_without_a_passed_proposal(node: Node, kind: str, fields: dict[str, Any], error: type) -> None:
    index, raw, revenue = record_revenue(node)
    node.write(E.SPLIT, split(node, index, raw, revenue, {"alice": 10_000}), "bob")
    with pytest.raises(error, match="proposal"):
        node.write(kind, E.with_postings(kind, fields))
    assert log.size(node.view()) == 2


def _assertion(amount: int) -> dict[str, Any]:
    return E.with_postings(E.ASSERT, {"id": "chk-1", "account": "assets:wise-eur", "amount": amount, "currency": "EUR"})


@pytest.mark.parametrize("off", [-1, 1], ids=["one-under", "one-over"])
def test_balance_assertion_one_minor_unit_off_is_refused(node: Node, off: int) -> None:
    record_revenue(node, amount=150_000)
    with pytest.raises(Invalid, match="holds 1500.00 EUR"):
        node.write(E.ASSERT, _assertion(150_000 + off))
    assert log.size(node.view()) == 1


def test_exact_balance_assertion_is_accepted(node: Node) -> None:
    record_revenue(node, amount=150_000)
    assert node.write(E.ASSERT, _assertion(150_000)).created
    assert log.size(node.view()) == 2


def test_learner_cannot_record_money(node: Node) -> None:
    with pytest.raises(Forbidden, match="not a member"):
        node.write(E.REVENUE, revenue_fields(), "dan")
    assert log.size(node.view()) == 0


@pytest.fixture(scope="module")
def books(books_factory: Callable[[int], Node]) -> Node:
    """Return a node whose log holds 260 generated entries: full and partial tiles, on two levels."""
    return books_factory(260)


def test_verify_ledger_passes_on_good_books(books: Node) -> None:
    view = books.view()
    assert log.size(view) == 260
    assert audit.verify_ledger(view) == []


def log_files(view: View) -> dict[str, list[str]]:
    """Return the files the log keeps, by kind: hash tiles, entry bundles, the checkpoint and the entry files."""
    snapshot = view.snapshot
    assert snapshot is not None
    tiles = list(snapshot.walk(log.TILE_DIR.rstrip("/")))
    return {"hash tile": [p for p in tiles if not p.startswith(BUNDLES)], "entry bundle": [p for p in tiles if p.startswith(BUNDLES)],
            "checkpoint": [log.CHECKPOINT], "entry file": list(snapshot.walk(records.ENTRY_DIR.rstrip("/")))}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_byte_in_the_log_files_is_caught(books: Node, data: st.DataObject) -> None:
    before = books.view()
    files = log_files(before)
    path = data.draw(st.sampled_from(files[data.draw(st.sampled_from(sorted(files)), label="kind")]), label="file")
    original = before.read(path)
    assert original is not None
    position = data.draw(st.integers(0, len(original) - 1), label="byte")
    flip = data.draw(st.integers(1, 255), label="xor")
    tampered = original[:position] + bytes([original[position] ^ flip]) + original[position + 1:]
    signer = books.commit_signer()
    books.store.commit(lambda snapshot: {path: tampered}, "tamper", signer)
    try:
        assert audit.verify_ledger(books.view()) != []
    finally:
        books.store.commit(lambda snapshot: {path: original}, "restore", signer)
    assert books.view().read(path) == original


def start_writer(home: Path, prefix: str, count: int, author: str) -> subprocess.Popen[str]:
    """Start a process that opens the node at home and appends `count` revenues as `author`."""
    return subprocess.Popen([sys.executable, "-c", WRITER, str(home), prefix, str(count), author], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_writer_killed_while_appending_leaves_consistent_books(node: Node, home: Path) -> None:
    for round_number, wait in enumerate([0.0, 0.007, 0.013, 0.021]):
        with start_writer(home, f"kill{round_number}", 10_000, "bob") as writer:
            try:
                for _ in range(3):  # let it get going: a few appends landed, the next one under way
                    assert writer.stdout is not None and writer.stdout.readline(), "the writer stopped before its third append"
                time.sleep(wait)
            finally:
                writer.kill()
        view = node.view()
        assert audit.verify_ledger(view) == []
        assert [body["id"] for _, body, _ in records.entry_bodies(view)][-1].startswith(f"kill{round_number}-")
    node.write(E.REVENUE, revenue_fields("after-the-crash"))
    assert audit.verify_ledger(node.view()) == []


def test_concurrent_writers_get_distinct_contiguous_indices(node: Node, home: Path) -> None:
    authors = ("alice", "bob", "carol")
    failures = {}
    with start_writer(home, "alice", 20, "alice") as one, start_writer(home, "bob", 20, "bob") as two, \
            start_writer(home, "carol", 20, "carol") as three:
        for author, writer in zip(authors, (one, two, three), strict=False):
            _, errors = writer.communicate(timeout=300)
            if writer.returncode != 0:
                failures[author] = errors[-2000:]
    assert not failures, failures
    view = node.view()
    logged = [(index, body["id"]) for index, body, _ in records.entry_bodies(view)]
    assert [index for index, _ in logged] == list(range(60))
    assert sorted(entry_id for _, entry_id in logged) == sorted(f"{a}-{n}" for a in authors for n in range(20))
    for author in authors:  # each writer's entries keep its own order
        assert [entry_id for _, entry_id in logged if entry_id.startswith(author)] == [f"{author}-{n}" for n in range(20)]
    assert audit.verify_ledger(view) == []
