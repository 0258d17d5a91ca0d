"""What the key cost adds to a write: votes and ledger entries on a node at the default key cost against the cheapest.

A node encrypts its keys with argon2id at its `kdf_cost`. Unlocking a key costs
that derivation once; a write on an open node should cost none, so a node at the
default cost ("interactive", tens of milliseconds per derivation) writes as fast
as one at "min". Both nodes are opened afresh (nothing unlocked yet), write once
to unlock what they need, and then take turns in rounds of a few writes; each
rate is the median round's, so load from other processes hits both alike.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from api.wiring import create_node, open_node
from bench import table
from bench.node import BENCH_RULES, FOUNDER, environment
from bench.store import WORKDIR
from coop.config import SETTINGS
from coop.node import Node
from governance import proposals as P
from ledger import entries as E

COSTS = (SETTINGS["kdf_cost"].default, "min")
ROUNDS = 15
ROUND = 4
FLOOR = 0.8  # the default cost's write rate must be at least this share of the cheapest cost's


def fresh_node(tmp: Path, cost: str) -> Node:
    """Create a node at a key cost, with a proposal open for votes, and return it opened again with nothing unlocked."""
    home = tmp / cost
    node = create_node({"home": str(home), "kdf_cost": cost}, "Bench Co-op", "bench.example/keys", FOUNDER, rules=BENCH_RULES)
    node.write(P.PROPOSAL_TYPE, P.proposal_fields("p-bench", "A vote to repeat", "# Vote\n", "majority", {"kind": "general"},
                                                  node.view(), 3600))
    node.index.db.close()
    return open_node({"home": str(home), "kdf_cost": cost})


def writers(node: Node) -> dict[str, Callable[[int], None]]:
    """Return the two writes measured: the founder voting again, and the founder recording money received."""
    def vote(i: int) -> None:
        node.write(P.VOTE_TYPE, P.vote_fields(node.view(), "p-bench", ("yes", "no")[i % 2]))

    def revenue(i: int) -> None:
        node.write(E.REVENUE, E.with_postings(E.REVENUE, {"id": f"rev-{i}", "client": "acme", "project": None,
                                                           "amount": 100 + i, "currency": "EUR", "account": "wise-eur"}))
    return {"vote": vote, "ledger entry": revenue}


def main() -> None:
    """Print write rates at the default and the cheapest key cost, and their ratio."""
    with environment(), tempfile.TemporaryDirectory(prefix="coop-bench-", dir=WORKDIR) as tmp:
        nodes = {cost: fresh_node(Path(tmp), cost) for cost in COSTS}
        runs = {(cost, what): write for cost, node in nodes.items() for what, write in writers(node).items()}
        rounds: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
        for write in runs.values():
            write(0)  # the first write unlocks the keys it needs: that derivation is the open's, not the write's
        for r in range(ROUNDS):
            for key, write in runs.items():
                start = time.perf_counter()
                for i in range(ROUND):
                    write(1 + r * ROUND + i)
                rounds[key].append(ROUND / (time.perf_counter() - start))
        for node in nodes.values():
            node.index.db.close()
    rate = {key: statistics.median(values) for key, values in rounds.items()}
    rows = []
    for what in ("vote", "ledger entry"):
        default, cheapest = rate[(COSTS[0], what)], rate[(COSTS[1], what)]
        rows.append([what, round(1000 / default, 1), round(1000 / cheapest, 1), round(default / cheapest, 2),
                     "ok" if default / cheapest >= FLOOR else f"below {FLOOR}"])
    print(f"Writes on an open node, key cost {COSTS[0]} against {COSTS[1]} (median of {ROUNDS} rounds of {ROUND})")
    print(table(["write", f"ms at {COSTS[0]}", f"ms at {COSTS[1]}", "rate ratio", f"floor {FLOOR}"], rows))


if __name__ == "__main__":
    main()
