// Canonical JSON (RFC 8785, JCS): the bytes a statement's signature covers.
//
// The twin of coop/canonical.py `encode`. A signature made here is checked by the node over the bytes
// Python makes of the same value, so both sides must give byte-identical output, and this side must
// refuse exactly what Python refuses: a value Python cannot carry must never be signed here.
// tests/browser/test_jcs.py holds the two encoders to each other.
//
// What Coop accepts (coop/canonical.py `_check_value`): null, booleans, whole numbers within
// ±(2^53-1), strings that are well-formed UTF-16, hold no byte order mark and are in Unicode NFC,
// arrays, and plain objects, nested at most MAX_DEPTH containers deep. No floats: money is integer
// minor units.

import { BadInput } from "./errors.js";

export const MAX_SAFE_INT = Number.MAX_SAFE_INTEGER; // 2^53-1, coop/digits.py MAX_SAFE_INT
export const MAX_DEPTH = 32; // coop/canonical.py MAX_DEPTH

/** Return the RFC 8785 UTF-8 bytes of a value, or throw BadInput for a value Coop refuses. */
export function encode(value) {
  return new TextEncoder().encode(encodeText(value));
}

/** Return the RFC 8785 text of a value (encode's bytes before UTF-8). */
export function encodeText(value) {
  return serialise(value, 0);
}

// `depth` counts the arrays and objects around the value, as in Python: a container at depth
// MAX_DEPTH would be one level too many. The limit also stops a cyclic object.
function serialise(value, depth) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return number(value);
    case "string":
      return string(value);
    case "object":
      if (depth >= MAX_DEPTH) throw new BadInput(`nesting deeper than ${MAX_DEPTH}`);
      return Array.isArray(value) ? array(value, depth) : object(value, depth);
    case "undefined":
      // JSON.stringify drops an undefined member silently: the signed bytes would then lack a field
      // the page showed. Python has no such value, so it is refused.
      throw new BadInput("undefined cannot be encoded (leave the field out or use null)");
    case "bigint":
      throw new BadInput("a BigInt cannot be encoded: use a Number within ±(2^53-1)");
    default:
      throw new BadInput(`${typeof value} cannot be encoded`);
  }
}

// JavaScript has one Number type, so 1.0 is the integer 1 here (Python would see a float only if
// the caller wrote one). -0 is written "0", as JCS says, which is Python's 0.
function number(value) {
  if (!Number.isFinite(value)) throw new BadInput(`${value} is not allowed`);
  if (!Number.isInteger(value)) throw new BadInput(`floats are not allowed (${value}); money is integer minor units`);
  if (!Number.isSafeInteger(value)) throw new BadInput(`integer ${value} is beyond 2^53-1`);
  return String(value);
}

// RFC 8785 defines its string form as ECMAScript's JSON.stringify, so that is used as it is.
function string(text) {
  checkString(text);
  return JSON.stringify(text);
}

// The same refusals, in the same order, as coop/canonical.py `_check_string`. NFC is checked with the
// browser's Unicode tables, which may be newer than Python's: for a character assigned after Python's
// Unicode version the two can disagree, and then this side refuses what Python would take (never the
// reverse, as Unicode never changes the normalisation of an assigned character).
function checkString(text) {
  if (!text.isWellFormed()) throw new BadInput("string holds a lone surrogate");
  if (text.includes("\ufeff")) throw new BadInput("string holds a byte order mark");
  if (text.normalize("NFC") !== text) throw new BadInput(`string ${JSON.stringify(text)} is not in Unicode NFC form`);
}

// Every index is read, so a hole in a sparse array meets the undefined refusal instead of becoming null.
function array(items, depth) {
  const parts = [];
  for (let i = 0; i < items.length; i++) parts.push(serialise(items[i], depth + 1));
  return `[${parts.join(",")}]`;
}

// Only plain objects (as JSON.parse makes them): a Date, Map or class instance has no one JSON form,
// and JSON.stringify would quietly turn it into something else. Keys sort by UTF-16 code units, which
// is what Array.prototype.sort does with strings and what RFC 8785 asks for.
function object(value, depth) {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new BadInput(`${value.constructor?.name ?? "object"} cannot be encoded: use a plain object`);
  }
  if (Object.getOwnPropertySymbols(value).length) throw new BadInput("object key is a Symbol, not a string");
  const members = Object.keys(value)
    .sort()
    .map((key) => `${string(key)}:${serialise(value[key], depth + 1)}`);
  return `{${members.join(",")}}`;
}
