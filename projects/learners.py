"""Learners and mentors: a learner's track, mentor and progress notes.

    learners/<handle>.json              the learner's profile (signed): track, mentor, how they joined
    learners/<handle>/notes/<id>.json   progress notes by the learner or their mentor

The learner's membership itself is their member record (role learner); becoming
a member is a governance proposal with the admit effect.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from coop.errors import BadInput, Conflict, Forbidden, Invalid
from coop.ids import check_id
from coop.statements import Statement, parse_time
from coop.view import View
from projects.work import app_may

LEARNER_TYPE = "coop.learner/v1"
NOTE_TYPE = "coop.learner-note/v1"
TRACKS = ("web", "mobile", "design", "data", "devops", "backend", "qa")
JOINED_VIA = ("chat", "api", "cli")
MAX_NOTE = 2000
# A Matrix user ID (@localpart:server): what the chat bridge attests about who asked to join.
MATRIX_ID = re.compile(r"@[a-z0-9._=/+-]{1,200}:[A-Za-z0-9.:\[\]-]{1,230}")


def learner_path(handle: str) -> str:
    """Return where a learner's profile lives."""
    return f"learners/{check_id(handle, 'handle')}.json"


def note_path(handle: str, note_id: str) -> str:
    """Return where a progress note lives."""
    return f"learners/{check_id(handle, 'handle')}/notes/{check_id(note_id, 'note id')}.json"


def profile(view: View, handle: str) -> Mapping[str, Any] | None:
    """Return a learner's profile, or None."""
    return view.body(learner_path(handle))


def check_learner(statement: Statement, view: View) -> dict[str, bytes | None]:
    """The learner, a member or a mentor keeps the profile; a mentor must have the mentor role."""
    body = statement.body
    handle = check_id(body.get("handle"), "handle")
    if view.member(handle) is None:
        raise Invalid(f"{handle!r} has no member record: add them as a learner first")
    if body.get("track") not in TRACKS:
        raise BadInput(f"track must be one of {', '.join(TRACKS)}")
    if body.get("joined_via") not in JOINED_VIA:
        raise BadInput(f"joined_via must be one of {', '.join(JOINED_VIA)}")
    _check_attestation(body)
    mentor = body.get("mentor")
    if mentor is not None and "mentor" not in view.roles(check_id(mentor, "mentor")):
        raise Invalid(f"{mentor!r} is not a mentor")
    if mentor == handle:
        raise Invalid("a learner cannot mentor themselves")
    roles = view.roles(statement.author)
    if statement.author != handle and not roles & {"member", "mentor", "founder"} and not app_may(view, statement):
        raise Forbidden("a learner's profile is kept by the learner, members and mentors")
    previous = profile(view, handle)
    if previous is not None and any(previous.get(k) != body.get(k) for k in ("joined_via", "matrix_id", "asked_at")):
        raise Conflict("how a learner joined (joined_via, matrix_id, asked_at) does not change")
    return {}


def _check_attestation(body: Mapping[str, Any]) -> None:
    """Refuse a malformed chat attestation: the Matrix ID that asked, and when (both optional, together)."""
    matrix_id, asked = body.get("matrix_id"), body.get("asked_at")
    if matrix_id is None and asked is None:
        return
    if not isinstance(matrix_id, str) or len(matrix_id) > 255 or not MATRIX_ID.fullmatch(matrix_id):
        raise BadInput("matrix_id is a Matrix user ID such as @ana:example.org")
    if not isinstance(asked, str):
        raise BadInput("asked_at is the time the Matrix user asked, e.g. 2026-11-23T20:00:00Z")
    parse_time(asked)


def check_note(statement: Statement, view: View) -> dict[str, bytes | None]:
    """The learner or their mentor writes progress notes, once each."""
    body = statement.body
    handle = check_id(body.get("learner"), "learner")
    check_id(body.get("id"), "note id")
    learner = profile(view, handle)
    if learner is None:
        raise Invalid(f"{handle!r} has no learner profile")
    if statement.author not in (handle, learner.get("mentor")):
        raise Forbidden("progress notes are written by the learner or their mentor")
    note = body.get("note")
    if not isinstance(note, str) or not 0 < len(note) <= MAX_NOTE:
        raise BadInput(f"a note is 1-{MAX_NOTE} characters")
    if view.read(note_path(handle, body["id"])) is not None:
        raise Conflict(f"note {body['id']} exists")
    return {}
