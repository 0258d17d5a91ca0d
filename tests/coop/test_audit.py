"""Whole-repository verification: every commit must be signed by a node and be exactly what its statements cause."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pygit2
import pytest

from coop import audit, config, replay, statements
from coop.accept import accept
from coop.audit import Report
from coop.keys import KeyPair
from coop.members import ALLOWED_SIGNERS, MEMBER_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord
from coop.store import BRANCH, CommitSigner, GitStore, Snapshot
from coop.view import View

COOP = Path(sys.executable).with_name("coop")


def verify(node: Node) -> Report:
    """Verify the node's repository from its files alone."""
    return audit.verify_repository(node.store, node.registry)


def problems_at(report: Report, commit: str) -> list[str]:
    """Return the problems reported for one commit."""
    return [p.message for p in report.problems if p.where == f"commit {commit[:12]}"]


def commit_as(node: Node, signer: CommitSigner, raws: Sequence[bytes], extra: Mapping[str, bytes | None] | None = None) -> str:
    """Commit statements with the changes the rules give them, signed by any key, plus extra changes."""
    paths: list[str] = []

    def prepare(snapshot: Snapshot) -> dict[str, bytes | None]:
        view = View(snapshot)
        paths.clear()
        for raw in raws:
            statement = statements.verify(raw, origin=view.origin, keys=view.keys)
            paths.append(node.registry.kind(statement.type).path(statement))
            accept(node.registry, view, raw, stored_at=paths[-1])
        view.stage(extra or {})
        return view.pending

    return node.store.commit(prepare, lambda: f"Test commit\n\n{replay.trailer(paths)}\n", signer)


@pytest.fixture
def erin(node: Node, sign_as: Callable[..., bytes]) -> bytes:
    """Return alice's signed statement adding erin, not yet submitted."""
    fields = member_fields("erin", ["member"], ["go"], [KeyRecord(KeyPair.generate("erin").public)])
    return sign_as(node.keys.unlock("alice"), MEMBER_TYPE, fields)


@pytest.fixture
def rogue_node(node: Node) -> Iterator[Node]:
    """Return a second node on the same data directory whose key the co-op never registered."""
    rogue = Node(config.load({"home": str(node.home), "node_name": "rogue"}), node.registry.areas)
    rogue.keys.create("rogue")
    yield rogue
    rogue.index.db.close()


def test_fresh_node_verifies(node: Node) -> None:
    report = verify(node)

    assert report, report.problems
    assert report.commits == len(list(node.store.repo.walk(node.store.head_id())))
    assert report.statements == 6  # charter, alice, node record, bob, carol, dan


def test_commit_made_by_the_rules_verifies(node: Node, erin: bytes) -> None:
    commit_as(node, node.commit_signer(), [erin])

    assert verify(node), verify(node).problems


def test_unsigned_commit_added_with_plain_git_is_reported(node: Node, commit_outside_platform: Callable[[Path], str]) -> None:
    commit = commit_outside_platform(node.store.path)

    problems = problems_at(verify(node), commit)

    assert any("no signature" in p for p in problems), problems


def test_change_made_with_plain_git_is_reported(node: Node, commit_outside_platform: Callable[[Path], str]) -> None:
    commit = commit_outside_platform(node.store.path)

    problems = problems_at(verify(node), commit)

    assert "notes.txt: changed by the commit but caused by none of its statements" in problems


@pytest.mark.parametrize("signer", [
    lambda node: CommitSigner(KeyPair.generate("node"), "node", "node@coop"),
    lambda node: CommitSigner(node.keys.unlock("alice"), "alice", "alice@coop"),
    lambda node: CommitSigner(node.keys.unlock("alice"), "node", "node@coop"),
], ids=["stranger-key-in-the-nodes-name", "member-key-in-own-name", "member-key-in-the-nodes-name"])
def test_commit_signed_by_a_key_that_is_not_a_node_key_is_reported(node: Node, erin: bytes,
                                                                   signer: Callable[[Node], CommitSigner]) -> None:
    commit = commit_as(node, signer(node), [erin])

    problems = problems_at(verify(node), commit)

    assert len(problems) == 1 and "which is not a key of node" in problems[0], problems


def test_commit_by_a_node_the_coop_never_registered_is_reported(rogue_node: Node) -> None:
    receipt = rogue_node.add_member("erin", ["member"], ["go"])

    problems = problems_at(verify(rogue_node), receipt.commit)

    assert problems == [f"commit is signed by key {rogue_node.keys.unlock('rogue').kid}, which is not a key of node 'rogue'"]


def test_altered_commit_with_the_original_signature_is_reported(node: Node) -> None:
    head = node.store.head()
    assert head is not None
    armored, payload = head.gpg_signature
    altered = payload.replace(b"by bob", b"by mallory")
    forged = node.store.repo.create_commit_with_signature(altered.decode(), armored.decode())
    node.store.repo.references[BRANCH].set_target(forged)

    problems = problems_at(verify(node), str(forged))

    assert any("commit signature is invalid" in p for p in problems), problems


