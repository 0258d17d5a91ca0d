"""Proposals, votes and outcomes as signed statements in the repository.

    proposals/<shard>/<id>/proposal.json    the proposal (signed), its text inside
    proposals/<shard>/<id>/proposal.md      the text, bound by body_sha256
    proposals/<shard>/<id>/votes/<h>.json   each member's latest vote (signed)
    proposals/<shard>/<id>/outcome.json     the closing record with the tally (signed)

A proposal may be amended while it is a draft (no `opens` time). When it opens,
its text is frozen and the eligible voters and the rules are fixed in it; votes
name the exact version they are for by the sha256 of proposal.json. Closing
recomputes the tally from the vote files alone, so every node gets the same
outcome, and applies the effect in the same commit.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from coop import statements
from coop.charter import min_window
from coop.charter import rules as charter_rules
from coop.errors import BadInput, Conflict, CoopError, Forbidden, Invalid, NotFound
from coop.ids import check_id, sharded
from coop.statements import Statement
from coop.view import View
from governance.durations import format_duration
from governance.methods import Ballot, Method, Rules, Tally, check_options, tally
from governance.render import MAX_MARKDOWN_BYTES

PROPOSAL_TYPE = "coop.proposal/v1"
VOTE_TYPE = "coop.vote/v1"
OUTCOME_TYPE = "coop.outcome/v1"
ROOT = "proposals"
MAX_TITLE = 200
MAX_REASON = 2000

# An effect handler checks an effect when the proposal is made (raising BadInput)
# and returns the files it changes when the proposal passes (raising Invalid when
# it can no longer be applied).
EffectCheck = Callable[[View, Mapping[str, Any]], None]
EffectApply = Callable[[View, Mapping[str, Any], str], Mapping[str, bytes | None]]


def proposal_dir(proposal_id: str) -> str:
    """Return a proposal's directory."""
    return sharded(ROOT, proposal_id, "proposal id")


def proposal_path(proposal_id: str) -> str:
    """Return where a proposal's signed statement lives."""
    return f"{proposal_dir(proposal_id)}/proposal.json"


def vote_path(proposal_id: str, voter: str) -> str:
    """Return where a member's vote on a proposal lives."""
    return f"{proposal_dir(proposal_id)}/votes/{check_id(voter, 'voter')}.json"


def outcome_path(proposal_id: str) -> str:
    """Return where a proposal's outcome lives."""
    return f"{proposal_dir(proposal_id)}/outcome.json"


