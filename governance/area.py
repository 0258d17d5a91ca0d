"""Governance's contribution to a node: proposal, vote and outcome statements."""
from __future__ import annotations

from coop.area_contract import Area, Kind
from governance import effects
from governance.index import GovernanceIndexer
from governance.proposals import OUTCOME_TYPE, PROPOSAL_TYPE, VOTE_TYPE, Governance, outcome_path, proposal_path, vote_path


def area(governance: Governance) -> Area:
    """Return the governance area for a Governance whose effects are registered."""
    return Area(
        name="governance",
        kinds=(
            Kind(PROPOSAL_TYPE, lambda s: proposal_path(s.body.get("id", "")), governance.check_proposal,
                 "A proposal: title, markdown text, method, window, eligible voters, effect."),
            Kind(VOTE_TYPE, lambda s: vote_path(s.body.get("proposal", ""), s.author), governance.check_vote,
                 "A member's vote on the exact version of a proposal."),
            Kind(OUTCOME_TYPE, lambda s: outcome_path(s.body.get("proposal", "")), governance.check_outcome,
                 "The closing record of a proposal: its tally and whether its effect was applied."),
        ),
        indexers=(GovernanceIndexer(),),
        checks=(governance.verify_outcomes,),
        service=governance,
    )


def build() -> Governance:
    """Return a Governance with its own effects registered."""
    governance = Governance()
    effects.register(governance)
    return governance
