"""Ledger fixtures: generated books shared by a whole test module, written in a few batched commits."""
from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.wiring import create_node
from coop.node import Node
from ledger import entries as E
from ledger import records

PASSPHRASE = "test passphrase"
ORIGIN = "coop.example/books"
MEMBERS = ("alice", "bob", "carol")
CLIENTS = ("acme", "globex", "initech")
# Currency -> (account money arrives in, largest revenue in minor units): two, zero and three decimal places.
ACCOUNTS = {"EUR": ("wise-eur", 2_000_000), "USD": ("wise-usd", 2_000_000), "JPY": ("bank-jpy", 300_000), "KWD": ("bank-kwd", 500_000)}
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
BATCH = 250

BooksFactory = Callable[[int], Node]


@contextmanager
def coop_environment() -> Iterator[None]:
    """Set what the autouse fixture of tests/conftest.py sets for each test, for fixtures that outlive a test."""
    wanted: dict[str, str | None] = {"COOP_PASSPHRASE": PASSPHRASE, "COOP_KDF_COST": "min", "COOP_HOME": None,
                                     "COOP_IDENTITY": None, "COOP_DATABASE_URL": None, "COOP_NODE_NAME": None}
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class BookWriter:
    """Sign entries for several authors in one batch, tracking each author's sequence and our own balances."""

    def __init__(self, node: Node, rng: random.Random) -> None:
        self.node = node
        self.rng = rng
        self.balances: E.Balances = {}
        self.count = 0
        self.pending: list[bytes] = []
        self.seqs: dict[str, int] = {}

    def add(self, kind: str, fields: Mapping[str, Any], author: str | None = None) -> bytes:
        """Sign an entry (by a random member unless told), dated a few hours after the last (sometimes with a clock behind)."""
        author = author or self.rng.choice(MEMBERS)
        view = self.node.view()
        seq = self.seqs.get(author, view.last_seq(author)) + 1
        self.seqs[author] = seq
        skew = -timedelta(days=3) if self.count % 17 == 16 else timedelta(0)
        created = (START + timedelta(hours=7 * self.count) + skew).strftime("%Y-%m-%dT%H:%M:%SZ")
        raw = self.node.sign(kind, fields, author, view, created, seq)
        E.apply(self.balances, {"type": kind, **fields})
        self.pending.append(raw)
        self.count += 1
        return raw

    def flush(self) -> None:
        """Submit the entries signed so far in commits of at most BATCH entries."""
        for start in range(0, len(self.pending), BATCH):
            self.node.submit(self.pending[start:start + BATCH])
        self.pending = []


def _team(rng: random.Random) -> dict[str, int]:
    members = rng.sample(MEMBERS, rng.randint(1, len(MEMBERS)))
    cuts = sorted(rng.sample(range(1, 10_000), len(members) - 1))
    return {m: b - a for m, a, b in zip(members, [0, *cuts], [*cuts, 10_000], strict=False)}


def _owed(balances: E.Balances, currency: str) -> list[tuple[str, int]]:
    """Return (member, amount the co-op holds for them) for members with money in a currency."""
    return [(h, -balances.get((f"member:{h}", currency), 0)) for h in MEMBERS if balances.get((f"member:{h}", currency), 0) < 0]


def write_books(node: Node, count: int, seed: int = 7) -> None:
    """Write `count` entries: revenues in four currencies, their splits, payouts, transfers and balance assertions.

    Revenues go first in their own commits (a split names a revenue already in the log).
    """
    rng = random.Random(seed)
    writer = BookWriter(node, rng)
    revenues = []
    for number in range(count * 3 // 10):
        currency = rng.choice(sorted(ACCOUNTS))
        account, largest = ACCOUNTS[currency]
        fields = {"id": f"rev-{number}", "client": rng.choice(CLIENTS), "project": None,
                  "amount": rng.randint(1, largest), "currency": currency, "account": account}
        revenues.append((writer.count, writer.add(E.REVENUE, E.with_postings(E.REVENUE, fields)), fields))
    writer.flush()
    policy, sha = records.policy_in_force(node.view())
    for index, raw, revenue in revenues:
        referrer = rng.choice([None, *MEMBERS])
        writer.add(E.SPLIT, E.split_fields(index, records.leaf_hash_hex(raw), revenue, policy, sha, _team(rng), referrer,
                                           rng.random() < 0.7, rng.choice([None, *MEMBERS])))
    while writer.count < count:
        _add_movement(writer, rng)
    writer.flush()


def _add_movement(writer: BookWriter, rng: random.Random) -> None:
    """Add one payout, transfer or balance assertion that fits the balances so far."""
    currency = rng.choice(sorted(ACCOUNTS))
    account = ACCOUNTS[currency][0]
    owed = _owed(writer.balances, currency)
    roll = rng.random()
    n = writer.count
    # Few assertions: accepting one replays the whole log (see the report on balances.balances_now).
    if n % 30 == 0 or not owed:
        key = rng.choice(sorted(writer.balances))
        writer.add(E.ASSERT, E.with_postings(E.ASSERT, {"id": f"chk-{n}", "account": key[0], "amount": writer.balances[key], "currency": key[1]}))
    elif roll < 0.55 and writer.balances.get((f"assets:{account}", currency), 0) > 0:
        member, most = rng.choice(owed)
        amount = rng.randint(1, min(most, writer.balances[(f"assets:{account}", currency)]))  # no paying out money not held
        fee = rng.randint(0, amount // 50)
        writer.add(E.PAYOUT, E.with_postings(E.PAYOUT, {
            "id": f"pay-{n}", "member": member, "amount": amount, "currency": currency, "account": account,
            "method": rng.choice(E.PAYOUT_METHODS), "fee": fee, "arrived": {"amount": amount - fee, "currency": currency}, "rate": "1"}),
            member)
    elif roll < 0.95:
        source, most = rng.choice(owed)
        target = rng.choice([m for m in MEMBERS if m != source])
        writer.add(E.TRANSFER, E.with_postings(E.TRANSFER, {
            "id": f"move-{n}", "from": f"member:{source}", "to": f"member:{target}", "amount": rng.randint(1, most), "currency": currency}),
            source)
    else:
        held = writer.balances.get((f"assets:{account}", currency), 0)
        if held > 0:
            writer.add(E.TRANSFER, E.with_postings(E.TRANSFER, {
                "id": f"move-{n}", "from": f"assets:{account}", "to": "assets:cash", "amount": rng.randint(1, held), "currency": currency}))


def new_node(home: Path) -> Node:
    """Create a node: founder alice, members bob and carol, learner dan; it keeps the log."""
    node = create_node({"home": str(home)}, "Books Co-op", ORIGIN, "alice")
    node.add_member("bob", ["member", "mentor"], ["python"])
    node.add_member("carol", ["member"], ["design"])
    node.add_member("dan", ["learner"], ["html"], author="bob")
    return node


@pytest.fixture(scope="module")
def books_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BooksFactory]:
    """Return a function that creates a node holding `count` generated ledger entries, for one test module."""
    made: list[Node] = []

    def make(count: int) -> Node:
        with coop_environment():
            node = new_node(tmp_path_factory.mktemp("books") / "node")
            made.append(node)
            write_books(node, count)
        return node

    yield make
    for node in made:
        node.index.db.close()
