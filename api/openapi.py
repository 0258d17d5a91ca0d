"""The OpenAPI 3 document of the HTTP API, served at /api/v1/openapi.json.

It is written out here rather than guessed from the code, and a test runs
schemathesis against a live server with it, so it says what the server really
does: every route, parameter, body, status and response shape.
"""
from __future__ import annotations

import re
from typing import Any

from coop.apps import EVENTS
from coop.roles import ROLES
from governance.methods import Method
from ledger.entries import TYPES
from projects.learners import TRACKS
from projects.work import MILESTONE_STATUSES, STATES

ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$", "maxLength": 63}
TEXT = {"type": "string"}
INT = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
SIZE = {"type": "integer", "minimum": 1, "maximum": 2**53 - 1}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
JSON = "application/json"
ENTRY_TYPE_NAMES = sorted(t.removeprefix("coop.ledger.").split("/")[0] for t in TYPES)


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a schema that also allows null."""
    return {**schema, "nullable": True}


def ref(name: str) -> dict[str, str]:
    """Return a reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return an object schema with required and optional properties."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """Return an array schema."""
    return {"type": "array", "items": items}


def page_of(item: str) -> dict[str, Any]:
    """Return the schema of one page of a list."""
    return obj({"items": array(ref(item)), "next": nullable(TEXT)})


KEY = obj({"kid": TEXT, "public": TEXT}, {"revoked_after": INT, "label": TEXT, "recovery": BOOL})
INVITATION = {"handle": ID, "roles": nullable(array({"type": "string", "enum": list(ROLES)})), "skills": nullable(array(TEXT)),
              "expires": TIME, "inviter": ID, "move": BOOL}
SIG = obj({"kid": TEXT, "sig": TEXT})
MONEY = obj({"amount": INT, "currency": TEXT})

SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": obj({"code": TEXT, "message": TEXT})}),
    "Index": obj({"name": TEXT, "origin": TEXT, "node": nullable(obj({"name": TEXT, "keys": array(KEY)})), "head": nullable(TEXT), "openapi": TEXT}),
    "Member": obj({"handle": ID, "roles": array({"type": "string", "enum": list(ROLES)}), "skills": array(TEXT), "joined": TIME}),
    "MemberDetail": obj({"handle": ID, "roles": array(TEXT), "skills": array(TEXT), "keys": array(KEY), "updated": TIME, "path": TEXT}),
    "Learner": obj({"handle": ID, "roles": array(TEXT), "skills": array(TEXT), "joined": TIME, "track": nullable(TEXT),
                    "mentor": nullable(TEXT), "joined_via": nullable(TEXT)}),
    "LearnerDetail": obj({"handle": ID, "skills": array(TEXT), "track": nullable(TEXT), "mentor": nullable(TEXT),
                          "joined_via": nullable(TEXT), "notes": array(obj({"id": ID, "author": ID, "created": TIME, "note": TEXT}))}),
    "Invitation": {**obj(INVITATION), "description": "A pending invitation; roles and skills are null for a move (the member keeps theirs)."},
    "InvitationDetail": obj({**INVITATION, "state": {"type": "string", "enum": ["pending", "claimed", "cancelled", "expired"]}}),
    "Node": obj({"name": ID, "keys": array(KEY)}),
    "AuthorSeq": obj({"author": ID, "seq": INT, "next": INT}),
    "Proposal": obj({"id": ID, "title": TEXT, "author": ID, "effect": TEXT, "method": TEXT, "opens": nullable(TIME),
                     "closes": nullable(TIME), "state": {"type": "string", "enum": ["draft", "open", "closed"]},
                     "result": nullable(TEXT), "applied": nullable(BOOL), "votes": INT}),
    "ProposalDetail": obj({"id": ID, "title": TEXT, "text": TEXT, "html": TEXT, "author": ID, "created": TIME,
                           "method": {"type": "string", "enum": [m.value for m in Method]}, "effect": {"type": "object"},
                           "opens": nullable(TIME), "sha256": HEX64, "state": {"type": "string", "enum": ["draft", "open", "closed"]},
                           "tally": nullable({"type": "object"}), "votes": INT,
                           "outcome": nullable(obj({"closed": TIME, "closed_by": ID, "applied": BOOL, "result": TEXT,
                                                    "not_applied_because": nullable(TEXT)}))},
                          {"closes": TIME, "eligible": array(ID), "rules": {"type": "object"}, "options": array(TEXT)}),
    "Governance": obj({"eligible": array(ID), "rules": {"type": "object", "additionalProperties": INT},
                       "methods": array(TEXT), "effects": array(TEXT)}),
    "Vote": obj({"voter": ID, "choice": TEXT, "created": TIME}),
    "OutcomeFields": obj({"closed": BOOL, "fields": obj({"proposal": ID, "proposal_sha256": HEX64, "tally": {"type": "object"},
                                                         "applied": BOOL}, {"not_applied_because": TEXT})}),
    "Envelope": {**obj({"body": obj({"type": {"type": "string", "pattern": "^coop\\."}, "coop": TEXT, "author": ID,
                                      "seq": {"type": "integer", "minimum": 1}, "created": TIME}),
                        "sigs": {"type": "array", "minItems": 1, "items": SIG}}),
                 "description": "A signed statement: the canonical JSON (RFC 8785) bytes of its envelope, exactly as signed."},
    "DeviceLink": obj({"handle": ID, "expires": TIME, "offer": nullable(obj({"kid": TEXT, "public": TEXT, "label": TEXT})),
                       "added": BOOL}),
    "DeviceLinkStarted": obj({"code": TEXT, "link": TEXT, "handle": ID, "expires": TIME,
                              "offer": nullable(obj({"kid": TEXT, "public": TEXT, "label": TEXT})), "added": BOOL}),
    "Receipt": obj({"path": TEXT, "commit": TEXT, "sha256": HEX64, "created": BOOL, "type": TEXT, "author": ID,
                    "seq": INT, "location": TEXT}),
    "Receipts": obj({"items": array(ref("Receipt"))}),
    "Ledger": obj({"origin": TEXT, "size": INT, "root": nullable(TEXT), "checkpoint": nullable(TEXT), "vkey": nullable(TEXT),
                   "keeper": nullable(TEXT)}),
    "Posting": obj({"account": TEXT, "amount": INT, "currency": TEXT}),
    "Entry": obj({"index": INT, "id": ID, "type": {"type": "string", "enum": list(TYPES)}, "author": ID, "created": TIME,
                  "client": nullable(TEXT), "project": nullable(TEXT), "member": nullable(TEXT), "amount": nullable(INT),
                  "currency": nullable(TEXT), "leaf_hash": HEX64, "postings": array(ref("Posting"))}),
    "EntryDetail": obj({"index": INT, "leaf_hash": HEX64, "path": TEXT, "statement": obj({"body": {"type": "object"}, "sigs": array(SIG)})}),
    "Balance": obj({"account": TEXT, "currency": TEXT, "amount": INT, "balance": INT, "decimal": TEXT}),
    "Report": obj({"period": nullable(TEXT), "entries": INT, "currencies": {"type": "object", "additionalProperties": obj({
        "revenue": INT, "revenue_by_client": {"type": "object", "additionalProperties": INT},
        "split": obj({"members": INT, "treasury": INT, "funds": INT}), "paid_out": INT,
        "paid_out_by_member": {"type": "object", "additionalProperties": INT}, "expenses": INT})}}),
    "Consistency": obj({"from": INT, "to": INT, "proof": array(TEXT)}),
    "App": obj({"id": ID, "name": TEXT, "owner": ID, "keys": array(KEY), "scopes": array(TEXT),
                "events": array({"type": "string", "enum": list(EVENTS)}), "updated": TIME}),
    "Delivery": obj({"seq": INT, "event": obj({"id": TEXT, "type": {"type": "string", "enum": list(EVENTS)}, "commit": TEXT}),
                     "status": {"type": "string", "enum": ["pending", "delivered", "failed", "cancelled"]}, "attempts": INT,
                     "last_code": nullable(INT), "last_error": nullable(TEXT), "next_attempt": nullable(TIME),
                     "delivered_at": nullable(TIME)}),
    "Client": obj({"id": ID, "name": TEXT, "referrer": nullable(ID), "liaison": nullable(ID), "registered": TIME}),
    "ClientDetail": obj({"id": ID, "name": TEXT, "referrer": nullable(ID), "liaison": nullable(ID), "registered": TIME, "author": ID}),
    "Project": obj({"id": ID, "client": ID, "title": TEXT, "skills": array(TEXT), "budget": MONEY, "deadline": TEXT, "author": ID,
                    "state": {"type": "string", "enum": list(STATES)}}),
    "Milestone": obj({"project": ID, "milestone": ID, "title": TEXT, "amount": INT, "currency": TEXT,
                      "status": {"type": "string", "enum": list(MILESTONE_STATUSES)}}),
    "PaymentTerms": obj({"project": ID, "milestone": ID, "client": ID, "created": TIME, "index": INT, "policy": {"type": "object"},
                         "policy_sha256": HEX64, "team": {"type": "object", "additionalProperties": INT}, "referrer": nullable(ID),
                         "referral_active": BOOL, "liaison": nullable(ID), "paid": {"type": "object"}}),
    "ProjectDetail": obj({"id": ID, "client": ID, "title": TEXT, "text": TEXT, "html": TEXT, "skills": array(TEXT), "budget": MONEY,
                          "deadline": TEXT, "author": ID, "created": TIME, "state": {"type": "string", "enum": list(STATES)},
                          "liaison": nullable(ID), "team": {"type": "object", "additionalProperties": INT},
                          "milestones": array(ref("Milestone")), "applications": array(obj({"handle": ID, "note": TEXT}))}),
}

ERRORS = {
    400: "The request is malformed: a parameter, the body's shape or its encoding.",
    401: "A signature is missing, made by an unknown key, or does not verify.",
    403: "The signer may not make this statement (role, scope or a revoked key).",
    404: "There is no such resource.",
    409: "The statement clashes with the record: a replayed sequence number, a taken id.",
    413: "The body is larger than the server accepts.",
    415: "The body is not application/json.",
    422: "The statement breaks a rule of its kind (a closed vote, unbalanced postings).",
    429: "Too many requests from this client; retry after the Retry-After seconds.",
    503: "The store is busy or failing; try again.",
}
READ_ERRORS = (400, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)


def error(status: int) -> dict[str, Any]:
    """Return the description of an error response."""
    response: dict[str, Any] = {"description": ERRORS[status], "content": {JSON: {"schema": ref("Error")}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": INT}}
    return response


def query(name: str, schema: dict[str, Any], about: str, required: bool = False) -> dict[str, Any]:
    """Return a query parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": about}


