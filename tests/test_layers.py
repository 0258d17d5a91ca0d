"""The packages' imports form layers: no module imports itself round a circle, imports point down, kernel tests stay in the
kernel, and the faces read the index through query functions that return dataclasses, never through its peewee models.

The graph is read from the source with ast, so an import inside a function (made to dodge a
circle at import time) counts as much as one at the top of a file.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("coop", "ledger", "governance", "projects", "api")
# What each package may not import (DESIGN.md section 2): coop is the kernel under all of them,
# ledger sits under governance and projects, and only api (the faces) speaks HTTP through Flask.
FORBIDDEN = {
    "coop": {"ledger", "governance", "projects", "api", "flask"},
    "ledger": {"governance", "projects", "api", "flask"},
    "governance": {"projects", "api", "flask"},
    "projects": {"api", "flask"},
}
# Kernel tests build their node with the kernel alone (tests/coop/conftest.py); these modules need more, and say why.
KERNEL_TESTS_BEYOND_THE_KERNEL = {
    "test_accept": "node and replay must agree for every area's kinds, the ledger's rules included (marked every_area)",
    "test_merge": "two merge rules are about the ledger's log, which only a node with the ledger has (marked every_area)",
    "test_postgres": "the index of every area's tables must read the same on PostgreSQL, in a node made by the wiring",
}
# The index modules, whose peewee models (named ...Row) stay inside them: a face calls their find_* functions instead.
INDEX_MODULES = {f"{package}.index" for package in FORBIDDEN}


def module_name(path: Path) -> str:
    """Return the dotted name of a source file (a package's __init__ is the package)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module, modules: set[str]) -> set[str]:
    """Return every name a module imports: our modules where it names one, else the top-level package."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                      for alias in node.names}
    return {name if name in modules else name.split(".")[0] for name in found}


def rows_imported(tree: ast.Module) -> set[str]:
    """Return the peewee models (names ending in Row) a module imports from an index module."""
    return {f"{node.module}.{alias.name}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module in INDEX_MODULES and node.level == 0
            for alias in node.names if alias.name.endswith("Row")}


def import_graph() -> dict[str, set[str]]:
    """Return each module of the packages with the names it imports."""
    files = {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}
    modules = set(files)
    return {name: imported(ast.parse(path.read_text(encoding="utf-8")), modules) - {name} for name, path in files.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one circle of imports among our modules (a -> b -> ... -> a), or None when there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done or module not in graph:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            if (circle := visit(target)) is not None:
                return circle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if (circle := visit(module)) is not None:
            return circle
    return None


def test_the_packages_imports_form_no_circle() -> None:
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    upward = sorted(f"{module} imports {target}" for module, targets in import_graph().items()
                    if module.split(".")[0] == package for target in targets if target.split(".")[0] in FORBIDDEN[package])
    assert upward == []


def test_a_kernel_test_imports_no_area_above_the_kernel_unless_it_says_why() -> None:
    beyond = {path.stem for path in (ROOT / "tests" / "coop").rglob("*.py")
              if imported(ast.parse(path.read_text(encoding="utf-8")), set()) & FORBIDDEN["coop"]}
    assert beyond == set(KERNEL_TESTS_BEYOND_THE_KERNEL)


def test_a_face_imports_no_row_model_from_an_index_module() -> None:
    rows = sorted(f"{module_name(path)} imports {name}" for path in (ROOT / "api").rglob("*.py")
                  for name in rows_imported(ast.parse(path.read_text(encoding="utf-8"))))
    assert rows == []


@pytest.mark.parametrize("source, rows", [
    ("from ledger.index import EntryRow, find_entries\n", {"ledger.index.EntryRow"}),
    ("def f():\n    from coop.index import MemberRow\n", {"coop.index.MemberRow"}),
    ("from projects.outcomes import CohortRow\n", set()),
    ("from governance.index import ProposalSummary, find_proposals\n", set()),
], ids=["at the top", "inside a function", "a Row not from an index module", "the dataclasses of a query function"])
def test_a_row_model_imported_from_an_index_module_is_found(source: str, rows: set[str]) -> None:
    assert rows_imported(ast.parse(source)) == rows


@pytest.mark.parametrize("graph, circle", [
    ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ({"a": {"b", "c"}, "b": {"c"}, "c": {"os"}}, None),
], ids=["two modules", "a circle below the start", "a diamond is no circle"])
def test_a_circle_is_found_wherever_it_sits(graph: dict[str, set[str]], circle: list[str] | None) -> None:
    assert find_circle(graph) == circle


def test_an_import_inside_a_function_counts() -> None:
    tree = ast.parse("def f():\n    from coop.apps import is_app\n")
    assert imported(tree, {"coop.apps", "coop.members"}) == {"coop.apps"}
