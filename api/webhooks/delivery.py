"""Webhooks: a persistent outbox of events and signed deliveries with backoff.

Events are derived from the commits themselves (api/webhooks/events.py), commit after
commit along the branch, so they come in the order of the record whatever wrote
it: this server, the CLI or another process. Each event goes to the apps whose
record, at that commit, subscribes to it and that have a webhook URL on this
node (api/webhooks/urls.py). Events and deliveries wait in `<home>/outbox.sqlite`,
apart from the index, so an index rebuild or a restart loses none. A background
thread delivers them, one app's events strictly in order, retrying with
exponential backoff; each request is signed with the node's key (see
api/webhooks/signature.py) and made to the address that was checked, within one deadline
(api/webhooks/send.py).
"""
from __future__ import annotations

import http.client
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import peewee
import pygit2

from api.settings import ApiSettings
from api.webhooks import send, signature
from api.webhooks.events import events_of_commit, subscriptions
from api.webhooks.send import Resolver, system_resolver
from api.webhooks.urls import WebhookUrls
from coop import authors
from coop.errors import BadInput
from coop.index import SQLITE_PRAGMAS, commits_since, tuples, upsert
from coop.node import Node
from coop.statements import format_time
from coop.store import GitStore, Snapshot
from coop.view import View

OUTBOX_FILE = "outbox.sqlite"
SCAN_BATCH = 200
USER_AGENT = "coop-webhooks/1"
PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
STATUSES = (PENDING, DELIVERED, FAILED, CANCELLED)
MAX_ERROR = 500

logger = logging.getLogger("coop.webhooks")


# -- the outbox --------------------------------------------------------------------------

class OutboxStateTable(peewee.Model):
    """Key/value state: the last commit turned into events."""

    key = peewee.CharField(primary_key=True)
    value = peewee.TextField()


class EventTable(peewee.Model):
    """An event, in the order of the record, with the exact bytes delivered."""

    seq = peewee.AutoField()
    event_id = peewee.CharField(unique=True)
    type = peewee.CharField()
    commit = peewee.CharField()
    body = peewee.BlobField()


