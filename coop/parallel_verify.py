"""Verifying many statements at once, on every core.

Signature checks dominate a full audit and are independent of each other, so
large batches are split across worker processes (forked from a single-threaded
command, spawned from a threaded server); the order-dependent rules stay with the caller.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from coop import statements
from coop.errors import CoopError
from coop.statements import KeyRecord

PARALLEL_FROM = 4000  # below this, starting worker processes costs more than it saves
CHUNK = 2000

KeyTable = Mapping[str, Sequence[KeyRecord]]
BodyCheck = Callable[[Mapping[str, Any]], object]


def _check_chunk(args: tuple[Sequence[bytes], str, KeyTable, BodyCheck | None]) -> list[str | None]:
    raws, origin, table, extra = args
    errors: list[str | None] = []
    for raw in raws:
        try:
            statement = statements.verify(raw, origin=origin, keys=lambda author: table.get(author, ()))
            if extra is not None:
                extra(statement.body)
            errors.append(None)
        except CoopError as e:
            errors.append(e.message)
    return errors


def _start_method() -> str:
    """Fork when this process runs one thread (the CLI): workers start at once; spawn in a threaded server."""
    return "fork" if threading.active_count() == 1 else "spawn"


class Verification:
    """Statements being checked in the background; `errors()` waits for the result."""

    def __init__(self, raws: Sequence[bytes], origin: str, keys: KeyTable, extra: BodyCheck | None,
                 progress: Callable[[int], None] | None, workers: int | None) -> None:
        count = workers if workers is not None else (os.cpu_count() or 1) if len(raws) >= PARALLEL_FROM else 1
        self.chunks = [(raws[i:i + CHUNK], origin, keys, extra) for i in range(0, len(raws), CHUNK)]
        self.progress = progress
        self.pool = ProcessPoolExecutor(count, mp_context=get_context(_start_method())) if count > 1 else None
        self.futures = [self.pool.submit(_check_chunk, chunk) for chunk in self.chunks] if self.pool else []

    def errors(self) -> list[str | None]:
        """Return None or the reason it failed, per statement, in order."""
        results: list[str | None] = []
        try:
            for position, chunk in enumerate(self.chunks):
                results += self.futures[position].result() if self.pool else _check_chunk(chunk)
                if self.progress:
                    self.progress(len(chunk[0]))
        finally:
            if self.pool:
                self.pool.shutdown()
        return results


def verify_many(raws: Sequence[bytes], origin: str, keys: KeyTable, progress: Callable[[int], None] | None = None,
                workers: int | None = None, extra: BodyCheck | None = None) -> Verification:
    """Start checking each statement's envelope and signatures (and `extra`, a picklable check of its body).

    With enough statements the work runs in other processes while the caller does
    the order-dependent part of its audit; call `.errors()` for the results.
    """
    return Verification(raws, origin, keys, extra, progress, workers)
