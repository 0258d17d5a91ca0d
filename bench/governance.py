"""Governance at scale: casting a vote, closing a proposal, listing proposals.

- vote: `node.write` of a vote (sign, verify, check, one signed commit, index
  update) on a node whose repository holds 10 proposals and on one that holds
  10,000. The two nodes take turns in rounds and each rate comes from the
  median round, so load from other processes hits both alike; a vote should
  cost the same at both sizes (only the trees along its path are rewritten).
- close: a proposal with 1,000 voters who all voted. The tally
  (`Governance.outcome_fields`) is timed on its own, against raw pygit2 and json
  reading and counting the same vote files, and then the `node.write` of the
  outcome, which tallies again inside its commit.
- list: the open proposals from the index with 10,000 in it, the query `coop
  proposals` makes (peewee, ProposalRow), against the same SQL through sqlite3.

The proposals, members and the closing votes are written straight through
`node.store.commit` in a few large commits: valid signed statements, the
eligible voters fixed in each proposal, but not accepted one by one.
"""
from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

from bench import best_time, rate, table
from bench.node import FOUNDER, temporary_node
from bench.profile import print_profile
from coop import statements
from coop.authors import member_path
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord, Statement
from coop.store import BRANCH, blob_at, commit_at, tree_at
from coop.view import View
from governance import proposals as P
from governance.index import ProposalRow, VoteRow

ORIGIN = "bench.example/governance"
TEXT = "# A proposal\n\nWe should do it: the benchmark says so.\n"
SIZES = (10, 10_000)
VOTERS = tuple(f"voter-{i}" for i in range(1, 10))
VOTES = 100
ROUND = 10
PROFILED = 20
BULK = 2_500
CLOSE_VOTERS = 1_000
CLOSINGS = 3
SMALL_TALLY = "close-tenth"
TALLY_REPEATS = 3
LISTINGS = 20
CHOICES = ("yes", "no", "abstain")
RAW_LISTING = "raw sqlite3: the same SELECT of open rows (baseline)"


# -- writing many statements at once ------------------------------------------------------


class Author:
    """Sign statements for one author with consecutive sequence numbers, outside node.submit."""

    def __init__(self, pair: KeyPair, view: View) -> None:
        self.pair = pair
        self.seq = view.last_seq(pair.handle)
        self.last: tuple[Statement, str] | None = None

    def sign(self, kind: str, fields: Mapping[str, Any], path: str, created: str) -> bytes:
        """Sign the author's next statement, to be stored at path."""
        self.seq += 1
        body = statements.make_body(kind, ORIGIN, self.pair.handle, self.seq, fields, created)
        raw = statements.sign(body, [self.pair])
        self.last = (Statement(raw, body, (self.pair.kid,)), path)
        return raw

    def seq_change(self, view: View) -> dict[str, bytes]:
        """Return the file that records the author's last statement, as node.submit writes it."""
        if self.last is None:
            return {}
        return view.seq_change(*self.last)


def commit_in_bulk(node: Node, files: Mapping[str, bytes], message: str) -> None:
    """Commit many files at once through the store, skipping the per-statement checks of node.submit."""
    node.store.commit(lambda snapshot: files, message, node.commit_signer())


def write_proposals(node: Node, ids: Sequence[str], opens: datetime | None = None, closes_in: int = 30 * 86_400) -> None:
    """Write open majority proposals by the founder in commits of BULK, then bring the index up to date.

    Each opens at `opens` (default now) with the voters and rules of that moment fixed in it.
    """
    view = node.view()
    template = P.proposal_fields("template", "A proposal", TEXT, "majority", {"kind": "general"}, view, closes_in)
    if opens is not None:
        template.update(opens=statements.format_time(opens), closes=statements.format_time(opens + timedelta(seconds=closes_in)))
    founder = Author(node.identity(FOUNDER), view)
    for start in range(0, len(ids), BULK):
        files: dict[str, bytes] = {}
        for proposal_id in ids[start:start + BULK]:
            path = P.proposal_path(proposal_id)
            fields = {**template, "id": proposal_id, "title": f"Proposal {proposal_id}"}
            files[path] = founder.sign(P.PROPOSAL_TYPE, fields, path, template["opens"])
            files[f"{P.proposal_dir(proposal_id)}/proposal.md"] = TEXT.encode()
        files.update(founder.seq_change(view))
        commit_in_bulk(node, files, f"{len(ids[start:start + BULK])} proposals written in bulk by the benchmark")
    node.refresh()


