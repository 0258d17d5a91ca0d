"""Roles and skills of a member, and who may add a member with which roles.

Both a member record and an invitation follow these rules (coop/members.py,
coop/invitations.py), so inviting someone allows exactly what adding them would.
"""
from __future__ import annotations

from coop import authors
from coop.errors import BadInput, Forbidden
from coop.ids import check_id
from coop.view import View

ROLES = ("founder", "member", "mentor", "learner")
MAX_SKILLS = 32


def check_roles(roles: object) -> list[str]:
    """Refuse unknown roles and a learner who is also a member."""
    if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
        raise BadInput(f"roles must be a non-empty list of {', '.join(ROLES)}")
    if len(set(roles)) != len(roles) or roles != sorted(roles):
        raise BadInput("roles must be sorted and unique")
    if "learner" in roles and len(roles) > 1:
        raise BadInput("a learner has no other role until admitted as a member")
    if ("founder" in roles or "mentor" in roles) and "member" not in roles:
        raise BadInput("founders and mentors are members too: add the 'member' role")
    return roles


def check_skills(skills: object) -> list[str]:
    """Refuse skills that are not short lower-case tags."""
    if not isinstance(skills, list) or len(skills) > MAX_SKILLS:
        raise BadInput(f"skills must be a list of at most {MAX_SKILLS} tags")
    for skill in skills:
        check_id(skill, "skill")
    if skills != sorted(set(skills)):
        raise BadInput("skills must be sorted and unique")
    return skills


def may_add(view: View, author: str, roles: list[str]) -> None:
    """Refuse an author who may not add a member with these roles: the founder adds anyone, members and apps add learners."""
    author_roles = view.roles(author)
    if "founder" in author_roles:
        return
    if roles == ["learner"] and ("member" in author_roles or authors.is_app(view, author)):
        return  # an app gets here only with coop.member/v1 in its scopes (coop/apps.py `scoped`)
    raise Forbidden(f"{author!r} may not add a member with roles {roles}; members and apps may add learners, the founder anyone")
