// Signed statements, built and signed in the browser exactly as coop/statements.py does it.
//
// The envelope is {"body": {...}, "sigs": [{"kid": ..., "sig": ...}]} in canonical JSON. Each
// signature covers DSSE PAE(body.type, JCS(body)), so a signature for one kind of statement can never
// be replayed as another. The private key stays a non-extractable CryptoKey (keystore.js): the page
// hands WebCrypto the bytes to sign and gets a signature back, and never sees the key itself.

import { base64 } from "./base64.js";
import { BadInput } from "./errors.js";
import { encode } from "./jcs.js";

export const TYPE_PREFIX = "coop.";
export const COMMON_FIELDS = ["type", "coop", "author", "seq", "created"];
const MAX_TYPE_LENGTH = 64;
// coop/ids.py ID_PATTERN: the one allow-list of handles.
const HANDLE = /^[a-z0-9][a-z0-9-]{0,62}$/;
// coop/statements.py TIME_FORMAT: UTC, whole seconds, ASCII digits (\d is ASCII-only without the u flag).
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Return the current UTC time as statements write it, e.g. 2026-11-23T18:00:00Z. */
export function now() {
  return new Date().toISOString().slice(0, 19) + "Z";
}

/** Throw BadInput unless text is a statement time exactly as coop/statements.py `parse_time` takes it. */
export function checkTime(text) {
  const parts = typeof text === "string" ? TIME.exec(text) : null;
  const [year, month, day, hour, minute, second] = parts ? parts.slice(1).map(Number) : [];
  // Python's datetime has no year 0 and no leap second, so neither does a statement.
  if (!parts || year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new BadInput(`time ${JSON.stringify(text)} must look like 2026-11-23T18:00:00Z`);
  }
}

function daysIn(year, month) {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Return a statement body with the common fields filled in (coop/statements.py `make_body`). */
export function makeBody(kind, origin, author, seq, fields, created = now()) {
  const clash = COMMON_FIELDS.filter((name) => Object.hasOwn(fields, name));
  if (clash.length) throw new Error(`fields ${clash.join(", ")} are set by makeBody`);
  return { type: kind, coop: origin, author, seq, created, ...fields };
}

/** Throw BadInput unless a body has the common fields as coop/statements.py `_check_common` wants them. */
export function checkCommon(body) {
  const kind = body.type;
  // Python's len() counts code points, not UTF-16 units.
  if (typeof kind !== "string" || !kind.startsWith(TYPE_PREFIX) || [...kind].length > MAX_TYPE_LENGTH) {
    throw new BadInput(`statement type must be a string starting with ${JSON.stringify(TYPE_PREFIX)}`);
  }
  if (typeof body.coop !== "string" || !body.coop) throw new BadInput("statement must name its co-op origin in 'coop'");
  if (typeof body.author !== "string" || !HANDLE.test(body.author)) {
    throw new BadInput(`author ${JSON.stringify(body.author)} is not allowed: use 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit`);
  }
  if (!Number.isInteger(body.seq) || body.seq < 1) throw new BadInput("statement 'seq' must be a positive integer");
  checkTime(body.created);
}

/** Return DSSE's pre-authentication encoding of a typed payload: "DSSEv1 <len> <type> <len> <payload>". */
export function pae(payloadType, payload) {
  const kind = new TextEncoder().encode(payloadType);
  // The lengths are byte counts written in ASCII decimal, as Python's b"%d" writes them.
  const head = new TextEncoder().encode(`DSSEv1 ${kind.length} ${payloadType} ${payload.length} `);
  const message = new Uint8Array(head.length + payload.length);
  message.set(head);
  message.set(payload, head.length);
  return message;
}

/**
 * Sign a body with one or more keys and return the canonical envelope bytes, to POST as they are.
 *
 * `keys` are records from keystore.js (or anything with `kid` and an Ed25519 `privateKey` CryptoKey).
 */
export async function sign(body, keys) {
  checkCommon(body);
  if (!keys.length) throw new Error("a statement needs at least one signature");
  const message = pae(body.type, encode(body));
  const sigs = [];
  for (const key of keys) {
    const signature = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, message);
    sigs.push({ kid: key.kid, sig: base64(signature) });
  }
  return encode({ body, sigs });
}
