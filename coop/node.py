"""A node: one data directory with the git store, the index, the keys and the settings.

Every write goes through `submit`: each statement is verified against the
repository as it is at the moment of the commit (signature, origin, the author's
next sequence number, the rules of its kind), and all its changes land in one
signed commit or none do.
"""
from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from coop import config, genesis, statements
from coop.accept import accept
from coop.area_contract import Area, Registry
from coop.authors import member_path
from coop.errors import BadInput, Forbidden, IntegrityError, NotFound
from coop.ids import check_id, normalise_handle
from coop.index import Index, open_database
from coop.keys import KeyPair, KeyStore
from coop.members import MEMBER_TYPE, member_fields
from coop.replay import trailer
from coop.roles import check_roles, check_skills
from coop.statements import KeyRecord
from coop.store import BRANCH, CommitSigner, GitStore, Snapshot
from coop.view import View

REPO_DIR = "repo.git"
MAINTAIN_EVERY = 256  # commits between `git gc --auto` runs (a no-op until loose objects pile up)
KEYS_DIR = "keys"

Sign = Callable[[str, Mapping[str, Any]], bytes]  # signs a statement of a kind with the next sequence number of a batch


@dataclass(frozen=True)
class Receipt:
    """Where a submitted statement now lives."""

    path: str
    commit: str
    sha256: str
    created: bool


def key_store(cfg: config.Config, passphrase: str | None = None) -> KeyStore:
    """Return the store of a node's private keys: made before the node, so that the areas' hooks can hold it too."""
    return KeyStore(cfg.home / KEYS_DIR, passphrase, cfg["kdf_cost"])


