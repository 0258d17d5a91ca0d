"""The kernel's own contribution to a node: charter, member, node and app statements."""
from __future__ import annotations

from collections.abc import Iterable

from coop import apps, invitations
from coop.area_contract import Area, Kind
from coop.authors import node_path
from coop.charter import CHARTER_TYPE, check_charter
from coop.members import ALLOWED_SIGNERS, MEMBER_TYPE, NODE_TYPE, allowed_signers, check_member, check_node, member_statement_path
from coop.view import CHARTER_PATH, View


def check_allowed_signers(view: View) -> Iterable[str]:
    """Report an allowed_signers file that does not list exactly the valid node keys."""
    if view.read(ALLOWED_SIGNERS) != allowed_signers(view):
        yield f"{ALLOWED_SIGNERS} does not match the node records"


CORE = Area(
    name="coop",
    kinds=(
        Kind(CHARTER_TYPE, lambda s: CHARTER_PATH, check_charter, "The charter: name, origin, founder and rules."),
        Kind(MEMBER_TYPE, member_statement_path, check_member, "A member's record: handle, roles, skills, keys.",
             brought_keys=invitations.brought_keys, manage_keys=True),
        Kind(invitations.INVITATION_TYPE, lambda s: invitations.invitation_path(s.body.get("handle", "")), invitations.check_invitation,
             "An invitation to join (or to move to a key of one's own): handle, roles, expiry and the hash of a one-time code."),
        Kind(NODE_TYPE, lambda s: node_path(s.body.get("name", "")), check_node, "A node's record: the key that signs its commits."),
        apps.KIND,
    ),
    checks=(check_allowed_signers,),
)
