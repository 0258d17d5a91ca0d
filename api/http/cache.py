"""Answers that depend only on the repository's head, kept until the head moves.

Many clients poll the same lists; between two commits the answer to the same
URL cannot change, so it is built once per head (`service.per_head`). Views
whose answer also depends on the clock or on the webhook outbox are not wrapped.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Response

KEPT_BYTES = 32 * 1024 * 1024


class HeadCache:
    """The last `kept` answers (at most KEPT_BYTES of them), by head commit and URL; none when kept is 0."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str | None, str], tuple[bytes, list[tuple[str, str]]]] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple[str | None, str]) -> Response | None:
        """Return a kept answer, or None."""
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            self._answers.move_to_end(key)
        data, headers = found
        return Response(data, headers=headers)

    def put(self, key: tuple[str | None, str], response: Response) -> None:
        """Keep a successful answer."""
        if self.kept <= 0:
            return
        entry = (response.get_data(), [(k, v) for k, v in response.headers.items() if k != "Content-Length"])
        with self._lock:
            old = self._answers.pop(key, None)
            self._bytes += len(entry[0]) - (len(old[0]) if old else 0)
            self._answers[key] = entry
            while len(self._answers) > self.kept or self._bytes > KEPT_BYTES:
                self._bytes -= len(self._answers.popitem(last=False)[1][0])
