"""A throwaway node for the benchmarks: real git, real keys at the cheapest KDF, in a temporary directory."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from api.wiring import create_node
from bench.store import WORKDIR
from coop.node import Node

PASSPHRASE = "bench passphrase"
FOUNDER = "alice"
# Benchmarks time the work, not the wait: votes may close a second after they open.
BENCH_RULES = {"min_window_seconds": {"default": 1}}
# Settings a developer's shell may carry that would point the node elsewhere (COOP_DATABASE_URL
# would even move its index into their database): unset while a benchmark runs.
CLEARED = ("COOP_HOME", "COOP_IDENTITY", "COOP_DATABASE_URL", "COOP_NODE_NAME")


@contextmanager
def environment() -> Iterator[None]:
    """Set COOP_PASSPHRASE and COOP_KDF_COST=min and clear the node-locating settings, restoring all after."""
    wanted: dict[str, str | None] = {"COOP_PASSPHRASE": os.environ.get("COOP_PASSPHRASE") or PASSPHRASE,
                                     "COOP_KDF_COST": "min", **{name: None for name in CLEARED}}
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            _set(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set(name, value)


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


@contextmanager
def temporary_node(name: str, origin: str, members: tuple[str, ...] = ()) -> Iterator[Node]:
    """Yield a new node that keeps the ledger: founder alice plus members (keys held by the node), deleted after."""
    with environment(), tempfile.TemporaryDirectory(prefix="coop-bench-", dir=WORKDIR) as tmp:
        node = create_node({"home": str(Path(tmp) / "node")}, name, origin, FOUNDER, rules=BENCH_RULES)
        try:
            for handle in members:
                node.add_member(handle, ["member"], [])
            yield node
        finally:
            node.index.db.close()
