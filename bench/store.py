"""Commit rate of `GitStore.commit` against raw pygit2 writing the same files.

Both writers add one new file per commit to a bare repository that already holds
100 or 10,000 files, laid out the two ways the platform lays files out: flat
(`members/<handle>.json`, like `members/`, `seq/`, `clients/`, `learners/`) or
sharded one level deep by the first two hex digits of the id's sha256
(`ledger/entries/<xx>/<id>.json`, like ledger entries, proposals, projects).
The raw writer rebuilds the trees along the path with TreeBuilder and moves the
branch with `create_commit`: no signature, no checks, no retry loop. All eight
(layout, size, writer) runs take turns in rounds of a few commits and each rate
comes from the median round, so load from other processes hits every run alike.
"""
from __future__ import annotations

import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pygit2

from bench import table
from coop.keys import KeyPair
from coop.store import BRANCH, CommitSigner, GitStore, tree_at

SIZES = (100, 10_000)
LAYOUTS = ("flat", "sharded")
SHOWN_PATH = {"flat": "members/<handle>.json", "sharded": "ledger/entries/<xx>/<id>.json"}
COMMITS = 300
ROUND = 10
GROWTH_FLOOR = 0.5  # a 100x larger repository may cost at most 2x per commit (one more level, bigger caches)
# Memory-backed by default: on a shared disk, file creation times swing by 10x with
# other processes' I/O and drown the cost being measured. BENCH_DIR picks another place.
WORKDIR = os.environ.get("BENCH_DIR") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
SIGNER = CommitSigner(KeyPair("bench", bytes(32)), "bench", "bench@coop")
RAW_AUTHOR = pygit2.Signature("bench", "bench@coop", 1_700_000_000, 0)


def file_path(layout: str, handle: str) -> str:
    """Return where an id's file lives: flat, or in the shard named by its sha256's first two hex digits."""
    if layout == "flat":
        return f"members/{handle}.json"
    return f"ledger/entries/{hashlib.sha256(handle.encode()).hexdigest()[:2]}/{handle}.json"


def file_bytes(handle: str) -> bytes:
    """Return a member-record-sized file (about 430 bytes) that differs per handle."""
    return (
        '{"body":{"author":"amina","coop":"bench.example/coop","created":"2025-01-31T12:00:00Z",'
        f'"handle":"{handle}","keys":[{{"kid":"56475aa75463474c","public":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="}}],'
        '"roles":["member"],"seq":2,"skills":["python"],"type":"coop.member/v1"},'
        '"sigs":[{"kid":"56475aa75463474c","sig":"t1WY6vFMhZltWaSqnRdqqU0LQDuchgznsZoUAf5m8+xufMIC1Pt/Y+q7tTXdWjXZZSOanHZg+hqAcCPOhb33BQ=="}]}'
    ).encode()


Blobs = dict[str, "pygit2.Oid | Blobs"]  # blob ids by path part, one level per folder


def build_base(path: Path, layout: str, count: int) -> None:
    """Create a bare repository whose first commit holds `count` files in the layout."""
    repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
    nested: Blobs = {}
    for i in range(count):
        handle = f"m{i:05d}"
        *dirs, name = file_path(layout, handle).split("/")
        level = nested
        for part in dirs:
            level = level.setdefault(part, {})  # type: ignore[assignment]  # a folder's entry is always a Blobs
        level[name] = repo.create_blob(file_bytes(handle))
    tree = _write_nested(repo, nested)
    repo.create_commit(BRANCH, RAW_AUTHOR, RAW_AUTHOR, f"{count} files, {layout}", tree, [])


def _write_nested(repo: pygit2.Repository, nested: Blobs) -> pygit2.Oid:
    builder = repo.TreeBuilder()
    for name, value in nested.items():
        if isinstance(value, dict):
            builder.insert(name, _write_nested(repo, value), pygit2.GIT_FILEMODE_TREE)
        else:
            builder.insert(name, value, pygit2.GIT_FILEMODE_BLOB)
    return builder.write()


