// A change of a member's keys, as a page signs it: read the record as it is now, change its keys and
// nothing else (members.js `keysFields`), sign with one key, post. Linking a device and revoking a key
// sign it with a device key; recovery signs it with the recovery key, which may sign nothing else.

import * as api from "./api.js";
import { keysFields, MEMBER_TYPE } from "./members.js";
import { makeBody, sign } from "./statement.js";

/**
 * Sign and post the member's record with `change(keys, lastSeq)` applied to its key list; return the receipt.
 *
 * `lastSeq` is the member's last statement: a key revoked now says `revoked_after: lastSeq`, so what it
 * signed before stays valid and nothing from this record on may be signed with it.
 */
export async function changeKeys(handle, signer, change) {
  const { body, sha256, lastSeq } = await api.memberRecord(handle);
  const fields = keysFields(body, sha256, change(body.keys, lastSeq));
  return api.post(await sign(makeBody(MEMBER_TYPE, await api.origin(), handle, lastSeq + 1, fields), [signer]), "/api/v1/members");
}
