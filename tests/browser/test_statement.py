"""Statements built and signed in the browser (api/static/js/statement.js), checked by the Python side."""
from __future__ import annotations

import json
from typing import Any

from api_harness import ORIGIN, Coop
from browser_harness import run, unb64
from playwright.sync_api import Page

from coop import statements
from coop.errors import BadInput
from coop.keys import KeyPair, PublicKey
from coop.members import MEMBER_TYPE, member_fields
from coop.node import KEYS_DIR
from coop.statements import KeyRecord
from governance import proposals as P

FIELDS = {"proposal": "p-roof", "proposal_sha256": "0" * 64, "choice": "yes", "reason": "Ça tient — «oui» 👍"}


def signed_in_browser(page: Page, author: str, seq: int, fields: dict[str, Any]) -> tuple[bytes, KeyRecord]:
    """Make a key in the page, sign a vote body with it there, and return the envelope bytes and the exported key."""
    answer = run(page, """
        const key = await keystore.createKey(arg.author);
        const body = statement.makeBody("coop.vote/v1", arg.origin, arg.author, arg.seq, arg.fields);
        const raw = await statement.sign(body, [key]);
        return {raw: base64.base64(raw), public: await keystore.exportPublic(key.publicKey)};
    """, {"origin": ORIGIN, "author": author, "seq": seq, "fields": fields})
    return unb64(answer["raw"]), KeyRecord(PublicKey.from_b64(answer["public"]))


def test_a_statement_signed_in_the_browser_verifies_in_python(page: Page) -> None:
    raw, key = signed_in_browser(page, "erin", 1, FIELDS)
    statement = statements.verify(raw, origin=ORIGIN, keys=lambda author: [key] if author == "erin" else [], expected_type=P.VOTE_TYPE)
    assert statement.signers == (key.kid,)
    assert statement.body == statements.make_body(P.VOTE_TYPE, ORIGIN, "erin", 1, FIELDS, statement.body["created"])


# Bodies at the edges of what coop/statements.py `_check_common` and the canonical encoder take, each way.
BODIES: dict[str, dict[str, Any]] = {
    "a vote": {},
    "a leap day": {"created": "2024-02-29T23:59:59Z"},
    "the first year": {"created": "0001-01-01T00:00:00Z"},
    "the last second": {"created": "9999-12-31T23:59:59Z"},
    "a type of 64 characters": {"type": "coop." + "😀" * 59},
    "a type of 65 characters": {"type": "coop." + "x" * 60},
    "a type of another platform": {"type": "other.vote/v1"},
    "no type": {"type": None},
    "no co-op": {"coop": ""},
    "an upper-case author": {"author": "Erin"},
    "an author with a slash": {"author": "erin/../alice"},
    "sequence number 0": {"seq": 0},
    "sequence number true": {"seq": True},
    "sequence number 1.5": {"seq": 1.5},
    "sequence number 2^53": {"seq": 2**53},
    "no leap day": {"created": "2026-02-29T12:00:00Z"},
    "hour 24": {"created": "2026-11-23T24:00:00Z"},
    "a leap second": {"created": "2026-12-31T23:59:60Z"},
    "year 0": {"created": "0000-01-01T00:00:00Z"},
    "a lower-case t": {"created": "2026-11-23t18:00:00Z"},
    "no Z": {"created": "2026-11-23T18:00:00"},
    "a space for T": {"created": "2026-11-23 18:00:00Z"},
    "Arabic-Indic digits": {"created": "٢٠٢٦-11-23T18:00:00Z"},
    "no time": {"created": None},
    "a field Python refuses": {"reason": "e\u0301"},
}


def vote_body(change: dict[str, Any]) -> dict[str, Any]:
    """Return a vote body with some fields changed (None: the field left out)."""
    body = {**statements.make_body(P.VOTE_TYPE, ORIGIN, "erin", 1, FIELDS, "2026-11-23T18:00:00Z"), **change}
    return {name: value for name, value in body.items() if value is not None}


def signed_in_python(body: dict[str, Any]) -> str:
    """Tell whether Python signs the body or refuses it as bad input."""
    try:
        statements.sign(body, [KeyPair.generate("erin")])
    except BadInput:
        return "refused"
    return "signed"


def test_the_browser_signs_the_bodies_python_signs_and_refuses_the_others(page: Page) -> None:
    bodies = {name: vote_body(change) for name, change in BODIES.items()}
    answers = run(page, """
        const key = await keystore.createKey("erin");
        const answers = {};
        for (const [name, body] of Object.entries(JSON.parse(arg))) {
          try { await statement.sign(body, [key]); answers[name] = "signed"; }
          catch (error) { answers[name] = error.name === "BadInput" ? "refused" : `${error.name}: ${error.message}`; }
        }
        return answers;
    """, json.dumps(bodies))
    assert answers == {name: signed_in_python(body) for name, body in bodies.items()}


def test_a_vote_signed_in_the_browser_is_stored_by_the_node(page: Page, coop: Coop) -> None:
    public = run(page, "return (await keystore.createKey('gus')).public;")
    sdk = coop.client()
    sdk.submit(coop.keys["alice"], MEMBER_TYPE, member_fields("gus", ["member"], ["python"], [KeyRecord(PublicKey.from_b64(public))]),
               "/api/v1/members")
    sdk.open_proposal(coop.keys["alice"], "p-browser", "Sign in the browser", "Members hold their own keys.", "majority", closes_in=3600)
    fields = P.vote_body("p-browser", sdk.get("/api/v1/proposals/p-browser")["sha256"], "yes", "Mon vote, signé ici ✍")
    receipt = run(page, """
        const body = statement.makeBody("coop.vote/v1", await api.origin(), "gus", await api.nextSeq("gus"), arg);
        return await api.post(await statement.sign(body, [await keystore.loadKey("gus")]), "/api/v1/proposals/p-browser/votes");
    """, fields)
    assert receipt["created"] is True and receipt["author"] == "gus"
    stored = sdk.get_bytes(receipt["location"])
    statements.verify(stored, origin=ORIGIN, keys=lambda author: [KeyRecord(PublicKey.from_b64(public))], expected_type=P.VOTE_TYPE)
    assert not (coop.home / KEYS_DIR / "gus.key").exists()


def test_the_node_refusal_of_a_statement_reaches_the_page_as_an_api_error(page: Page) -> None:
    answer = run(page, """
        const key = await keystore.createKey("nobody");
        const body = statement.makeBody("coop.vote/v1", await api.origin(), "nobody", 1, arg);
        try { await api.post(await statement.sign(body, [key])); return "stored"; }
        catch (error) { return {name: error.name, status: error.status, code: error.code, message: error.message}; }
    """, FIELDS)
    assert answer["name"] == "ApiError" and 400 <= answer["status"] < 500 and "nobody" in answer["message"]
