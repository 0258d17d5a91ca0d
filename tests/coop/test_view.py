"""A view lays pending changes over a snapshot: what it lists and the blob ids it gives are what the commit will hold."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.keys import KeyPair
from coop.store import CommitSigner, GitStore
from coop.view import View

SIGNER = CommitSigner(KeyPair("node", bytes(32)), "node", "node@coop")
NAMES = st.sampled_from(["a.json", "b.json", "c.json"])
CHANGES = st.dictionaries(st.tuples(st.sampled_from(["d", "d/x", "d/y"]), NAMES).map("/".join),
                          st.none() | st.binary(max_size=8), max_size=6)


@pytest.fixture
def store(tmp_path: Path) -> GitStore:
    """Return a store whose one commit holds d/a.json and d/x/a.json."""
    created = GitStore.create(tmp_path / "repo.git")
    created.commit(lambda snapshot: {"d/a.json": b"1", "d/x/a.json": b"2"}, "Initial commit", SIGNER)
    return created


def test_a_directory_only_pending_changes_make_is_listed(store: GitStore) -> None:
    view = View(store.snapshot(), {"d/new/a.json": b"3"})

    assert view.list("d") == ["a.json", "new", "x"]


@settings(max_examples=30, deadline=None)  # each example makes a repository and two commits
@given(changes=CHANGES)
def test_listing_and_blob_ids_match_the_commit_the_changes_make(tmp_path_factory: pytest.TempPathFactory, changes: dict[str, bytes | None]) -> None:
    store = GitStore.create(tmp_path_factory.mktemp("repo") / "repo.git")
    store.commit(lambda snapshot: {"d/a.json": b"1", "d/x/a.json": b"2"}, "Initial commit", SIGNER)
    view = View(store.snapshot(), changes)
    expected = ({name: view.blob_ids(f"d/{name}") for name in ("x", "y")}, view.blob_ids("d"), view.list("d"))

    store.commit(lambda snapshot: changes, "Apply", SIGNER)
    committed = View(store.snapshot())

    assert ({name: committed.blob_ids(f"d/{name}") for name in ("x", "y")}, committed.blob_ids("d")) == expected[:2]
    assert set(committed.list("d")) <= set(expected[2])  # a directory whose files all went is gone from the commit