class Node:
    """An opened node: store, index, keys and the kinds of statement it accepts."""

    def __init__(self, cfg: config.Config, areas: Sequence[Area], keys: KeyStore | None = None) -> None:
        self.config = cfg
        self.home = cfg.home
        if not (self.home / REPO_DIR).exists():
            raise NotFound(f"no node at {self.home}: create one with `coop --home {self.home} init ...`")
        self.store = GitStore(self.home / REPO_DIR)
        if self.store.head() is None:
            if self.store.repo.references.get(BRANCH) is not None:
                raise IntegrityError(f"the branch of {self.home / REPO_DIR} names a commit the repository does not hold: "
                                     "it is damaged; `coop verify` lists what is missing")
            raise NotFound(f"the node at {self.home} was never finished (its repository has no commits): "
                           "remove it and run `coop init` again")
        self.registry = Registry(areas)
        self.keys = keys or key_store(cfg)
        self.index = Index(open_database(cfg["database_url"], self.home), self.registry.indexers())
        self.name = cfg["node_name"]
        self.clock: Callable[[], str] = statements.now  # tests replace it to move time without sleeping
        self._commits = 0

    # -- reading --------------------------------------------------------------------

    def view(self, rev: str | None = None) -> View:
        """Return a view of the repository at a revision (default: head)."""
        return View(self.store.snapshot(rev))

    @property
    def origin(self) -> str:
        """Return the co-op's log origin."""
        return self.view().origin

    def refresh(self) -> int:
        """Bring the index up to the repository's head."""
        return self.index.update(self.store)

    # -- signing and writing ----------------------------------------------------------

    def identity(self, handle: str | None = None) -> KeyPair:
        """Return the unlocked key of an identity this node holds (default: the configured one)."""
        chosen = handle or self.config["identity"]
        if not chosen:
            raise BadInput("say who you are with --as HANDLE (or set COOP_IDENTITY)")
        return self.keys.unlock(normalise_handle(chosen))

    def commit_signer(self) -> CommitSigner:
        """Return the node key that signs commits; a node without one (a fresh clone) takes no writes."""
        if not self.name:
            raise Forbidden("this node holds no node key, so it takes no writes: send them to a node that does, "
                            "or make one with `coop node key NAME` and have the founder register it")
        return CommitSigner(self.keys.unlock(self.name), self.name, f"{self.name}@coop")

    def sign(self, kind: str, fields: Mapping[str, Any], author: str | None = None, view: View | None = None,
             created: str | None = None, seq: int | None = None) -> bytes:
        """Sign a statement as an identity, with that author's next sequence number (or `seq`, in a batch)."""
        pair = self.identity(author)
        current = view or self.view()
        number = seq if seq is not None else current.last_seq(pair.handle) + 1
        body = statements.make_body(kind, current.origin, pair.handle, number, fields, created or self.clock())
        return statements.sign(body, [pair])

    def submit(self, raws: Sequence[bytes], message: str | None = None) -> list[Receipt]:
        """Verify statements against the head and commit them together, or refuse them all.

        A statement already stored byte for byte is answered with where it lives and
        not stored again.
        """
        if not raws:
            raise BadInput("nothing to submit")
        return self._commit(lambda view: raws, message)

    def _commit(self, make: Callable[[View], Sequence[bytes]], message: str | None) -> list[Receipt]:
        """Commit the statements `make` gives for the head, asking again on each retry against a newer head."""
        receipts: list[Receipt] = []
        made: list[bytes] = []

        def prepare(snapshot: Snapshot) -> dict[str, bytes | None]:
            receipts.clear()
            view = View(snapshot, now=self.clock())
            made[:] = make(view)
            receipts.extend(self._accept(raw, view) for raw in made)
            if any(r.created for r in receipts):
                for finish in self.registry.finishers():
                    view.stage(finish(view))
            return view.pending

        def describe() -> str:
            created = [r.path for r in receipts if r.created]
            return f"{message or self._message(made)}\n\n{trailer(created)}\n"

        commit = self.store.commit(prepare, describe, self.commit_signer())
        if any(r.created for r in receipts):
            landed = self.view(commit)
            for step in self.registry.landed():
                step(landed)
            self.refresh()
            self._commits += 1
            if self._commits % MAINTAIN_EVERY == 0:
                self.store.maintain()  # pygit2 never packs: let git do it now and then
        return [replace(r, commit=commit) if r.created else r for r in receipts]

    def submit_one(self, raw: bytes, message: str | None = None) -> Receipt:
        """Submit a single statement."""
        return self.submit([raw], message)[0]

    def _accept(self, raw: bytes, view: View) -> Receipt:
        """Accept one statement into the view (coop.accept) and say where it lives."""
        accepted = accept(self.registry, view, raw)
        stored_in = view.snapshot.id if not accepted.new and view.snapshot is not None else None
        return Receipt(accepted.path, stored_in or "", accepted.statement.sha256, created=accepted.new)

    @staticmethod
    def _message(raws: Sequence[bytes]) -> str:
        bodies = [statements.parse(raw)[0] for raw in raws]
        first = bodies[0]
        more = f" (+{len(bodies) - 1} more)" if len(bodies) > 1 else ""
        return f"{first['type']} by {first['author']} #{first['seq']}{more}"

    def write(self, kind: str, fields: Mapping[str, Any], author: str | None = None, created: str | None = None) -> Receipt:
        """Sign a statement as an identity this node holds and submit it.

        It is signed against the head the commit builds on, again on every retry, so
        the sequence number is always the author's next one however many writers
        share the key.
        """
        return self.write_batch(lambda view, sign: [sign(kind, fields)], author, created)[0]

    def write_batch(self, build: Callable[[View, Sign], Sequence[bytes]], author: str | None = None, created: str | None = None,
                    message: str | None = None) -> list[Receipt]:
        """Sign several statements as one identity and submit them in one commit, or none of them.

        `build` is asked for the statements against the head the commit builds on, again
        on every retry, with a `sign(kind, fields)` that gives each the author's next
        sequence number in turn, all dated alike.
        """
        def make(view: View) -> Sequence[bytes]:
            handle, stamp = self.identity(author).handle, created or self.clock()
            numbers = itertools.count(view.last_seq(handle) + 1)
            return build(view, lambda kind, fields: self.sign(kind, fields, handle, view, stamp, next(numbers)))

        return self._commit(make, message)

    # -- members ----------------------------------------------------------------------

    def add_member(self, handle: str, roles: list[str], skills: list[str], author: str | None = None,
                   public: KeyRecord | None = None, **extra: Any) -> Receipt:
        """Register a member; without a public key, this node creates and keeps their key."""
        handle = normalise_handle(handle)
        check_roles(roles)
        check_skills(sorted(set(skills)))
        pair = None
        if public is None:
            pair = self.keys.unlock(handle) if self.keys.has(handle) else KeyPair.generate(handle)
            public = KeyRecord(pair.public)
        receipt = self.write(MEMBER_TYPE, member_fields(handle, roles, skills, [public], **extra), author)
        if pair is not None and not self.keys.has(handle):
            self.keys.save(pair)  # only once the record landed: a refused member leaves no key behind
        return receipt

    def update_member(self, handle: str, author: str | None = None, **changes: Any) -> Receipt:
        """Replace a member's record with changed fields (skills, keys as KeyRecords, roles), naming the version replaced."""
        view = self.view()
        raw = view.read(member_path(handle))
        if raw is None:
            raise NotFound(f"no such member {handle!r}")
        current = statements.parse(raw)[0]
        fields = {k: v for k, v in current.items() if k not in {"secret", *statements.COMMON_FIELDS}}  # a claim's code is spent
        if "keys" in changes:
            changes["keys"] = [k.to_dict() for k in changes["keys"]]
        fields.update(changes, previous=hashlib.sha256(raw).hexdigest())
        return self.write(MEMBER_TYPE, fields, author or handle)


def create(cfg: config.Config, areas: Sequence[Area], name: str, origin: str, founder: str,
           keys: KeyStore | None = None, node_name: str = "node", rules: Mapping[str, Any] | None = None) -> Node:
    """Create a node in an empty directory: repository, charter, founder's key and record, node key, settings."""
    home = cfg.home
    founder = normalise_handle(founder)
    node_name = check_id(node_name, "node name")
    if node_name == founder:
        raise BadInput("the node's name must differ from the founder's handle")
    home.mkdir(parents=True, exist_ok=True)
    store = GitStore.create(home / REPO_DIR)
    keys = keys or key_store(cfg)
    founder_key = keys.create(founder)
    node_key = keys.create(node_name)
    changes = genesis.build(founder_key, node_key, name, origin, rules)
    store.commit(lambda snapshot: changes, f"Create co-op {name}", CommitSigner(node_key, node_name, f"{node_name}@coop"))
    config.write_node_file(home, {"node_name": node_name, "identity": founder, "kdf_cost": cfg["kdf_cost"]})
    node = Node(config.load({"home": str(home)}), areas, keys)
    node.refresh()
    return node