# -- vote: node.write at 10 and 10,000 proposals ---------------------------------------------


def vote_nodes(stack: ExitStack) -> dict[int, Node]:
    """Return a node per size, each with the founder and nine voters, and that many proposals."""
    nodes = {}
    for size in SIZES:
        node = stack.enter_context(temporary_node(f"Bench Governance {size}", ORIGIN, VOTERS))
        began = time.perf_counter()
        write_proposals(node, [f"p-{i:05d}" for i in range(size)])
        print(f"{size:,} proposals written and indexed in {time.perf_counter() - began:.1f} s")
        nodes[size] = node
    return nodes


def bench_votes(nodes: Mapping[int, Node]) -> None:
    """Cast votes on both nodes in alternating rounds; print votes/s at each size and the ratio."""
    print(f"-- vote: node.write of a vote with {SIZES[0]:,} and {SIZES[-1]:,} proposals in the repository, "
          f"{VOTES} votes each, in alternating rounds of {ROUND} (the first round warms up) --")
    rng = random.Random(3)
    voters = (FOUNDER, *VOTERS)
    ballots = {}
    for size in SIZES:
        # Distinct (proposal, voter) pairs, so every vote adds a file rather than replacing one.
        picked = rng.sample(range(size * len(voters)), min(VOTES + PROFILED, size * len(voters)))
        ballots[size] = [(f"p-{i // len(voters):05d}", voters[i % len(voters)]) for i in picked]

    def cast(node: Node, batch: Sequence[tuple[str, str]]) -> None:
        for proposal_id, voter in batch:
            node.write(P.VOTE_TYPE, P.vote_fields(node.view(), proposal_id, rng.choice(CHOICES)), voter)

    rounds: dict[int, list[float]] = {size: [] for size in SIZES}
    for start in range(0, VOTES, ROUND):
        for size, node in nodes.items():
            batch = ballots[size][start:start + ROUND]
            began = time.perf_counter()
            cast(node, batch)
            rounds[size].append((time.perf_counter() - began) / len(batch))
    rates = {size: 1 / statistics.median(times[1:]) for size, times in rounds.items()}
    small, large = SIZES[0], SIZES[-1]
    print(table(["proposals", "votes/s", "ms per vote", f"vs {small:,} proposals"],
                [(size, rates[size], 1000 / rates[size], rates[size] / rates[small]) for size in SIZES]))
    print(f"vote rate at {large:,} proposals / at {small:,}: {rates[large] / rates[small]:.2f} "
          f"(1.00 = a vote costs the same; the proposals tree is sharded, so only its depth should count)")
    print()
    large_node = nodes[large]
    print_profile(f"{PROFILED} votes at {large:,} proposals", cast, large_node, ballots[large][VOTES:VOTES + PROFILED])


# -- list: open proposals from the index -----------------------------------------------------


def open_proposals() -> list[ProposalRow]:
    """Return the open proposals, newest closing first: the query `coop proposal list` makes."""
    query = ProposalRow.select().where(ProposalRow.state == "open")
    return list(query.order_by(ProposalRow.closes.desc(nulls="LAST"), ProposalRow.proposal_id))


def open_not_voted(voter: str) -> Callable[[], list[ProposalRow]]:
    """Return the query of `coop proposal list --not-voted`: open proposals the voter has not voted on."""
    def rows() -> list[ProposalRow]:
        voted = VoteRow.select(VoteRow.proposal_id).where(VoteRow.voter == voter)
        query = ProposalRow.select().where(ProposalRow.state == "open", ProposalRow.proposal_id.not_in(voted))
        return list(query.order_by(ProposalRow.closes.desc(nulls="LAST"), ProposalRow.proposal_id))
    return rows


