"""The effects governance applies itself: admitting a learner and changing a charter rule.

Each effect is checked when the proposal is made and applied in the commit that
closes it; an effect that can no longer be applied raises Invalid, and the
proposal closes as passed but not applied, with the reason recorded.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from coop import canonical, statements
from coop.charter import DEFAULT_RULES, decided_rules_change
from coop.errors import BadInput, Forbidden, Invalid, NotFound
from coop.ids import check_id
from coop.view import View, decided_roles_path
from governance.proposals import Governance, outcome_path, proposal_path

CHARTER_RULES_BY_PROPOSAL = frozenset(DEFAULT_RULES) - {"split_policy"}


def check_admit(view: View, effect: Mapping[str, Any]) -> None:
    """An admission names a learner."""
    if set(effect) != {"kind", "handle"}:
        raise BadInput("an admit effect is {kind: admit, handle}")
    handle = check_id(effect["handle"], "handle")
    if view.roles(handle) != {"learner"}:
        raise BadInput(f"{handle!r} is not a learner")


def apply_admit(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Make the learner a member, if they still are a learner."""
    handle = effect["handle"]
    if view.member(handle) is None:
        raise Invalid(f"{handle!r} is no longer in the co-op")
    if view.roles(handle) != {"learner"}:
        raise Invalid(f"{handle!r} is no longer a learner")
    return {decided_roles_path(handle): canonical.encode({"proposal": proposal_id, "roles": ["member"]})}


def check_charter(view: View, effect: Mapping[str, Any]) -> None:
    """A charter change names known rules and valid values."""
    if set(effect) != {"kind", "rules"} or not isinstance(effect["rules"], Mapping) or not effect["rules"]:
        raise BadInput("a charter effect is {kind: charter, rules: {name: value}}")
    unknown = set(effect["rules"]) - CHARTER_RULES_BY_PROPOSAL
    if unknown:
        raise BadInput(f"unknown or separately decided rules: {', '.join(sorted(unknown))} (split policies have their own effect)")
    decided_rules_change(view, effect["rules"], "check")


def apply_charter(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Put the changed rules in force."""
    return decided_rules_change(view, effect["rules"], proposal_id)


def authorise_spending(view: View, authorisation: Any, entry: Mapping[str, Any], spent: int) -> None:
    """Let a ledger entry take common money only under a passed spend proposal, up to its amount in total."""
    raw = view.read(proposal_path(authorisation.proposal))
    if raw is None:
        raise NotFound(f"no proposal {authorisation.proposal!r} authorises this")
    if hashlib.sha256(raw).hexdigest() != authorisation.sha256:
        raise Forbidden(f"the entry names another version of proposal {authorisation.proposal}")
    outcome = view.body(outcome_path(authorisation.proposal))
    if outcome is None:
        raise Forbidden(f"proposal {authorisation.proposal} is not closed yet")
    if outcome["tally"]["outcome"] != "passed" or not outcome["applied"]:
        raise Forbidden(f"proposal {authorisation.proposal} did not pass")
    effect = statements.stored_body(raw)["effect"]
    if effect["kind"] != "spend":
        raise Forbidden(f"proposal {authorisation.proposal} does not authorise spending")
    if effect["currency"] != entry.get("currency"):
        raise Forbidden(f"proposal {authorisation.proposal} authorises spending in {effect['currency']}")
    if spent + entry.get("amount", 0) > effect["amount"]:
        raise Forbidden(f"proposal {authorisation.proposal} authorises {effect['amount']} minor units of {effect['currency']} "
                        f"in all; {spent} are already spent")


def register(governance: Governance) -> None:
    """Register the effects governance itself knows."""
    governance.register_effect("admit", check_admit, apply_admit)
    governance.register_effect("charter", check_charter, apply_charter)
