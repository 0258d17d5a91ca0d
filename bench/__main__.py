"""Run the benchmarks: `python -m bench` for all of them, `python -m bench store` for one."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from bench import governance, keys, ledger, replicate, store, verify

BENCHMARKS: dict[str, Callable[[], None]] = {"store": store.main, "verify": verify.main,
                                              "ledger": ledger.main, "governance": governance.main,
                                              "replicate": replicate.main, "keys": keys.main}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmarks named on the command line, or every one."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)")
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for i, name in enumerate(names):
        if i:
            print()
        BENCHMARKS[name]()


if __name__ == "__main__":
    main()
