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
from coop.statements import KeyRecord, Statement
from coop.view import View

Changes = Mapping[str, bytes | None]
Check = Callable[[Statement, View], Changes]
RepositoryCheck = Callable[[View], Iterable[str]]
Finish = Callable[[View], Changes]


@dataclass(frozen=True)
class Kind:
    """One statement type: its name, where it is stored and the rules it must pass.

    `check` raises a CoopError when the statement is not allowed in the view and
    otherwise returns extra changes that the statement causes (effects).
    `brought_keys` names keys a statement may be signed by although no record
    lists them yet: a member's claim of an invitation brings the key made on their
    device, and `check` then refuses it unless it proves the invitation's secret.
    A recovery key may sign only kinds that `manage_keys` (the member record),
    and their `check` keeps it to key changes.
    """

    type: str
    path: Callable[[Statement], str]
    check: Check
    about: str
    brought_keys: Callable[[Mapping[str, Any]], Sequence[KeyRecord]] | None = None
    manage_keys: bool = False


@dataclass(frozen=True)
class Area:
    """What one package contributes to a node.

    `finish` runs once per commit after every statement is staged, for work that
    depends on all of them and on keys only the writing node holds (the ledger
    appends its tiles and signs a checkpoint). Paths under `managed` are written
    that way and checked by the area's own `checks`, not by replaying statements.
    `service` is the area's object the faces use (governance's effects, say).
    `landed` runs after a commit this node made has landed, with a view of it
    (the ledger's signer remembers the checkpoint it just published).
    """

    name: str
    kinds: Sequence[Kind] = ()
    indexers: Sequence[Any] = ()
    checks: Sequence[RepositoryCheck] = ()
    finish: Finish | None = None
    managed: Sequence[str] = ()
    service: Any = None
    landed: Callable[[View], None] | None = None


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

    def area(self, name: str) -> Area:
        """Return an area by name."""
        for area in self.areas:
            if area.name == name:
                return area
        raise KeyError(f"no area {name!r}")

    def indexers(self) -> list[Any]:
        """Return every area's index writers."""
        return [indexer for area in self.areas for indexer in area.indexers]

    def finishers(self) -> list[Finish]:
        """Return every area's once-per-commit finishing step."""
        return [area.finish for area in self.areas if area.finish is not None]

    def landed(self) -> list[Callable[[View], None]]:
        """Return every area's after-commit step."""
        return [area.landed for area in self.areas if area.landed is not None]

    def managed(self) -> tuple[str, ...]:
        """Return the path prefixes areas write and check themselves."""
        return tuple(prefix for area in self.areas for prefix in area.managed)

    def checks(self) -> list[RepositoryCheck]:
        """Return every area's whole-repository checks."""
        return [check for area in self.areas for check in area.checks]
