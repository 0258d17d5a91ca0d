"""Verifying many statements at once, on every core.

Signature checks dominate a full audit and are independent of each other, so
large batches are split across worker processes (spawned, so it is safe from a
threaded server too); the order-dependent rules stay with the caller.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from coop import statements
from coop.errors import CoopError
from coop.statements import KeyRecord

PARALLEL_FROM = 4000  # below this, starting worker processes costs more than it saves
CHUNK = 2000

KeyTable = Mapping[str, Sequence[KeyRecord]]


def _check_chunk(args: tuple[Sequence[bytes], str, KeyTable]) -> list[str | None]:
    raws, origin, table = args
    errors: list[str | None] = []
    for raw in raws:
        try:
            statements.verify(raw, origin=origin, keys=lambda author: table.get(author, ()))
            errors.append(None)
        except CoopError as e:
            errors.append(e.message)
    return errors


def verify_many(raws: Sequence[bytes], origin: str, keys: KeyTable, progress: Callable[[int], None] | None = None,
                workers: int | None = None) -> list[str | None]:
    """Check each statement's envelope and signatures; return None or the reason it failed, per statement."""
    count = workers if workers is not None else (os.cpu_count() or 1) if len(raws) >= PARALLEL_FROM else 1
    chunks = [(raws[i:i + CHUNK], origin, keys) for i in range(0, len(raws), CHUNK)]
    results: list[str | None] = []
    if count <= 1:
        for chunk in chunks:
            results += _check_chunk(chunk)
            if progress:
                progress(len(chunk[0]))
        return results
    with ProcessPoolExecutor(count, mp_context=get_context("spawn")) as pool:
        for chunk, errors in zip(chunks, pool.map(_check_chunk, chunks)):
            results += errors
            if progress:
                progress(len(chunk[0]))
    return results
