"""IDs that become path parts: one allow-list, applied before any file or git call."""
from __future__ import annotations

from pathlib import Path

import pytest

from coop.errors import BadInput
from coop.ids import check_id
from coop.node import Node

UNSAFE = [
    ("../x", "dotdot"),
    ("/etc/passwd", "absolute"),
    ("a/b", "slash"),
    (".git", "dot-git"),
    (".GIT", "dot-git-upper"),
    ("git~1", "git-8.3-name"),
    ("a\x00b", "nul"),
    ("a" * 64, "64-chars"),
    ("a\u200bb", "zero-width-space"),
    ("", "empty"),
    ("-a", "leading-hyphen"),
    ("a b", "space"),
    ("a\\b", "backslash"),
    ("a.json", "dot"),
]


@pytest.mark.parametrize("value", [v for v, _ in UNSAFE], ids=[i for _, i in UNSAFE])
def test_unsafe_id_is_refused(value: str) -> None:
    with pytest.raises(BadInput, match="is not allowed"):
        check_id(value)


@pytest.mark.parametrize("value", ["a", "alice", "web-shop-2", "0day", "a" * 63], ids=["1-char", "word", "hyphens", "digit-first", "63-chars"])
def test_safe_id_is_accepted(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize("value", [None, 7, b"alice", ["alice"]], ids=["none", "int", "bytes", "list"])
def test_id_that_is_not_a_string_is_refused(value: object) -> None:
    with pytest.raises(BadInput, match="must be a string"):
        check_id(value)


def objects_on_disk(node: Node) -> set[Path]:
    """Return every file under the repository's object directory."""
    return {p for p in (node.store.path / "objects").rglob("*") if p.is_file()}


@pytest.mark.parametrize("handle", [v for v, _ in UNSAFE], ids=[i for _, i in UNSAFE])
def test_unsafe_handle_is_refused_before_any_git_call(node: Node, handle: str) -> None:
    head = node.store.head_id()
    objects = objects_on_disk(node)
    key_files = set((node.home / "keys").rglob("*"))

    with pytest.raises(BadInput):
        node.add_member(handle, ["member"], [])

    assert node.store.head_id() == head
    assert objects_on_disk(node) == objects
    assert set((node.home / "keys").rglob("*")) == key_files
