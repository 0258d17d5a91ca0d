// Member records as a member's own device signs them: the twin of coop/members.py.
//
// Two changes start on a device. Claiming an invitation (`claimFields`, as Python's `claim_fields`):
// the record brings the device key and the recovery key, and carries the invitation's code. Changing
// one's keys (`keysFields`): link a new device, revoke a lost one; the record stays as it was but for
// its keys, so a recovery key may sign it too. Revoking a key sets `revoked_after` to the member's last
// statement: the revocation holds from this record on, and what the key signed before stays valid.

import { COMMON_FIELDS } from "./statement.js";

export const MEMBER_TYPE = "coop.member/v1";

/** Return a key as a member record lists it (coop/statements.py KeyRecord.to_dict). */
export function keyEntry({ kid, public: publicKey, label = null, recovery = false, revokedAfter = null }) {
  const entry = { kid, public: publicKey };
  if (label !== null) entry.label = label;
  if (recovery) entry.recovery = true;
  if (revokedAfter !== null) entry.revoked_after = revokedAfter;
  return entry;
}

/** Return a listed key revoked after statement `lastSeq` (a key revoked already keeps its revocation). */
export function revoked(entry, lastSeq) {
  return entry.revoked_after === undefined ? { ...entry, revoked_after: lastSeq } : entry;
}

/**
 * Return the member record that claims an invitation (coop/members.py `claim_fields`).
 *
 * `device` and `recovery` are key entries; `code` is the invitation's code as the node wrote it in the
 * link. For a move, `current` is the member's record now and `currentSha` its hash: the record keeps
 * everything but the keys, and the old keys are revoked after `lastSeq`.
 */
export function claimFields(invitation, code, device, recovery, current = null, currentSha = null, lastSeq = 0) {
  if (current === null) {
    return memberFields(invitation.handle, invitation.roles, invitation.skills, [device, recovery], null, { secret: code });
  }
  const old = current.keys.map((entry) => revoked(entry, lastSeq));
  const kept = without(current, ["handle", "roles", "skills", "keys", "previous", "secret", ...COMMON_FIELDS]);
  return memberFields(current.handle, current.roles, current.skills, [...old, device, recovery], currentSha, { secret: code, ...kept });
}

/**
 * Return a record with new keys and nothing else changed: what linking a device or revoking a key signs.
 *
 * `record` is the current record's body and `recordSha` the SHA-256 of its stored bytes. The code a
 * claim carried is dropped: it was spent, and a record that carries one is read as a claim.
 */
export function keysFields(record, recordSha, keys) {
  return { ...without(record, ["previous", "secret", ...COMMON_FIELDS]), keys, previous: recordSha };
}

// coop/members.py `member_fields`: roles sorted, skills sorted without repeats. They are ids (ASCII), so
// JavaScript's sort by UTF-16 units is Python's by code points.
function memberFields(handle, roles, skills, keys, previous, extra) {
  return { handle, roles: [...roles].sort(), skills: [...new Set(skills)].sort(), keys, previous, ...extra };
}

function without(record, names) {
  return Object.fromEntries(Object.entries(record).filter(([name]) => !names.includes(name)));
}