def store_writer(path: Path) -> Callable[[str, bytes], None]:
    """Return a function that adds one file through GitStore.commit (signed, compare-and-swap)."""
    store = GitStore(path)

    def write(file: str, data: bytes) -> None:
        store.commit(lambda snapshot: {file: data}, f"Add {file}", SIGNER)

    return write


def raw_writer(path: Path) -> Callable[[str, bytes], None]:
    """Return a function that adds one file with bare pygit2: trees along the path, then create_commit."""
    repo = pygit2.Repository(str(path))

    def insert(tree: pygit2.Tree | None, parts: list[str], blob: pygit2.Oid) -> pygit2.Oid:
        builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
        if len(parts) == 1:
            builder.insert(parts[0], blob, pygit2.GIT_FILEMODE_BLOB)
        else:
            existing = builder.get(parts[0])
            sub = tree_at(repo, existing.id) if existing is not None else None
            builder.insert(parts[0], insert(sub, parts[1:], blob), pygit2.GIT_FILEMODE_TREE)
        return builder.write()

    def write(file: str, data: bytes) -> None:
        parent = repo[repo.references[BRANCH].target]
        tree = insert(parent.tree, file.split("/"), repo.create_blob(data))
        repo.create_commit(BRANCH, RAW_AUTHOR, RAW_AUTHOR, f"Add {file}", tree, [parent.id])

    return write


def measure(workdir: Path) -> dict[tuple[str, int, str], float]:
    """Return commits per second of every (layout, size, writer), all writers taking turns."""
    writers = {}
    for layout in LAYOUTS:
        for size in SIZES:
            for name, make in (("store", store_writer), ("raw", raw_writer)):
                path = workdir / f"{layout}-{size}-{name}.git"
                build_base(path, layout, size)
                writers[layout, size, name] = make(path)
    rounds: dict[tuple[str, int, str], list[float]] = {key: [] for key in writers}
    for start in range(0, COMMITS, ROUND):
        handles = [f"new{i:04d}" for i in range(start, min(start + ROUND, COMMITS))]
        for (layout, size, name), write in writers.items():
            files = [(file_path(layout, handle), file_bytes(handle)) for handle in handles]
            began = time.perf_counter()
            for file, data in files:
                write(file, data)
            rounds[layout, size, name].append((time.perf_counter() - began) / len(files))
    # The median round resists bursts of load from other processes on the machine.
    return {key: 1 / statistics.median(times) for key, times in rounds.items()}


def main() -> None:
    """Run every layout at every size and print the rates, the ratio and the growth with size."""
    print(f"== store: GitStore.commit vs raw pygit2, {COMMITS} commits each, one new file per commit ==")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coop-bench-", dir=WORKDIR) as tmp:
        print(f"repositories in {tmp} (set BENCH_DIR to measure elsewhere, e.g. on the node's disk)")
        rates = measure(Path(tmp))
    results = {(layout, size): (rates[layout, size, "store"], rates[layout, size, "raw"]) for layout in LAYOUTS for size in SIZES}
    rows = [
        (layout, size, SHOWN_PATH[layout], store, raw, store / raw)
        for (layout, size), (store, raw) in results.items()
    ]
    print(table(["layout", "files", "new file at", "store commits/s", "raw commits/s", "store/raw"], rows))
    print()
    small, large = SIZES
    growth = []
    for layout in LAYOUTS:
        store_ratio = results[layout, large][0] / results[layout, small][0]
        raw_ratio = results[layout, large][1] / results[layout, small][1]
        verdict = "yes" if store_ratio >= GROWTH_FLOOR else "no: grows with the directory"
        growth.append((layout, 1000 / results[layout, small][0], 1000 / results[layout, large][0], store_ratio, raw_ratio, verdict))
    print(f"growth with size: rate at {large:,} files / rate at {small:,} files (1.00 = same cost per commit)")
    print(table(["layout", f"store ms at {small:,}", f"store ms at {large:,}", "store ratio", "raw ratio", "O(depth)?"], growth))
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