def bench_listing(node: Node) -> None:
    """Time listing the open proposals through the index against the same SQL through sqlite3."""
    count = node.index.query(lambda: ProposalRow.select().where(ProposalRow.state == "open").count())
    print(f"-- list: open proposals from the index ({count:,} open), as `coop proposal list` queries them, median of {LISTINGS} --")
    table_name = ProposalRow._meta.table_name
    raw_db = sqlite3.connect(str(node.home / "index.sqlite"))
    sql = f'SELECT * FROM "{table_name}" WHERE state = ? ORDER BY closes DESC NULLS LAST, proposal_id'

    def raw() -> list[tuple[Any, ...]]:
        return raw_db.execute(sql, ("open",)).fetchall()

    runs: dict[str, Callable[[], list[Any]]] = {
        "index.query: open proposals (`coop proposal list`)": lambda: node.index.query(open_proposals),
        "index.query: open, not voted by alice (`--not-voted`)": lambda: node.index.query(open_not_voted(FOUNDER)),
        RAW_LISTING: raw,
    }
    rows = {what: len(run()) for what, run in runs.items()}
    times: dict[str, list[float]] = {what: [] for what in runs}
    for _ in range(LISTINGS):
        for what, run in runs.items():  # taking turns, so load from other processes hits all alike
            began = time.perf_counter()
            run()
            times[what].append(time.perf_counter() - began)
    raw_db.close()
    medians = {what: statistics.median(seconds) for what, seconds in times.items()}
    print(table(["what", "rows", "ms per listing", "rows/s", "vs raw"],
                [(what, rows[what], 1000 * medians[what], rate(rows[what], medians[what]), medians[RAW_LISTING] / medians[what])
                 for what in runs]))


# -- close: tally and outcome with 1,000 voters -----------------------------------------------


def member_pair(handle: str) -> KeyPair:
    """Return a member's key, derived from the handle so no key store is needed."""
    return KeyPair(handle, sha256(handle.encode()).digest())


def write_members(node: Node, handles: Sequence[str]) -> dict[str, KeyPair]:
    """Write member records signed by the founder in one commit; return the members' keys."""
    view = node.view()
    founder = Author(node.identity(FOUNDER), view)
    pairs = {handle: member_pair(handle) for handle in handles}
    files = {member_path(handle): founder.sign(MEMBER_TYPE, member_fields(handle, ["member"], [], [KeyRecord(pair.public)]),
                                               member_path(handle), statements.now())
             for handle, pair in pairs.items()}
    files.update(founder.seq_change(view))
    commit_in_bulk(node, files, f"{len(handles)} members written in bulk by the benchmark")
    return pairs


def write_votes(node: Node, ids: Sequence[str], pairs: Mapping[str, KeyPair], created: str, rng: random.Random) -> None:
    """Write every member's vote on every proposal in one commit."""
    view = node.view()
    files: dict[str, bytes] = {}
    for handle, pair in pairs.items():
        voter = Author(pair, view)
        for proposal_id in ids:
            path = P.vote_path(proposal_id, handle)
            files[path] = voter.sign(P.VOTE_TYPE, P.vote_fields(view, proposal_id, rng.choice(CHOICES)), path, created)
        files.update(voter.seq_change(view))
    commit_in_bulk(node, files, f"{len(files)} votes written in bulk by the benchmark")


def raw_count(node: Node, proposal_id: str) -> Counter[str]:
    """Count the choices in a proposal's vote files with bare pygit2 and json: the floor of a tally."""
    repo = node.store.repo
    votes = tree_at(repo, commit_at(repo, repo.references[BRANCH].target).tree[f"{P.proposal_dir(proposal_id)}/votes"].id)
    return Counter(json.loads(blob_at(repo, entry.id))["body"]["choice"] for entry in votes)