def test_forged_statement_in_a_node_signed_commit_is_reported(node: Node, erin: bytes) -> None:
    forged = erin.replace(b'"skills":["go"]', b'"skills":["gp"]')
    assert forged != erin
    commit = commit_as(node, node.commit_signer(), [erin], extra={"members/erin.json": forged})

    problems = problems_at(verify(node), commit)

    assert problems == ["members/erin.json: signature does not verify"]


@pytest.mark.parametrize("path, data", [
    ("notes/readme.json", b"{}"),
    ("members/bob.json", None),
    (ALLOWED_SIGNERS, b"mallory ssh-ed25519 AAAA\n"),
    ("seq/carol.json", b'{"path":"members/carol.json","seq":1}'),
], ids=["file-added", "member-record-deleted", "allowed-signers-edited", "sequence-rewound"])
def test_change_no_statement_causes_is_reported(node: Node, erin: bytes, path: str, data: bytes | None) -> None:
    commit = commit_as(node, node.commit_signer(), [erin], extra={path: data})

    problems = problems_at(verify(node), commit)

    assert problems == [f"{path}: changed by the commit but caused by none of its statements"]


def test_every_bad_commit_is_reported_not_only_the_first(node: Node, erin: bytes) -> None:
    first = commit_as(node, node.commit_signer(), [erin], extra={"notes/one.json": b"{}"})
    second = commit_as(node, node.commit_signer(), [], extra={"notes/two.json": b"{}"})

    report = verify(node)

    assert problems_at(report, first) and problems_at(report, second)


# -- damaged git objects ---------------------------------------------------------------------------


def loose_file(repository: Path, oid: str) -> Path:
    """Return the file of a loose object, made writable so a test can damage it."""
    path = repository / "objects" / oid[:2] / oid[2:]
    os.chmod(path, 0o644)
    return path


def overwrite_with_garbage(path: Path) -> None:
    """Replace the object's zlib stream with bytes that are not one."""
    path.write_bytes(b"this is not a zlib stream" * 4)


def truncate(path: Path) -> None:
    """Cut the object's file short, as a full disk or a crash does."""
    path.write_bytes(path.read_bytes()[:20])


def delete(path: Path) -> None:
    """Remove the object while trees and commits still name it."""
    path.unlink()


def replace_content(path: Path) -> None:
    """Store a whole, valid object with other content under the old id."""
    path.write_bytes(zlib.compress(b"blob 5\0other"))


DAMAGES = [overwrite_with_garbage, truncate, delete, replace_content]
def blob_at_path(path: str) -> Callable[[pygit2.Commit], pygit2.Oid]:
    """Pick the object at a path of the head's tree."""
    return lambda head: head.tree[path].id


OBJECTS = {
    "blob": lambda head: head.tree["members/bob.json"].id,
    "tree": lambda head: head.tree["members"].id,
    "commit": lambda head: head.parent_ids[0],
}


@pytest.fixture
def copy(node: Node, tmp_path: Path) -> Path:
    """Return a copy of the node's data directory, to damage."""
    return Path(shutil.copytree(node.home, tmp_path / "copy"))


def damage(home: Path, pick: Callable[[pygit2.Commit], pygit2.Oid], how: Callable[[Path], None]) -> str:
    """Damage one object of the node's repository at home; return its id."""
    repository = home / "repo.git"
    head = GitStore(repository).head()
    assert head is not None
    oid = str(pick(head))
    how(loose_file(repository, oid))
    return oid


@pytest.mark.parametrize("how", DAMAGES, ids=[d.__name__ for d in DAMAGES])
@pytest.mark.parametrize("kind", list(OBJECTS))
def test_a_damaged_object_is_reported_once_and_history_is_not_replayed_over_it(node: Node, copy: Path, kind: str,
                                                                                 how: Callable[[Path], None]) -> None:
    oid = damage(copy, OBJECTS[kind], how)

    report = audit.verify_repository(GitStore(copy / "repo.git"), node.registry)

    assert [p.where for p in report.problems] == [f"object {oid}"], report.problems
    assert report.problems[0].message.startswith(kind)
    assert not report and not report.replayed


def test_verify_prints_one_bad_line_per_damaged_object_without_a_traceback(node: Node, copy: Path) -> None:
    damaged = [damage(copy, blob_at_path(path), how)
               for path, how in [("members/bob.json", overwrite_with_garbage), ("members/carol.json", truncate),
                                 ("members/dan.json", delete)]]

    result = subprocess.run([str(COOP), "--home", str(copy), "verify"], capture_output=True, text=True, timeout=120)

    bad = [line for line in result.stderr.splitlines() if line.startswith("BAD ")]
    assert result.returncode != 0
    assert sorted(line.split()[2].rstrip(":") for line in bad) == sorted(damaged), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "verification failed: 3 problems" in result.stderr
