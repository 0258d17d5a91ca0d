"""Replication: `coop.replication.sync` of 10,000 new statements against git fetch and raw pynacl.

Node A (founder alice and 19 members) opens 500 proposals; node B is cloned
from A's repository with `coop.replication.clone`, as `coop clone` does. Then
A takes 10,000 votes, every member on every proposal, signed with `node.sign`
and accepted by `node.submit` in commits of BATCH. B then syncs from the path
of A's repository, as `coop sync PATH` does without offering: `sync` fetches
A's branch, replays every new commit (commit signature, each statement's
signature, sequence and rules, the resulting tree) and runs the areas' checks
before moving B's branch.

The baseline does the two things replication cannot do without, in the same
run: a plain `git fetch` of the same branch into a bare repository that holds
the same starting commits, and bare pynacl `VerifyKey.verify` of the same
10,000 signatures over their DSSE PAE messages, prepared beforehand. Each
side gets fresh repositories, made before the votes were written, for each of
ROUNDS rounds taken in turns; the best round counts. `coop.replication.fetch`
(the fetch inside sync) and `statements.verify` are timed on their own to show
which part of sync costs what, and one more sync runs under cProfile.

    python -m bench replicate, or python -m bench.replicate --count 20000
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import nacl.signing

from api import wiring
from api.wiring import open_node
from bench import best_time, rate, table
from bench.node import FOUNDER, temporary_node
from bench.profile import print_profile
from bench.verify import signed_messages, verify_raw
from coop import replication, statements
from coop.area_contract import Registry
from coop.node import REPO_DIR, Node
from coop.statements import KeyRecord
from governance import proposals as P
from ledger import log
from ledger.fork import check_fork

NAME = "Bench Co-op"
ORIGIN = "coop.example/bench"
VOTERS = (FOUNDER, *(f"voter-{i:02d}" for i in range(1, 20)))
STATEMENTS = 10_000
BATCH = 100
ROUNDS = 2
VERIFY_REPEATS = 3
TEXT = "# A proposal\n\nWe should do it: the benchmark says so.\n"
BRANCH_REFSPEC = "+refs/heads/main:refs/heads/main"
Result = TypeVar("Result")


# -- node A, and the repositories that start where it stood before the votes -----------------


def proposal_id(number: int) -> str:
    """Return the id of the benchmark's proposal number `number`."""
    return f"p-{number:04d}"


def submit_in_batches(node: Node, raws: Sequence[bytes]) -> None:
    """Submit statements through node.submit, BATCH to a commit."""
    for start in range(0, len(raws), BATCH):
        node.submit(raws[start:start + BATCH])


def open_proposals(node: Node, count: int) -> None:
    """Open `count` proposals by the founder, every voter eligible."""
    view = node.view()
    seq = view.last_seq(FOUNDER)
    raws = []
    for number in range(count):
        fields = P.proposal_fields(proposal_id(number), f"Proposal {number}", TEXT, "majority", {"kind": "general"}, view, 86_400)
        raws.append(node.sign(P.PROPOSAL_TYPE, fields, FOUNDER, view=view, seq=seq + number + 1))
    submit_in_batches(node, raws)


def signed_votes(node: Node, count: int) -> list[bytes]:
    """Return `count` votes, every voter on each proposal in turn, each signed with its author's next number."""
    view = node.view()
    seqs = {voter: view.last_seq(voter) for voter in VOTERS}
    raws = []
    for number in range(count):
        voter = VOTERS[number % len(VOTERS)]
        seqs[voter] += 1
        fields = P.vote_fields(view, proposal_id(number // len(VOTERS)), "yes")
        raws.append(node.sign(P.VOTE_TYPE, fields, voter, view=view, seq=seqs[voter]))
    return raws


def raw_git(repository: Path, *args: str) -> str:
    """Run plain git on a bare repository, away from the user's and the system's configuration; return its output."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repository), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", "--git-dir", str(repository), *args], env=env, check=True, capture_output=True, text=True).stdout


def raw_fetch(repository: Path, source: str) -> None:
    """Fetch the source's main branch into the repository's main branch: the bare git work of a sync."""
    raw_git(repository, "fetch", "--no-tags", source, BRANCH_REFSPEC)


def bare_copy(path: Path, source: str) -> Path:
    """Make a bare repository holding the source's commits so far, with plain git."""
    subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(path)], check=True, capture_output=True)
    raw_fetch(path, source)
    return path


def head(repository: Path) -> str:
    """Return the commit the repository's main branch points at."""
    return raw_git(repository, "rev-parse", "refs/heads/main").strip()


# -- the timed runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Copies:
    """Repositories that hold A's commits from before the votes: one set per round, used once."""

    replica: Path  # a node made by coop.replication.clone, to sync
    raw: Path  # a bare repository, for plain git fetch
    fetched: Path  # a bare repository, for coop.replication.fetch alone


def make_copies(workdir: Path, source: str, number: int, registry: Registry) -> Copies:
    """Clone a replica node and make two bare copies of the source as it stands."""
    replica = workdir / f"replica-{number}"
    replication.clone(source, replica, registry)
    return Copies(replica, bare_copy(workdir / f"raw-{number}.git", source), bare_copy(workdir / f"fetched-{number}.git", source))


def sync(replica: Node, source: str) -> replication.SyncResult:
    """Sync the replica from the source as `coop sync --no-offer SOURCE` does."""
    return replication.sync(replica.store, replica.registry, replica.home, source, check_fork, keep=[log.CHECKPOINT])


def timed(run: Callable[[], Result]) -> tuple[float, Result]:
    """Return the wall time of one run and its result."""
    began = time.perf_counter()
    result = run()
    return time.perf_counter() - began, result


