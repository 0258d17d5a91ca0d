"""Kinds of statement and the areas that define them.

Each area (the kernel, the ledger, governance, projects) declares the statement
types it accepts, where each is stored and what rules it must pass; the node
wires the areas together, so the kernel never imports the packages above it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coop.errors import BadInput
from coop.statements import Statement
from coop.view import View

Changes = Mapping[str, bytes | None]
Check = Callable[[Statement, View], Changes]
RepositoryCheck = Callable[[View], Iterable[str]]


@dataclass(frozen=True)
class Kind:
    """One statement type: its name, where it is stored and the rules it must pass.

    `check` raises a CoopError when the statement is not allowed in the view and
    otherwise returns extra changes that the statement causes (effects).
    """

    type: str
    path: Callable[[Statement], str]
    check: Check
    about: str


@dataclass(frozen=True)
class Area:
    """What one package contributes to a node: kinds, index writers, whole-repository checks."""

    name: str
    kinds: Sequence[Kind] = ()
    indexers: Sequence[Any] = ()
    checks: Sequence[RepositoryCheck] = ()
    demo: Callable[..., None] | None = None


@dataclass
class Registry:
    """All kinds known to a node, by type."""

    areas: Sequence[Area]
    kinds: dict[str, Kind] = field(init=False)

    def __post_init__(self) -> None:
        self.kinds = {}
        for area in self.areas:
            for kind in area.kinds:
                if kind.type in self.kinds:
                    raise ValueError(f"statement type {kind.type} is defined twice")
                self.kinds[kind.type] = kind

    def kind(self, type_name: str) -> Kind:
        """Return the kind of a statement type, or refuse an unknown one."""
        try:
            return self.kinds[type_name]
        except KeyError as e:
            raise BadInput(f"unknown statement type {type_name!r}") from e

    def indexers(self) -> list[Any]:
        """Return every area's index writers."""
        return [indexer for area in self.areas for indexer in area.indexers]

    def checks(self) -> list[RepositoryCheck]:
        """Return every area's whole-repository checks."""
        return [check for area in self.areas for check in area.checks]
