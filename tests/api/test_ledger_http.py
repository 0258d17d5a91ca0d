"""The ledger over HTTP: tiles as static files, receipts and consistency proofs, and an audit with only the verifier key."""
from __future__ import annotations

import pytest
import requests
from api_harness import Coop

from api.sdk import Client
from coop import statements
from coop.errors import BadSignature
from coop.keys import KeyPair
from ledger import entries as E
from ledger.note import Signer

ENTRIES = 260  # more than one full tile of 256


def revenues(sdk: Client, pair: KeyPair, first: int, count: int) -> None:
    """Record `count` revenue entries over HTTP, sixteen to a batch."""
    done = first
    while done < first + count:
        seq = sdk.next_seq(pair.handle)
        batch = []
        for offset in range(min(16, first + count - done)):
            fields = E.with_postings(E.REVENUE, {"id": f"rev-{done + offset}", "client": "harbour-cafe", "amount": 1000 + done + offset,
                                                 "currency": "EUR", "account": "wise-eur"})
            batch.append(sdk.sign(pair, E.REVENUE, fields, seq=seq + offset))
        response = requests.post(sdk.url + "/api/v1/statements/batch", data=b"[" + b",".join(batch) + b"]",
                                 headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 201, response.text
        done += len(batch)


@pytest.fixture(scope="module")
def books(coop: Coop) -> dict[str, object]:
    """Record entries in two steps; keep what an auditor saw after the first (checkpoint, a partial tile)."""
    sdk = coop.client()
    revenues(sdk, coop.keys["alice"], 0, 5)
    early = {"checkpoint": sdk.checkpoint(coop.vkey), "tile": sdk.get_bytes("/ledger/tile/0/000.p/5"),
             "bundle": sdk.get_bytes("/ledger/tile/entries/000.p/5")}
    revenues(sdk, coop.keys["alice"], 5, ENTRIES - 5)
    return early


def test_an_auditor_with_only_the_verifier_key_checks_the_whole_log(coop: Coop, sdk: Client, books: dict[str, object]) -> None:
    audit = sdk.audit(coop.vkey, since=books["checkpoint"])  # type: ignore[arg-type]

    assert audit.size == ENTRIES
    assert [b["id"] for b in audit.bodies()] == [f"rev-{i}" for i in range(ENTRIES)]


def test_an_audit_with_another_key_fails(sdk: Client) -> None:
    other = Signer("coop.example/test", bytes(32)).verifier.to_vkey()

    with pytest.raises(BadSignature):
        sdk.audit(other)


@pytest.mark.parametrize("index", [0, 4, 255, 256, ENTRIES - 1])
def test_each_entry_has_a_receipt_that_verifies_against_the_key(coop: Coop, sdk: Client, books: dict[str, object], index: int) -> None:
    assert sdk.verify_entry(index, coop.vkey)["id"] == f"rev-{index}"


def test_a_receipt_at_an_older_tree_size_uses_the_checkpoint_published_then(coop: Coop, sdk: Client, books: dict[str, object]) -> None:
    entry = sdk.verify_entry(2, coop.vkey, size=5)

    assert entry["id"] == "rev-2"
    assert "\n5\n" in sdk.get_bytes("/api/v1/ledger/proof", index=2, size=5).decode()


def test_the_log_never_published_a_size_that_no_commit_had(sdk: Client, books: dict[str, object]) -> None:
    response = requests.get(sdk.url + "/api/v1/ledger/proof", params={"index": 0, "size": 3}, timeout=5)

    assert response.status_code == 404


def test_tiles_are_immutable_and_the_checkpoint_is_short_lived(coop: Coop, books: dict[str, object]) -> None:
    tile = requests.get(coop.url + "/ledger/tile/0/000", timeout=5)
    checkpoint = requests.get(coop.url + "/ledger/checkpoint", timeout=5)

    assert tile.status_code == 200 and len(tile.content) == 256 * 32
    assert "immutable" in tile.headers["Cache-Control"] and tile.headers["Content-Type"] == "application/octet-stream"
    assert checkpoint.headers["Cache-Control"] == "public, max-age=5"
    assert checkpoint.content.decode().startswith("coop.example/test\n260\n")


def test_a_replaced_partial_tile_is_still_served_as_it_was(sdk: Client, books: dict[str, object]) -> None:
    assert sdk.get_bytes("/ledger/tile/0/000.p/5") == books["tile"]
    assert sdk.get_bytes("/ledger/tile/entries/000.p/5") == books["bundle"]


def test_consistency_between_two_sizes_verifies(coop: Coop, sdk: Client, books: dict[str, object]) -> None:
    sdk.verify_consistency(books["checkpoint"], sdk.checkpoint(coop.vkey))  # type: ignore[arg-type]


def test_entries_balances_and_report(sdk: Client, books: dict[str, object]) -> None:
    entries = list(sdk.items("/api/v1/ledger/entries", type="revenue", limit=200))
    balances = {(b["account"], b["currency"]): b for b in sdk.items("/api/v1/ledger/balances")}
    report = sdk.get("/api/v1/ledger/report", period=statements.now()[:7])

    assert [e["index"] for e in entries] == list(range(ENTRIES))
    assert entries[0]["postings"] == [{"account": "assets:wise-eur", "amount": 1000, "currency": "EUR"},
                                      {"account": "income:harbour-cafe", "amount": -1000, "currency": "EUR"}]
    total = sum(1000 + i for i in range(ENTRIES))
    assert balances[("assets:wise-eur", "EUR")]["balance"] == total
    assert report["currencies"]["EUR"]["revenue_by_client"] == {"harbour-cafe": total}


def test_an_entry_reads_back_as_signed(sdk: Client, books: dict[str, object]) -> None:
    entry = sdk.get("/api/v1/ledger/entries/7")

    assert entry["statement"]["body"]["id"] == "rev-7" and entry["path"].endswith("/rev-7.json")