def path(name: str, schema: dict[str, Any] = ID, about: str = "") -> dict[str, Any]:
    """Return a path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": about or name}


IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": TEXT,
                 "description": "An ETag from an earlier answer: 304 if nothing changed."}
PAGING = [query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Items per page (default 50)."),
          query("cursor", {"type": "string", "maxLength": 512},
                "The `next` cursor of the previous page, as given: one this server did not give for this list is 400 `bad_cursor`.")]


def get(summary: str, schema: dict[str, Any], parameters: list[dict[str, Any]] | None = None, media: str = JSON,
        errors: tuple[int, ...] = READ_ERRORS, tag: str = "") -> dict[str, Any]:
    """Return a read operation: 200 with a body (ETag), 304, and its errors."""
    ok = {"description": "OK", "content": {media: {"schema": schema}},
          "headers": {"ETag": {"description": "Entity tag for If-None-Match.", "schema": TEXT}}}
    responses: dict[str, Any] = {"200": ok, "304": {"description": "Not modified since the ETag given."}}
    responses.update({str(s): error(s) for s in errors})
    return {"summary": summary, "tags": [tag] if tag else [], "parameters": [*(parameters or []), IF_NONE_MATCH],
            "responses": responses}


def listing(summary: str, item: str, filters: list[dict[str, Any]] | None = None, parameters: list[dict[str, Any]] | None = None,
            tag: str = "") -> dict[str, Any]:
    """Return a paged list operation."""
    operation = get(summary, page_of(item), [*(parameters or []), *(filters or []), *PAGING], tag=tag)
    operation["responses"]["200"]["headers"]["Link"] = {"description": 'The next page: <url>; rel="next".', "schema": TEXT}
    return operation


def post(summary: str, takes: str, parameters: list[dict[str, Any]] | None = None, tag: str = "", batch: bool = False) -> dict[str, Any]:
    """Return a write operation that takes signed statements."""
    body = {"type": "array", "minItems": 1, "maxItems": 16, "items": ref("Envelope")} if batch else ref("Envelope")
    answer = ref("Receipts") if batch else ref("Receipt")
    location = {} if batch else {"headers": {"Location": {"description": "Where the statement is stored.", "schema": TEXT}}}
    responses: dict[str, Any] = {
        "201": {"description": "Stored.", "content": {JSON: {"schema": answer}}, **location},
        "200": {"description": "Already stored, byte for byte: where it lives.", "content": {JSON: {"schema": answer}}, **location},
    }
    responses.update({str(s): error(s) for s in WRITE_ERRORS})
    return {"summary": summary, "description": f"Takes: {takes}.", "tags": [tag] if tag else [], "parameters": parameters or [],
            "requestBody": {"required": True, "content": {JSON: {"schema": body}}}, "responses": responses}


def enum(values: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Return a string schema of a few words."""
    return {"type": "string", "enum": list(values)}


