"""The index: a peewee database that answers queries fast and is never trusted.

It is updated commit by commit from the last indexed commit to the head, and
`rebuild` drops it and replays the whole history the same way, so both give
identical rows. Verification never reads it. Peewee models stay in this layer;
callers get plain values.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import peewee
import pygit2
from playhouse.db_url import connect

from coop import authors, canonical, statements
from coop.errors import IntegrityError, StoreError
from coop.store import GitStore, blob_at, changed_files
from coop.view import DECIDED_ROLES

SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "normal", "busy_timeout": 10_000, "foreign_keys": 1}


def tuples(query: peewee.SelectBase) -> Iterable[tuple[Any, ...]]:
    """Return a query's rows as tuples, typed so (peewee's stubs type the rows of `.tuples()` as models)."""
    return cast(Iterable[tuple[Any, ...]], query.tuples())


def dicts(query: peewee.SelectBase) -> Iterable[dict[str, Any]]:
    """Return a query's rows as dicts, typed so (peewee's stubs type the rows of `.dicts()` as models)."""
    return cast(Iterable[dict[str, Any]], query.dicts())


class IndexState(peewee.Model):
    """Key/value state of the index itself, such as the last indexed commit."""

    key = peewee.CharField(primary_key=True)
    value = peewee.TextField()


class StatementRow(peewee.Model):
    """Every statement file at the head: where it is, who wrote it, its content hash."""

    path = peewee.CharField(primary_key=True)
    type = peewee.CharField(index=True)
    author = peewee.CharField(index=True)
    seq = peewee.IntegerField()
    sha256 = peewee.CharField(index=True)
    commit = peewee.CharField()


class MemberRow(peewee.Model):
    """A member as the API and CLI list them."""

    handle = peewee.CharField(primary_key=True)
    roles = peewee.CharField()
    decided_roles = peewee.CharField(null=True)
    skills = peewee.TextField()
    joined = peewee.CharField()
    updated_commit = peewee.CharField()


class Indexer(Protocol):
    """An area's index writer: its models and what to do when a file changes."""

    models: Sequence[type[peewee.Model]]

    def apply(self, path: str, raw: bytes | None, commit: str) -> None:
        """Reflect one file's new content (None: deleted) in the index."""


class CoreIndexer:
    """Index writer for statements in general and member records."""

    models: Sequence[type[peewee.Model]] = (StatementRow, MemberRow)

    def apply(self, path: str, raw: bytes | None, commit: str) -> None:
        """Record or forget a statement file and, for members, their listing row."""
        if path.startswith(DECIDED_ROLES + "/"):
            self._apply_decided_roles(path[len(DECIDED_ROLES) + 1:-5], raw)
            return
        if not path.endswith(".json") or path.startswith(("seq/", "decided/")):
            return
        if raw is None:
            StatementRow.delete().where(StatementRow.path == path).execute()
            if authors.directory_of(path) == authors.MEMBERS:
                MemberRow.delete().where(MemberRow.handle == authors.name_of(path)).execute()
            return
        try:
            body = statements.stored_body(raw)
        except IntegrityError:
            return
        upsert(StatementRow, path=path, type=body["type"], author=body["author"], seq=body["seq"],
                             sha256=hashlib.sha256(raw).hexdigest(), commit=commit)
        if body["type"] == "coop.member/v1":
            previous = MemberRow.get_or_none(MemberRow.handle == body["handle"])
            decided = previous.decided_roles if previous else None
            upsert(MemberRow, handle=body["handle"], roles=decided or ",".join(body["roles"]), decided_roles=decided,
                              skills=",".join(body["skills"]), joined=previous.joined if previous else body["created"],
                              updated_commit=commit)

    @staticmethod
    def _apply_decided_roles(handle: str, raw: bytes | None) -> None:
        """Roles a proposal decided override the member record's."""
        if raw is None:
            return
        roles = ",".join(canonical.decode(raw)["roles"])
        MemberRow.update(roles=roles, decided_roles=roles).where(MemberRow.handle == handle).execute()


