"""Decisions that concern money: adopting a split policy and authorising spending.

The wiring registers these as proposal effects; the ledger never imports governance.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coop.charter import decided_rules_change
from coop.errors import BadInput
from coop.view import View
from ledger.money import check_amount, check_currency
from ledger.splits import SplitPolicy

MAX_PURPOSE = 500


def check_split_policy(view: View, effect: Mapping[str, Any]) -> None:
    """A split policy effect carries a valid policy."""
    if set(effect) != {"kind", "policy"}:
        raise BadInput("a split_policy effect is {kind: split_policy, policy: {treasury_bp, referral_bp, ...}}")
    SplitPolicy.from_dict(effect["policy"])


def apply_split_policy(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Put the policy in force: new revenue is split by it, referenced by its hash."""
    return decided_rules_change(view, {"split_policy": SplitPolicy.from_dict(effect["policy"]).to_dict()}, proposal_id)


def check_spend(view: View, effect: Mapping[str, Any]) -> None:
    """A spend effect names a positive amount in a known currency and a purpose."""
    if set(effect) != {"kind", "amount", "currency", "purpose"}:
        raise BadInput("a spend effect is {kind: spend, amount (minor units), currency, purpose}")
    if check_amount(effect["amount"]) <= 0:
        raise BadInput("a spend effect authorises more than zero")
    check_currency(effect["currency"])
    if not isinstance(effect["purpose"], str) or not 0 < len(effect["purpose"]) <= MAX_PURPOSE:
        raise BadInput(f"a spend effect states its purpose in 1-{MAX_PURPOSE} characters")


def apply_spend(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Spending is authorised by the outcome itself; the ledger entry that spends names the proposal."""
    return {}
