"""The ledger's contribution to a node: its kinds of statement, its index, its checks and its once-per-commit step.

The node that keeps the log appends each commit's new entries to it and signs
a checkpoint in that same commit (`make_finish`); the tiles and the checkpoint
are checked by the whole-log audit, not by replaying statements.
"""
from __future__ import annotations

from collections.abc import Callable

from coop.area_contract import Area, Kind
from coop.errors import Forbidden
from coop.view import View
from ledger import entries as E
from ledger import log, witness
from ledger.acceptance import Hooks, check_log_record, make_kind_check
from ledger.audit import verify_ledger
from ledger.index import LedgerIndexer
from ledger.keepers import LOG_PATH
from ledger.records import LOG_TYPE, entry_path, staged_entries


def make_finish(hooks: Hooks) -> Callable[[View], dict[str, bytes | None]]:
    """Return the once-per-commit step that appends staged entries to the log."""

    def finish(view: View) -> dict[str, bytes | None]:
        new = staged_entries(view)
        if not new:
            return {}
        return log.append_changes(view, new, hooks.signer(view))

    return finish


def make_landed(hooks: Hooks) -> Callable[[View], None]:
    """Return the after-commit step: the keeper's signer remembers what it just published."""

    def landed(view: View) -> None:
        if view.read(log.CHECKPOINT) is None:
            return
        try:
            signer = hooks.signer(view)
        except Forbidden:
            return  # this node does not keep the log
        signer.published(view)

    return landed


def area(hooks: Hooks) -> Area:
    """Return the ledger's contribution to a node."""
    check = make_kind_check(hooks)
    kinds = [Kind(t, lambda s: entry_path(s.body.get("id", "")), check, f"Ledger entry {t}") for t in E.TYPES]
    kinds.append(Kind(LOG_TYPE, lambda s: LOG_PATH, check_log_record, "The log's verifier key and the node that keeps it."))
    kinds.append(Kind(witness.COSIGNATURE_TYPE, lambda s: witness.cosignature_path(s.author), witness.check_cosignature,
                      "A witness's cosignature of a checkpoint (c2sp.org/tlog-cosignature)."))
    checks = (lambda view, progress=None: verify_ledger(view, hooks.authorise, progress), lambda view, progress=None: witness.check_witnessed(view))
    return Area("ledger", kinds=kinds, indexers=(LedgerIndexer(),), checks=checks,
                finish=make_finish(hooks), managed=(log.TILE_DIR, log.CHECKPOINT), landed=make_landed(hooks))
