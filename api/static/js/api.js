// The node's API as a page of that node uses it: the browser's twin of api/sdk.py's Client for
// reading what a statement needs (the origin, the next sequence number) and posting a signed one.
// Paths are relative: the page and the API share one origin, so no CORS and no stored URL.

import { ApiError } from "./errors.js";

const MEDIA_TYPE = "application/json";

/** Return the co-op's log origin, which every statement names in its `coop` field. */
export async function origin() {
  return (await request("GET", "/api/v1")).origin;
}

/** Return the sequence number an author signs with next. */
export async function nextSeq(author) {
  return (await request("GET", `/api/v1/authors/${encodeURIComponent(author)}/seq`)).next;
}

/** Post signed envelope bytes (statement.js `sign`), or other canonical JSON bytes (jcs.js), as they are; return the answer. */
export async function post(raw, path = "/api/v1/statements") {
  return request("POST", path, raw);
}

// Any error answer becomes an ApiError with the node's own code and message (api/http/errors.py's shape).
async function request(method, path, body) {
  const response = await fetch(path, { method, body, headers: body ? { "Content-Type": MEDIA_TYPE } : {} });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = answer?.error;
    throw new ApiError(response.status, error?.code ?? "error", error?.message ?? `${method} ${path} answered ${response.status}`);
  }
  return answer;
}

/**
 * Return a member's record as it is stored now: its body, the SHA-256 of its bytes (what a change names as
 * `previous`) and the member's last sequence number (after which a revoked key stops).
 */
export async function memberRecord(handle) {
  const member = await request("GET", `/api/v1/members/${encodeURIComponent(handle)}`);
  const response = await fetch(`/api/v1/statements/${member.path}`);
  if (!response.ok) throw new ApiError(response.status, "not_found", `the record of ${handle} could not be read`);
  const raw = new Uint8Array(await response.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const sha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  const { seq } = await request("GET", `/api/v1/authors/${encodeURIComponent(handle)}/seq`);
  return { body: JSON.parse(new TextDecoder().decode(raw)).body, sha256, lastSeq: seq };
}

/** Return a route's JSON answer (a device link's standing, a member's keys). */
export async function read(path) {
  return request("GET", path);
}
