"""Durations as people type them (`90m`, `7d`, `1d12h`) in integer seconds.

A duration is one or more parts, each a whole number with a unit: w (weeks),
d (days), h (hours), m (minutes), s (seconds). Each unit appears at most once,
largest first, and there are no spaces, signs or decimal points. The total must
be at least one second and at most one year (365 days).
"""
from __future__ import annotations

import re

from coop.errors import BadInput

Seconds = int

UNITS: dict[str, Seconds] = {"w": 7 * 86_400, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_SECONDS: Seconds = 365 * 86_400
MAX_TEXT = 32

_DURATION = re.compile("".join(rf"(?:(?P<{unit}>[0-9]+){unit})?" for unit in UNITS))


def parse_duration(text: object) -> Seconds:
    """Return the seconds in a duration such as `2w`, `90m` or `1d12h`, or raise BadInput."""
    if not isinstance(text, str):
        raise BadInput(f"a duration is text such as '7d' or '1d12h', got {text!r}")
    match = _DURATION.fullmatch(text) if 0 < len(text) <= MAX_TEXT else None
    if match is None or not any(match.groups()):
        raise BadInput(
            f"duration {text[:MAX_TEXT]!r} is not understood: use whole numbers with units "
            "w, d, h, m, s, largest first, e.g. '90m', '7d' or '1d12h'"
        )
    seconds = sum(int(number) * UNITS[unit] for unit, number in match.groupdict().items() if number)
    if seconds == 0:
        raise BadInput(f"duration {text!r} is zero; it must be at least 1s")
    if seconds > MAX_SECONDS:
        raise BadInput(f"duration {text!r} is longer than a year ({MAX_SECONDS // 86_400}d)")
    return seconds


def format_duration(seconds: Seconds) -> str:
    """Return the shortest text that `parse_duration` reads back as these seconds."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_SECONDS:
        raise BadInput(f"a duration is 1 to {MAX_SECONDS} whole seconds, got {seconds!r}")
    parts = []
    for unit, size in UNITS.items():
        number, seconds = divmod(seconds, size)
        if number:
            parts.append(f"{number}{unit}")
    return "".join(parts)