def bench_close() -> None:
    """Close proposals that 1,000 members voted on: time the tally alone and the outcome's node.write."""
    print(f"-- close: a proposal with {CLOSE_VOTERS:,} voters who all voted; tally best of {TALLY_REPEATS}, "
          f"outcome node.write median of {CLOSINGS} proposals --")
    rng = random.Random(9)
    with temporary_node("Bench Closing", ORIGIN) as node:
        began = time.perf_counter()
        pairs = write_members(node, [f"member-{i:04d}" for i in range(CLOSE_VOTERS)])
        ids = [f"close-{i}" for i in range(CLOSINGS)]
        opened = datetime.now().astimezone() - timedelta(hours=2)
        write_proposals(node, [*ids, SMALL_TALLY], opens=opened, closes_in=3600)
        voted = statements.format_time(opened + timedelta(minutes=10))
        write_votes(node, ids, pairs, voted, rng)
        write_votes(node, [SMALL_TALLY], dict(list(pairs.items())[:CLOSE_VOTERS // 10]), voted, rng)
        node.refresh()
        print(f"{CLOSE_VOTERS:,} members, {CLOSINGS} proposals and {CLOSE_VOTERS * CLOSINGS:,} votes written and indexed "
              f"in {time.perf_counter() - began:.1f} s")
        governance = node.registry.area("governance").service
        first = ids[0]
        fields = governance.outcome_fields(node.view(), first)
        expected = raw_count(node, first)
        if any(fields["tally"]["counts"][choice] != expected[choice] for choice in CHOICES):
            raise SystemExit(f"the tally {fields['tally']['counts']} differs from the raw count {dict(expected)}")
        tally_s = best_time(lambda: governance.outcome_fields(node.view(), first), TALLY_REPEATS)
        small_s = best_time(lambda: governance.outcome_fields(node.view(), SMALL_TALLY), TALLY_REPEATS)
        raw_s = best_time(lambda: raw_count(node, first), TALLY_REPEATS)
        writes, beside = [], []
        for proposal_id in ids:
            began = time.perf_counter()
            fields = governance.outcome_fields(node.view(), proposal_id)
            tallied = time.perf_counter()
            node.write(P.OUTCOME_TYPE, fields, FOUNDER)
            writes.append(time.perf_counter() - tallied)
            beside.append(writes[-1] - (tallied - began))
        write_s = statistics.median(writes)
        rows = [
            ("tally: governance.outcome_fields", 1000 * tally_s, rate(CLOSE_VOTERS, tally_s), raw_s / tally_s),
            (f"  the same with {CLOSE_VOTERS // 10:,} votes (growth check)", 1000 * small_s, rate(CLOSE_VOTERS // 10, small_s), ""),
            ("raw pygit2 + json: read and count the votes (baseline)", 1000 * raw_s, rate(CLOSE_VOTERS, raw_s), 1.0),
            ("close: node.write of the outcome (tallies again)", 1000 * write_s, rate(CLOSE_VOTERS, write_s), raw_s / write_s),
            ("  of which: the commit, index and checks beside the tally", 1000 * statistics.median(beside), "", ""),
        ]
        print(table(["what", "ms", "votes/s", "vs raw"], rows))
        print(f"outcome: {fields['tally']['outcome']}, counts {fields['tally']['counts']}; a tally of {CLOSE_VOTERS:,} votes costs "
              f"{tally_s / small_s:.1f}x one of {CLOSE_VOTERS // 10:,} (10.0 = linear in the votes)")
        print()
        print_profile(f"one tally of {CLOSE_VOTERS:,} votes (outcome_fields)", governance.outcome_fields, node.view(), first)


def main() -> None:
    """Run the governance benchmarks and print their tables."""
    print("== governance: votes, closing and listing at scale ==")
    began = time.perf_counter()
    with ExitStack() as stack:
        nodes = vote_nodes(stack)
        print()
        bench_votes(nodes)
        print()
        bench_listing(nodes[SIZES[-1]])
    print()
    bench_close()
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
