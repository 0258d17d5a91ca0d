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

/** Post signed envelope bytes (statement.js `sign`) as they are; return where the node stored them. */
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