class Runs:
    """The timed runs over the same statements; each round runs them all once, on fresh copies."""

    def __init__(self, source: str, final: str, votes: Sequence[bytes], keys: Mapping[str, KeyRecord]) -> None:
        self.source, self.final, self.votes = source, final, votes
        self.lookup = {author: [key] for author, key in keys.items()}.__getitem__
        self.prepared = signed_messages(votes, {author: nacl.signing.VerifyKey(key.public.raw) for author, key in keys.items()})

    def verify_statements(self) -> None:
        """Check every statement with coop.statements.verify."""
        for raw in self.votes:
            statements.verify(raw, origin=ORIGIN, keys=self.lookup)

    def round(self, copies: Copies) -> tuple[dict[str, float], int]:
        """Time each run once (the in-memory verifications best of VERIFY_REPEATS); return the times and the commits B took."""
        times = {"raw fetch": timed(lambda: raw_fetch(copies.raw, self.source))[0],
                 "raw verify": best_time(lambda: verify_raw(self.prepared), VERIFY_REPEATS),
                 "coop fetch": timed(lambda: replication.fetch(copies.fetched, self.source,
                                                               replication.INCOMING + replication.peer_id(self.source)))[0],
                 "verify": best_time(self.verify_statements, VERIFY_REPEATS)}
        replica = open_node({"home": str(copies.replica)})
        try:
            times["sync"], result = timed(lambda: sync(replica, self.source))
            times["refresh"] = timed(replica.refresh)[0]
            ends = head(copies.replica / REPO_DIR)
        finally:
            replica.index.db.close()
        if not result or ends != self.final or head(copies.raw) != self.final:
            raise SystemExit(f"replication went wrong: {result}; A is at {self.final}, B at {ends}, "
                             f"the git fetch copy at {head(copies.raw)}")
        return times, result.taken


def print_results(count: int, best: Mapping[str, float]) -> None:
    """Print the times, rates and ratios against the baseline."""
    baseline = best["raw fetch"] + best["raw verify"]
    replay = best["sync"] - best["coop fetch"]
    rows = [
        ("coop.replication.sync (fetch, replay, checks, branch)", best["sync"], rate(count, best["sync"]), baseline / best["sync"]),
        ("baseline: git fetch + raw pynacl verify", baseline, rate(count, baseline), 1.0),
        ("  git fetch into a bare copy", best["raw fetch"], rate(count, best["raw fetch"]), ""),
        ("  raw pynacl VerifyKey.verify", best["raw verify"], rate(count, best["raw verify"]), ""),
        ("part: coop.replication.fetch, as sync calls it", best["coop fetch"], rate(count, best["coop fetch"]),
         best["raw fetch"] / best["coop fetch"]),
        ("part: the rest of sync (replay and checks)", replay, rate(count, replay), best["raw verify"] / replay),
        ("  inside it: coop.statements.verify alone, keys in a dict", best["verify"], rate(count, best["verify"]),
         best["raw verify"] / best["verify"]),
        ("after: node.refresh of B's index, as `coop sync` does", best["refresh"], rate(count, best["refresh"]), ""),
    ]
    print(table(["what", "seconds", "statements/s", "baseline/this"], rows))
    print(f"sync ratio (baseline time / sync time): {baseline / best['sync']:.3f} (1.00 = as fast as git fetch plus ed25519); "
          f"fetch ratio (git fetch / coop.replication.fetch): {best['raw fetch'] / best['coop fetch']:.2f}")


def main(count: int = STATEMENTS) -> None:
    """Write `count` votes on A after cloning B, then time B's sync against git fetch plus raw ed25519."""
    proposals = -(-count // len(VOTERS))
    print(f"== replicate: coop.replication.sync of {count:,} statements vs git fetch + raw pynacl, best of {ROUNDS} rounds; "
          f"{os.cpu_count()} cores ==")
    began = time.perf_counter()
    with temporary_node(NAME, ORIGIN, VOTERS[1:]) as node:
        source = str(node.home / REPO_DIR)
        open_proposals(node, proposals)
        start = head(Path(source))
        registry = Registry(wiring.areas())
        copies = [make_copies(node.home.parent, source, number, registry) for number in range(ROUNDS + 1)]
        print(f"A: {len(VOTERS)} members and {proposals:,} open proposals; {ROUNDS + 1} replicas cloned from it and "
              f"{2 * (ROUNDS + 1)} bare copies made ({time.perf_counter() - began:.1f} s)")

        signed, votes = timed(lambda: signed_votes(node, count))
        submitted = timed(lambda: submit_in_batches(node, votes))[0]
        final = head(Path(source))
        print(f"A: {count:,} votes signed in {signed:.1f} s and accepted by node.submit in {submitted:.1f} s "
              f"({rate(count, submitted):,.0f} statements/s, {-(-count // BATCH):,} commits of up to {BATCH})")

        view = node.view()
        runs = Runs(source, final, votes, {voter: next(view.keys(voter)) for voter in VOTERS})
        rounds = [runs.round(copy) for copy in copies[:ROUNDS]]
        print_results(count, {what: min(times[what] for times, _ in rounds) for what in rounds[0][0]})
        print(f"B took {rounds[0][1]:,} commits and moved from {start[:12]} to A's head {final[:12]}, as did the git fetch copy")
        print()
        replica = open_node({"home": str(copies[ROUNDS].replica)})
        try:
            print_profile(f"one sync of {count:,} statements", sync, replica, source)
        finally:
            replica.index.db.close()
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.replicate", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=STATEMENTS, help="statements written on A and replicated to B")
    main(parser.parse_args(sys.argv[1:]).count)
