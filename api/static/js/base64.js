// Base64: standard with padding, as coop/keys.py `b64` writes public keys and signatures, and back.

/** Return the standard base64 text of bytes (an ArrayBuffer or a Uint8Array). */
export function base64(bytes) {
  // btoa takes a "binary string", one character per byte; built a byte at a time, so no size limit applies.
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Return the bytes of base64 text, standard or URL-safe (as a JWK writes keys), padded or not. */
export function unbase64(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}
