// What every page script does with a person: say something in a box of a kind, say an error in plain
// words, show a key's fingerprint, and stop early (saying why) where the browser cannot make keys.

import { ApiError, BadInput } from "./errors.js";
import { isSecure } from "./keystore.js";

/** Show text in an element, styled as a notice, a warning, an error or a done step (the element is unhidden). */
export function say(element, kind, text) {
  element.className = kind;
  element.textContent = text;
  element.hidden = false;
  element.setAttribute("role", kind === "error" ? "alert" : "status");
}

/** Return an error in words a member can act on: the node's refusal with its reason, a mistake to fix, or a failure. */
export function inWords(error) {
  if (error instanceof ApiError) {
    const who = error.status === 403 ? "The co-op does not allow this" : "The co-op did not take this";
    return `${who}: ${error.message}. Nothing was changed.`;
  }
  if (error instanceof BadInput) return error.message;
  return `Something went wrong in this browser: ${error?.message ?? error}. Nothing was changed.`;
}

/** Return a key id as a short fingerprint to compare by eye: 16 hex digits in groups of four. */
export function fingerprint(kid) {
  return kid.toUpperCase().match(/.{1,4}/g).join(" ");
}

/** Return the JSON a page embedded for its script (a <script type="application/json"> element). */
export function embedded(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/**
 * Tell whether this page may make and use keys; if not, show the page's #insecure box with this page's
 * address in it (browsers give WebCrypto only to https:// pages and to http://127.0.0.1 or localhost).
 */
export function secureOrSay() {
  if (isSecure()) return true;
  const box = document.getElementById("insecure");
  box.querySelector("[data-address]").textContent = location.origin;
  box.hidden = false;
  return false;
}
