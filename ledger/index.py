"""Index rows for the ledger: entries and postings, read from the log's entry bundles, and the reads the faces make of them."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import peewee

from coop import statements
from coop.index import dicts, tuples
from ledger import merkle, tiles
from ledger.entries import SPLIT
from ledger.log import PREFIX
from ledger.merkle import LeafIndex
from ledger.money import CurrencyCode, MinorUnits
from ledger.splits import member_account

BUNDLES = PREFIX + "tile/entries/"


class EntryRow(peewee.Model):
    """One ledger entry, by its index in the log."""

    # The column is the log index; it hides peewee's Model.index (a classmethod for declaring indexes), never called here.
    index = peewee.IntegerField(primary_key=True)  # type: ignore[assignment]
    entry_id = peewee.CharField(unique=True)
    type = peewee.CharField(index=True)
    author = peewee.CharField(index=True)
    created = peewee.CharField()
    client = peewee.CharField(null=True, index=True)
    project = peewee.CharField(null=True, index=True)
    member = peewee.CharField(null=True, index=True)
    amount = peewee.BigIntegerField(null=True)
    currency = peewee.CharField(null=True)
    leaf_hash = peewee.CharField()


class PostingRow(peewee.Model):
    """One posting of an entry: the rows balances are summed from."""

    index = peewee.IntegerField(index=True)  # type: ignore[assignment]  # as EntryRow.index
    account = peewee.CharField(index=True)
    currency = peewee.CharField()
    amount = peewee.BigIntegerField()

    class Meta:
        primary_key = peewee.CompositeKey("index", "account", "currency")


def bundle_number(path: str) -> tuple[int, int]:
    """Return (bundle number, width) of an entry bundle path such as ledger/tile/entries/x001/234.p/5."""
    parts = path[len(BUNDLES):].split("/")
    width = tiles.TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width = int(parts[-1])
        parts = parts[:-2] + [parts[-2][:-2]]
    return int("".join(p.lstrip("x") for p in parts)), width


class LedgerIndexer:
    """Keep entry and posting rows in step with the entry bundles."""

    models = (EntryRow, PostingRow)

    def apply(self, path: str, raw: bytes | None, commit: str) -> None:
        """Upsert the entries of a changed bundle (a superseded partial bundle changes nothing)."""
        if raw is None or not path.startswith(BUNDLES):
            return
        number, width = bundle_number(path)
        first = number * tiles.TILE_WIDTH
        known = {i for (i,) in tuples(EntryRow.select(EntryRow.index).where(EntryRow.index.between(first, first + width - 1)))}
        for offset, entry in enumerate(tiles.decode_bundle(raw, width)):
            index = first + offset
            if index in known:
                continue
            body = statements.parse(entry)[0]
            EntryRow.create(index=index, entry_id=body["id"], type=body["type"], author=body["author"], created=body["created"],
                            client=body.get("client"), project=body.get("project"), member=body.get("member"),
                            amount=body.get("amount"), currency=body.get("currency"), leaf_hash=merkle.leaf_hash(entry).hex())
            for posting in body.get("postings", []):
                PostingRow.create(index=index, **posting)


@dataclass(frozen=True)
class PostingSummary:
    """One posting of an entry: what it moves in or out of an account."""

    account: str
    amount: MinorUnits
    currency: CurrencyCode


@dataclass(frozen=True)
class EntrySummary:
    """A ledger entry as the index lists it, by its index in the log, with its postings by account and currency."""

    index: LeafIndex
    entry_id: str
    type: str
    author: str
    created: str
    client: str | None
    project: str | None
    member: str | None
    amount: MinorUnits | None
    currency: CurrencyCode | None
    leaf_hash: str
    postings: tuple[PostingSummary, ...]


@dataclass(frozen=True)
class Balance:
    """The sum of an account's postings in one currency (ledger.entries.as_read says what it means to a person)."""

    account: str
    currency: CurrencyCode
    amount: MinorUnits


@dataclass(frozen=True)
class Earning:
    """What a member earned from one split: when, for which project and client, how much."""

    created: str
    project: str | None
    client: str | None
    amount: MinorUnits
    currency: CurrencyCode


def find_entries(kind: str | None = None, member: str | None = None, client: str | None = None, project: str | None = None,
                 period: str | None = None, after: LeafIndex | None = None, limit: int | None = None) -> list[EntrySummary]:
    """Return the indexed entries that match, in log order: of a type, member, client or project, dated in a period (2026, 2026-11)."""
    query = EntryRow.select()
    for column, value in ((EntryRow.type, kind), (EntryRow.member, member), (EntryRow.client, client), (EntryRow.project, project)):
        if value:
            query = query.where(column == value)
    if period:
        query = query.where(EntryRow.created.startswith(period))
    if after is not None:
        query = query.where(EntryRow.index > after)
    return _with_postings(query.order_by(EntryRow.index).limit(limit))


def find_entry(entry_id: str) -> EntrySummary | None:
    """Return the indexed entry with an id, if the log holds it."""
    found = _with_postings(EntryRow.select().where(EntryRow.entry_id == entry_id))
    return found[0] if found else None


def _with_postings(entries: peewee.ModelSelect[EntryRow]) -> list[EntrySummary]:
    """Return the entries a query selects, each with its postings (read in one query, whatever the number of entries)."""
    postings: dict[int, list[PostingSummary]] = defaultdict(list)
    of_entries = PostingRow.index.in_(entries.select(EntryRow.index))
    for p in dicts(PostingRow.select().where(of_entries).order_by(PostingRow.index, PostingRow.account, PostingRow.currency)):
        postings[p["index"]].append(PostingSummary(p["account"], p["amount"], p["currency"]))
    return [EntrySummary(**row, postings=tuple(postings.get(row["index"], ()))) for row in dicts(entries)]


def find_balances(account: str | None = None, after: tuple[str, CurrencyCode] | None = None,
                  limit: int | None = None) -> list[Balance]:
    """Return the balances by account and currency, of one account or family (`member:`, `fund:`...), after an (account, currency)."""
    query = PostingRow.select(PostingRow.account, PostingRow.currency, peewee.fn.SUM(PostingRow.amount))
    if account is not None:
        query = query.where(PostingRow.account.startswith(account) if account.endswith(":") else PostingRow.account == account)
    if after is not None:
        query = query.where((PostingRow.account > after[0]) | ((PostingRow.account == after[0]) & (PostingRow.currency > after[1])))
    query = query.group_by(PostingRow.account, PostingRow.currency).order_by(PostingRow.account, PostingRow.currency)
    return [Balance(*row) for row in tuples(query.limit(limit))]


def find_earnings(handle: str) -> list[Earning]:
    """Return a member's shares of the splits, in log order (a member's posting is a credit: earned is its opposite)."""
    query = (PostingRow.select(EntryRow.created, EntryRow.project, EntryRow.client, PostingRow.amount, PostingRow.currency)
             .join(EntryRow, on=(PostingRow.index == EntryRow.index))
             .where(PostingRow.account == member_account(handle), EntryRow.type == SPLIT)
             .order_by(EntryRow.index))
    return [Earning(created, project, client, -amount, currency) for created, project, client, amount, currency in tuples(query)]
