"""The first commit: the charter, the founder's record and the first node's record, and what they cause.

No statement can be accepted before there is a charter naming the origin and a
member holding a key, so the first commit's statements are checked against each
other: each must verify with the keys the commit's own records name, sit where
its kind puts it and take the founder's next sequence number. What they cause
is their keys' owner files and, once a node is named, allowed_signers: no kind
rule runs (nobody is a member yet). `build` makes that commit for `coop init`
and `apply` checks each of its statements, for the audit; both run the same
steps in the same `order`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coop import charter, statements
from coop.area import CORE
from coop.authors import MEMBERS, NODES, claim_keys, directory_of, member_path, node_path
from coop.errors import IntegrityError
from coop.keys import KeyPair
from coop.members import ALLOWED_SIGNERS, MEMBER_TYPE, NODE_TYPE, allowed_signers, member_fields
from coop.statements import KeyRecord
from coop.view import CHARTER_PATH, View

KINDS = {kind.type: kind for kind in CORE.kinds if kind.type in (charter.CHARTER_TYPE, MEMBER_TYPE, NODE_TYPE)}


def order(paths: Iterable[str]) -> list[str]:
    """Return the order the first commit's statements apply in: the charter, the members' records, the nodes' records."""
    found = sorted(paths)
    return [CHARTER_PATH] + [p for directory in (MEMBERS, NODES) for p in found if directory_of(p) == directory]


def apply(view: View, path: str, raw: bytes) -> None:
    """Check one statement of the first commit against the commit's other records and stage what it causes, or raise."""
    statement = statements.verify(raw, origin=view.origin, keys=view.keys)
    kind = KINDS.get(statement.type)
    if kind is None or kind.path(statement) != path:
        raise IntegrityError(f"a {statement.type} statement does not belong at this path")
    statements.check_sequence(statement, view.last_seq(statement.author))
    body = statement.body
    effects: dict[str, bytes | None] = {}
    if statement.type in (MEMBER_TYPE, NODE_TYPE):
        owner = body["handle"] if statement.type == MEMBER_TYPE else body["name"]
        effects = claim_keys(view, owner, [KeyRecord.from_dict(k) for k in body["keys"]])
    view.stage({path: raw, **effects, **view.seq_change(statement, path)})
    if statement.type == NODE_TYPE:
        view.stage({ALLOWED_SIGNERS: allowed_signers(view)})


def build(founder: KeyPair, node_key: KeyPair, name: str, origin: str,
          rules: Mapping[str, Any] | None = None) -> dict[str, bytes | None]:
    """Return the first commit's files: charter (default rules, overridden by `rules`), founder record, node record, and what they cause."""
    origin = charter.check_origin(origin)
    records = [
        (CHARTER_PATH, charter.CHARTER_TYPE, charter.charter_fields(name, origin, founder.handle, rules)),
        (member_path(founder.handle), MEMBER_TYPE, member_fields(founder.handle, ["founder", "member"], [], [KeyRecord(founder.public)])),
        (node_path(node_key.handle), NODE_TYPE, {"name": node_key.handle, "keys": [KeyRecord(node_key.public).to_dict()]}),
    ]
    signed = {path: statements.sign(statements.make_body(kind, origin, founder.handle, seq, fields), [founder])
              for seq, (path, kind, fields) in enumerate(records, start=1)}
    view = View(None, signed)
    for path in order(signed):
        apply(view, path, signed[path])
    return view.pending