class DeliveryTable(peewee.Model):
    """One event for one app: its status and the attempts made."""

    id = peewee.AutoField()
    event_seq = peewee.IntegerField(index=True)
    app_id = peewee.CharField(index=True)
    status = peewee.CharField(index=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt = peewee.FloatField()
    last_code = peewee.IntegerField(null=True)
    last_error = peewee.TextField(null=True)
    delivered_at = peewee.FloatField(null=True)

    class Meta:
        indexes = ((("event_seq", "app_id"), True),)


def _models(db: peewee.Database) -> tuple[type[OutboxStateTable], type[EventTable], type[DeliveryTable]]:
    """Return the outbox's tables, bound to one database (each outbox has its own classes; their names name the tables)."""

    class OutboxState(OutboxStateTable):
        class Meta:
            database = db

    class EventRow(EventTable):
        class Meta:
            database = db

    class DeliveryRow(DeliveryTable):
        class Meta:
            database = db

    return OutboxState, EventRow, DeliveryRow


@dataclass(frozen=True)
class Delivery:
    """A delivery as the dispatcher and the delivery log see it."""

    id: int
    app_id: str
    event_id: str
    event_type: str
    commit: str
    body: bytes
    status: str
    attempts: int
    next_attempt: float
    last_code: int | None
    last_error: str | None
    delivered_at: float | None
    seq: int

    def to_dict(self) -> dict[str, Any]:
        """Return the delivery as the API lists it."""
        return {"seq": self.seq, "event": {"id": self.event_id, "type": self.event_type, "commit": self.commit},
                "status": self.status, "attempts": self.attempts, "last_code": self.last_code, "last_error": self.last_error,
                "next_attempt": _time(self.next_attempt) if self.status == PENDING else None,
                "delivered_at": _time(self.delivered_at)}


def _time(moment: float | None) -> str | None:
    return None if moment is None else format_time(datetime.fromtimestamp(moment, UTC))


class Outbox:
    """Events and deliveries waiting in their own SQLite file, which no index rebuild touches."""

    def __init__(self, path: Path, urls: WebhookUrls, clock: Callable[[], float] = time.time) -> None:
        self.urls = urls
        self.db = peewee.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        self.State, self.Event, self.Delivery = _models(self.db)
        self.db.create_tables([self.State, self.Event, self.Delivery], safe=True)
        self.clock = clock

    def close(self) -> None:
        """Close this thread's connection."""
        self.db.close()

    def last_commit(self) -> str | None:
        """Return the last commit turned into events."""
        row = self.State.get_or_none(self.State.key == "commit")
        return row.value if row else None

    def scan(self, store: GitStore) -> int:
        """Turn the commits made since the last scan into events and deliveries; return how many events.

        A new outbox starts at the head: it delivers what happens from then on.
        """
        total = 0
        while True:
            head = store.head()
            if head is None:
                return total
            with self.db.atomic("IMMEDIATE"):
                last = self.last_commit()
                if last == str(head.id):
                    return total
                chain = commits_since(store, head, last) if last is not None else []
                if chain is None:
                    logger.warning("the branch no longer contains commit %s; events restart at %s", last, head.id)
                    chain = []
                chain = chain[:SCAN_BATCH]
                for commit in chain:
                    total += self._enqueue(store, commit)
                upsert(self.State, key="commit", value=str(chain[-1].id if chain else head.id))

    def _enqueue(self, store: GitStore, commit: pygit2.Commit) -> int:
        try:
            found = events_of_commit(store, commit)
        except Exception:  # one commit the worker cannot read must not hold back every later event
            logger.exception("no events from commit %s: it could not be read", commit.id)
            return 0
        if not found:
            return 0
        view = View(Snapshot(store.repo, commit))
        subscribed = subscriptions(view)
        origin, created = view.origin, format_time(datetime.fromtimestamp(commit.commit_time, UTC))
        now = self.clock()
        for item in found:
            self.Event.insert(event_id=item.id, type=item.type, commit=item.commit,
                              body=item.body(origin, created)).on_conflict_ignore().execute()
            seq = self.Event.get(self.Event.event_id == item.id).seq
            for app_id, events in sorted(subscribed.items()):
                if item.type in events and self.urls.url(app_id, authors.app(view, app_id)):
                    self.Delivery.insert(event_seq=seq, app_id=app_id, status=PENDING, next_attempt=now).on_conflict_ignore().execute()
        return len(found)

    def _rows(self) -> peewee.ModelSelect[DeliveryTable]:
        return (self.Delivery.select(self.Delivery, self.Event)
                .join(self.Event, on=(self.Event.seq == self.Delivery.event_seq), attr="event"))

    @staticmethod
    def _delivery(row: Any) -> Delivery:
        ev = row.event
        return Delivery(row.id, row.app_id, ev.event_id, ev.type, ev.commit, bytes(ev.body), row.status, row.attempts,
                        row.next_attempt, row.last_code, row.last_error, row.delivered_at, row.event_seq)

    def heads(self) -> list[Delivery]:
        """Return each app's oldest pending delivery: the only one it may receive next."""
        firsts = tuples(self.Delivery.select(self.Delivery.app_id, peewee.fn.MIN(self.Delivery.event_seq).alias("first"))
                        .where(self.Delivery.status == PENDING).group_by(self.Delivery.app_id))
        found = []
        for app_id, first in firsts:
            row = self._rows().where(self.Delivery.app_id == app_id, self.Delivery.event_seq == first).get()
            found.append(self._delivery(row))
        return found

    def head(self, app_id: str) -> Delivery | None:
        """Return an app's oldest pending delivery, as it is now."""
        row = (self._rows().where(self.Delivery.app_id == app_id, self.Delivery.status == PENDING)
               .order_by(self.Delivery.event_seq).first())
        return self._delivery(row) if row is not None else None

    def deliveries(self, app_id: str, status: str | None = None, after: int | None = None, limit: int = 50) -> list[Delivery]:
        """Return an app's deliveries in the order of the record: the delivery log."""
        query = self._rows().where(self.Delivery.app_id == app_id)
        if status is not None:
            query = query.where(self.Delivery.status == status)
        if after is not None:
            query = query.where(self.Delivery.event_seq > after)
        return [self._delivery(r) for r in query.order_by(self.Delivery.event_seq).limit(limit)]

    def delivered(self, delivery: Delivery, code: int) -> None:
        """Record a delivery the receiver accepted."""
        self.Delivery.update(status=DELIVERED, attempts=self.Delivery.attempts + 1, last_code=code, last_error=None,
                             delivered_at=self.clock()).where(self.Delivery.id == delivery.id).execute()

    def failed(self, delivery: Delivery, code: int | None, error: str, backoff: float, backoff_max: float, attempts: int) -> None:
        """Record a failed attempt: retry later, waiting twice as long each time, or give up."""
        done = delivery.attempts + 1
        wait = min(backoff * 2 ** (done - 1), backoff_max) * random.uniform(1.0, 1.1)
        self.Delivery.update(status=FAILED if done >= attempts else PENDING, attempts=done, last_code=code,
                             last_error=error[:MAX_ERROR], next_attempt=self.clock() + wait).where(self.Delivery.id == delivery.id).execute()

    def cancel(self, delivery: Delivery, reason: str) -> None:
        """Drop a delivery the app no longer wants (it unsubscribed or was removed)."""
        self.Delivery.update(status=CANCELLED, last_error=reason[:MAX_ERROR]).where(self.Delivery.id == delivery.id).execute()


# -- delivering ---------------------------------------------------------------------------

class Dispatcher:
    """The background worker: scans new commits into the outbox and delivers what is due.

    One app's deliveries go one at a time, in order; the apps of one owner hold at
    most `webhook_per_owner` of the `webhook_workers` at once, so slow receivers of
    one owner leave workers for everyone else.
    """

    def __init__(self, node: Node, outbox: Outbox, settings: ApiSettings, resolver: Resolver = system_resolver) -> None:
        self.node = node
        self.outbox = outbox
        self.settings = settings
        self.resolver = resolver
        self.signer = node.commit_signer().pair
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: dict[str, str] = {}  # app id -> owner, for each delivery in flight
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(settings["webhook_workers"], thread_name_prefix="coop-webhook")
        self._thread = threading.Thread(target=self._run, name="coop-webhooks", daemon=True)

    def start(self) -> None:
        """Start delivering in the background."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker after the deliveries in flight."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        """Look at the repository now (called after a write)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.settings["webhook_poll"]
            try:
                self.outbox.scan(self.node.store)
                wait = min(wait, self._dispatch())
            except Exception:  # the worker must outlive any one bad commit or database hiccup
                logger.exception("webhook worker failed; retrying")
            self._wake.wait(max(wait, 0.01))
            self._wake.clear()

    def _dispatch(self) -> float:
        """Start a worker for each app whose next delivery is due; return how long until the next one is due."""
        now = self.outbox.clock()
        soonest = float("inf")
        view = self.node.view()
        for delivery in self.outbox.heads():
            if delivery.next_attempt > now:
                soonest = min(soonest, delivery.next_attempt - now)
                continue
            record = authors.app(view, delivery.app_id)
            owner = str(record["owner"]) if record is not None else delivery.app_id
            with self._lock:
                mine = sum(1 for busy in self._busy.values() if busy == owner)
                if delivery.app_id in self._busy or mine >= self.settings["webhook_per_owner"]:
                    continue
                self._busy[delivery.app_id] = owner
            self._pool.submit(self._deliver_and_release, delivery.app_id)
        return soonest

    def _deliver_and_release(self, app_id: str) -> None:
        try:
            self.deliver_next(app_id)
        except Exception:
            logger.exception("a delivery to %s failed unexpectedly", app_id)
        finally:
            with self._lock:
                self._busy.pop(app_id, None)
            self._wake.set()

    def deliver_next(self, app_id: str) -> None:
        """Make one attempt at an app's oldest pending delivery, if it is due.

        The delivery is read afresh here, by the app's one worker: a look the
        dispatcher took before the last attempt finished must not send it again.
        """
        delivery = self.outbox.head(app_id)
        if delivery is not None and delivery.next_attempt <= self.outbox.clock():
            self.deliver(delivery)

    def deliver(self, delivery: Delivery) -> None:
        """Make one attempt at a delivery and record its result."""
        record = authors.app(self.node.view(), delivery.app_id)
        url = self.outbox.urls.url(delivery.app_id, record)
        if record is None or not url or delivery.event_type not in record.get("events", []):
            self.outbox.cancel(delivery, "the app no longer subscribes to this event on this node")
            return
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Coop-Event": delivery.event_type,
                   "Coop-Event-Id": delivery.event_id, "Coop-Attempt": str(delivery.attempts + 1),
                   signature.HEADER: signature.sign(self.signer, delivery.body)}
        retry = (self.settings["webhook_backoff"], self.settings["webhook_backoff_max"], self.settings["webhook_attempts"])
        try:
            status = send.post(url, delivery.body, headers, self.settings["webhook_timeout"],
                                       self.settings["webhook_allow_private"], self.resolver)
        except (BadInput, OSError, http.client.HTTPException) as e:
            self.outbox.failed(delivery, None, f"{type(e).__name__}: {e}", *retry)
            return
        if 200 <= status < 300:
            self.outbox.delivered(delivery, status)
        else:
            self.outbox.failed(delivery, status, f"the receiver answered {status}", *retry)


def open_outbox(home: Path) -> Outbox:
    """Open (or create) a node's outbox, with the webhook URLs its apps set on this node."""
    return Outbox(home / OUTBOX_FILE, WebhookUrls(home))
