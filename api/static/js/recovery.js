// The recovery key: a second Ed25519 key of a member, kept as 24 words on paper (words.js), never stored.
//
// Its public half is in the member record marked `recovery: true`; the node lets it sign only a change
// of its own member's keys (coop/members.py), so it can add a new device and revoke lost ones, and
// nothing else. The key is made from 32 random bytes, its seed: the same seed gives the same key in
// Python (nacl's SigningKey) and here, where WebCrypto takes it as PKCS#8.

import { base64, unbase64 } from "./base64.js";
import { kidOf } from "./keystore.js";

const SEED_BYTES = 32;
// The PKCS#8 wrapping of an Ed25519 seed (RFC 8410): SEQUENCE, version 0, the algorithm id 1.3.101.112, and the seed.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const ALGORITHM = { name: "Ed25519" };

/** Return a fresh recovery seed: 32 random bytes from the browser's cryptographic source. */
export function newSeed() {
  return crypto.getRandomValues(new Uint8Array(SEED_BYTES));
}

/**
 * Return the recovery key of a seed: {kid, public, privateKey}, signable as statement.js `sign` wants.
 *
 * The private key is imported extractable only to read its public half (WebCrypto has no other way to
 * get it from a seed); the caller drops the returned object as soon as it has signed.
 */
export async function recoveryKey(seed) {
  if (seed.length !== SEED_BYTES) throw new Error(`a recovery seed is ${SEED_BYTES} bytes`);
  const der = new Uint8Array(PKCS8_PREFIX.length + SEED_BYTES);
  der.set(PKCS8_PREFIX);
  der.set(seed, PKCS8_PREFIX.length);
  try {
    const privateKey = await crypto.subtle.importKey("pkcs8", der, ALGORITHM, true, ["sign"]);
    const raw = unbase64((await crypto.subtle.exportKey("jwk", privateKey)).x);
    return { kid: await kidOf(raw), public: base64(raw), privateKey };
  } finally {
    der.fill(0);
  }
}
