"""What every view shares: the node, an index kept at the head, serialised writes, the outbox.

The node's index is written by one thread at a time in this process (a refresh
after a commit, or before a read when the head moved); reads run in parallel.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cached_property, wraps
from typing import Any, TypeVar

from flask import Response, current_app, make_response, request

from api.http import cursors
from api.http.cache import HeadCache
from api.proofs import Proofs
from api.settings import ApiSettings
from api.usecases import members
from api.webhooks import signature
from api.webhooks.delivery import Dispatcher, Outbox
from coop.node import Node, Receipt
from coop.view import View

T = TypeVar("T")
EXTENSION = "coop"


class Service:
    """The node as the views use it."""

    def __init__(self, node: Node, settings: ApiSettings, outbox: Outbox) -> None:
        self.node = node
        self.settings = settings
        self.outbox = outbox
        self.dispatcher: Dispatcher | None = None
        self.nonces = signature.Nonces()  # of the apps' signed requests, so that none is taken twice
        self.proofs = Proofs()
        self.answers = HeadCache(settings["answers_kept"])
        self._write = threading.Lock()
        self._indexed: str | None = None
        # Index.bound() rebinds the index models for each query and restores the previous
        # database afterwards, which races between threads; bound once for good, the
        # per-query rebinding becomes a no-op.
        node.index.db.bind(node.index.models)

    @cached_property
    def cursor_secret(self) -> bytes:
        """Return the secret list cursors are MAC'd with (made in the node's home on first use)."""
        return cursors.node_secret(self.node.home)

    def view(self) -> View:
        """Return a view of the repository at its head."""
        return self.node.view()

    def head(self) -> str | None:
        """Return the head commit id."""
        head = self.node.store.head()
        return str(head.id) if head is not None else None

    def query(self, fn: Callable[[], T]) -> T:
        """Run an index query after bringing the index up to the head."""
        head = self.head()
        if head != self._indexed:
            with self._write:
                self.node.refresh()
                self._indexed = head
        return self.node.index.query(fn)

    def submit(self, raws: Sequence[bytes]) -> list[Receipt]:
        """Verify and store statements in one commit (one writer at a time), then wake the webhook worker.

        A member record that revokes a key this node holds (a move) has the node delete that key.
        """
        with self._write:
            receipts = self.node.submit(raws)
            members.forget_revoked_keys(self.node, raws)
        if any(r.created for r in receipts) and self.dispatcher is not None:
            self.dispatcher.wake()
        return receipts

    def start_webhooks(self) -> None:
        """Start the background worker that delivers webhooks (signed by the node key: a keyless clone sends none)."""
        if self.dispatcher is None and self.node.name:
            self.dispatcher = Dispatcher(self.node, self.outbox, self.settings)
            self.dispatcher.start()

    def stop(self) -> None:
        """Stop the webhook worker (deliveries in flight finish first)."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None


def service() -> Service:
    """Return the service of the running app."""
    found: Any = current_app.extensions[EXTENSION]
    return found


def per_head(view: Callable[..., Response]) -> Callable[..., Response]:
    """Answer a GET from the answer kept for the current head and URL, building it once (api/http/cache.py)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        svc = service()
        key = (svc.head(), request.full_path)
        kept = svc.answers.get(key)
        if kept is not None:
            return kept
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200:
            svc.answers.put(key, response)
        return response

    return wrapper