def text_sha256(text: str) -> str:
    """Return the hash that binds a proposal to its markdown text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def eligible_voters(view: View) -> list[str]:
    """Return who may vote now: members, and learners too if the charter says so."""
    learners = bool(charter_rules(view).get("learners_vote"))
    return sorted(h for h in view.handles() if "member" in view.roles(h) or (learners and "learner" in view.roles(h)))


def decision_rules(view: View) -> dict[str, int]:
    """Return the decision rules in force, as a proposal fixes them when it opens."""
    current = charter_rules(view)
    return {name: current[name] for name in ("quorum_bp", "majority_bp", "supermajority_bp")}


class Governance:
    """The proposal, vote and outcome kinds, with the effects other areas register."""

    def __init__(self) -> None:
        self.effects: dict[str, tuple[EffectCheck, EffectApply]] = {}

    def register_effect(self, name: str, check: EffectCheck, apply: EffectApply) -> None:
        """Add a kind of effect (areas above governance register theirs, e.g. staffing a project)."""
        if name in self.effects:
            raise ValueError(f"effect {name} is registered twice")
        self.effects[name] = (check, apply)

    # -- proposals --------------------------------------------------------------------

    def check_proposal(self, statement: Statement, view: View) -> dict[str, bytes | None]:
        """Allow a new proposal or a draft's amendment; opening freezes text, voters and rules."""
        body = statement.body
        proposal_id = check_id(body.get("id"), "proposal id")
        if "member" not in view.roles(statement.author):
            raise Forbidden(f"{statement.author!r} is not a member: only members make proposals")
        previous = view.body(proposal_path(proposal_id))
        if previous is not None:
            if previous["author"] != statement.author:
                raise Forbidden(f"only {previous['author']!r} may amend proposal {proposal_id}")
            if previous.get("opens") is not None:
                raise Conflict(f"proposal {proposal_id} is open: its text is frozen; make a new proposal that amends it")
        title, text = body.get("title"), body.get("text")
        if not isinstance(title, str) or not 0 < len(title) <= MAX_TITLE:
            raise BadInput(f"a proposal needs a title of 1-{MAX_TITLE} characters")
        if not isinstance(text, str) or not text.strip() or len(text.encode()) > MAX_MARKDOWN_BYTES:
            raise BadInput(f"a proposal needs a markdown text of at most {MAX_MARKDOWN_BYTES} bytes")
        if body.get("body_sha256") != text_sha256(text):
            raise BadInput("body_sha256 does not match the proposal's text")
        method = Method(body["method"]) if body.get("method") in set(Method) else _bad_method(body.get("method"))
        check_options(method, body.get("options", []))
        self._check_effect(view, body.get("effect"))
        if body.get("opens") is not None:
            self._check_opening(view, statement)
        return {f"{proposal_dir(proposal_id)}/proposal.md": text.encode("utf-8")}

    def _check_effect(self, view: View, effect: object) -> None:
        if not isinstance(effect, Mapping) or not isinstance(effect.get("kind"), str):
            raise BadInput("a proposal names its effect as an object with a 'kind' (general for none)")
        if effect["kind"] == "general":
            if set(effect) != {"kind"}:
                raise BadInput("a general proposal has no other effect fields")
            return
        if effect["kind"] not in self.effects:
            raise BadInput(f"unknown effect {effect['kind']!r}; known: general, {', '.join(sorted(self.effects))}")
        self.effects[effect["kind"]][0](view, effect)

    def _check_opening(self, view: View, statement: Statement) -> None:
        body = statement.body
        opens, closes = statements.parse_time(body["opens"]), statements.parse_time(body.get("closes"))
        if closes <= opens:
            raise BadInput("a proposal closes after it opens")
        kind = body["effect"]["kind"]  # the effect was checked before the opening
        shortest = min_window(charter_rules(view), kind)
        if (closes - opens).total_seconds() < shortest:
            raise Invalid(f"a {kind} proposal stays open at least {format_duration(shortest)} ({shortest} seconds, the charter's "
                          f"min_window_seconds); this one would close after {format_duration(int((closes - opens).total_seconds()))}")
        if abs(opens - statements.parse_time(view.clock(statement))) > statements.MAX_SKEW:
            raise BadInput("a proposal opens when it is sent (its opens time must be now)")
        if body.get("eligible") != eligible_voters(view):
            raise Invalid("the eligible voters must be exactly the members with a vote when the proposal opens")
        if body.get("rules") != decision_rules(view):
            raise Invalid("the rules must be the charter's decision rules when the proposal opens")

    # -- votes ------------------------------------------------------------------------

    def check_vote(self, statement: Statement, view: View) -> dict[str, bytes | None]:
        """Accept a vote only from an eligible voter, inside the window, for the exact version."""
        body = statement.body
        proposal_id = check_id(body.get("proposal"), "proposal id")
        raw = view.read(proposal_path(proposal_id))
        if raw is None:
            raise NotFound(f"no proposal {proposal_id!r}")
        proposal = statements.stored_body(raw)
        if body.get("proposal_sha256") != hashlib.sha256(raw).hexdigest():
            raise Conflict(f"the vote is for another version of {proposal_id}; read it again and vote on the current text")
        if proposal.get("opens") is None:
            raise Invalid(f"proposal {proposal_id} is a draft: it is not open for votes yet")
        now = statements.parse_time(view.clock(statement))
        if now < statements.parse_time(proposal["opens"]):
            raise Invalid(f"proposal {proposal_id} opens at {proposal['opens']}")
        if now >= statements.parse_time(proposal["closes"]) or view.read(outcome_path(proposal_id)) is not None:
            raise Invalid(f"proposal {proposal_id} closed at {proposal['closes']}")
        if statement.author not in proposal["eligible"]:
            raise Forbidden(f"{statement.author!r} was not an eligible voter when {proposal_id} opened")
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            raise BadInput(f"a reason is text of at most {MAX_REASON} characters")
        ballot = ballot_of(body, statement.author)
        tally(proposal["method"], [ballot], frozenset([statement.author]), Rules(), proposal.get("options", []))
        return {}

    # -- closing ----------------------------------------------------------------------

    def outcome_fields(self, view: View, proposal_id: str) -> dict[str, Any]:
        """Compute the outcome record of a proposal from the files: tally, result and effect."""
        return self._outcome(view, proposal_id)[0]

    def _outcome(self, view: View, proposal_id: str) -> tuple[dict[str, Any], dict[str, bytes | None]]:
        """Return the outcome record and the changes its effect makes (none unless it passed and applies)."""
        raw = view.read(proposal_path(proposal_id))
        if raw is None:
            raise NotFound(f"no proposal {proposal_id!r}")
        effect = statements.stored_body(raw)["effect"]
        result = count(view, proposal_id)
        changes: dict[str, bytes | None] = {}
        reason = ""
        if result and effect["kind"] != "general":
            try:
                changes = dict(self.effects[effect["kind"]][1](view, effect, proposal_id))  # effects read the view, never stage
            except Invalid as e:
                reason = e.message
        fields: dict[str, Any] = {"proposal": proposal_id, "proposal_sha256": hashlib.sha256(raw).hexdigest(),
                                  "tally": result.to_dict(), "applied": bool(result) and not reason}
        if reason:
            fields["not_applied_because"] = reason
        return fields, changes

    def check_outcome(self, statement: Statement, view: View) -> dict[str, bytes | None]:
        """Allow anyone to close after the window; the record must equal what the files give."""
        body = statement.body
        proposal_id = check_id(body.get("proposal"), "proposal id")
        if not view.roles(statement.author):
            raise Forbidden(f"{statement.author!r} is not in the co-op")
        if view.read(outcome_path(proposal_id)) is not None:
            raise Conflict(f"proposal {proposal_id} is already closed")
        proposal = view.body(proposal_path(proposal_id))
        if proposal is None:
            raise NotFound(f"no proposal {proposal_id!r}")
        if proposal.get("opens") is None:
            raise Invalid(f"proposal {proposal_id} is a draft and cannot be closed")
        if statements.parse_time(view.clock(statement)) < statements.parse_time(proposal["closes"]):
            raise Invalid(f"proposal {proposal_id} is open until {proposal['closes']}")
        expected, changes = self._outcome(view, proposal_id)
        recorded = {k: v for k, v in body.items() if k not in statements.COMMON_FIELDS}
        if recorded != expected:
            raise Invalid(f"the outcome of {proposal_id} does not match the tally of its votes")
        return changes

    def verify_outcomes(self, view: View) -> list[str]:
        """Recompute every closed proposal's tally from its vote files; report any that differ."""
        problems = []
        for shard in view.list(ROOT):
            for proposal_id in view.list(f"{ROOT}/{shard}"):
                recorded = view.body(outcome_path(proposal_id))
                if recorded is None:
                    continue
                try:
                    expected = count(view, proposal_id).to_dict()
                except CoopError as e:
                    problems.append(f"proposal {proposal_id}: {e}")
                    continue
                if recorded["tally"] != expected:
                    problems.append(f"proposal {proposal_id}: the recorded tally differs from the votes' tally")
        return problems


