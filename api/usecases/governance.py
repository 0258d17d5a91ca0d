"""Deciding together: open a proposal, vote, close it, and where a proposal stands."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coop import statements
from coop.errors import Conflict, Invalid, NotFound
from coop.ids import check_id
from coop.node import Node, Receipt
from coop.view import View
from governance import proposals as P


@dataclass(frozen=True)
class Written:
    """A proposal as made or amended: where it lives and, once open, when it closes."""

    proposal_id: str
    closes: str | None
    receipt: Receipt


@dataclass(frozen=True)
class Closed:
    """A closed proposal: its tally, and whether its effect was applied (and if not, why)."""

    proposal_id: str
    tally: Mapping[str, Any]
    applied: bool
    not_applied_because: str | None
    receipt: Receipt


@dataclass(frozen=True)
class Closing:
    """The outcome of a proposal: recorded already (`closed`), or the fields to sign to close it now."""

    closed: bool
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class ProposalStatus:
    """Where a proposal stands: its signed body, state, tally (none for a draft), outcome and who has not voted yet."""

    body: Mapping[str, Any]
    sha256: str
    state: str
    tally: Mapping[str, Any] | None
    outcome: Mapping[str, Any] | None
    votes: int
    not_voted: tuple[str, ...]

    @property
    def closed(self) -> bool:
        """Tell whether the proposal has its outcome."""
        return self.outcome is not None


def open_proposal(node: Node, author: str | None, proposal_id: str, title: str, text: str, method: str, effect: Mapping[str, Any],
                  closes_in: int | None, options: Sequence[str] = ()) -> Written:
    """Make a proposal as `author`: a draft when closes_in is None, else open now for that many seconds."""
    fields = P.proposal_fields(check_id(proposal_id, "proposal id"), title, text, method, effect, node.view(), closes_in, list(options),
                               now=node.clock())
    receipt = node.write(P.PROPOSAL_TYPE, fields, author)
    return Written(proposal_id, fields.get("closes"), receipt)


def vote(node: Node, author: str | None, proposal_id: str, choice: str, reason: str = "", ranking: Sequence[str] = ()) -> Receipt:
    """Vote as `author` on the current version of a proposal; voting again replaces the vote until it closes."""
    fields = P.vote_fields(node.view(), check_id(proposal_id, "proposal id"), choice, reason, list(ranking) or None)
    return node.write(P.VOTE_TYPE, fields, author)


def close(node: Node, author: str | None, proposal_id: str) -> Closed:
    """Close a proposal after its window as `author`: count, record the outcome and apply the effect in one commit."""
    closing = outcome_to_sign(node, node.view(), proposal_id, node.clock())
    if closing.closed:
        raise Conflict(f"proposal {proposal_id} is already closed")
    fields = closing.fields
    receipt = node.write(P.OUTCOME_TYPE, fields, author)
    return Closed(proposal_id, fields["tally"], fields["applied"], fields.get("not_applied_because"), receipt)


def outcome_to_sign(node: Node, view: View, proposal_id: str, now: str) -> Closing:
    """Return a closed proposal's outcome fields, or the fields anyone may sign to close it at `now`."""
    stored = view.body(P.outcome_path(check_id(proposal_id, "proposal id")))
    if stored is not None:
        return Closing(True, {k: v for k, v in stored.items() if k not in statements.COMMON_FIELDS})
    proposal = view.body(P.proposal_path(proposal_id))
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    if proposal.get("opens") is None:
        raise Invalid(f"proposal {proposal_id} is a draft and cannot be closed")
    if statements.parse_time(now) < statements.parse_time(proposal["closes"]):
        raise Invalid(f"proposal {proposal_id} is open until {proposal['closes']}")
    governance: P.Governance = node.registry.area("governance").service
    return Closing(False, governance.outcome_fields(view, proposal_id))


def proposal_status(view: View, proposal_id: str) -> ProposalStatus:
    """Return where a proposal stands as of the view, from its files alone."""
    raw = view.read(P.proposal_path(check_id(proposal_id, "proposal id")))
    if raw is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    body = statements.parse(raw)[0]
    outcome = view.body(P.outcome_path(proposal_id))
    state = "draft" if body.get("opens") is None else "closed" if outcome is not None else "open"
    tally = outcome["tally"] if outcome is not None else P.count(view, proposal_id).to_dict() if state == "open" else None
    voted = {v["author"] for v in P.votes(view, proposal_id)}
    return ProposalStatus(body, hashlib.sha256(raw).hexdigest(), state, tally, outcome, len(voted),
                          tuple(h for h in body.get("eligible", []) if h not in voted))
