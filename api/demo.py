"""Demo data: a small co-op at work, so `make run` shows the whole platform.

Each area adds its part here as it grows; handles are pseudonyms, as they would be
for real members.
"""
from __future__ import annotations

from coop.node import Node

DEMO_MEMBERS = [
    # handle, roles, skills, added by
    ("bilal", ["member", "mentor"], ["python", "web", "django"], None),
    ("chen", ["member"], ["design", "figma", "web"], None),
    ("dalia", ["member"], ["android", "kotlin", "mobile"], None),
    ("esra", ["learner"], ["html", "web"], "bilal"),
    ("farid", ["learner"], ["python"], "chen"),
]


def fill(node: Node) -> None:
    """Fill a freshly created node with demo members (and, later, everything else)."""
    for handle, roles, skills, added_by in DEMO_MEMBERS:
        node.add_member(handle, roles, skills, author=added_by)