def _bad_method(method: object) -> Method:
    raise BadInput(f"unknown voting method {method!r}; one of {', '.join(m.value for m in Method)}")


def ballot_of(body: Mapping[str, Any], voter: str) -> Ballot:
    """Return the ballot a vote statement casts."""
    ranking = body.get("ranking", [])
    if not isinstance(ranking, list):
        raise BadInput("a ranking is a list of options")
    return Ballot(voter, cast(str, body.get("choice")), body.get("reason", ""), tuple(ranking))  # Ballot refuses a missing choice


def votes(view: View, proposal_id: str) -> list[Mapping[str, Any]]:
    """Return the vote bodies stored for a proposal (each member's latest)."""
    return list(view.bodies(f"{proposal_dir(proposal_id)}/votes").values())


def count(view: View, proposal_id: str) -> Tally:
    """Tally a proposal from its files: its method, fixed voters and rules, and the stored votes."""
    proposal = view.body(proposal_path(proposal_id))
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    if proposal.get("opens") is None:
        raise Invalid(f"proposal {proposal_id} is a draft")
    ballots = [ballot_of(v, v["author"]) for v in votes(view, proposal_id)]
    return tally(proposal["method"], ballots, frozenset(proposal["eligible"]), Rules(**proposal["rules"]), proposal.get("options", []))


