"""This node's keys as log keeper and witness: made, unlocked and handed to the ledger's pure signers."""
from __future__ import annotations

from pathlib import Path

from coop.errors import Forbidden, NotFound
from coop.keys import KeyStore
from coop.node import Node, Receipt
from coop.state_file import StateFile
from coop.view import View
from ledger import keepers
from ledger.log import LogSigner
from ledger.memory import TreeMemory
from ledger.note import Signer
from ledger.records import LOG_TYPE, log_record
from ledger.witness import Witness, witness_signer

KEY_STORE = "log"
STATE_FILE = "ledger-signer.json"


def log_keys(node: Node) -> KeyStore:
    """Return the key store that holds this node's log key."""
    return node.keys.sub(KEY_STORE)


def signer(keys: KeyStore, node_name: str, home: Path, view: View) -> LogSigner:
    """Return the log signer if this node keeps the log, else refuse.

    It takes the node's key store, name and home rather than the node, so that the
    ledger's hook can hold it before the node exists (api/wiring.py).
    """
    keeper = keepers.current(view).keeper if log_record(view) is not None else "nobody yet"
    if keeper != node_name:
        raise Forbidden(f"this node ({node_name}) does not keep the log; {keeper} does: send ledger entries there")
    try:
        pair = keys.sub(KEY_STORE).unlock(node_name)
    except NotFound as e:
        raise Forbidden(f"this node is named keeper but holds no log key: {e}") from e
    memory = TreeMemory(StateFile(home / STATE_FILE))
    return LogSigner(Signer(view.origin, pair.seed), memory, lambda v, data: keepers.verify(v, data).checkpoint)


def setup(node: Node, founder: str | None = None) -> Receipt:
    """Create the log key on this node and publish its verifier key, signed by the founder."""
    keys = log_keys(node)
    pair = keys.unlock(node.name) if keys.has(node.name) else keys.create(node.name)
    vkey = Signer(node.origin, pair.seed).verifier.to_vkey()
    return node.write(LOG_TYPE, {"vkey": vkey, "keeper": node.name}, founder)


def new_key(node: Node) -> str:
    """Create this node's log key, to propose it as the next keeper; return its verifier key.

    Nothing is published: the key counts only once a proposal naming it passes.
    """
    keys = log_keys(node)
    if keys.has(node.name):
        pair = keys.unlock(node.name)
    else:
        pair = keys.create(node.name)
    return Signer(node.origin, pair.seed).verifier.to_vkey()


WITNESS_KEYS = "witness"
WITNESS_STATE = "witness-state.json"


def witness_for(node: Node, handle: str) -> Witness:
    """Return this node's witness for a member, creating its cosignature key on first use."""
    keys = node.keys.sub(WITNESS_KEYS)
    pair = keys.unlock(handle) if keys.has(handle) else keys.create(handle)
    return Witness(witness_signer(pair.seed, node.origin, handle), TreeMemory(StateFile(node.home / f"{handle}-{WITNESS_STATE}")))
