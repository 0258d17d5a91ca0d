"""Members, nodes and apps share one namespace of authors, and one module knows where their records live."""
from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from coop import authors
from coop.apps import APP_TYPE, app_fields
from coop.errors import Conflict
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, NODE_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("coop", "ledger", "governance", "projects", "api")


def new_key(name: str) -> list[KeyRecord]:
    return [KeyRecord(KeyPair.generate(name).public)]


ADD: dict[str, Callable[[Node, str], object]] = {
    "member": lambda node, name: node.write(MEMBER_TYPE, member_fields(name, ["member"], [], new_key(name)), "alice"),
    "node": lambda node, name: node.write(NODE_TYPE, {"name": name, "keys": [k.to_dict() for k in new_key(name)]}, "alice"),
    "app": lambda node, name: node.write(APP_TYPE, app_fields(name, "An app", "bob", new_key(name), []), "bob"),
}


@pytest.mark.parametrize("first, second", [(a, b) for a in ADD for b in ADD if a != b], ids=lambda kind: kind)
def test_a_new_author_may_not_take_the_name_of_an_author_of_another_kind(node: Node, first: str, second: str) -> None:
    ADD[first](node, "shared-name")
    head = node.store.head_id()

    with pytest.raises(Conflict, match="'shared-name'"):
        ADD[second](node, "shared-name")
    assert node.store.head_id() == head


@pytest.mark.parametrize("kind", sorted(ADD))
def test_an_authors_record_and_keys_are_found_whatever_its_kind(node: Node, kind: str) -> None:
    ADD[kind](node, "someone")
    view = node.view()

    record = authors.record(view, "someone")
    assert record is not None and record["type"] == {"member": MEMBER_TYPE, "node": NODE_TYPE, "app": APP_TYPE}[kind]
    assert [k.to_dict() for k in view.keys("someone")] == record["keys"]
    assert "someone" in authors.taken_names(view)


@pytest.mark.parametrize("name", ["nobody", "Not A Handle", ""], ids=["unknown", "not-a-handle", "empty"])
def test_a_name_no_author_has_has_no_record_and_no_keys(node: Node, name: str) -> None:
    assert authors.record(node.view(), name) is None
    assert list(node.view().keys(name)) == []


@pytest.mark.parametrize("path, directory", [
    ("members/alice.json", authors.MEMBERS), ("nodes/node.json", authors.NODES), ("apps/shop.json", authors.APPS),
    ("members/alice.md", None), ("members/x/alice.json", None), ("projects/alice.json", None), ("members.json", None),
], ids=lambda value: str(value))
def test_only_an_authors_record_path_names_a_kind_of_author(path: str, directory: str | None) -> None:
    assert authors.directory_of(path) == directory


def test_a_record_path_names_its_author() -> None:
    assert authors.name_of(authors.member_path("alice")) == "alice"


def record_path_literals(source: str) -> list[str]:
    """Return the string constants in a module that begin a path into the authors' directories."""
    prefixes = tuple(f"{directory}/" for directory in (authors.MEMBERS, authors.NODES, authors.APPS))
    return [node.value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(prefixes)]


def test_no_module_but_the_authors_one_spells_the_path_of_an_authors_record() -> None:
    found = {str(path.relative_to(ROOT)): literals for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if path != ROOT / "coop" / "authors.py" and (literals := record_path_literals(path.read_text(encoding="utf-8")))}
    assert found == {}


def test_a_path_literal_is_found_in_an_f_string_too() -> None:
    assert record_path_literals('view.body(f"nodes/{name}.json")\n') == ["nodes/"]
