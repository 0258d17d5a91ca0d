"""The chat bridge: answers commands in a Matrix room and announces what the co-op does.

The bridge is an allied app (its own key on this node, scopes `coop.member/v1` and
`coop.learner/v1`). `!join` adds a learner: a member record (role learner) and a
learner profile attesting which Matrix user asked and when, signed by the app in
one commit. The learner's first key is made and kept by this node until they
`!claim` their record with a key of their own.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.chat.commands import HELP, Command, parse
from api.chat.cursor import Cursor
from api.chat.matrix import Matrix
from api.webhooks.events import Event, events_of_commit
from coop.apps import APP_TYPE, app_fields
from coop.authors import app, taken_names
from coop.errors import CoopError, MalformedCommand
from coop.ids import check_new_handle
from coop.index import commits_since
from coop.keys import KeyPair, PublicKey, unb64
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node
from coop.state_file import StateFile
from coop.statements import KeyRecord, format_time
from coop.view import View
from governance.index import find_proposals
from projects import matching
from projects.index import find_projects
from projects.learners import LEARNER_TYPE, profile

SCOPES = sorted([LEARNER_TYPE, MEMBER_TYPE])
STATE_FILE = "chat-bridge-{app}.json"
SYNC_TIMEOUT_MS = 30_000
CLAIM_PREFIX = "coop-claim"


def register(node: Node, app_id: str, owner: str, name: str = "Chat bridge") -> KeyPair:
    """Register the bridge as an app owned by a member, its key kept on this node (once; later calls reuse it)."""
    if node.keys.has(app_id) and app(node.view(), app_id) is not None:
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
        """Run one /sync: answer every new command, then announce new commits; return how many messages were read."""
        batch = self.matrix.sync(self.cursor.since, timeout_ms)
        read = 0
        for room_id, room in sorted(batch.get("rooms", {}).get("join", {}).items()):
            for message in self._new_messages(room_id, room.get("timeline", {})):
                if self.cursor.since is not None:  # the first sync only marks where the bridge starts
                    self._answer(room_id, message)
                self._save(handled=message["event_id"])
                read += 1
        self._save(since=batch["next_batch"])
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

    def _save(self, **changes: Any) -> None:
        handled = changes.pop("handled", None)
        current = self.cursor.handle(handled) if handled else self.cursor
        self.cursor = replace(current, **changes)
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
        view = self.node.view()
        handle = command.handle or ""
        known = self.handle_of(view, sender)
        if known:
            return f"you already joined as {known!r}. Try !projects, !mentor or !help."
        try:
            check_new_handle(handle, taken_names(view))
        except CoopError as e:
            return f"{e.message}. Please choose another handle: !join OTHER-HANDLE {' '.join(command.skills)}"
        pair = KeyPair.generate(handle)
        seq = view.last_seq(self.app_id) + 1
        member = self.node.sign(MEMBER_TYPE, member_fields(handle, ["learner"], list(command.skills), [KeyRecord(pair.public)]),
                                self.app_id, view, seq=seq)
        learner = self.node.sign(LEARNER_TYPE, {"handle": handle, "track": command.track, "mentor": None, "joined_via": "chat",
                                                "matrix_id": sender, "asked_at": when}, self.app_id, view, seq=seq + 1)
        self.node.submit([member, learner], f"chat: {sender} joins as learner {handle}")
        self.node.keys.save(pair)  # held for the learner until they !claim their record with their own key
        name = view.charter()["name"]
        return (f"welcome to {name}, {handle}! You are a learner on the {command.track} track. Next steps: "
                "!projects shows open requests that fit your skills; !mentor asks for a mentor; "
                "!claim PUBLIC_KEY binds your own key to your record.")

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
            return "only a learner who joined here can claim their record."
        argument = command.argument or ""
        pending = self.cursor.claims.get(sender)
        try:
            key = PublicKey.from_b64(argument)
        except CoopError:
            if pending is None:
                return "that is not an ed25519 public key in base64: !claim PUBLIC_KEY"
            return self._finish_claim(view, sender, handle, pending, argument)
        challenge = f"{CLAIM_PREFIX} {view.origin} {handle} {secrets.token_hex(16)}"
        self._save(claims={**self.cursor.claims, sender: {"key": key.to_b64(), "challenge": challenge}})
        direct = self.matrix.direct_room(sender)
        self.matrix.send(direct, f"sign this line with the key you sent, and answer !claim SIGNATURE (base64):\n{challenge}")
        return "I sent you a challenge in a direct message."

    def _finish_claim(self, view: View, sender: str, handle: str, pending: Mapping[str, str], signature: str) -> str:
        key = PublicKey.from_b64(pending["key"])
        try:
            key.verify(pending["challenge"].encode(), unb64(signature, "signature", 64))
        except (CoopError, ValueError):
            return "that signature does not match the challenge; sign the exact line I sent you."
        held = [KeyRecord.from_dict(k) for k in view.require_member(handle)["keys"]]
        last = view.last_seq(handle) + 1  # the held key signs this record, its last statement
        keys = [k if k.revoked_after is not None else KeyRecord(k.public, last) for k in held] + [KeyRecord(key)]
        self.node.update_member(handle, author=handle, keys=keys)
        self._save(claims={k: v for k, v in self.cursor.claims.items() if k != sender})
        return f"done: {handle}'s record now lists your own key; the key this node held for you is revoked."

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
