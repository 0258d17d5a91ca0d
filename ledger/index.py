"""Index rows for the ledger: entries and postings, read from the log's entry bundles."""
from __future__ import annotations

import peewee

from coop import statements
from coop.index import tuples
from ledger import merkle, tiles
from ledger.log import PREFIX

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
