// A vote as a member's device signs it: the twin of governance/proposals.py `vote_body`.
//
// The vote names the proposal and the SHA-256 of the proposal's stored bytes, so it counts only for
// the version the member read: a proposal amended since is a different proposal to vote on.

export const VOTE_TYPE = "coop.vote/v1";

/** Return the fields of a vote: a reason only if given (object and block need one), a ranking only for ranked choice. */
export function voteBody(proposal, proposalSha256, choice, reason = "", ranking = []) {
  const fields = { proposal, proposal_sha256: proposalSha256, choice };
  if (reason) fields.reason = reason;
  if (ranking.length) fields.ranking = [...ranking];
  return fields;
}
