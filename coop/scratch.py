"""A data directory built beside its target and renamed into place whole: a failure leaves nothing half-made."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coop.errors import Conflict


@contextmanager
def built_in_place(target: Path, what: str) -> Iterator[Path]:
    """Yield a scratch directory next to target, renamed to target if the block succeeds and removed if not."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Conflict(f"{target} exists and is not empty")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.{what}-", dir=target.parent))
    try:
        yield scratch
        if target.exists():
            target.rmdir()
        os.rename(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
