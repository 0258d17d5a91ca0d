"""Index rows for proposals and votes: open proposals, who has not voted, the history of decisions."""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from coop import statements
from coop.index import dicts, upsert
from governance.proposals import OUTCOME_TYPE, PROPOSAL_TYPE, ROOT, VOTE_TYPE


class ProposalRow(peewee.Model):
    """One proposal with its current state and, once closed, its result."""

    proposal_id = peewee.CharField(primary_key=True)
    title = peewee.CharField()
    author = peewee.CharField(index=True)
    effect = peewee.CharField()
    method = peewee.CharField()
    opens = peewee.CharField(null=True, index=True)
    closes = peewee.CharField(null=True, index=True)
    state = peewee.CharField(index=True)
    result = peewee.CharField(null=True)
    applied = peewee.BooleanField(null=True)
    closed_at = peewee.CharField(null=True, index=True)


class VoteRow(peewee.Model):
    """A member's current vote on a proposal."""

    proposal_id = peewee.CharField(index=True)
    voter = peewee.CharField(index=True)
    choice = peewee.CharField()
    created = peewee.CharField()

    class Meta:
        primary_key = peewee.CompositeKey("proposal_id", "voter")


class GovernanceIndexer:
    """Keep proposal and vote rows in step with the proposal files."""

    models = (ProposalRow, VoteRow)

    def apply(self, path: str, raw: bytes | None, commit: str) -> None:
        """Reflect a changed proposal, vote or outcome file."""
        if raw is None or not path.startswith(ROOT + "/") or not path.endswith(".json"):
            return
        body = statements.parse(raw)[0]
        if body["type"] == PROPOSAL_TYPE:
            state = "draft" if body.get("opens") is None else "open"
            upsert(ProposalRow, proposal_id=body["id"], title=body["title"], author=body["author"], effect=body["effect"]["kind"],
                                method=body["method"], opens=body.get("opens"), closes=body.get("closes"), state=state)
        elif body["type"] == VOTE_TYPE:
            upsert(VoteRow, proposal_id=body["proposal"], voter=body["author"], choice=body["choice"], created=body["created"])
        elif body["type"] == OUTCOME_TYPE:
            ProposalRow.update(state="closed", result=body["tally"]["outcome"], applied=body["applied"],
                               closed_at=body["created"]).where(ProposalRow.proposal_id == body["proposal"]).execute()


@dataclass(frozen=True)
class ProposalSummary:
    """A proposal as the index lists it, with how many members have voted on it."""

    proposal_id: str
    title: str
    author: str
    effect: str
    method: str
    opens: str | None
    closes: str | None
    state: str
    result: str | None
    applied: bool | None
    votes: int


@dataclass(frozen=True)
class VoteSummary:
    """A member's current vote on a proposal, as the index lists it."""

    voter: str
    choice: str
    created: str


# How a list of proposals is ordered: by id (pages of the API), open ones first (the page), latest closing first (the CLI),
# soonest closing first (the chat).
ORDERS = {
    "id": (ProposalRow.proposal_id,),
    "state": (ProposalRow.state.desc(), ProposalRow.closes.desc()),
    "closing": (ProposalRow.closes.desc(nulls="LAST"), ProposalRow.proposal_id),
    "soonest": (ProposalRow.closes, ProposalRow.proposal_id),
}


def find_proposals(state: str | None = None, author: str | None = None, effect: str | None = None, after: str | None = None,
                   not_voted_by: str | None = None, order: str = "id", limit: int | None = None) -> list[ProposalSummary]:
    """Return the indexed proposals that match, in the order named; `not_voted_by` keeps open ones that voter has not voted on."""
    counts = (VoteRow.select(VoteRow.proposal_id, peewee.fn.COUNT(VoteRow.voter).alias("n"))
              .group_by(VoteRow.proposal_id).alias("v"))
    query = (ProposalRow.select(ProposalRow, peewee.fn.COALESCE(counts.c.n, 0).alias("votes"))
             .join(counts, peewee.JOIN.LEFT_OUTER, on=(counts.c.proposal_id == ProposalRow.proposal_id)))
    if state:
        query = query.where(ProposalRow.state == state)
    if author:
        query = query.where(ProposalRow.author == author)
    if effect:
        query = query.where(ProposalRow.effect == effect)
    if after is not None:
        query = query.where(ProposalRow.proposal_id > after)
    if not_voted_by is not None:
        voted = VoteRow.select(VoteRow.proposal_id).where(VoteRow.voter == not_voted_by)
        query = query.where(ProposalRow.state == "open", ProposalRow.proposal_id.not_in(voted))
    query = query.order_by(*ORDERS[order])
    if limit is not None:
        query = query.limit(limit)
    return [ProposalSummary(**{k: v for k, v in row.items() if k != "closed_at"}) for row in dicts(query)]


def find_votes(proposal_id: str, after: str | None = None, limit: int | None = None) -> list[VoteSummary]:
    """Return the current votes on a proposal, by voter."""
    query = VoteRow.select(VoteRow.voter, VoteRow.choice, VoteRow.created).where(VoteRow.proposal_id == proposal_id)
    if after is not None:
        query = query.where(VoteRow.voter > after)
    query = query.order_by(VoteRow.voter)
    if limit is not None:
        query = query.limit(limit)
    return [VoteSummary(**row) for row in dicts(query)]
