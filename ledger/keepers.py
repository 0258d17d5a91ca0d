"""Who keeps the log, and which key signs its checkpoints, at every size of the tree.

The founder names the first keeper and its key in `log.json`. After that the
role moves only by a passed proposal with a `keeper` effect; closing it appends
a *term* to `decided/log-keepers.json`: the new keeper node, its log key, where
other nodes reach it, and the tree size at which it takes over. The log itself
does not change: the new keeper continues the same tree and signs the next
checkpoints with its own key.

A verifier follows the key changes by size: a checkpoint of size s must be
signed by the key of a term that covers s. A term covers the sizes from its
first size up to the next term's first size (both ends: at the size of the
handover the old key signed the last checkpoint, and the new key may sign the
same tree again). So an old keeper that goes on signing after it was replaced
is refused, and every checkpoint it signed before stays valid.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coop import authors, canonical
from coop.errors import BadInput, CoopError, Invalid, NotFound
from coop.ids import check_id
from coop.view import View
from ledger import log
from ledger.note import ED25519, Checkpoint, Note, VerifiedCheckpoint, Verifier, verify_checkpoint

LOG_PATH = "log.json"
TERMS_PATH = "decided/log-keepers.json"
EFFECT = "keeper"
MAX_URL = 300


@dataclass(frozen=True)
class Term:
    """One keeper's term: from which tree size its key signs, and where to reach it."""

    keeper: str
    vkey: str
    first_size: int
    url: str | None = None
    proposal: str | None = None

    @property
    def verifier(self) -> Verifier:
        """Return the term's log key."""
        return Verifier.from_vkey(self.vkey)

    def to_dict(self) -> dict[str, Any]:
        """Return the term as it is stored."""
        return {"keeper": self.keeper, "vkey": self.vkey, "first_size": self.first_size, "url": self.url,
                "proposal": self.proposal}


def terms(view: View) -> list[Term]:
    """Return every keeper's term, first (the founder's log.json) to current; empty before the ledger exists."""
    record = view.body(LOG_PATH)
    if record is None:
        return []
    first = Term(record["keeper"], record["vkey"], 0)
    raw = view.read(TERMS_PATH)
    later = [Term(**t) for t in canonical.decode(raw)["terms"]] if raw is not None else []
    return [first, *later]


def current(view: View) -> Term:
    """Return the term in force: who keeps the log now, with which key."""
    found = terms(view)
    if not found:
        raise NotFound("this co-op has no ledger yet (no log.json)")
    return found[-1]


def verifiers_for(view: View, size: int) -> list[Verifier]:
    """Return the log keys that may sign a checkpoint of a given size."""
    found = terms(view)
    return [term.verifier for term, after in zip(found, [*found[1:], None], strict=False)
            if term.first_size <= size and (after is None or size <= after.first_size)]


def verify(view: View, data: bytes) -> VerifiedCheckpoint:
    """Verify a signed checkpoint with the key in force for its size, or raise."""
    size = Checkpoint.from_text(Note.from_bytes(data).text).size
    keys = verifiers_for(view, size)
    if not keys:
        raise NotFound("this co-op has no ledger yet (no log.json)")
    *others, last = keys  # at a handover size two keys may sign; if neither did, say why the last one refuses
    for key in others:
        try:
            return verify_checkpoint(data, key, view.origin)
        except CoopError:
            continue
    return verify_checkpoint(data, last, view.origin)


def check_effect(view: View, effect: Mapping[str, Any]) -> None:
    """A keeper effect names a registered node, its new log key (named after the origin) and its URL."""
    if set(effect) != {"kind", "node", "vkey", "url"}:
        raise BadInput("a keeper effect is {kind: keeper, node, vkey (the new log key), url (where nodes fetch from)}")
    node = check_id(effect["node"], "node name")
    if authors.node(view, node) is None:
        raise NotFound(f"no node {node!r}: the founder registers it first")
    key = Verifier.from_vkey(effect["vkey"])
    if key.sig_type != ED25519 or key.name != view.origin:
        raise BadInput(f"the log key must be an Ed25519 key named after the origin {view.origin!r}")
    if any(term.vkey == effect["vkey"] for term in terms(view)):
        raise BadInput("that log key was used before: the new keeper makes a new one (`coop ledger keeper-key`)")
    url = effect["url"]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise BadInput("the keeper's url is where nodes fetch from, such as http://host:8000/git/")


def apply_effect(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Start the new keeper's term at the log's size now; refuse if the co-op has no ledger yet."""
    found = terms(view)
    if not found:
        raise Invalid("the co-op has no ledger yet: there is no keeper to replace")
    if authors.node(view, effect["node"]) is None:
        raise Invalid(f"node {effect['node']!r} is no longer registered")
    term = Term(effect["node"], effect["vkey"], log.size(view), effect["url"], proposal_id)
    return {TERMS_PATH: canonical.encode({"terms": [t.to_dict() for t in found[1:]] + [term.to_dict()]})}