ACCOUNT = {"type": "string", "pattern": "^(treasury|(assets|income|fund|member):([a-z0-9][a-z0-9-]{0,62})?)$"}
TILE_LEVEL = {"type": "string", "pattern": "^([0-9]|[1-5][0-9]|6[0-3])$"}
TILE_INDEX = {"type": "string", "pattern": "^[0-9]{3}$"}
TILE_WIDTH = {"type": "integer", "minimum": 1, "maximum": 255}
OCTETS = {"type": "string", "format": "binary"}
TILE_ABOUT = ("Tile indexes of 1000 or more are written in groups of three digits, all but the last prefixed x "
              "(tile/0/x001/234); this document shows the one-group form.")


def paths() -> dict[str, Any]:
    """Return every path of the API."""
    pid, prj = path("proposal_id"), path("project_id")
    return {
        "/": {"get": get("The co-op's home page, for people.", TEXT, media="text/html", errors=(429,), tag="pages")},
        "/proposals": {"get": get("Proposals, for people.", TEXT, media="text/html", errors=(429,), tag="pages")},
        "/proposals/{proposal_id}": {"get": get("One proposal's text (rendered, sanitised) and tally, for people.", TEXT, [pid],
                                                media="text/html", tag="pages")},
        "/projects": {"get": get("Client projects and requests, for people.", TEXT, media="text/html", errors=(429,), tag="pages")},
        "/books": {"get": get("Where the money went (a picture), balances, and how to check them, for people.", TEXT,
                              media="text/html", errors=(429,), tag="pages")},
        **key_pages(),
        "/api/v1": {"get": get("Which co-op and node this is, with the node key that signs webhooks.", ref("Index"), errors=(429,))},
        "/api/v1/openapi.json": {"get": get("This document.", {"type": "object"}, errors=(429,))},
        "/api/v1/members": {
            "get": listing("Members by handle.", "Member", [query("role", enum(ROLES), "Only members with this role."),
                                                             query("skill", ID, "Only members with this skill.")], tag="members"),
            "post": post("Add or change a member record, or claim an invitation with one (the record carries the code).",
                         "coop.member/v1", tag="members")},
        "/api/v1/members/{handle}": {"get": get("A member's record with public keys.", ref("MemberDetail"), [path("handle")], tag="members")},
        "/api/v1/invitations": {
            "get": get("The pending invitations, by handle (never their codes).", page_of("Invitation"), errors=(429,), tag="members"),
            "post": post("Invite a member-to-be or a member to move to a key of their own, or cancel an invitation.",
                         "coop.invitation/v1", tag="members")},
        "/api/v1/invitations/{handle}": {"get": get("A handle's invitation and where it stands.", ref("InvitationDetail"),
                                                    [path("handle")], tag="members")},
        "/api/v1/learners": {
            "get": listing("Learners with track and mentor.", "Learner", [query("track", enum(TRACKS), "Only this track."),
                                                                        query("mentor", ID, "Only learners of this mentor.")], tag="members"),
            "post": post("Record a learner's profile (joining) or a progress note.", "coop.learner/v1, coop.learner-note/v1", tag="members")},
        "/api/v1/learners/{handle}": {"get": get("A learner's profile and notes.", ref("LearnerDetail"), [path("handle")], tag="members")},
        "/api/v1/nodes": {"get": get("The nodes and their commit and webhook keys.", page_of("Node"), errors=(429,), tag="members")},
        "/api/v1/authors/{handle}/seq": {"get": get("An author's last and next sequence number.", ref("AuthorSeq"), [path("handle")],
                                                    tag="statements")},
        "/api/v1/governance": {"get": get("What a proposal opening now carries: eligible voters and rules.", ref("Governance"),
                                          errors=(429,), tag="governance")},
        "/api/v1/proposals": {
            "get": listing("Proposals by id.", "Proposal", [query("state", enum(["draft", "open", "closed"]), "Only this state."),
                                                            query("author", ID, "Only by this member."),
                                                            query("effect", ID, "Only with this effect.")], tag="governance"),
            "post": post("Make, amend or open a proposal.", "coop.proposal/v1", tag="governance")},
        "/api/v1/proposals/{proposal_id}": {"get": get("A proposal with safe HTML and its tally now.", ref("ProposalDetail"), [pid],
                                                       tag="governance")},
        "/api/v1/proposals/{proposal_id}/votes": {
            "get": listing("Each member's current vote.", "Vote", parameters=[pid], tag="governance"),
            "post": post("Vote.", "coop.vote/v1 naming this proposal", [pid], tag="governance")},
        "/api/v1/proposals/{proposal_id}/outcome": {
            "get": get("The outcome, or the fields to sign to close the proposal now.", ref("OutcomeFields"), [pid],
                       errors=(400, 404, 422, 429), tag="governance"),
            "post": post("Close the proposal.", "coop.outcome/v1 naming this proposal", [pid], tag="governance")},
        "/api/v1/statements": {"post": post("Store any signed statement.", "any statement type", tag="statements")},
        "/api/v1/statements/batch": {"post": post("Store several statements in one commit, or none.", "an array of statements",
                                                  tag="statements", batch=True)},
        "/api/v1/statements/{path}.json": {"get": get("A stored statement's exact bytes.", ref("Envelope"),
                                                      [path("path", {"type": "string", "pattern": "^[a-z0-9][a-z0-9/_-]*$"},
                                                            "Repository path of the statement without .json, e.g. members/alice.")],
                                                      tag="statements")},
        "/api/v1/ledger": {"get": get("The log: origin, size, root, checkpoint and verifier key.", ref("Ledger"), errors=(429,), tag="ledger")},
        "/api/v1/ledger/entries": {
            "get": listing("Entries in log order.", "Entry", [query("type", enum(ENTRY_TYPE_NAMES), "Only this type."),
                                                              query("member", ID, "Only paying out to this member."),
                                                              query("client", ID, "Only for this client."),
                                                              query("project", ID, "Only for this project.")], tag="ledger"),
            "post": post("Record a ledger entry.", ", ".join(TYPES), tag="ledger")},
        "/api/v1/ledger/cosignatures": {"post": post("Record a witness's cosignature of the checkpoint.", "coop.ledger.cosignature/v1",
                                                      tag="ledger")},
        "/api/v1/ledger/entries/{index}": {"get": get("One entry as signed.", ref("EntryDetail"),
                                                      [path("index", COUNT)], tag="ledger")},
        "/api/v1/ledger/balances": {"get": listing("Balances per account and currency.", "Balance", [query(
            "account", ACCOUNT, "An account (member:amina, treasury) or a family (member:, fund:).")], tag="ledger")},
        "/api/v1/ledger/report": {"get": get("Totals of a year or month: revenue, splits, payouts, expenses.", ref("Report"), [query(
            "period", {"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]))?$"}, "A year (2026) or month (2026-11); all time if absent.")],
            tag="ledger")},
        "/api/v1/ledger/proof": {"get": get("A c2sp.org/tlog-proof receipt of one entry, entry included.", TEXT, [
            query("index", COUNT, "The entry's index.", required=True),
            query("size", SIZE, "Tree size (default: the log's size now).")], media="text/plain", tag="ledger")},
        "/api/v1/ledger/consistency": {"get": get("Proof that the tree of size `from` is a prefix of the tree of size `to`.", ref("Consistency"), [
            query("from", SIZE, "The older size.", required=True),
            query("to", SIZE, "The newer size (default: now).")], tag="ledger")},
        "/ledger/checkpoint": {"get": get("The signed checkpoint (c2sp.org/tlog-checkpoint).", TEXT, media="text/plain",
                                          errors=(404, 429), tag="tiles")},
        "/witness/add-checkpoint": {"post": witness_post()},
        "/ledger/tile/{level}/{index}": {"get": tile_get("A full hash tile.", [path("level", TILE_LEVEL), path("index", TILE_INDEX)])},
        "/ledger/tile/{level}/{index}.p/{width}": {"get": tile_get("A partial hash tile.", [
            path("level", TILE_LEVEL), path("index", TILE_INDEX), path("width", TILE_WIDTH)])},
        "/ledger/tile/entries/{index}": {"get": tile_get("A full entry bundle.", [path("index", TILE_INDEX)])},
        "/ledger/tile/entries/{index}.p/{width}": {"get": tile_get("A partial entry bundle.", [path("index", TILE_INDEX),
                                                                                              path("width", TILE_WIDTH)])},
        "/api/v1/apps": {"get": listing("Allied apps by id.", "App", tag="apps"),
                         "post": post("Register an app or change its keys, scopes or subscription.", "coop.app/v1", tag="apps")},
        "/api/v1/apps/{app_id}": {"get": get("An app's record.", ref("App"), [path("app_id")], tag="apps")},
        "/api/v1/apps/{app_id}/deliveries": {"get": app_signed(listing("The app's webhook deliveries, in order (to the app alone).",
                                                                       "Delivery", [query("status", enum(["pending", "delivered", "failed", "cancelled"]),
                                                                                          "Only this status.")], [path("app_id")], tag="apps"))},
        "/api/v1/apps/{app_id}/webhook": {"put": app_signed({
            "summary": "Set or clear where this node delivers the app's webhooks (node-private, never shown).", "tags": ["apps"],
            "parameters": [path("app_id")],
            "requestBody": {"required": True, "content": {JSON: {"schema": obj({"url": nullable(TEXT)})}}},
            "responses": {"200": {"description": "Set.", "content": {JSON: {"schema": obj({"app": ID, "webhook": BOOL})}}},
                          **{str(s): error(s) for s in (400, 404, 409, 413, 429)}}})},
        "/api/v1/clients": {"get": listing("Clients by id.", "Client", [query("referrer", ID, "Only referred by this member.")], tag="projects"),
                            "post": post("Register or edit a client.", "coop.client/v1", tag="projects")},
        "/api/v1/clients/{client_id}": {"get": get("A client.", ref("ClientDetail"), [path("client_id")], tag="projects")},
        "/api/v1/requests": {"get": listing("Open client requests.", "Project", PROJECT_FILTERS, tag="projects"),
                             "post": post("Post a client request.", "coop.project/v1", tag="projects")},
        "/api/v1/projects": {"get": listing("Projects by id.", "Project", [query("state", enum(STATES), "Only this state."), *PROJECT_FILTERS],
                                            tag="projects")},
        "/api/v1/projects/{project_id}": {"get": get("A project in full.", ref("ProjectDetail"), [prj], tag="projects")},
        "/api/v1/projects/{project_id}/applications": {"post": post("Apply.", "coop.application/v1", [prj], tag="projects")},
        "/api/v1/projects/{project_id}/team": {"post": post("Form the team.", "coop.team/v1", [prj], tag="projects")},
        "/api/v1/projects/{project_id}/moves": {"post": post("Move the project's state.", "coop.project-move/v1", [prj], tag="projects")},
        "/api/v1/projects/{project_id}/milestones": {"post": post("Plan, deliver or accept a milestone.", "coop.milestone/v1", [prj],
                                                                  tag="projects")},
        "/api/v1/projects/{project_id}/milestones/{milestone_id}/payment": {
            "get": get("What a payment of the milestone received now must carry, to sign it with the payer's key.",
                       ref("PaymentTerms"), [prj, path("milestone_id")], tag="projects"),
            "post": post("Pay the milestone: its revenue, that revenue's split and the milestone marked paid, in one commit.",
                         "coop.revenue/v1, coop.split/v1 and coop.milestone/v1 (status paid), in that order, for this milestone",
                         [prj, path("milestone_id")], tag="projects", batch=True)},
        "/api/v1/milestones": {"get": listing("Milestones across projects.", "Milestone", [
            query("status", enum(MILESTONE_STATUSES), "Only this status."), query("project", ID, "Only of this project.")], tag="projects")},
    }


