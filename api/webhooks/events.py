"""Events: what happened in a commit, as allied apps hear of it.

Each commit is compared with its parent: a proposal that opened, a vote, an
outcome, a member or learner added, a member admitted by proposal, a client
request posted, a project's state moved, and every ledger entry the log grew
by (in log order). An event's id is derived from the commit and what it is
about, so every node derives the same events with the same ids.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pygit2

from coop import authors, canonical, statements
from coop.errors import CoopError
from coop.members import MEMBER_TYPE
from coop.store import GitStore, Snapshot
from coop.view import DECIDED_ROLES, View
from governance.proposals import OUTCOME_TYPE, PROPOSAL_TYPE, VOTE_TYPE
from ledger import log
from ledger.records import leaf_hash_hex
from projects import work

STAFFING_DIR = "decided/staffing/"


@dataclass(frozen=True)
class Event:
    """Something that happened in one commit, as an app receives it."""

    id: str
    type: str
    commit: str
    data: Mapping[str, Any]

    def body(self, origin: str, created: str) -> bytes:
        """Return the JSON a delivery carries (canonical, so every attempt sends the same bytes)."""
        return canonical.encode({"id": self.id, "type": self.type, "coop": origin, "commit": self.commit,
                                 "created": created, "data": dict(self.data)})


def event(kind: str, commit: str, subject: str, data: Mapping[str, Any]) -> Event:
    """Return an event whose id is derived from where it comes from, the same on every node."""
    digest = hashlib.sha256(f"{commit}\n{kind}\n{subject}".encode()).hexdigest()[:32]
    return Event(f"evt_{digest}", kind, commit, data)


# -- events from commits ------------------------------------------------------------------

def events_of_commit(store: GitStore, commit: pygit2.Commit) -> list[Event]:
    """Return the events one commit causes: statements by path order, then ledger entries by index."""
    parent = commit.parents[0] if commit.parents else None
    before, after = View(Snapshot(store.repo, parent)), View(Snapshot(store.repo, commit))
    diff = commit.tree.diff_to_tree(parent.tree, swap=True) if parent is not None else commit.tree.diff_to_tree(swap=True)
    cid = str(commit.id)
    found: list[Event] = []
    for path in sorted(d.new_file.path for d in diff.deltas if d.status != pygit2.enums.DeltaStatus.DELETED):
        if path.endswith(".json"):
            found.extend(_file_events(cid, path, before, after))
    found.extend(_ledger_events(cid, before, after))
    return found


def _file_events(cid: str, path: str, before: View, after: View) -> Iterator[Event]:
    raw = after.read(path)
    if raw is None:
        return
    if path.startswith(DECIDED_ROLES + "/"):
        roles = canonical.decode(raw)["roles"]
        if "member" in roles:
            yield event("member.admitted", cid, path, {"handle": path[len(DECIDED_ROLES) + 1:-5], "roles": roles,
                                                        "proposal": canonical.decode(raw).get("proposal")})
        return
    if path.startswith(STAFFING_DIR):
        yield from _state_event(cid, path, path[len(STAFFING_DIR):-5], after)
        return
    if path.startswith(("seq/", "decided/", "ledger/")):
        return
    try:
        body = statements.parse(raw)[0]
    except CoopError:
        return  # not a statement (a record some area keeps beside them)
    old = before.body(path)
    kind = body["type"]
    if kind == PROPOSAL_TYPE and body.get("opens") is not None and (old is None or old.get("opens") is None):
        yield event("proposal.opened", cid, path, {"proposal": body["id"], "title": body["title"], "author": body["author"],
                                                   "method": body["method"], "effect": body["effect"]["kind"],
                                                   "opens": body["opens"], "closes": body["closes"]})
    elif kind == VOTE_TYPE:
        yield event("vote.cast", cid, path, {"proposal": body["proposal"], "voter": body["author"], "choice": body.get("choice")})
    elif kind == OUTCOME_TYPE and old is None:
        yield event("proposal.closed", cid, path, {"proposal": body["proposal"], "outcome": body["tally"]["outcome"],
                                                   "applied": body["applied"]})
    elif kind == MEMBER_TYPE and old is None:
        joined = body["roles"] == ["learner"]
        yield event("learner.joined" if joined else "member.admitted", cid, path,
                    {"handle": body["handle"], "roles": body["roles"], "added_by": body["author"]})
    elif kind == work.PROJECT_TYPE and old is None:
        yield event("request.posted", cid, path, {"project": body["id"], "client": body["client"], "title": body["title"],
                                                  "author": body["author"], "skills": body["skills"], "budget": body["budget"],
                                                  "deadline": body["deadline"]})
    elif kind == work.MOVE_TYPE:
        yield event("project.state_changed", cid, path, {"project": body["project"], "state": body["state"], "by": body["author"]})
    elif kind == work.TEAM_TYPE and old is None:
        yield from _state_event(cid, path, body["project"], after)


def _state_event(cid: str, path: str, project_id: str, after: View) -> Iterator[Event]:
    """A team formed: the project becomes staffed (if nothing moved it further in the same commit)."""
    if work.state(after, project_id) == "staffed":
        yield event("project.state_changed", cid, path, {"project": project_id, "state": "staffed", "by": None})


def _ledger_events(cid: str, before: View, after: View) -> Iterator[Event]:
    old, new = log.size(before), log.size(after)
    for index, raw in log.entries(after, old, new):
        body = statements.parse(raw)[0]
        yield event("ledger.entry_appended", cid, f"ledger/{index}", {
            "index": index, "id": body["id"], "type": body["type"], "author": body["author"], "leaf_hash": leaf_hash_hex(raw),
            "amount": body.get("amount"), "currency": body.get("currency"), "client": body.get("client"),
            "project": body.get("project"), "member": body.get("member")})


def subscriptions(view: View) -> dict[str, frozenset[str]]:
    """Return the events each app subscribes to in a view (where they go is node-private: api/webhooks/urls.py)."""
    found = {}
    for app_id in authors.app_ids(view):
        record = authors.app(view, app_id)
        if record and record.get("events"):
            found[record["id"]] = frozenset(record["events"])
    return found
