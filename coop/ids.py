"""The one allow-list every ID and handle passes before it becomes part of a path.

Lower-case ASCII letters, digits and inner hyphens only: this shuts out `..`,
absolute paths, `.git` in any case, `git~1`, NUL, zero-width and look-alike
characters in one rule, before any file or git call sees the value.
"""
from __future__ import annotations

import re
import unicodedata

import confusables

from coop.errors import BadInput, Conflict

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
MAX_LOOKALIKE_KEYS = 512

Handle = str


def check_id(value: object, what: str = "id") -> str:
    """Return the value if it is a safe path part, else raise BadInput naming the rule."""
    if not isinstance(value, str):
        raise BadInput(f"{what} must be a string")
    if not ID_PATTERN.fullmatch(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise BadInput(
            f"{what} {shown!r} is not allowed: use 1-63 characters of a-z, 0-9 and '-', "
            "starting with a letter or digit"
        )
    return value


def normalise_handle(raw: str) -> Handle:
    """Fold a handle as typed (any case, NFC or NFD) into its one stored form, or refuse it."""
    if not isinstance(raw, str):
        raise BadInput("handle must be a string")
    for ch in raw:
        category = unicodedata.category(ch)
        if category in ("Cf", "Cc", "Zl", "Zp") or unicodedata.bidirectional(ch) in ("RLO", "LRO", "RLE", "LRE", "PDF", "RLI", "LRI", "FSI", "PDI"):
            raise BadInput(
                f"handle {raw!r} holds an invisible or direction-changing character "
                f"(U+{ord(ch):04X}); type it with plain letters"
            )
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", raw).casefold())
    if not folded.isascii():
        ascii_forms = [form for form in confusables.normalize(folded, prioritize_alpha=True) if ID_PATTERN.fullmatch(form)]
        hint = f" (it looks like {ascii_forms[0]!r})" if ascii_forms else ""
        raise BadInput(f"handle {raw!r} must use a-z, 0-9 and '-' only{hint}")
    return check_id(folded, "handle")


def lookalike_keys(handle: Handle) -> frozenset[str]:
    """Return the confusable forms of a handle; two handles clash when their keys meet."""
    forms = confusables.normalize(handle, prioritize_alpha=True)[:MAX_LOOKALIKE_KEYS]
    return frozenset(forms) | {handle}


def check_new_handle(handle: Handle, existing: set[Handle] | frozenset[Handle]) -> None:
    """Refuse a handle that is taken or looks like one that is."""
    if handle in existing:
        raise Conflict(f"handle {handle!r} is taken")
    keys = lookalike_keys(handle)
    for other in sorted(existing):
        if keys & lookalike_keys(other):
            raise Conflict(f"handle {handle!r} looks like the existing handle {other!r}; choose another")
