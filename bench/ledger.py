"""The ledger against the bare tools under it: ed25519, sha256 and hledger.

Four measurements, each against a baseline run in the same process:

- verify: `audit.verify_ledger` over a node's log of signed entries, against raw
  pynacl `VerifyKey.verify` of the same signatures over the same DSSE PAE
  messages (prepared beforehand), with a profile of where verify_ledger spends
  its time;
- append: the Merkle log's own work per entry (leaf hash, `CompactRange.append`
  and `tiles.tile_updates`, in batches as `node.submit` appends them), against
  raw hashlib computing the same leaf hashes;
- proofs: inclusion and consistency proofs read from in-memory tiles through
  `tiles.TileHashReader` at 10^4, 10^5 and 10^6 leaves, counting tile reads, to
  show their cost grows with log(n);
- balances: `entries.apply` over generated entry bodies against `hledger balance`
  on our own hledger export of them (skipped when hledger is not installed).

`python -m bench ledger`, or `python -m bench.ledger --entries 20000` for a
larger signed log.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import nacl.signing

from bench import best_time, rate, table
from bench.node import FOUNDER, temporary_node
from bench.profile import print_profile
from bench.store import WORKDIR
from coop import canonical, statements
from coop.keys import unb64
from coop.node import Node
from ledger import audit, export, merkle, records, tiles
from ledger import entries as E
from ledger.money import to_decimal
from ledger.splits import SplitPolicy

ORIGIN = "bench.example/ledger"
MEMBERS = ("bob", "carol", "dave")
AUTHORS = (FOUNDER, *MEMBERS)
CURRENCIES = {"EUR": "wise-eur", "USD": "wise-usd", "JPY": "bank-jpy"}
CLIENTS = ("acme", "globex", "initech", "umbrella")
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

SIGNED_ENTRIES = 10_000
BATCH = 250
VERIFY_REPEATS = 2
RAW_REPEATS = 2
VERIFY_GOAL = 0.8
APPEND_ENTRIES = 100_000
ENTRY_SIZE = 600
APPEND_REPEATS = 3
PROOF_SIZES = (10_000, 100_000, 1_000_000)
PROOFS = 1_000
BALANCE_ENTRIES = 100_000
ASSERT_EVERY = 1_000
ROUND = 500


# -- generated books -------------------------------------------------------------------


class Books:
    """Generate entry bodies in log order: revenues, then their splits, then payouts that fit the balances."""

    def __init__(self, policy: SplitPolicy, policy_sha256: str, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.policy = policy
        self.policy_sha256 = policy_sha256
        self.balances: E.Balances = {}
        self.count = 0

    def created(self) -> str:
        """Return the time of the next entry: ten minutes after the last, so 100,000 entries stay in the past."""
        return (START + timedelta(minutes=10 * self.count)).strftime(statements.TIME_FORMAT)

    def fields(self, total: int, leaf_hash: Callable[[int, Mapping[str, Any]], str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (type, fields) of `total` entries; leaf_hash(index, revenue fields) names a revenue in its split.

        In rounds of ROUND entries: four in ten are revenues, as many are their
        splits, the rest payouts and, every ASSERT_EVERY entries, a balance assertion.
        """
        while self.count < total:
            end = min(self.count + ROUND, total)
            revenues = []
            for _ in range((end - self.count) * 4 // 10):
                currency = self.rng.choice(sorted(CURRENCIES))
                fields = E.with_postings(E.REVENUE, {"id": f"rev-{self.count}", "client": self.rng.choice(CLIENTS), "project": None,
                                                     "amount": self.rng.randint(100, 2_000_000), "currency": currency,
                                                     "account": CURRENCIES[currency]})
                revenues.append((self.count, fields))
                yield self._add(E.REVENUE, fields)
            for index, revenue in revenues:
                yield self._add(E.SPLIT, E.split_fields(index, leaf_hash(index, revenue), revenue, self.policy, self.policy_sha256,
                                                        self._team(), self.rng.choice([None, *MEMBERS]), self.rng.random() < 0.7,
                                                        self.rng.choice([None, *MEMBERS])))
            while self.count < end:
                yield self._add(*self._movement())

    def _add(self, kind: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        E.apply(self.balances, {"type": kind, **fields})
        self.count += 1
        return kind, fields

    def _team(self) -> dict[str, int]:
        members = self.rng.sample(MEMBERS, self.rng.randint(1, len(MEMBERS)))
        cuts = sorted(self.rng.sample(range(1, 10_000), len(members) - 1))
        return {m: b - a for m, a, b in zip(members, [0, *cuts], [*cuts, 10_000], strict=False)}

    def _movement(self) -> tuple[str, dict[str, Any]]:
        n = self.count
        if n % ASSERT_EVERY == ASSERT_EVERY - 1:
            account, currency = self.rng.choice(sorted(self.balances))
            return E.ASSERT, E.with_postings(E.ASSERT, {"id": f"chk-{n}", "account": account, "currency": currency,
                                                        "amount": self.balances[account, currency]})
        owed = [(account, currency, -amount) for (account, currency), amount in sorted(self.balances.items())
                if account.startswith("member:") and amount < 0]
        account, currency, most = self.rng.choice(owed)
        amount = self.rng.randint(1, most // 3 + 1)
        fee = self.rng.randint(0, amount // 50)
        return E.PAYOUT, E.with_postings(E.PAYOUT, {
            "id": f"pay-{n}", "member": account.partition(":")[2], "amount": amount, "currency": currency,
            "account": CURRENCIES[currency], "method": self.rng.choice(E.PAYOUT_METHODS), "fee": fee,
            "arrived": {"amount": amount - fee, "currency": currency}, "rate": "1"})


# -- verify: verify_ledger against raw ed25519 -----------------------------------------------


def signed_batches(node: Node, count: int) -> list[list[bytes]]:
    """Return `count` entries signed by four authors with their next sequence numbers, in batches of BATCH.

    Submitted in order, a split's revenue is already in the log or earlier in the same commit.
    """
    view = node.view()
    pairs = {handle: node.identity(handle) for handle in AUTHORS}
    seqs = {handle: view.last_seq(handle) for handle in AUTHORS}
    books = Books(*records.policy_in_force(view))
    raws: list[bytes] = []
    for kind, fields in books.fields(count, lambda index, revenue: records.leaf_hash_hex(raws[index])):
        author = books.rng.choice(AUTHORS) if kind != E.PAYOUT else fields["member"]  # a payout is signed by the member paid
        seqs[author] += 1
        body = statements.make_body(kind, ORIGIN, author, seqs[author], fields, created=books.created())
        raws.append(statements.sign(body, [pairs[author]]))
    return [raws[start:start + BATCH] for start in range(0, len(raws), BATCH)]


def prepared_signatures(node: Node) -> list[tuple[nacl.signing.VerifyKey, bytes, bytes]]:
    """Return (key, PAE message, signature) of every entry in the log, with one VerifyKey per author."""
    view = node.view()
    keys = {handle: nacl.signing.VerifyKey(next(view.keys(handle)).public.raw) for handle in AUTHORS}
    prepared = []
    for _, body, raw in records.entry_bodies(view):
        sig = canonical.decode(raw)["sigs"][0]["sig"]
        prepared.append((keys[body["author"]], statements.pae(body["type"], canonical.encode(body)), unb64(sig, "signature")))
    return prepared


def bench_verify(count: int) -> None:
    """Time verify_ledger over `count` signed entries against raw pynacl; print both, the ratio and a profile."""
    print(f"-- verify: audit.verify_ledger vs raw pynacl VerifyKey.verify (one core), {count:,} signed entries, "
          f"best of {VERIFY_REPEATS} vs best of {VERIFY_REPEATS * RAW_REPEATS}, taking turns; {os.cpu_count()} cores --")
    with temporary_node("Bench Ledger", ORIGIN, MEMBERS) as node:
        began = time.perf_counter()
        batches = signed_batches(node, count)
        signed = time.perf_counter() - began
        began = time.perf_counter()
        for batch in batches[:-1]:
            node.submit(batch)
        submitted = time.perf_counter() - began
        accepted = count - len(batches[-1])
        print(f"log built: {count:,} entries signed in {signed:.1f} s; {len(batches) - 1} commits of node.submit took "
              f"{submitted:.1f} s ({rate(accepted, submitted):,.0f} entries/s accepted); the last commit is profiled")
        print_profile(f"node.submit of {len(batches[-1])} entries (one commit) onto {accepted:,}", node.submit, batches[-1])
        print()
        view = node.view()
        # The first run is profiled and checks the ledger is sound; the timed runs come after it.
        # Work done in worker processes, if verify_ledger starts any, shows as waiting on them.
        problems = print_profile(f"verify_ledger over {count:,} entries", audit.verify_ledger, view)
        if problems:
            raise SystemExit(f"the benchmark's ledger does not verify: {problems[:3]}")
        print()
        prepared = prepared_signatures(node)

        def raw_ed25519() -> None:
            for key, message, signature in prepared:
                key.verify(message, signature)

        # Taking turns, so a burst of load from other processes does not fall on one side only.
        ours_s, raw_s = [], []
        for _ in range(VERIFY_REPEATS):
            ours_s.append(best_time(lambda: audit.verify_ledger(view), 1))
            raw_s.append(best_time(raw_ed25519, RAW_REPEATS))
        ours, raw = rate(count, min(ours_s)), rate(count, min(raw_s))
        rows = [("audit.verify_ledger (the whole audit)", ours, 1e6 / ours, ours / raw),
                ("raw pynacl VerifyKey.verify", raw, 1e6 / raw, 1.0)]
        print(table(["what", "entries/s", "us each", "vs raw"], rows))
        verdict = "meets" if ours / raw >= VERIFY_GOAL else "misses"
        print(f"verify_ledger/raw ratio: {ours / raw:.2f} ({verdict} the goal of {VERIFY_GOAL}); "
              f"at this rate 100k entries take {100_000 / ours:.1f} s (reference K2: about 10-15 s)")


# -- append: CompactRange and tiles against raw sha256 -----------------------------------------------


def append_log(entries: Sequence[bytes], batch: int) -> tuple[dict[str, bytes], merkle.CompactRange]:
    """Append entries as the log does, batch by batch: leaf hashes, tiles (reading partial ones back), compact range."""
    files: dict[str, bytes] = {}
    compact = merkle.CompactRange()
    for start in range(0, len(entries), batch):
        leaves = [merkle.leaf_hash(entry) for entry in entries[start:start + batch]]
        files.update(tiles.tile_updates(compact.size, leaves, files.__getitem__))
        for leaf in leaves:
            compact = compact.append(leaf)
    return files, compact


def raw_leaf_hashes(entries: Sequence[bytes]) -> list[bytes]:
    """Hash every entry as an RFC 6962 leaf with bare hashlib."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + entry).digest() for entry in entries]


def raw_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Hash a tree level by level with bare hashlib, an odd last node moving up as it is (the hashing floor)."""
    sha256 = hashlib.sha256
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = paired + level[-1:] if len(level) % 2 else paired
    return level[0]


def bench_append() -> None:
    """Time appending entries to the Merkle log (no signatures, no git) against raw leaf hashing."""
    count = APPEND_ENTRIES
    print(f"-- append: CompactRange.append + tiles.tile_updates vs raw hashlib, {count:,} entries of {ENTRY_SIZE} bytes, "
          f"best of {APPEND_REPEATS} --")
    rng = random.Random(11)
    block = rng.randbytes(ENTRY_SIZE)
    entries = [i.to_bytes(8, "big") + block[8:] for i in range(count)]
    files, compact = append_log(entries, BATCH)
    if compact.root() != raw_root(raw_leaf_hashes(entries)):
        raise SystemExit("the appended log's root differs from the raw tree's root")
    batched = best_time(lambda: append_log(entries, BATCH), APPEND_REPEATS)
    whole = best_time(lambda: append_log(entries, count), APPEND_REPEATS)
    raw = best_time(lambda: raw_leaf_hashes(entries), APPEND_REPEATS)
    floor = best_time(lambda: raw_root(raw_leaf_hashes(entries)), APPEND_REPEATS)
    rows = [
        (f"log append, batches of {BATCH} (as node.submit)", rate(count, batched), batched, rate(count, batched) / rate(count, raw)),
        (f"log append, one batch of {count:,}", rate(count, whole), whole, rate(count, whole) / rate(count, raw)),
        ("raw hashlib: leaf hashes only (baseline)", rate(count, raw), raw, 1.0),
        ("raw hashlib: every leaf and node hash of the tree", rate(count, floor), floor, rate(count, floor) / rate(count, raw)),
    ]
    print(table(["what", "entries/s", "seconds", "vs raw leaf hashing"], rows))
    print(f"append/raw ratio: {rate(count, batched) / rate(count, raw):.2f} in batches of {BATCH}; "
          f"{count:,} entries in {batched:.2f} s (reference K1: under 5 s); {len(files):,} tile files written")
    print()
    print_profile(f"appending {count:,} entries in batches of {BATCH}", append_log, entries, BATCH)


# -- proofs: inclusion and consistency from tiles at growing sizes -----------------------------------


class CountingTiles:
    """Tiles in a dict, counting tile reads and the node hashes readers fold inside tiles."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files
        self.reads = 0
        self.folded = 0

    def read(self, path: str) -> bytes:
        """Return a tile's bytes and count the read."""
        self.reads += 1
        return self.files[path]

    def get_hash(self, size: int) -> merkle.GetHash:
        """Return the get_hash of a fresh TileHashReader (nothing cached), as log.inclusion makes one per proof."""
        return tiles.TileHashReader(size, self.read).get_hash

    def counting_get_hash(self, size: int) -> merkle.GetHash:
        """Return a fresh get_hash that also counts the node hashes folded to answer each call.

        Tiles keep every eighth level of the tree, so a node h = level % 8 levels
        above its tile's hashes is folded from 2**h of them: 2**h - 1 hashes.
        """
        get_hash = self.get_hash(size)

        def counted(level: int, index: int) -> merkle.Hash:
            self.folded += (1 << level % tiles.TILE_HEIGHT) - 1
            return get_hash(level, index)

        return counted


def no_tiles(path: str) -> bytes:
    """Refuse a read: building tiles from size 0 reads none."""
    raise RuntimeError(f"building from size 0 should read no tile, asked for {path}")


def time_proofs(size: int, rng: random.Random) -> dict[str, Any]:
    """Build the tiles of a random tree of `size` leaves; time random proofs of both kinds and count their reads and hashing."""
    leaves = [bytes(chunk) for chunk in _chunks(rng.randbytes(32 * size), 32)]
    began = time.perf_counter()
    tree = CountingTiles(tiles.tile_updates(0, leaves, no_tiles))
    result: dict[str, Any] = {"build_s": time.perf_counter() - began, "tiles": len(tree.files)}
    root = merkle.CompactRange.from_tree(size, tree.get_hash(size)).root()
    if root != raw_root(leaves):
        raise SystemExit(f"the tiles of size {size} do not hash to the tree's root")
    kinds: dict[str, tuple[list[int], Callable[[int, merkle.GetHash], list[bytes]]]] = {
        "inclusion": ([rng.randrange(size) for _ in range(PROOFS)], lambda i, get: merkle.inclusion_proof(i, size, get)),
        "consistency": ([rng.randrange(1, size) for _ in range(PROOFS)], lambda old, get: merkle.consistency_proof(old, size, get)),
    }
    for kind, (arguments, make) in kinds.items():
        began = time.perf_counter()
        proofs = [make(argument, tree.get_hash(size)) for argument in arguments]
        seconds = time.perf_counter() - began
        tree.reads = tree.folded = 0
        for argument in arguments:  # counted apart, so the counting does not weigh on the time
            make(argument, tree.counting_get_hash(size))
        result[kind] = {"ms": 1000 * seconds / PROOFS, "reads": tree.reads / PROOFS, "folded": tree.folded / PROOFS,
                        "length": sum(len(p) for p in proofs) / PROOFS}
        if kind == "inclusion":
            good = all(merkle.verify_inclusion(i, size, leaves[i], p, root) for i, p in zip(arguments, proofs, strict=False))
        else:
            good = all(merkle.verify_consistency(old, size, merkle.CompactRange.from_tree(old, tree.get_hash(size)).root(), root, p)
                       for old, p in zip(arguments, proofs, strict=False))
        if not good:
            raise SystemExit(f"a {kind} proof at size {size} does not verify")
    return result


def _chunks(data: bytes, size: int) -> Iterator[memoryview]:
    view = memoryview(data)
    return (view[i:i + size] for i in range(0, len(data), size))


def bench_proofs() -> None:
    """Time proofs from tiles at each size and show their growth against log2 of the size."""
    print(f"-- proofs: merkle.inclusion_proof / consistency_proof via tiles.TileHashReader, tiles in memory, "
          f"{PROOFS:,} random proofs per size and kind, a fresh reader per proof --")
    rng = random.Random(5)
    results = {size: time_proofs(size, rng) for size in PROOF_SIZES}
    rows = [(size, kind, results[size]["tiles"], results[size]["build_s"], r["ms"], r["reads"], r["folded"], r["length"])
            for kind in ("inclusion", "consistency") for size in PROOF_SIZES for r in [results[size][kind]]]
    print(table(["leaves", "proof", "tile files", "build s", "ms per proof", "tile reads", "hashes folded", "proof hashes"], rows))
    print()
    print("growth from one size to the next (logarithmic: the ratio of log2 sizes; linear would be 10.00):")
    growth = []
    for kind in ("inclusion", "consistency"):
        for small, large in zip(PROOF_SIZES, PROOF_SIZES[1:], strict=False):
            a, b = results[small][kind], results[large][kind]
            growth.append((kind, f"{small:,} -> {large:,}", math.log2(large) / math.log2(small), b["ms"] / a["ms"],
                           b["reads"] / a["reads"], b["folded"] / a["folded"]))
    print(table(["proof", "sizes", "log2 ratio", "time", "tile reads", "hashes folded"], growth))
    largest = results[PROOF_SIZES[-1]]
    print(f"at {PROOF_SIZES[-1]:,} leaves: inclusion {largest['inclusion']['ms']:.2f} ms, consistency "
          f"{largest['consistency']['ms']:.2f} ms per proof (reference K3: O(log n) tile reads, under 50 ms each); "
          f"time follows the hashes folded inside tiles (at most 255 per tile level), not the tile reads")


# -- balances: entries.apply against hledger ------------------------------------------------


def generated_bodies(count: int) -> list[dict[str, Any]]:
    """Return `count` entry bodies in log order, unsigned, as a node would store them."""
    record = {"treasury_bp": 1000, "referral_bp": 500, "referral_months": 12, "liaison_bp": 500, "funds": {"learners": 300}}
    books = Books(SplitPolicy.from_dict(record), records.policy_sha256(record), seed=13)
    bodies: list[dict[str, Any]] = []
    for kind, fields in books.fields(count, lambda index, revenue: merkle.leaf_hash(canonical.encode(revenue)).hex()):
        author = books.rng.choice(AUTHORS) if kind != E.PAYOUT else fields["member"]  # a payout is signed by the member paid
        bodies.append(statements.make_body(kind, ORIGIN, author, len(bodies) + 1, fields, created=books.created()))
    return bodies


def our_balances(bodies: Sequence[Mapping[str, Any]]) -> E.Balances:
    """Apply every body to fresh balances, as the node does after parsing an entry."""
    totals: E.Balances = {}
    for body in bodies:
        E.apply(totals, body)
    return totals


def hledger_seconds(journal: Path) -> float:
    """Return the wall time of one `hledger -f FILE balance`."""
    began = time.perf_counter()
    subprocess.run(["hledger", "-f", str(journal), "balance"], capture_output=True, check=True)
    return time.perf_counter() - began


def hledger_agrees(journal: Path, ours: E.Balances) -> bool:
    """Tell whether hledger's balances (one CSV row per account and commodity) equal ours, zero balances left out."""
    done = subprocess.run(["hledger", "-f", str(journal), "balance", "--flat", "--no-total", "--layout=bare", "-O", "csv"],
                          capture_output=True, text=True, check=True)
    theirs = {(account, commodity): Decimal(amount) for account, commodity, amount in list(csv.reader(io.StringIO(done.stdout)))[1:]}
    expected = {(export.hledger_account(account), currency): Decimal(to_decimal(amount, currency))
                for (account, currency), amount in ours.items() if amount}
    return {key: amount for key, amount in theirs.items() if amount} == expected


def bench_balances() -> None:
    """Time our balances of generated books against hledger's on our export of the same books."""
    count = BALANCE_ENTRIES
    print(f"-- balances: entries.apply vs `hledger -f FILE balance` on export.to_hledger of the same {count:,} entries --")
    if shutil.which("hledger") is None:
        print("skipped: hledger is not installed (apt-get install hledger)")
        return
    bodies = generated_bodies(count)
    encoded = [canonical.encode(body) for body in bodies]
    began = time.perf_counter()
    journal_text = export.to_hledger(enumerate(bodies))
    exported = time.perf_counter() - began
    ours = rate(count, best_time(lambda: our_balances(bodies), 3))
    parsed = rate(count, best_time(lambda: our_balances([canonical.decode(raw) for raw in encoded]), 1))
    with tempfile.TemporaryDirectory(prefix="coop-bench-", dir=WORKDIR) as tmp:
        journal = Path(tmp) / "books.journal"
        journal.write_text(journal_text)
        empty = Path(tmp) / "empty.journal"
        empty.write_text("")
        startup = min(hledger_seconds(empty) for _ in range(3))
        theirs_s = hledger_seconds(journal)
        agree = hledger_agrees(journal, our_balances(bodies))
    theirs = rate(count, theirs_s)
    rows = [
        ("entries.apply over parsed bodies", ours, count / ours, ours / theirs),
        ("canonical.decode (strict) + entries.apply from JSON", parsed, count / parsed, parsed / theirs),
        ("hledger balance (read journal + report)", theirs, theirs_s, 1.0),
        ("  hledger start-up on an empty journal", "", startup, ""),
        ("  export.to_hledger (making the journal)", rate(count, exported), exported, ""),
    ]
    print(table(["what", "entries/s", "seconds", "vs hledger"], rows))
    print(f"ours/hledger ratio: {ours / theirs:.1f} over parsed bodies, {parsed / theirs:.1f} from JSON bytes; "
          f"journal {len(journal_text) / 1e6:.1f} MB; balances agree with hledger's: {agree}")


def main(entries: int = SIGNED_ENTRIES) -> None:
    """Run the four ledger benchmarks and print their tables."""
    print("== ledger: verification, append, proofs and balances against their raw baselines ==")
    began = time.perf_counter()
    bench_verify(entries)
    print()
    bench_append()
    print()
    bench_proofs()
    print()
    bench_balances()
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=SIGNED_ENTRIES, help="signed entries in the log to verify")
    main(parser.parse_args(sys.argv[1:]).entries)
