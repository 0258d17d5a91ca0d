"""The pages where a member's keys are made and managed on the member's own device.

Each page is readable without JavaScript; its script (api/static/js/pages/) only
makes keys, builds the statement, says in words what it signs, signs and posts.
The node answers these pages with what the record says and nothing more: it never
sees a private key, and a GET here writes nothing.

- /join/<handle>~<code>: an invitation's page; the device makes its key and a
  recovery key and claims the invitation (coop/invitations.py).
- /recover: the recovery words bring back a member's account on a new device.
- /devices and /link: the keys a member holds, and linking another device.
- /words/english.txt: the BIP39 word list the recovery words come from.
"""
from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, request

from api.http.layout import in_words, message, render
from api.http.service import service
from api.usecases import device_links, joining, members
from coop.errors import BadInput, NotFound

bp = Blueprint("keys", __name__)

# The `mnemonic` package's own copy of the list, so the repository holds no second one to drift.
WORD_LIST = resources.files("mnemonic") / "wordlist" / "english.txt"
WORD_LIST_MAX_AGE = 86400  # the list never changes

ASK_AGAIN = "Ask the person who invited you for a new link."
CLOSED = {  # standing: (HTTP status, title, what happened, what to do)
    "none": (404, "No invitation here", "This link does not open any invitation for {handle}.",
             "Check that you copied the whole link. " + ASK_AGAIN),
    joining.FORGED: (404, "This link does not work", "The code in this link is not the code of {handle}’s invitation.",
                     "Check that you copied the whole link. " + ASK_AGAIN),
    "expired": (410, "This invitation has ended", "This invitation ended on {until}.", ASK_AGAIN),
    "cancelled": (410, "This invitation was cancelled", "This invitation was cancelled.", ASK_AGAIN),
    "claimed": (410, "This link was used already", "This link was used already: each link works once.",
                "If you joined with it, your key is on the device you used: open “Your devices” there. "
                "If you did not, tell the person who invited you."),
}


@bp.get("/join/<token>")
def join_page(token: str) -> Response:
    """Show an invitation and let this device make its keys and claim it; a link that opens nothing says why."""
    svc = service()
    try:
        _, handle, code = members.parse_join_link(request.base_url)
    except BadInput as e:
        return message("This link does not work", e.message, 404, "Check that you copied the whole link. " + ASK_AGAIN)
    view = svc.view()
    opened = joining.open_link(view, handle, code, svc.node.clock())
    invitation = opened.invitation or {}
    until = in_words(invitation["expires"]) if invitation else ""
    if opened.standing != "pending":
        status, title, text, hint = CLOSED[opened.standing]
        return message(title, text.format(handle=handle, until=until), status, hint)
    record = opened.current or invitation
    return render("join.html", "Move to a key of your own" if opened.move else f"Join {view.charter()['name']}",
                  handle=handle, inviter=invitation["author"], move=opened.move, roles=record["roles"], skills=record["skills"],
                  until=until, inputs=opened.claim_inputs(view.origin))


@bp.get("/recover")
def recover_page() -> Response:
    """Let a member's recovery words add this device's new key and stop the keys of lost ones."""
    return render("recover.html", "Recover your account")


@bp.get("/devices")
def devices_page() -> Response:
    """List the keys of each member this browser holds a key of (the script reads them), to link or stop one."""
    return render("devices.html", "Your devices")


@bp.get("/link")
@bp.get("/link/<code>")
def link_page(code: str | None = None) -> Response:
    """On a new device: the code a member's other device shows (typed here, or in the link), then a key made here."""
    code = code or request.args.get("code")
    if not code:
        return render("link.html", "Link this device", link=None)
    svc = service()
    try:
        link = device_links.find(svc.node.home, svc.view(), code, svc.node.clock())
    except NotFound:
        return message("This code does not work", "This code is unknown, or it has ended.", 404,
                       "A code works for 10 minutes. Check each letter, or make a new code on your other device.")
    return render("link.html", "Link this device", link=link, code=code, until=in_words(link.expires))


@bp.get("/words/english.txt")
def word_list() -> Response:
    """Serve the BIP39 English word list that recovery words are written in."""
    response = Response(WORD_LIST.read_bytes(), mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = WORD_LIST_MAX_AGE
    return response
