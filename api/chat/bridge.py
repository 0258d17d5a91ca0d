"""The chat bridge: answers commands in a Matrix room and announces what the co-op does.

The bridge is an allied app (its own key on this node, scopes `coop.invitation/v1`,
`coop.member/v1` and `coop.learner/v1`). `!join` invites a learner and sends the link in a direct
message; the learner's key is made on their own device when they open it, and
once their member record lands the bridge writes the learner profile attesting
which Matrix user asked and when (api/chat/joining.py). `!claim` sends a learner
who joined before invitations a link to move off the key this node holds for them.
The node never makes or keeps a key for anyone who joins here.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.chat import joining
from api.chat.commands import HELP, Command, parse
from api.chat.cursor import Cursor
from api.chat.joining import Asked
from api.chat.matrix import Matrix
from api.usecases import members
from api.webhooks.events import Event, events_of_commit
from coop.apps import APP_TYPE, app_fields
from coop.authors import app, taken_names
from coop.errors import CoopError, Forbidden, MalformedCommand
from coop.ids import check_new_handle
from coop.index import commits_since
from coop.invitations import INVITATION_TYPE, state
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE
from coop.node import Node
from coop.state_file import StateFile
from coop.statements import COMMON_FIELDS, KeyRecord, format_time
from coop.view import View
from governance.index import find_proposals
from projects import matching
from projects.index import find_projects
from projects.learners import LEARNER_TYPE, profile

SCOPES = sorted([INVITATION_TYPE, LEARNER_TYPE, MEMBER_TYPE])
STATE_FILE = "chat-bridge-{app}.json"
SYNC_TIMEOUT_MS = 30_000
SENT = "I sent you a direct message with your link."


def register(node: Node, app_id: str, owner: str, name: str = "Chat bridge") -> KeyPair:
    """Register the bridge as an app owned by a member, its key kept on this node (once; later calls reuse it).

    A bridge registered before invitations lacks the scope to send them: registering
    it again, as its owner, adds the scopes it is missing.
    """
    record = app(node.view(), app_id)
    if node.keys.has(app_id) and record is not None:
        missing = set(SCOPES) - set(record["scopes"])
        if missing:
            kept = {k: v for k, v in record.items() if k not in COMMON_FIELDS}
            node.write(APP_TYPE, {**kept, "scopes": sorted({*record["scopes"], *missing})}, author=owner)
        return node.keys.unlock(app_id)
    pair = KeyPair.generate(app_id)
    node.write(APP_TYPE, app_fields(app_id, name, owner, [KeyRecord(pair.public)], SCOPES), author=owner)
    node.keys.save(pair)
    return pair


class Bridge:
    """One bridge: a node, the app it acts as, a Matrix client and the public room it sits in."""

    def __init__(self, node: Node, app_id: str, matrix: Matrix, room: str, links: str) -> None:
        self.node = node
        self.app_id = app_id
        self.matrix = matrix
        self.room = room
        self.links = links.rstrip("/")
        self.state = StateFile(Path(node.home) / STATE_FILE.format(app=app_id))
        self.cursor = Cursor.from_dict(self.state.read() or {})
        self.me = ""
        self.room_id = ""

    # -- the loop -----------------------------------------------------------------------

    def start(self) -> Bridge:
        """Find out who the bridge is, join its room and, on the first start, begin at the room's and repository's heads."""
        if INVITATION_TYPE not in (app(self.node.view(), self.app_id) or {}).get("scopes", []):
            raise Forbidden(f"app {self.app_id!r} is not registered with the scope {INVITATION_TYPE}, so it cannot invite: "
                            "its owner starts it once with `coop --as OWNER chat-bridge --register ...`")
        self.me = self.matrix.whoami()
        self.room_id = self.matrix.join(self.room)
        if self.cursor.commit is None:
            head = self.node.store.head()
            self._save(commit=str(head.id) if head else None)
        if self.cursor.since is None:
            self.step()  # the first sync marks where the bridge begins: what was said before is history
        return self

    def run(self, stop: threading.Event) -> None:
        """Sync, answer and announce until told to stop."""
        while not stop.is_set():
            self.step(SYNC_TIMEOUT_MS)

    def step(self, timeout_ms: int = 0) -> int:
        """Run one /sync: answer every new command, welcome who joined, announce new commits; return how many messages were read."""
        batch = self.matrix.sync(self.cursor.since, timeout_ms)
        read = 0
        for room_id, room in sorted(batch.get("rooms", {}).get("join", {}).items()):
            for message in self._new_messages(room_id, room.get("timeline", {})):
                if self.cursor.since is not None:  # the first sync only marks where the bridge starts
                    self._answer(room_id, message)
                self._save(self.cursor.handle(message["event_id"]))
                read += 1
        self._save(since=batch["next_batch"])
        self.settle()
        self.announce()
        return read

    def _new_messages(self, room_id: str, timeline: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Yield a room's new messages in order, paging back over a gap /sync left (`limited`)."""
        events = list(timeline.get("events", []))
        if timeline.get("limited") and self.cursor.since is not None and timeline.get("prev_batch"):
            handled = set(self.cursor.handled)
            older = []
            for event in self.matrix.messages_before(room_id, timeline["prev_batch"]):
                if event.get("event_id") in handled:
                    break
                older.append(event)
            events = older[::-1] + events
        handled = set(self.cursor.handled)
        for event in events:
            if event.get("type") == "m.room.message" and event.get("event_id") not in handled:
                handled.add(event["event_id"])
                yield event

    def _answer(self, room_id: str, message: Mapping[str, Any]) -> None:
        sender = message.get("sender", "")
        text = message.get("content", {}).get("body")
        if sender == self.me or not isinstance(text, str):
            return
        when = format_time(datetime.fromtimestamp(message.get("origin_server_ts", 0) / 1000, UTC))
        reply = self.reply(sender, text, when)
        if reply:
            self.matrix.send(room_id, f"{sender}: {reply}")

    def _save(self, cursor: Cursor | None = None, **changes: Any) -> None:
        self.cursor = replace(cursor or self.cursor, **changes)
        self.state.write(self.cursor.to_dict())

    # -- commands -----------------------------------------------------------------------

    def reply(self, sender: str, text: str, when: str) -> str | None:
        """Return the answer to one message (None: not a command); a refused command changes nothing."""
        try:
            command = parse(text)
        except MalformedCommand as e:
            return e.message
        if command is None:
            return None
        try:
            return getattr(self, f"_{command.name}")(sender, command, when)
        except CoopError as e:
            return f"that did not work: {e.message}"

    def _help(self, sender: str, command: Command, when: str) -> str:
        return HELP

    def _join(self, sender: str, command: Command, when: str) -> str:
        view, now = self.node.view(), self.node.clock()
        handle = command.handle or ""
        known = self.handle_of(view, sender)
        if known:
            return f"you already joined as {known!r}. Try !projects, !mentor or !help."
        waiting = self._waiting(view, sender)
        if waiting is not None and waiting.handle != handle:
            return (f"you already asked to join as {waiting.handle!r}. Your link is in a direct message from me. "
                    f"For a new link, type !join {waiting.handle} {waiting.track} again.")
        again = waiting is not None
        if not again and state(view, handle, now) == "pending":
            return (f"someone is already invited as {handle!r} and has not finished joining. "
                    f"Please choose another handle: !join OTHER-HANDLE {' '.join(command.skills)}")
        try:
            check_new_handle(handle, taken_names(view))
        except CoopError as e:
            return f"{e.message}. Please choose another handle: !join OTHER-HANDLE {' '.join(command.skills)}"
        direct = self.matrix.direct_room(sender)  # first, so a homeserver that refuses it leaves nothing written
        invited = members.invite(self.node, self.app_id, handle, ["learner"], command.skills, joining.LIFETIME_SECONDS, self.links)
        self._save(self.cursor.ask(joining.asked(invited, sender, command.track or "", when)))
        self.matrix.send(direct, joining.join_message(view.charter()["name"], invited))
        if again:
            return "I sent you a new link in a direct message. The old link does not work any more."
        return f"{SENT} Open it on your own phone or computer to finish joining."

    def _projects(self, sender: str, command: Command, when: str) -> str:
        view = self.node.view()
        handle = self.handle_of(view, sender)
        if handle is None:
            return "join first (!join HANDLE TRACK [skills...]) so I know your skills."
        skills = view.require_member(handle)["skills"]
        requests = {p.project_id: p for p in self.node.index.query(lambda: find_projects("requested"))}
        fits = matching.fitting(skills, {project_id: p.skills for project_id, p in requests.items()})
        shown = [f"{m.name}: {requests[m.name].title} ({m.explain()}) {self.links}/api/v1/projects/{m.name}" for m in fits]
        if not shown:
            return f"no open request fits your skills ({', '.join(skills) or 'none'}) right now."
        return "open requests for you:\n" + "\n".join(shown)

    def _mentor(self, sender: str, command: Command, when: str) -> str:
        view = self.node.view()
        handle = self.handle_of(view, sender)
        if handle is None:
            return "join first (!join HANDLE TRACK [skills...]), then ask for a mentor."
        mentor = (profile(view, handle) or {}).get("mentor")
        if mentor:
            return f"your mentor is {mentor}."
        mentors = sorted(h for h in view.handles() if "mentor" in view.roles(h))
        if not mentors:
            return "the co-op has no mentors yet; a member will get back to you."
        return (f"mentors {', '.join(mentors)}: learner {handle} asks for a mentor. "
                f"A mentor takes them on by naming themselves as mentor in {handle}'s learner profile.")

    def _proposals(self, sender: str, command: Command, when: str) -> str:
        found = self.node.index.query(lambda: find_proposals("open", order="soonest"))
        if not found:
            return "no proposal is open."
        return "open proposals:\n" + "\n".join(
            f"{p.proposal_id}: {p.title} (closes {p.closes}) {self.links}/api/v1/proposals/{p.proposal_id}" for p in found)

    def _claim(self, sender: str, command: Command, when: str) -> str:
        view = self.node.view()
        handle = self.handle_of(view, sender)
        if handle is None:
            return "only a learner who joined here can use !claim. To join, type !join HANDLE TRACK."
        if not self._holds_key(view, handle):
            return f"your record {handle!r} already uses a key of your own, so there is nothing to move."
        direct = self.matrix.direct_room(sender)
        invited = members.invite(self.node, handle, handle, None, [], joining.LIFETIME_SECONDS, self.links)
        self.matrix.send(direct, joining.move_message(invited))
        return f"{SENT} Open it on your own phone or computer to make a key of your own."

    def _waiting(self, view: View, sender: str) -> Asked | None:
        """Return the ask of this Matrix user whose link still works, if any."""
        now = self.node.clock()
        return next((a for a in self.cursor.joins.values()
                     if a.matrix_id == sender and joining.standing(view, a, now) == "pending"), None)

    def _holds_key(self, view: View, handle: str) -> bool:
        """Tell whether this node holds a key that still signs for the member (one made before invitations)."""
        if not self.node.keys.has(handle):
            return False
        held = self.node.identity(handle).kid
        return any(k.kid == held and k.revoked_after is None for k in view.keys(handle))

    # -- joining ------------------------------------------------------------------------

    def settle(self) -> int:
        """Write the learner profile of every ask whose invitation was claimed and welcome them; forget lapsed asks.

        Returns how many learners were welcomed. A learner who wrote a profile of
        their own first keeps it: the bridge only welcomes them.
        """
        if not self.cursor.joins:
            return 0
        view, now = self.node.view(), self.node.clock()
        welcomed = 0
        for ask in list(self.cursor.joins.values()):
            standing = joining.standing(view, ask, now)
            if standing == "pending":
                continue
            if standing == "claimed" and profile(view, ask.handle) is None:
                try:
                    self.node.write(LEARNER_TYPE, joining.profile_fields(ask), self.app_id)
                except CoopError as e:  # refused for good: asking again would be refused again
                    self.matrix.log(f"the learner profile of {ask.handle!r} was refused: {e.message}")
                    standing = "gone"
            self._save(self.cursor.forget(ask.handle))
            if standing == "claimed":
                self.matrix.send(self.room_id, welcome(view.charter()["name"], ask))
                welcomed += 1
        return welcomed

    @staticmethod
    def handle_of(view: View, matrix_id: str) -> str | None:
        """Return the handle of the learner who joined from this Matrix ID, if any."""
        for name in view.list("learners"):
            if name.endswith(".json"):
                body = view.body(f"learners/{name}")
                if body and body.get("matrix_id") == matrix_id:
                    return body["handle"]
        return None

    # -- announcements ------------------------------------------------------------------

    def announce(self) -> int:
        """Post the announcements of every commit since the last one announced; return how many."""
        store = self.node.store
        head = store.head()
        if head is None or self.cursor.commit == str(head.id):
            return 0
        chain = commits_since(store, head, self.cursor.commit) if self.cursor.commit else []
        posted = 0
        for commit in chain or []:
            for event in events_of_commit(store, commit):
                text = announcement(event, self.links)
                if text:
                    self.matrix.send(self.room_id, text)
                    posted += 1
            self._save(commit=str(commit.id))
        self._save(commit=str(head.id))
        return posted


def welcome(coop_name: str, ask: Asked) -> str:
    """Return what the room is told when a learner who asked here has joined."""
    return (f"{ask.matrix_id}: welcome to {coop_name}, {ask.handle}! You are a learner on the {ask.track} track. "
            "Next steps: !projects shows open requests that fit your skills; !mentor asks for a mentor.")


def announcement(event: Event, links: str) -> str | None:
    """Return what the room is told of an event (None: nothing)."""
    data = event.data
    if event.type == "request.posted":
        return (f"New client request {data['project']}: {data['title']} (skills: {', '.join(data['skills'])}, "
                f"deadline {data['deadline']}) {links}/api/v1/projects/{data['project']}")
    if event.type == "proposal.opened":
        return f"Proposal opened: {data['title']} (closes {data['closes']}) {links}/api/v1/proposals/{data['proposal']}"
    if event.type == "proposal.closed":
        return f"Proposal {data['proposal']} closed: {data['outcome']} {links}/api/v1/proposals/{data['proposal']}"
    if event.type == "member.admitted" and "member" in data["roles"]:
        return f"Welcome {data['handle']}, now a member of the co-op!"
    return None
