"""Per-client rate limits: a token bucket per client address, refilled continuously.

A client may make up to `per_minute` requests at once and then one every
60/per_minute seconds; a request over the limit is refused with the number of
seconds after which it would be allowed (the Retry-After the API sends).
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from coop.errors import RateLimited

MAX_CLIENTS = 10_000


class RateLimiter:
    """Token buckets for many clients, forgetting the least recently seen beyond MAX_CLIENTS."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str, what: str = "requests") -> None:
        """Take one token for the client, or raise RateLimited saying when to come back."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            tokens, seen = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - seen) * rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        if not allowed:
            wait = max(1, math.ceil((1.0 - tokens) / rate))
            raise RateLimited(f"too many {what}: at most {self.per_minute} a minute; try again in {wait} s", wait)
