// A member's keys in this browser: Ed25519 made by WebCrypto, kept in IndexedDB, never exportable.
//
// The key pair is generated non-extractable, so no script (ours, an injected one, an extension's)
// can read the private key's bytes: it can only ask WebCrypto to sign with it. A CryptoKey is
// structured-cloneable, so IndexedDB stores the key object itself, still non-extractable, and it
// survives a reload. IndexedDB belongs to the page's origin: each node's pages see only their own keys.
//
// WebCrypto exists only in a secure context (HTTPS, or http://127.0.0.1 and localhost): `isSecure`
// lets a page say so in words instead of failing on an undefined `crypto.subtle`.

import { base64 } from "./base64.js";
import { BadInput } from "./errors.js";

const DATABASE = "coop-keys";
const STORE = "keys";
const ALGORITHM = { name: "Ed25519" };

/** Tell whether this page may use WebCrypto: a secure context that has `crypto.subtle`. */
export function isSecure() {
  return globalThis.isSecureContext === true && globalThis.crypto?.subtle !== undefined;
}

/** Return a public key's raw 32 bytes as base64, the form member records list. */
export async function exportPublic(publicKey) {
  return base64(await crypto.subtle.exportKey("raw", publicKey));
}

/** Return the key id of a public key's raw bytes: the first 16 hex digits of their sha256 (coop/keys.py `kid_of`). */
export async function kidOf(raw) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return Array.from(digest.slice(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Make a new key for a handle, store it, and return its record (handle, kid, public, label, created, the CryptoKeys).
 *
 * One key per handle per browser: a second device is a second browser, which makes its own key. The
 * label ("phone", "laptop") is the name the member gave this device; the member record lists it too.
 */
export async function createKey(handle, label = null) {
  // The public half of a pair is always extractable; `false` applies to the private key.
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const record = {
    handle,
    kid: await kidOf(raw),
    public: base64(raw),
    label,
    created: new Date().toISOString(),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  };
  try {
    await write((store) => store.add(record));
  } catch (error) {
    if (error?.name === "ConstraintError") throw new BadInput(`this browser already holds a key for ${handle}`);
    throw error;
  }
  return record;
}

/** Return the stored record of a handle's key (with its CryptoKeys), or null if this browser holds none. */
export async function loadKey(handle) {
  return (await read((store) => store.get(handle))) ?? null;
}

/** Return what this browser holds, without the CryptoKeys: handle, kid, public, label and created of each key. */
export async function listKeys() {
  const records = await read((store) => store.getAll());
  return records.map(({ handle, kid, public: publicKey, label = null, created }) => ({ handle, kid, public: publicKey, label, created }));
}

/** Forget a handle's key in this browser (nothing else holds it: the node cannot bring it back). */
export async function deleteKey(handle) {
  await write((store) => store.delete(handle));
}

function open() {
  const request = indexedDB.open(DATABASE, 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "handle" });
  return result(request);
}

async function read(action) {
  const database = await open();
  try {
    return await result(action(database.transaction(STORE, "readonly").objectStore(STORE)));
  } finally {
    database.close();
  }
}

// A write has happened once its transaction completes, not when its request succeeds: only then is a
// new key on disk, so a page never shows a key that a crash could still lose. A failed request aborts
// its transaction, and its own error (say, ConstraintError) is the one worth reporting.
async function write(action) {
  const database = await open();
  try {
    const transaction = database.transaction(STORE, "readwrite", { durability: "strict" });
    const request = action(transaction.objectStore(STORE));
    await new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(request.error ?? transaction.error);
    });
  } finally {
    database.close();
  }
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
