"""Where a benchmarked call spends its time: a cProfile run summarised as two short tables."""
from __future__ import annotations

import cProfile
import io
import pstats
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import table

ROWS = 15
MODULES = 10
ROOT = Path(__file__).resolve().parent.parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def print_profile(what: str, run: Callable[..., Any], *args: Any) -> Any:
    """Run a function once under cProfile; print the top functions by cumulative time and own time per module; return its result."""
    profiler = cProfile.Profile()
    result = profiler.runcall(run, *args)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]
    print(f"profile of {what}: {total:.2f} s under cProfile; top {ROWS} by cumulative time")
    ranked = sorted(entries.items(), key=lambda item: item[1][3], reverse=True)[:ROWS]
    print(table(["calls", "own s", "cumulative s", "% of run", "function"],
                [(calls, own, cumulative, f"{100 * cumulative / total:.0f}%", _where(key))
                 for key, (_, calls, own, cumulative, _) in ranked]))
    by_module: dict[str, float] = {}
    for key, (_, _, own, _, _) in entries.items():
        by_module[_module(key[0])] = by_module.get(_module(key[0]), 0.0) + own
    print()
    print("own time by module (where the time goes):")
    top = sorted(by_module.items(), key=lambda item: item[1], reverse=True)[:MODULES]
    print(table(["module", "own s", "% of run"], [(name, own, f"{100 * own / total:.0f}%") for name, own in top]))
    return result


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    return f"{_module(file)}:{line}({name})" if line else name


def _module(file: str) -> str:
    """Shorten a source path to the module path people know: coop/view.py, rfc8785/_impl.py, json/decoder.py."""
    if file == "~":
        return "(builtins and C extensions)"
    path = Path(file)
    if "site-packages" in path.parts:
        return "/".join(path.parts[path.parts.index("site-packages") + 1:])
    for base in (ROOT, STDLIB):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.name
