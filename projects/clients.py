"""Clients and referrals: who brought a client in, and for how long that earns a share.

A client record (`clients/<id>.json`) names the member who registered it as the
referrer, and optionally a liaison. The referrer never changes by editing the
record; only a passed proposal (the `referral` effect) re-assigns it. The
referral share itself comes from the split policy in force, never from the
client record, so nobody can write themselves a bigger share.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from coop import canonical, statements
from coop.errors import BadInput, Conflict, Forbidden, Invalid, NotFound
from coop.ids import check_id
from coop.statements import Statement
from coop.view import View

CLIENT_TYPE = "coop.client/v1"
MAX_NAME = 120


def client_path(client_id: str) -> str:
    """Return where a client's record lives."""
    return f"clients/{check_id(client_id, 'client id')}.json"


def referral_path(client_id: str) -> str:
    """Return where a referrer chosen by proposal is kept (it overrides the record's)."""
    return f"decided/referrals/{check_id(client_id, 'client id')}.json"


def client(view: View, client_id: str) -> Mapping[str, Any]:
    """Return a client's record body, or raise NotFound."""
    body = view.body(client_path(client_id))
    if body is None:
        raise NotFound(f"no client {client_id!r}")
    return body


def referrer(view: View, client_id: str) -> str | None:
    """Return who earns the referral share on a client's revenue now."""
    decided = view.read(referral_path(client_id))
    if decided is not None:
        return cast(str | None, canonical.decode(decided)["referrer"])
    return cast(str | None, client(view, client_id)["referrer"])


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no valid day in {year}-{month}")


def referral_active(registered: str, paid: str, months: int | None) -> bool:
    """Tell whether a payment on `paid` is inside the referral period that began on `registered`."""
    if months is None:
        return True
    start = statements.parse_time(registered).date()
    return statements.parse_time(paid).date() < add_months(start, months)


def check_client(statement: Statement, view: View) -> dict[str, bytes | None]:
    """A member registers a client as its referrer; later edits keep the referrer."""
    body = statement.body
    client_id = check_id(body.get("id"), "client id")
    name = body.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise BadInput(f"a client needs a name of 1-{MAX_NAME} characters (a business name; no personal data)")
    liaison = body.get("liaison")
    if liaison is not None and "member" not in view.roles(check_id(liaison, "liaison")):
        raise Invalid(f"liaison {liaison!r} is not a member")
    previous = view.body(client_path(client_id))
    if previous is None:
        if "member" not in view.roles(statement.author):
            raise Forbidden("only members register clients")
        if body.get("referrer") not in (statement.author, None):
            raise Forbidden("you register a client you brought in yourself: the referrer is you (or nobody)")
        if body.get("registered") != body["created"]:
            raise BadInput("a new client's registration time is the time of the statement")
        return {}
    if body.get("referrer") != previous["referrer"]:
        raise Forbidden("a referral is re-assigned only by a passed proposal")
    if statement.author not in (previous["referrer"], previous["author"], previous.get("liaison")):
        raise Forbidden(f"only the referrer or liaison of {client_id} may edit it")
    if body.get("registered") != previous.get("registered"):
        raise Conflict("the registration date of a client never changes")
    return {}


def client_fields(client_id: str, name: str, referrer: str | None, liaison: str | None, registered: str) -> dict[str, Any]:
    """Return the fields of a client record; a new client's `registered` is the statement's `created`."""
    return {"id": client_id, "name": name, "referrer": referrer, "liaison": liaison, "registered": registered}


def check_referral_effect(view: View, effect: Mapping[str, Any]) -> None:
    """A referral effect names a client and the member (or nobody) to earn its referral share."""
    if set(effect) != {"kind", "client", "referrer"}:
        raise BadInput("a referral effect is {kind: referral, client, referrer}")
    client(view, check_id(effect["client"], "client id"))
    if effect["referrer"] is not None and "member" not in view.roles(check_id(effect["referrer"], "referrer")):
        raise BadInput(f"{effect['referrer']!r} is not a member")


def apply_referral_effect(view: View, effect: Mapping[str, Any], proposal_id: str) -> dict[str, bytes | None]:
    """Re-assign a client's referral."""
    client(view, effect["client"])
    return {referral_path(effect["client"]): canonical.encode({"proposal": proposal_id, "referrer": effect["referrer"]})}