def upsert(model: type[peewee.Model], **values: Any) -> None:
    """Write a row, overwriting the one with the same primary key: SQLite's REPLACE, said in a form PostgreSQL also takes."""
    key = model._meta.primary_key
    if isinstance(key, peewee.CompositeKey):
        keys = set(key.field_names)
    elif isinstance(key, peewee.Field):
        keys = {key.name}
    else:
        raise TypeError(f"{model.__name__} has no primary key to write rows by")
    target = [model._meta.fields[name] for name in sorted(keys)]
    # Compared by name: a peewee field's == builds an SQL expression, so `field in list` is always true.
    rest = [field for name, field in model._meta.fields.items() if name in values and name not in keys]
    query = model.insert(**values)
    (query.on_conflict(conflict_target=target, preserve=rest) if rest else query.on_conflict_ignore()).execute()


def has_word(column: peewee.Field, word: str) -> peewee.Expression:
    """Match one word of a comma-separated column (roles, skills) exactly."""
    return peewee.Value(",").concat(column).concat(",").contains(f",{word},")


def words(text: str) -> tuple[str, ...]:
    """Return the words of a comma-separated column (roles, skills), none for an empty one."""
    return tuple(w for w in text.split(",") if w)


@dataclass(frozen=True)
class StatementSummary:
    """A statement file at the head as the index lists it: who wrote it, its content hash, the commit that stored it."""

    path: str
    type: str
    author: str
    seq: int
    sha256: str
    commit: str


@dataclass(frozen=True)
class MemberSummary:
    """A member as the index lists it: roles in force (`decided_roles` when a proposal set them), skills, when they joined."""

    handle: str
    roles: tuple[str, ...]
    decided_roles: tuple[str, ...] | None
    skills: tuple[str, ...]
    joined: str


def find_statement(path: str) -> StatementSummary | None:
    """Return the indexed statement at a path, if any."""
    found = list(dicts(StatementRow.select().where(StatementRow.path == path)))
    return StatementSummary(**found[0]) if found else None


def member_summary(row: dict[str, Any]) -> MemberSummary:
    """Return the summary of a member row read as a dict (other areas join the member rows to theirs)."""
    decided = row["decided_roles"]
    return MemberSummary(row["handle"], words(row["roles"]), None if decided is None else words(decided), words(row["skills"]),
                         row["joined"])


def find_members(role: str | None = None, skill: str | None = None, after: str | None = None,
                 limit: int | None = None) -> list[MemberSummary]:
    """Return the indexed members by handle, optionally those with a role or a skill, after a handle, at most `limit`."""
    query = MemberRow.select()
    if role:
        query = query.where(has_word(MemberRow.roles, role))
    if skill:
        query = query.where(has_word(MemberRow.skills, skill))
    if after is not None:
        query = query.where(MemberRow.handle > after)
    return [member_summary(row) for row in dicts(query.order_by(MemberRow.handle).limit(limit))]