def html_page(summary: str, parameters: list[dict[str, Any]] | None = None, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    """Return a page for people whose refusals are pages too (a link that opens nothing), as well as JSON from routing."""
    operation = get(summary, TEXT, parameters, media="text/html", errors=(429,), tag="pages")
    for status in errors:
        page = {"text/html": {"schema": TEXT}}
        operation["responses"][str(status)] = {"description": f"{HTML_ERRORS[status]} A page that says so.",
                                               "content": {**page, **error(404)["content"]} if status == 404 else page}
    return operation


HTML_ERRORS = {
    404: "The link names no invitation, or its code is not the invitation's code (or the route is unknown: JSON).",
    410: "The invitation was used, cancelled or has expired.",
}
JOIN_TOKEN = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}~[0-9A-Za-z -]{16,24}$",
              "description": "<handle>~<code>, as `coop member invite` prints it."}
LINK_CODE = {"type": "string", "maxLength": 40, "description": "The code, as the other device shows it (XXXX-XXXX-XXXX-XXXX)."}


def key_pages() -> dict[str, Any]:
    """Return the pages where a member's device makes, links and recovers keys (api/http/keys.py)."""
    return {
        "/join/{token}": {"get": html_page("An invitation's page: who is invited, as what, until when; the device makes its keys there.",
                                           [path("token", JOIN_TOKEN)], errors=(404, 410))},
        "/words/english.txt": {"get": get("The BIP39 English word list recovery words are written in.", TEXT, media="text/plain",
                                          errors=(429,), tag="pages")},
        "/recover": {"get": html_page("Recover an account on a new device with the recovery words.")},
        "/devices": {"get": html_page("The keys of the members this browser holds a key of; link a new device, revoke a key.")},
        "/link": {"get": html_page("A new device joins a member's account: type the code the other device shows.",
                                   [query("code", TEXT, "The code, as the other device shows it.")], errors=(404,))},
        "/link/{code}": {"get": html_page("A new device joins a member's account with the code in the link.",
                                          [path("code", LINK_CODE)], errors=(404,))},
        "/api/v1/device-links": {"post": json_post("Make a code for a member's next device, good for ten minutes (node-private).",
                                                   obj({"handle": ID}), ref("DeviceLinkStarted"), "201", (400, 404, 413, 415, 429))},
        "/api/v1/device-links/{code}": {
            "get": get("Where a device-link code stands: the key a new device left, and whether the record lists it.",
                       ref("DeviceLink"), [path("code", LINK_CODE)], errors=(404, 429), tag="members"),
            "post": json_post("Leave a new device's public key and label under a code (once).", obj({"public": TEXT, "label": TEXT}),
                              ref("DeviceLink"), "200", (400, 404, 409, 413, 415, 429), [path("code", LINK_CODE)]),
        },
    }


