"""What the entries add up to: balances, spending under each proposal, and the entries before one being checked.

An entry's order-dependent rules (coop's ledger acceptance) read the books as
they stood before it through `Earlier`: on acceptance that is the log plus the
entries staged in the same commit (`Staged`, read only when a rule needs it);
in the whole-log audit it is the entries checked so far (`Running`).
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

from coop.errors import NotFound
from coop.view import View
from ledger import entries as E
from ledger import log
from ledger.records import entry_path, staged_entries


def bodies_now(view: View) -> list[Mapping[str, Any]]:
    """Return the body of every entry in the log and every entry staged in the view, in order."""
    raws = [raw for _, raw in log.entries(view)] + staged_entries(view)
    return [json.loads(raw)["body"] for raw in raws]  # entries were checked on the way in


def balances_of(bodies: Iterable[Mapping[str, Any]]) -> E.Balances:
    """Return the balances after applying entries in order."""
    totals: E.Balances = {}
    for body in bodies:
        E.apply(totals, body)
    return totals


def balances_now(view: View) -> E.Balances:
    """Return balances after every entry in the log and every entry staged in the view."""
    return balances_of(bodies_now(view))


class Earlier(ABC):
    """The entries before the one being checked, as the rules that depend on order read them."""

    @abstractmethod
    def count(self) -> int:
        """Return how many entries come before."""

    @abstractmethod
    def at(self, index: int) -> bytes:
        """Return the entry at an index below count()."""

    @abstractmethod
    def used(self, entry_id: str) -> bool:
        """Tell whether an earlier entry has this id."""

    @abstractmethod
    def balances(self) -> E.Balances:
        """Return the balances after the earlier entries."""

    @abstractmethod
    def spent(self, proposal: str, currency: str) -> int:
        """Return how much earlier entries took from common money under one proposal."""

    def entry(self, index: object) -> bytes:
        """Return an earlier entry by index, or refuse an index that names none."""
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.count():
            raise NotFound(f"no entry at index {index}")
        return self.at(index)


class Staged(Earlier):
    """The log and the entries staged before this one in the same commit (so a revenue and its split land together)."""

    def __init__(self, view: View) -> None:
        self.view = view

    @cached_property
    def _staged(self) -> list[bytes]:
        return staged_entries(self.view)

    @cached_property
    def _size(self) -> int:
        return log.size(self.view)

    @cached_property
    def _bodies(self) -> list[Mapping[str, Any]]:
        return bodies_now(self.view)  # the whole log: read only when a rule needs the history

    def count(self) -> int:
        return self._size + len(self._staged)

    def at(self, index: int) -> bytes:
        return log.entry_at(self.view, index) if index < self._size else self._staged[index - self._size]

    def used(self, entry_id: str) -> bool:
        return self.view.read(entry_path(entry_id)) is not None

    def balances(self) -> E.Balances:
        return balances_of(self._bodies)

    def spent(self, proposal: str, currency: str) -> int:
        return E.spent_under(self._bodies, proposal, currency)


class Running(Earlier):
    """The log's entries checked so far, in the whole-log audit: `take` adds each one that passed."""

    def __init__(self, stored: Sequence[bytes]) -> None:
        self.stored = stored
        self.index = 0
        self.ids: set[str] = set()
        self.totals: E.Balances = {}
        self._spent: dict[tuple[str, str], int] = {}

    def count(self) -> int:
        return self.index

    def at(self, index: int) -> bytes:
        return self.stored[index]

    def used(self, entry_id: str) -> bool:
        return entry_id in self.ids

    def balances(self) -> E.Balances:
        return self.totals

    def spent(self, proposal: str, currency: str) -> int:
        return self._spent.get((proposal, currency), 0)

    def take(self, body: Mapping[str, Any], postings: Sequence[E.Posting]) -> None:
        """Add an entry that passed its rules to the balances and to its proposal's spending."""
        E.apply(self.totals, body)
        if E.money_leaving_common(postings):
            key = (body["authorised_by"]["proposal"], body["currency"])
            self._spent[key] = self._spent.get(key, 0) + body["amount"]
