"""Matching people and work by skills, with the reasons shown.

Pure functions: a member with every skill a request asks for ranks above one
with only some; among equals, more matched skills first, then handle order.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    """How well one candidate fits: what matched and what is missing."""

    name: str
    matched: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Tell whether every required skill matched."""
        return not self.missing

    def explain(self) -> str:
        """Say why the candidate ranks where it does."""
        has = ", ".join(self.matched) or "none"
        lacks = f"; missing {', '.join(self.missing)}" if self.missing else "; all required skills"
        return f"matches {has}{lacks}"


def match(required: Iterable[str], offered: Iterable[str], name: str) -> Match:
    """Compare required skills with offered ones."""
    need, have = sorted(set(required)), set(offered)
    return Match(name, tuple(s for s in need if s in have), tuple(s for s in need if s not in have))


def rank(required: Sequence[str], candidates: Mapping[str, Sequence[str]]) -> list[Match]:
    """Rank candidates (name -> skills) for the required skills; candidates with no match are left out."""
    found = [match(required, skills, name) for name, skills in candidates.items()]
    return _best_first(found)


def fitting(offered: Sequence[str], requests: Mapping[str, Sequence[str]]) -> list[Match]:
    """Rank requests (id -> required skills) for someone offering these skills; requests with no match are left out."""
    return _best_first([match(required, offered, name) for name, required in requests.items()])


def _best_first(found: list[Match]) -> list[Match]:
    return sorted((m for m in found if m.matched), key=lambda m: (not m.complete, -len(m.matched), m.name))
