"""The code keeps the style rules a reader relies on: one exception hierarchy, no `assert` for runtime checks."""
from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

PACKAGES = ("coop", "ledger", "governance", "projects", "api")
ERRORS_MODULE = "coop.errors"


def modules() -> Iterator[tuple[ModuleType, ast.Module]]:
    """Import every module of the packages and yield it with its parsed source."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        names = [package, *(info.name for info in pkgutil.walk_packages(root.__path__, f"{package}."))]
        for name in names:
            module = importlib.import_module(name)
            yield module, ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))


def resolve(expression: ast.expr, module: ModuleType) -> object:
    """Return the object a class's base names in its module (a name or dotted name), or None if it is not one."""
    if isinstance(expression, ast.Name):
        return vars(module).get(expression.id, getattr(builtins, expression.id, None))
    if isinstance(expression, ast.Attribute):
        return getattr(resolve(expression.value, module), expression.attr, None)
    return None


def test_no_exception_class_is_defined_outside_coop_errors() -> None:
    strays = [
        f"{module.__name__}:{node.lineno} class {node.name}"
        for module, tree in modules() if module.__name__ != ERRORS_MODULE
        for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
        if any(isinstance(base, type) and issubclass(base, BaseException) for base in (resolve(b, module) for b in node.bases))
    ]

    assert strays == [], f"exception classes belong in {ERRORS_MODULE}: {strays}"


def test_no_assert_statement_is_in_the_packages_code() -> None:
    asserts = [f"{module.__name__}:{node.lineno}" for module, tree in modules() for node in ast.walk(tree) if isinstance(node, ast.Assert)]

    assert asserts == [], f"raise a CoopError (or restructure) instead of assert, which `python -O` drops: {asserts}"
