"""Benchmarks of the kernel against the bare libraries under it: `python -m bench [name ...]`.

Each benchmark measures the kernel and the raw library doing the same work in the
same run, so the ratio between them holds on any machine even when the absolute
rates do not. They are not part of `make test`.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def rate(count: int, seconds: float) -> float:
    """Return operations per second."""
    return count / seconds if seconds > 0 else float("inf")


def best_time(run: Callable[[], object], repeats: int) -> float:
    """Return the shortest wall time of several runs of a function (the least disturbed one)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return rows as a plain-text table: text columns left-aligned, number columns right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] == "" for row in rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=False)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    return str(value)
