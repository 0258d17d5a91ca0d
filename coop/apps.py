"""Allied apps: programs that act for the co-op's partners with keys and scopes of their own.

An app record is a signed statement. A member registers an app and becomes its
owner; the record lists the app's public keys, the statement types it may post
(its scopes) and the events it subscribes to. Where the events
go is not in the record: a webhook URL often carries a secret, so the app sets it
on a node privately (api/webhooks/urls.py); a record written before that may still
name one, and it still verifies. The app signs its own statements with its own keys, as an author
whose handle is its id, and every statement an app authors must have a type in
its scopes. The owner (or the founder) changes scopes; the app itself may change
its name, keys and subscription, never its scopes or its owner.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from coop import authors
from coop.area_contract import Area, Check, Kind
from coop.errors import BadInput, Forbidden
from coop.ids import check_id, check_new_handle
from coop.statements import KeyRecord, Statement
from coop.view import View

APP_TYPE = "coop.app/v1"
MAX_NAME = 120
MAX_URL = 2000
MAX_SCOPES = 32
EVENTS = (
    "ledger.entry_appended",
    "learner.joined",
    "member.admitted",
    "project.state_changed",
    "proposal.closed",
    "proposal.opened",
    "request.posted",
    "vote.cast",
)
STATEMENT_TYPE = re.compile(r"coop\.[a-z0-9.-]{1,48}/v[0-9]{1,3}")


def app_scopes(view: View, author: str) -> frozenset[str]:
    """Return the statement types an app may post; empty for anyone who is not an app."""
    if not authors.is_app(view, author):
        return frozenset()
    record = authors.app(view, author)
    return frozenset(record["scopes"]) if record else frozenset()


def check_scope(statement: Statement, view: View) -> None:
    """Refuse a statement by an app whose type is not in the app's scopes.

    An app may always post its own record (to change its keys or subscription);
    what it may change there is the app kind's own rule.
    """
    if statement.type == APP_TYPE or not authors.is_app(view, statement.author):
        return
    scopes = app_scopes(view, statement.author)
    if statement.type not in scopes:
        allowed = ", ".join(sorted(scopes)) or "none"
        raise Forbidden(f"app {statement.author!r} may not post {statement.type}: its scopes are {allowed}")


def scoped(area: Area) -> Area:
    """Return the area with every kind's check preceded by the app scope check."""

    def guard(check: Check) -> Check:
        def guarded(statement: Statement, view: View) -> Mapping[str, bytes | None]:
            check_scope(statement, view)
            return check(statement, view)
        return guarded

    return replace(area, kinds=tuple(replace(kind, check=guard(kind.check)) for kind in area.kinds))


def check_webhook(url: object) -> str | None:
    """Refuse a webhook URL that is not a plain http(s) URL without credentials or fragment."""
    if url is None:
        return None
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise BadInput(f"a webhook is an http(s) URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as e:
        raise BadInput(f"webhook URL {url!r} does not parse: {e}") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput("a webhook URL starts with http:// or https:// and names a host")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise BadInput("a webhook URL carries no user name, password or #fragment")
    return url


def check_scopes(scopes: object) -> list[str]:
    """Refuse scopes that are not a sorted list of unique statement types."""
    if not isinstance(scopes, list) or len(scopes) > MAX_SCOPES:
        raise BadInput(f"scopes are a list of at most {MAX_SCOPES} statement types")
    for scope in scopes:
        if not isinstance(scope, str) or not STATEMENT_TYPE.fullmatch(scope):
            raise BadInput(f"scope {scope!r} is not a statement type such as coop.client/v1")
    if scopes != sorted(set(scopes)):
        raise BadInput("scopes must be sorted and unique")
    return scopes


def check_events(events: object) -> list[str]:
    """Refuse events outside the known list, unsorted or repeated."""
    if not isinstance(events, list) or not all(e in EVENTS for e in events):
        raise BadInput(f"events are a list of: {', '.join(EVENTS)}")
    if events != sorted(set(events)):
        raise BadInput("events must be sorted and unique")
    return events


def app_fields(app_id: str, name: str, owner: str, keys: list[KeyRecord], scopes: list[str],
               events: list[str] | None = None) -> dict[str, Any]:
    """Return the fields of an app record (its webhook URL is never among them)."""
    return {"id": app_id, "name": name, "owner": owner, "keys": [k.to_dict() for k in keys],
            "scopes": sorted(set(scopes)), "webhook": None, "events": sorted(set(events or []))}


def app_statement_path(statement: Statement) -> str:
    """Store an app record under its id."""
    return authors.app_path(statement.body.get("id", ""))


def check_app(statement: Statement, view: View) -> dict[str, bytes | None]:
    """Enforce who registers and changes an app, and keep app ids and keys unique among authors."""
    body = statement.body
    app_id = check_id(body.get("id"), "app id")
    name = body.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise BadInput(f"an app needs a name of 1-{MAX_NAME} characters")
    keys = authors.check_keys(body.get("keys"))
    scopes = check_scopes(body.get("scopes"))
    # Records written before URLs left the record may name one; a new one must not, since the record is public
    # (a view with a clock is a node accepting a statement now, not a replay of history).
    if check_webhook(body.get("webhook")) is not None and view.now is not None:
        raise BadInput("an app record names no webhook URL (the record is public): set it on the node with "
                       f"a request signed by the app, PUT /api/v1/apps/{app_id}/webhook")
    check_events(body.get("events"))
    owner = check_id(body.get("owner"), "owner")
    author = statement.author
    previous = authors.app(view, app_id)
    if previous is None:
        if "member" not in view.roles(author):
            raise Forbidden(f"{author!r} is not a member: only members register apps")
        if owner != author:
            raise Forbidden("you register an app as its owner: 'owner' is you")
        check_new_handle(app_id, authors.taken_names(view))
    else:
        if owner != previous["owner"]:
            raise Forbidden(f"the owner of app {app_id!r} does not change")
        if author == app_id:
            if scopes != previous["scopes"]:
                raise Forbidden(f"app {app_id!r} cannot change its own scopes; its owner does")
        elif not (author == previous["owner"] and "member" in view.roles(author)) and "founder" not in view.roles(author):
            raise Forbidden(f"only app {app_id!r}, its owner or the founder may change its record")
        authors.check_key_history(view, app_id, previous, keys)
    return authors.claim_keys(view, app_id, keys)


KIND = Kind(APP_TYPE, app_statement_path, check_app, "An allied app: its owner, keys, scopes and the events it subscribes to.")
