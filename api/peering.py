"""What a node says to a peer's API while syncing: statements the peer lacks, and its witness's cosignature.

Git only fetches here; nothing is ever pushed. A node's own writes reach a peer
as the signed statements they are, posted to the peer's API, so they pass the
peer's checks like any other write (`coop.replication.sync` calls `offer`).
A member's node that cannot be reached from outside witnesses in pull mode:
after a sync it checks the checkpoint it just verified extends the last one it
cosigned, and posts its cosignature to the peer (`witness_after_sync`). When a
proposal moved the log keeper, nodes follow it: `origin` becomes the new
keeper's URL (`follow_keeper`).
"""
from __future__ import annotations

from collections.abc import Sequence

import requests

from api import keeper_keys
from api.sdk import Client
from coop import statements
from coop.errors import ApiError, CoopError
from coop.node import Node
from coop.replication import Offered, peers
from ledger import keepers, log, witness

GIT_SUFFIX = "/git"
COSIGNATURES = "/api/v1/ledger/cosignatures"


def api_url(source: str) -> str | None:
    """Return the API base of a peer served over HTTP (http://host:port/git/ -> http://host:port), else None."""
    if not source.startswith(("http://", "https://")):
        return None
    base = source.rstrip("/")
    return base[: -len(GIT_SUFFIX)] if base.endswith(GIT_SUFFIX) else base


def git_url(source: str) -> str:
    """Return where a peer serves git: a node's own URL (http://host:port) gets /git/; a /git/ URL or a path stays."""
    if api_url(source) is None or source.rstrip("/").endswith(GIT_SUFFIX):
        return source
    return f"{source.rstrip('/')}{GIT_SUFFIX}/"


def offer(source: str, raws: Sequence[bytes]) -> Offered:
    """Post statements to a peer's API in order; stop at the first answer that says to come back later."""
    base = api_url(source)
    if base is None:
        return Offered(0, ("the peer is a path, not an API: nothing offered",))
    client = Client(base)
    accepted, problems = 0, []
    for raw in raws:
        body, _ = statements.parse(raw)
        what = f"{body['type']} by {body['author']} #{body['seq']}"
        try:
            accepted += bool(client.post(raw)["created"])
        except ApiError as e:
            problems.append(f"{what}: refused ({e})")
            if e.status == 429 or e.status >= 500:
                break  # the peer asks us to wait: the rest goes at the next sync
        except requests.RequestException as e:
            problems.append(f"{what}: not delivered, the peer is unreachable ({type(e).__name__}); it goes at the next sync")
            break
    return Offered(accepted, tuple(problems))


def witness_after_sync(node: Node, source: str, handle: str) -> str | None:
    """Cosign the checkpoint this node holds as a charter witness and post it to the peer; say what was done.

    Returns None when there is nothing to do: this identity is not a witness the
    charter names, the log is empty, or the checkpoint was cosigned already.
    """
    view = node.view()
    name = witness.witness_name(view.origin, handle)
    if view.read(log.CHECKPOINT) is None or not any(k.name == name for k in witness.witnesses(view)):
        return None
    base = api_url(source)
    if base is None or not node.keys.sub(keeper_keys.WITNESS_KEYS).has(handle):
        return None
    witnessing = keeper_keys.witness_for(node, handle)
    last = witnessing.last()
    if last is not None and last[0] >= log.size(view):
        return None
    try:
        checkpoint, line = witnessing.cosign(view)
    except CoopError as e:
        return f"not cosigned: {e}"
    raw = node.sign(witness.COSIGNATURE_TYPE, witness.cosignature_fields(checkpoint, line), handle)
    try:
        Client(base).post(raw, COSIGNATURES)
    except (ApiError, requests.RequestException) as e:
        return f"cosigned the tree of {checkpoint.size} entries but the peer did not take it: {e}"
    witnessing.remember(checkpoint)
    return f"cosigned the tree of {checkpoint.size} entries as {line.name} and posted it"


def follow_keeper(node: Node) -> str | None:
    """Point `origin` at the log keeper's URL when a proposal moved the keeper; say what changed, None if nothing did."""
    view = node.view()
    if view.read(keepers.LOG_PATH) is None:
        return None
    term = keepers.current(view)
    if term.url is None or term.keeper == node.name or term.url in peers(node.store):
        return None
    remotes = node.store.repo.remotes
    if "origin" in remotes.names():
        before = remotes["origin"].url
        remotes.set_url("origin", term.url)
        return f"the log keeper is now {term.keeper} (proposal {term.proposal}): origin moved from {before} to {term.url}"
    remotes.create("origin", term.url)
    return f"the log keeper is now {term.keeper} (proposal {term.proposal}): origin is {term.url}"