def open_database(url: str | None, home: Path) -> peewee.Database:
    """Open the index database: SQLite in WAL mode by default, or COOP_DATABASE_URL."""
    if not url:
        return peewee.SqliteDatabase(str(home / "index.sqlite"), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    where = url.split("@")[-1]
    try:
        db: peewee.Database = connect(url)
        if isinstance(db, peewee.SqliteDatabase):
            db.init(db.database, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        db.connect(reuse_if_open=True)
    except (RuntimeError, ValueError, ImportError, peewee.ImproperlyConfigured, peewee.OperationalError) as e:
        hint = " (install the driver: pip install 'coop[postgres]')" if isinstance(e, peewee.ImproperlyConfigured) else ""
        raise StoreError(f"cannot open the index database at {where}: {e}{hint}") from e
    return db


class Index:
    """The node's query index, fed from the git store by registered indexers."""

    def __init__(self, db: peewee.Database, indexers: Sequence[Indexer]) -> None:
        self.db = db
        self.indexers: list[Indexer] = [CoreIndexer(), *indexers]
        self.models: list[type[peewee.Model]] = [IndexState, *(m for ix in self.indexers for m in ix.models)]
        self._schema_checked = False

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Bind the models to this node's database for the duration of a query."""
        with self.db.bind_ctx(self.models):
            yield

    def query(self, fn: Callable[[], Any]) -> Any:
        """Run a read function with the models bound to this database."""
        with self.bound():
            return fn()

    @property
    def schema(self) -> str:
        """Return a fingerprint of the tables' shape: a new version of the code may need new columns."""
        shape = sorted((m._meta.table_name, tuple(m._meta.sorted_field_names)) for m in self.models)
        return hashlib.sha256(repr(shape).encode()).hexdigest()[:16]

    def last_commit(self) -> str | None:
        """Return the last commit the index reflects (None, after dropping it, if its schema is old)."""
        with self.bound():
            if not self._schema_checked:
                self._check_schema()
            row = IndexState.get_or_none(IndexState.key == "commit")
            return row.value if row else None

    def _check_schema(self) -> None:
        """Create the tables, or drop and recreate them when the code's tables changed shape (once per process)."""
        with self.bound():
            self.db.create_tables(self.models, safe=True)
            schema = IndexState.get_or_none(IndexState.key == "schema")
            if schema is None or schema.value != self.schema:
                self.db.drop_tables(self.models, safe=True)
                self.db.create_tables(self.models)
                upsert(IndexState, key="schema", value=self.schema)
        self._schema_checked = True

    def update(self, store: GitStore, progress: Callable[[int], None] | None = None) -> int:
        """Bring the index up to the head, one commit at a time; return how many were applied."""
        head = store.head()
        if head is None:
            return 0
        last = self.last_commit()
        if last == str(head.id):
            return 0
        chain = commits_since(store, head, last)
        if chain is None and last is not None and last in store.repo and store.repo.descendant_of(head.id, last):
            with self.bound():  # a merge brought our last indexed commit in as its second parent
                self._apply_changes(store, store.repo[last].tree, head)
            return 1
        if chain is None:
            fresh = store.head()
            if fresh is not None and fresh.id != head.id:
                return self.update(store, progress)  # another process committed and indexed meanwhile: catch up
            return self.rebuild(store, progress)  # the history was rewritten under the index
        with self.bound():
            for commit in chain:
                self._apply_commit(store, commit)
                if progress:
                    progress(1)
        return len(chain)

    def rebuild(self, store: GitStore, progress: Callable[[int], None] | None = None) -> int:
        """Drop every table and replay the repository's history into a fresh index."""
        with self.bound():
            self.db.drop_tables(self.models, safe=True)
        self._schema_checked = False
        return self.update(store, progress)

    def _apply_commit(self, store: GitStore, commit: pygit2.Commit) -> None:
        self._apply_changes(store, commit.parents[0].tree if commit.parents else None, commit)

    def _apply_changes(self, store: GitStore, parent_tree: pygit2.Tree | None, commit: pygit2.Commit) -> None:
        """Index the files that differ between a tree and a commit, as of that commit."""
        with self.db.atomic():
            for path, blob in changed_files(store.repo, parent_tree, commit.tree):
                raw = blob_at(store.repo, blob) if blob is not None else None
                for indexer in self.indexers:
                    indexer.apply(path, raw, str(commit.id))
            upsert(IndexState, key="commit", value=str(commit.id))

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Return every row of every table in a stable order (to compare two indexes)."""
        with self.bound():
            return {m._meta.table_name: sorted(tuples(m.select())) for m in self.models if m is not IndexState}


def commits_since(store: GitStore, head: pygit2.Commit, last: str | None) -> list[pygit2.Commit] | None:
    """Return the commits after `last` up to `head` along first parents, oldest first, to follow the branch commit by commit.

    With `last` None that is the whole history. None means `last` is not on that line: the history was
    rewritten, or `last` came in as a merge's second parent; the caller decides how to catch up.
    """
    chain = []
    commit: pygit2.Commit | None = head
    while commit is not None and str(commit.id) != last:
        chain.append(commit)
        commit = commit.parents[0] if commit.parents else None
    if last is not None and commit is None:
        return None
    chain.reverse()
    return chain
