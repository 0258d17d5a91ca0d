"""The client SDK for allied apps: keys, signed statements, lists, webhooks and ledger proofs.

    from api.sdk import Client, new_key
    coop = Client("https://coop.example")
    key = new_key("my-app")                      # the app's own key; keep key_seed(key) secret
    coop.submit(key, "coop.project/v1", {...})   # sign with the next sequence number and post
    for member in coop.items("/api/v1/members"): ...
    coop.set_webhook(key, "https://my-app.example/hook?token=...")  # node-private, signed by the app
    event = coop.verify_webhook(request.headers, request.body)
    log = list(coop.deliveries(key))             # the app's delivery log, signed by the app
    entry = coop.verify_entry(12, vkey)          # inclusion proof against the log's verifier key
    report = coop.audit(vkey)                    # the whole log, from its tiles, against the key
    coop.pay_milestone(key, "shop", "m1", 120000, "EUR", "wise-eur")  # revenue, split, milestone paid: one commit

Nothing the server says is trusted where it can be checked: receipts and the
audit are verified against the log's verifier key, webhooks against the node
keys.
"""
from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests

from api.webhooks import signature
from coop import canonical, statements
from coop.apps import APP_TYPE
from coop.errors import ApiError, CoopError, IntegrityError, Invalid, SequenceUsed
from coop.keys import KeyPair, PublicKey, b64, unb64
from coop.statements import KeyRecord
from governance import proposals as P
from ledger import entries as E
from ledger import merkle, tiles
from ledger.note import TlogProof, VerifiedCheckpoint, Verifier, verify_checkpoint, verify_tlog_proof
from projects.payments import PaymentTerms

WRITE_DEADLINE = 60.0  # seconds a write keeps signing again while writers sharing its key take the numbers first
BACKOFF_FIRST = 0.01
BACKOFF_MAX = 0.5
T = TypeVar("T")


def now() -> str:
    """Return the current time as statements write it (e.g. a new client's `registered`)."""
    return statements.now()


def new_key(handle: str) -> KeyPair:
    """Make a fresh ed25519 key for a member or an app."""
    return KeyPair.generate(handle)


def key_seed(pair: KeyPair) -> str:
    """Return the secret seed of a key as base64, to store it (keep it secret)."""
    return b64(pair.seed)


def key_from_seed(handle: str, seed: str) -> KeyPair:
    """Load a key from its base64 seed."""
    return KeyPair(handle, unb64(seed, "key seed", 32))


def key_record(pair: KeyPair) -> dict[str, Any]:
    """Return a key's public entry as app and member records list it."""
    return KeyRecord(pair.public).to_dict()


def verify_webhook(headers: Mapping[str, str], body: bytes, node_keys: Iterable[PublicKey],
                   tolerance: int = signature.TOLERANCE) -> dict[str, Any]:
    """Check a delivery's signature by one of the node keys and return its event, or raise BadSignature."""
    header = next((v for k, v in headers.items() if k.lower() == signature.HEADER.lower()), None)
    signature.verify(header, body, node_keys, tolerance)
    event: dict[str, Any] = json.loads(body)
    return event


@dataclass(frozen=True)
class Audit:
    """What an audit of the log established: its verified checkpoint and every entry in it."""

    checkpoint: VerifiedCheckpoint
    entries: tuple[bytes, ...]

    @property
    def size(self) -> int:
        """Return the number of entries audited."""
        return self.checkpoint.checkpoint.size

    def bodies(self) -> list[Mapping[str, Any]]:
        """Return the entries' statement bodies, in log order."""
        return [statements.parse(raw)[0] for raw in self.entries]