@dataclass(frozen=True)
class Opening:
    """When a proposal opens and closes, with who may vote and the rules in force fixed at that moment.

    A node reads the electorate and rules from its view; an allied app reads them from
    `GET /api/v1/governance`: both then build the same fields (`proposal_body`).
    """

    opens: str
    closes_in: int
    eligible: Sequence[str]
    rules: Mapping[str, Any]

    def fields(self) -> dict[str, Any]:
        """Return the window, electorate and rules as a proposal carries them."""
        opens = statements.parse_time(self.opens)
        return {"opens": statements.format_time(opens), "closes": statements.format_time(opens + timedelta(seconds=self.closes_in)),
                "eligible": list(self.eligible), "rules": dict(self.rules)}


def proposal_body(proposal_id: str, title: str, text: str, method: str, effect: Mapping[str, Any], opening: Opening | None,
                  options: Sequence[str] = ()) -> dict[str, Any]:
    """Return the fields of a proposal: a draft without an opening, else open for its window."""
    fields: dict[str, Any] = {"id": proposal_id, "title": title, "text": text, "body_sha256": text_sha256(text),
                              "method": method, "effect": dict(effect), "opens": None}
    if options:
        fields["options"] = list(options)
    if opening is not None:
        fields.update(opening.fields())
    return fields


def proposal_fields(proposal_id: str, title: str, text: str, method: str, effect: Mapping[str, Any], view: View,
                    closes_in: int | None, options: list[str] | None = None, now: str | None = None) -> dict[str, Any]:
    """Return the fields of a proposal made on this node: a draft when closes_in is None, else opening now (or at `now`)."""
    opening = None if closes_in is None else Opening(now or statements.now(), closes_in, eligible_voters(view), decision_rules(view))
    return proposal_body(proposal_id, title, text, method, effect, opening, options or ())


def vote_fields(view: View, proposal_id: str, choice: str, reason: str = "", ranking: list[str] | None = None) -> dict[str, Any]:
    """Return the fields of a vote on the current version of a proposal."""
    raw = view.read(proposal_path(proposal_id))
    if raw is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    return vote_body(proposal_id, hashlib.sha256(raw).hexdigest(), choice, reason, ranking or ())


def vote_body(proposal_id: str, proposal_sha256: str, choice: str, reason: str = "", ranking: Sequence[str] = ()) -> dict[str, Any]:
    """Return the fields of a vote on the version of a proposal whose file hashes to `proposal_sha256`."""
    fields: dict[str, Any] = {"proposal": proposal_id, "proposal_sha256": proposal_sha256, "choice": choice}
    if reason:
        fields["reason"] = reason
    if ranking:
        fields["ranking"] = list(ranking)
    return fields