def json_post(summary: str, takes: dict[str, Any], answer: dict[str, Any], status: str, errors: tuple[int, ...],
              parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a write of plain canonical JSON (not a signed statement) and its answer."""
    responses: dict[str, Any] = {status: {"description": "OK.", "content": {JSON: {"schema": answer}}}}
    responses.update({str(s): error(s) for s in errors})
    return {"summary": summary, "tags": ["members"], "parameters": parameters or [],
            "requestBody": {"required": True, "content": {JSON: {"schema": takes}}}, "responses": responses}


def app_signed(operation: dict[str, Any]) -> dict[str, Any]:
    """Return an operation only the app may call: signed by its key in Coop-Request-Signature (see docs/api.md)."""
    header = {"name": "Coop-Request-Signature", "in": "header", "required": True, "schema": TEXT,
              "description": "t=<unix seconds>,nonce=<random>,kid=<app key id>,sig=<base64 Ed25519> (api/webhooks/signature.py)."}
    operation["parameters"] = [*operation["parameters"], header]
    operation["responses"]["401"] = error(401)
    return operation


PROJECT_FILTERS = [query("client", ID, "Only for this client."), query("skill", ID, "Only needing this skill.")]


def tile_get(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a tile read: immutable bytes."""
    operation = get(summary, OCTETS, parameters, media="application/octet-stream", errors=(404, 429), tag="tiles")
    operation["description"] = TILE_ABOUT
    return operation


def witness_post() -> dict[str, Any]:
    """Return the tlog-witness add-checkpoint operation: plain text in, cosignature lines out."""
    responses: dict[str, Any] = {
        "200": {"description": "Cosigned: the cosignature line(s).", "content": {"text/plain": {"schema": TEXT}}},
        "409": {"description": "The old size is not the size this witness last cosigned; the body is that size.",
                "content": {"text/x.tlog.size": {"schema": TEXT}}},
    }
    responses.update({str(s): error(s) for s in (400, 401, 403, 404, 413, 422, 429, 503)})
    return {"summary": "Cosign a checkpoint (c2sp.org/tlog-witness add-checkpoint).", "tags": ["tiles"],
            "description": "Body: `old <size>`, up to 63 base64 consistency-proof lines, a blank line, the signed checkpoint.",
            "requestBody": {"required": True, "content": {"text/plain": {"schema": TEXT}}}, "responses": responses}


# From a list to the operations that take one of its items' ids: (list, operation, {parameter: JSON pointer in the page}).
LINKS = [
    ("/api/v1/members", "/api/v1/members/{handle}", {"handle": "/items/0/handle"}),
    ("/api/v1/members", "/api/v1/authors/{handle}/seq", {"handle": "/items/0/handle"}),
    ("/api/v1/learners", "/api/v1/learners/{handle}", {"handle": "/items/0/handle"}),
    ("/api/v1/proposals", "/api/v1/proposals/{proposal_id}", {"proposal_id": "/items/0/id"}),
    ("/api/v1/proposals", "/api/v1/proposals/{proposal_id}/votes", {"proposal_id": "/items/0/id"}),
    ("/api/v1/proposals", "/api/v1/proposals/{proposal_id}/outcome", {"proposal_id": "/items/0/id"}),
    ("/api/v1/apps", "/api/v1/apps/{app_id}", {"app_id": "/items/0/id"}),
    ("/api/v1/apps", "/api/v1/apps/{app_id}/deliveries", {"app_id": "/items/0/id"}),
    ("/api/v1/clients", "/api/v1/clients/{client_id}", {"client_id": "/items/0/id"}),
    ("/api/v1/projects", "/api/v1/projects/{project_id}", {"project_id": "/items/0/id"}),
    ("/api/v1/requests", "/api/v1/projects/{project_id}", {"project_id": "/items/0/id"}),
    ("/api/v1/ledger/entries", "/api/v1/ledger/entries/{index}", {"index": "/items/0/index"}),
    ("/api/v1/ledger/entries", "/api/v1/ledger/proof", {"index": "/items/0/index"}),
]


def operation_id(method: str, route: str) -> str:
    """Return an operation's id from its method and path, e.g. getMembersHandle."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", route.removeprefix("/api/v1")) if w] or ["index" if route == "/api/v1" else "home"]
    return method + "".join(w[0].upper() + w[1:] for w in words)


def document() -> dict[str, Any]:
    """Return the OpenAPI document."""
    found = paths()
    for route, item in found.items():
        for method, operation in item.items():
            operation["operationId"] = operation_id(method, route)
    for source, target, parameters in LINKS:
        links = found[source]["get"]["responses"]["200"].setdefault("links", {})
        links[operation_id("get", target)] = {"operationId": operation_id("get", target),
                                              "parameters": {name: f"$response.body#{pointer}" for name, pointer in parameters.items()}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Coop API", "version": "1",
                 "description": "A co-op's members, proposals, projects and books. Writes are signed statements; "
                                "every failure answers {\"error\": {\"code\", \"message\"}}. See docs/api.md."},
        "paths": found,
        "components": {"schemas": SCHEMAS},
    }