class Client:
    """A co-op's HTTP API, as an allied app uses it."""

    def __init__(self, url: str, session: requests.Session | None = None, timeout: float = 10.0,
                 write_deadline: float = WRITE_DEADLINE) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.write_deadline = write_deadline
        self._origin: str | None = None
        self._node_name: str | None = None

    # -- plumbing -----------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Make a request and raise ApiError for any error answer."""
        response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json()["error"]
                code, message = detail["code"], detail["message"]
            except (ValueError, KeyError, TypeError):
                code, message = "error", response.text[:200]
            raise ApiError(response.status_code, code, message)
        return response

    def get(self, path: str, **params: Any) -> Any:
        """Return the JSON of a GET."""
        return self.request("GET", path, params=params).json()

    def get_bytes(self, path: str, **params: Any) -> bytes:
        """Return the body of a GET as bytes."""
        return self.request("GET", path, params=params).content

    def items(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Yield every item of a list, page after page."""
        cursor: str | None = None
        while True:
            page = self.get(path, **params, **({"cursor": cursor} if cursor else {}))
            yield from page["items"]
            cursor = page["next"]
            if not cursor:
                return

    # -- statements ---------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """Return the co-op's log origin, which every statement names."""
        if self._origin is None:
            self._origin = self.get("/api/v1")["origin"]
        return self._origin

    def next_seq(self, author: str) -> int:
        """Return the sequence number an author signs with next."""
        return int(self.get(f"/api/v1/authors/{author}/seq")["next"])

    def sign(self, pair: KeyPair, kind: str, fields: Mapping[str, Any], seq: int | None = None, created: str | None = None) -> bytes:
        """Sign a statement as the key's holder, with their next sequence number unless given, dated now unless given."""
        number = self.next_seq(pair.handle) if seq is None else seq
        return statements.sign(statements.make_body(kind, self.origin, pair.handle, number, fields, created), [pair])

    def post(self, raw: bytes, path: str = "/api/v1/statements") -> dict[str, Any]:
        """Post a signed statement; return where it lives (`created` is False if it was already stored)."""
        result: dict[str, Any] = self.request("POST", path, data=raw, headers={"Content-Type": "application/json"}).json()
        return result

    def submit(self, pair: KeyPair, kind: str, fields: Mapping[str, Any], path: str = "/api/v1/statements") -> dict[str, Any]:
        """Sign and post a statement, signing again with the next number while other writers of the key take it first.

        Between tries it waits a random time that grows with each loss (full jitter),
        so writers sharing a key spread out instead of colliding again; it gives up
        only after `write_deadline` seconds.
        """
        return self._signing_again(lambda: self.post(self.sign(pair, kind, fields), path))

    def _signing_again(self, attempt: Callable[[], T], outrun: Callable[[ApiError], bool] = lambda e: False) -> T:
        """Run a signed write again, with growing random waits, while other writers outrun it.

        Writers sharing its key take its numbers first; `outrun` tells of other ways
        another write makes it stale.
        """
        deadline = time.monotonic() + self.write_deadline
        losses = 0
        while True:
            try:
                return attempt()
            except ApiError as e:
                if not (e.code == SequenceUsed.code or outrun(e)) or time.monotonic() >= deadline:
                    raise
            losses += 1
            time.sleep(random.uniform(0, min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** losses)))

    # -- governance ---------------------------------------------------------------------

    def open_proposal(self, pair: KeyPair, proposal_id: str, title: str, text: str, method: str, closes_in: int,
                      effect: Mapping[str, Any] | None = None, options: Iterable[str] = ()) -> dict[str, Any]:
        """Make a proposal that opens now and closes after `closes_in` seconds, for the electorate and rules in force."""
        current = self.get("/api/v1/governance")
        opening = P.Opening(statements.now(), closes_in, current["eligible"], current["rules"])
        fields = P.proposal_body(proposal_id, title, text, method, effect or {"kind": "general"}, opening, list(options))
        return self.submit(pair, P.PROPOSAL_TYPE, fields, "/api/v1/proposals")

    def vote(self, pair: KeyPair, proposal_id: str, choice: str, reason: str = "", ranking: Sequence[str] = ()) -> dict[str, Any]:
        """Vote on the current version of a proposal (a ranked-choice vote orders the options in `ranking`)."""
        sha = self.get(f"/api/v1/proposals/{proposal_id}")["sha256"]
        fields = P.vote_body(proposal_id, sha, choice, reason, ranking)
        return self.submit(pair, P.VOTE_TYPE, fields, f"/api/v1/proposals/{proposal_id}/votes")

    def close(self, pair: KeyPair, proposal_id: str) -> dict[str, Any]:
        """Close a proposal whose window has ended, signing the outcome the node computes from the votes."""
        fields = self.get(f"/api/v1/proposals/{proposal_id}/outcome")["fields"]
        return self.submit(pair, P.OUTCOME_TYPE, fields, f"/api/v1/proposals/{proposal_id}/outcome")

    # -- projects -----------------------------------------------------------------------

    def pay_milestone(self, pair: KeyPair, project_id: str, milestone_id: str, amount: int, currency: str,
                      account: str) -> list[dict[str, Any]]:
        """Record that a milestone's `amount` (minor units) arrived in `account`: revenue, split and milestone paid, in one commit.

        The node says what the payment must carry now (the split's team, referrer and
        liaison, the log index); the three statements are signed here with the payer's
        key and posted together, so the node never holds it. If another entry joins the
        log in between, the split names a taken index: it reads the terms and signs again.
        """
        path = f"/api/v1/projects/{project_id}/milestones/{milestone_id}/payment"
        signed_at: list[int] = []  # the log index the last attempt's split named

        def attempt() -> list[dict[str, Any]]:
            terms = PaymentTerms.from_dict(self.get(path))
            signed_at[:] = [terms.index]
            numbers = itertools.count(self.next_seq(pair.handle))
            raws = terms.statements(lambda kind, fields: self.sign(pair, kind, fields, next(numbers), terms.created),
                                    amount, currency, account)
            body = canonical.encode([canonical.decode(raw) for raw in raws])
            answer: list[dict[str, Any]] = self.request("POST", path, data=body, headers={"Content-Type": "application/json"}).json()["items"]
            return answer

        def log_moved(error: ApiError) -> bool:
            return error.status == Invalid.status and int(self.get(path)["index"]) != signed_at[0]

        return self._signing_again(attempt, log_moved)

    # -- apps and webhooks --------------------------------------------------------------

    def register_app(self, member: KeyPair, app_id: str, name: str, app_key: KeyPair | PublicKey, scopes: Iterable[str],
                     webhook: str | None = None, events: Iterable[str] = ()) -> dict[str, Any]:
        """Register an app as a member, who becomes its owner; a webhook URL is then set by the app's own key."""
        if webhook is not None and not isinstance(app_key, KeyPair):
            raise ValueError("the app's webhook URL is set by the app's key: pass its KeyPair, or call set_webhook later")
        public = app_key.public if isinstance(app_key, KeyPair) else app_key
        fields = {"id": app_id, "name": name, "owner": member.handle, "keys": [KeyRecord(public).to_dict()],
                  "scopes": sorted(set(scopes)), "webhook": None, "events": sorted(set(events))}
        receipt = self.submit(member, APP_TYPE, fields, "/api/v1/apps")
        if webhook is not None and isinstance(app_key, KeyPair):
            self.set_webhook(app_key, webhook)
        return receipt

    def subscribe(self, app: KeyPair, webhook: str | None, events: Iterable[str]) -> dict[str, Any]:
        """Set where this node delivers the app's webhooks (privately), then the events in its record, as the app."""
        self.set_webhook(app, webhook)
        record = self.get(f"/api/v1/apps/{app.handle}")
        fields = {k: record[k] for k in ("id", "name", "owner", "keys", "scopes")}
        return self.submit(app, APP_TYPE, {**fields, "webhook": None, "events": sorted(set(events))}, "/api/v1/apps")

    @property
    def node_name(self) -> str:
        """Return the name of the node this client speaks to, which an app's signed requests name."""
        if self._node_name is None:
            self._node_name = str(self.get("/api/v1")["node"]["name"])
        return self._node_name

    def signed_request(self, app: KeyPair, method: str, path: str, query: Mapping[str, Any] | None = None,
                       body: bytes = b"") -> requests.Response:
        """Make a request only the app may make, signed by its key over the exact path, query and body."""
        target = path + (f"?{urlencode(query)}" if query else "")
        header = signature.sign_request(app, self.origin, self.node_name, method, target, body)
        headers = {signature.REQUEST_HEADER: header, **({"Content-Type": "application/json"} if body else {})}
        return self.request(method, target, data=body or None, headers=headers)

    def set_webhook(self, app: KeyPair, url: str | None) -> dict[str, Any]:
        """Set (or with None, clear) where this node delivers the app's webhooks; the URL never becomes public."""
        answer: dict[str, Any] = self.signed_request(app, "PUT", f"/api/v1/apps/{app.handle}/webhook",
                                                     body=canonical.encode({"url": url})).json()
        return answer

    def deliveries(self, app: KeyPair, status: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the app's delivery log on this node, page after page, each page asked for by a signed request."""
        cursor: str | None = None
        while True:
            query = {**({"status": status} if status else {}), **({"cursor": cursor} if cursor else {})}
            page = self.signed_request(app, "GET", f"/api/v1/apps/{app.handle}/deliveries", query).json()
            yield from page["items"]
            cursor = page["next"]
            if not cursor:
                return

    def node_keys(self) -> list[PublicKey]:
        """Return the keys the co-op's nodes sign webhooks with (revoked ones left out)."""
        found = []
        for node in self.get("/api/v1/nodes")["items"]:
            found += [KeyRecord.from_dict(k).public for k in node["keys"] if "revoked_after" not in k]
        return found

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, tolerance: int = signature.TOLERANCE) -> dict[str, Any]:
        """Check a delivery against the nodes' keys and return its event."""
        return verify_webhook(headers, body, self.node_keys(), tolerance)

    # -- the ledger ---------------------------------------------------------------------

    def checkpoint(self, vkey: str) -> VerifiedCheckpoint:
        """Fetch the log's checkpoint and verify it with the verifier key."""
        key = Verifier.from_vkey(vkey)
        return verify_checkpoint(self.get_bytes("/ledger/checkpoint"), key, key.name)

    def verify_entry(self, index: int, vkey: str, size: int | None = None) -> Mapping[str, Any]:
        """Fetch an entry's receipt, verify it against the verifier key, and return the entry's body."""
        key = Verifier.from_vkey(vkey)
        params = {"index": index, **({"size": size} if size is not None else {})}
        data = self.get_bytes("/api/v1/ledger/proof", **params)
        proof = TlogProof.from_bytes(data)
        if proof.extra is None or proof.index != index:
            raise IntegrityError(f"the receipt for entry {index} is for entry {proof.index} or lacks the entry")
        verify_tlog_proof(data, proof.extra, key, key.name)
        return statements.parse(proof.extra)[0]

    def verify_consistency(self, older: VerifiedCheckpoint, newer: VerifiedCheckpoint) -> None:
        """Check that the newer checkpoint's tree extends the older one's, or raise IntegrityError."""
        if older.checkpoint.size == 0:
            return
        answer = self.get("/api/v1/ledger/consistency", **{"from": older.checkpoint.size, "to": newer.checkpoint.size})
        proof = [unb64(h, "proof hash", merkle.HASH_SIZE) for h in answer["proof"]]
        if not newer.extends(older, proof):
            raise IntegrityError(f"the log of size {newer.checkpoint.size} does not extend the one of size {older.checkpoint.size}")

    def audit(self, vkey: str, since: VerifiedCheckpoint | None = None) -> Audit:
        """Audit the whole log over HTTP with nothing but its verifier key.

        Verify the checkpoint, fetch every entry bundle and hash tile, check that the
        entries hash to the signed root and the tiles hold exactly their hashes, and
        that every entry balances; with `since`, also that the log extends it.
        """
        verified = self.checkpoint(vkey)
        size = verified.checkpoint.size
        found: list[bytes] = []
        for bundle in range((size + tiles.TILE_WIDTH - 1) // tiles.TILE_WIDTH):
            width = min(size - bundle * tiles.TILE_WIDTH, tiles.TILE_WIDTH)
            found += tiles.decode_bundle(self.get_bytes(f"/ledger/{tiles.bundle_path(bundle, width)}"), width)
        leaves = [merkle.leaf_hash(raw) for raw in found]
        if merkle.root(leaves) != verified.checkpoint.root:
            raise IntegrityError("the entries the server serves do not hash to its signed checkpoint")
        for path, data in tiles.tile_updates(0, leaves, _no_tile).items():
            if self.get_bytes(f"/ledger/{path}") != data:
                raise IntegrityError(f"/ledger/{path} does not hold the hashes of the entries")
        for index, raw in enumerate(found):
            body = statements.parse(raw)[0]
            try:
                E.check_entry(body)
            except CoopError as e:
                raise IntegrityError(f"entry {index}: {e}") from e
        if since is not None:
            self.verify_consistency(since, verified)
        return Audit(verified, tuple(found))


def _no_tile(path: str) -> bytes:
    raise RuntimeError(f"computing tiles from size 0 reads no stored tile, asked for {path}")
