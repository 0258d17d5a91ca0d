// Standard base64 with padding, as coop/keys.py `b64` writes public keys and signatures.

/** Return the standard base64 text of bytes (an ArrayBuffer or a Uint8Array). */
export function base64(bytes) {
  // btoa takes a "binary string", one character per byte; built a byte at a time, so no size limit applies.
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
