"""The charter: the co-op's name, its log origin and the rules its decisions follow.

The charter is a signed statement at `coop.json`. It is written once at creation
by the founder; afterwards only a passed proposal changes it (governance).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from coop import canonical
from coop.errors import BadInput, Forbidden
from coop.ids import check_id
from coop.statements import Statement
from coop.view import CHARTER_PATH, DECIDED_RULES, View

CHARTER_TYPE = "coop.charter/v1"
ORIGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]*(/[a-z0-9][a-z0-9._-]*)*")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_WINDOW_SECONDS = 365 * 86_400

DEFAULT_RULES: dict[str, Any] = {
    "quorum_bp": 5000,
    "majority_bp": 5000,
    "supermajority_bp": 6667,
    "learners_vote": False,
    "staffing_needs_proposal": False,
    "witnesses": [],
    "witness_quorum": 0,
    # Members who may record a payout from any member's account (each member may always pay out their own).
    "treasurers": [],
    # Shortest voting window a proposal may open with, in seconds, per effect kind ("default" for the rest).
    "min_window_seconds": {"default": 48 * 3600},
    # Basis points of each payment; the team shares what is left (see docs/ledger.md).
    "split_policy": {"treasury_bp": 1000, "referral_bp": 500, "referral_months": 12, "liaison_bp": 500, "funds": {"learners": 300}},
}


def check_origin(origin: object) -> str:
    """Refuse a log origin that is not a schema-less URL-like name without spaces or '+'."""
    if not isinstance(origin, str) or len(origin) > 128 or not ORIGIN_PATTERN.fullmatch(origin):
        raise BadInput(f"origin {origin!r} must look like 'example.org/coop' (lower case, no spaces or '+')")
    return origin


def _check_treasurers(value: object) -> None:
    if not isinstance(value, list):
        raise BadInput("rule treasurers must be a list of handles")
    handles = [check_id(handle, "treasurer") for handle in value]
    if len(set(handles)) != len(handles):
        raise BadInput("rule treasurers names a handle twice")


def _check_min_windows(value: object) -> None:
    if not isinstance(value, dict) or "default" not in value:
        raise BadInput('rule min_window_seconds maps proposal kinds to seconds and must have a "default", e.g. {"default": 172800}')
    for kind, seconds in value.items():
        if not KIND_PATTERN.fullmatch(kind):
            raise BadInput(f"rule min_window_seconds: {kind[:40]!r} is not a proposal kind")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_WINDOW_SECONDS:
            raise BadInput(f"rule min_window_seconds: {kind} must be whole seconds from 0 to {MAX_WINDOW_SECONDS}")


# Rules whose values need more than a type check.
RULE_CHECKS: dict[str, Callable[[object], None]] = {"treasurers": _check_treasurers, "min_window_seconds": _check_min_windows}


def check_rules(rules: object) -> dict[str, Any]:
    """Refuse rules of the wrong type; basis points are integers from 0 to 10,000."""
    if not isinstance(rules, dict):
        raise BadInput("charter rules must be an object")
    for name, value in rules.items():
        if name.endswith("_bp"):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
                raise BadInput(f"rule {name} must be basis points from 0 to 10000")
        elif name in DEFAULT_RULES and type(value) is not type(DEFAULT_RULES[name]):
            raise BadInput(f"rule {name} must be a {type(DEFAULT_RULES[name]).__name__}")
        if name in RULE_CHECKS:
            RULE_CHECKS[name](value)
    return rules


def charter_fields(name: str, origin: str, founder: str, rules: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the fields of a new charter with default rules filled in."""
    if not name or len(name) > 200:
        raise BadInput("the co-op needs a name of 1-200 characters")
    return {"name": name, "origin": check_origin(origin), "founder": founder, "rules": check_rules({**DEFAULT_RULES, **(rules or {})})}


def min_window(rules_in_force: Mapping[str, Any], kind: str) -> int:
    """Return the shortest voting window, in seconds, a proposal of this effect kind may open with."""
    windows = rules_in_force["min_window_seconds"]
    return cast(int, windows.get(kind, windows["default"]))


def rules(view: View) -> Mapping[str, Any]:
    """Return the rules in force, defaults filled in for rules added after the charter was written."""
    return {**DEFAULT_RULES, **view.charter()["rules"]}


def check_charter(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Allow the founder's first charter; later changes come only through governance effects."""
    if view.read(CHARTER_PATH) is not None:
        raise Forbidden("the charter changes only through a passed proposal")
    body = statement.body
    check_origin(body.get("origin"))
    check_rules(body.get("rules"))
    if body.get("founder") != statement.author:
        raise Forbidden("the charter must be signed by the founder it names")
    return {}


def decided_rules_change(view: View, changes: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Return the file change that puts rules decided by a proposal in force (over the charter's)."""
    check_rules(dict(changes))
    raw = view.read(DECIDED_RULES)
    decided = canonical.decode(raw) if raw else {"rules": {}, "proposals": []}
    record = {"rules": {**decided["rules"], **changes}, "proposals": [*decided["proposals"], proposal_id]}
    return {DECIDED_RULES: canonical.encode(record)}
