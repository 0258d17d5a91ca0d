"""Index rows for proposals and votes: open proposals, who has not voted, the history of decisions."""
from __future__ import annotations

import peewee

from coop import statements
from coop.index import upsert
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
