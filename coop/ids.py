"""The one allow-list every ID and handle passes before it becomes part of a path.

Lower-case ASCII letters, digits and inner hyphens only: this shuts out `..`,
absolute paths, `.git` in any case, `git~1`, NUL, zero-width and look-alike
characters in one rule, before any file or git call sees the value.
"""
from __future__ import annotations

import hashlib
import re
import string
import unicodedata

import confusables

from coop.errors import BadInput, Conflict

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
MAX_RAW_HANDLE = 63 * 4  # NFD and case folding may grow a handle; anything longer is refused before any work
BIDI_CONTROLS = frozenset({"RLO", "LRO", "RLE", "LRE", "PDF", "RLI", "LRI", "FSI", "PDI"})

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


def _ascii_lookalikes() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Derive, once, from the confusables data: the digit standing for each letter it looks like
    (l and i read as 1, o as 0), look-alike sequences (rn as m), and the ASCII character each
    non-ASCII look-alike imitates. Letters are merged only through a digit: `sara` and `fara`
    stay distinct, `leo` and `ieo` do not."""
    letters, digits = set(string.ascii_lowercase), set(string.digits)
    prototypes: dict[str, str] = {}
    sequences: dict[str, str] = {}
    imitates: dict[str, str] = {}
    for key, values in confusables.CONFUSABLE_MAP.items():
        if key in digits:
            for value in values:
                if value in letters:
                    prototypes.setdefault(value, key)
        if key not in letters | digits:
            continue
        for value in values:
            if len(value) > 1 and all(ch in letters | digits for ch in value):
                sequences[value] = key
            elif len(value) == 1 and not value.isascii():
                imitates.setdefault(unicodedata.normalize("NFC", value).casefold(), key)
    return prototypes, sequences, imitates


_CLASSES, _SEQUENCES, _IMITATES = _ascii_lookalikes()


def sharded(root: str, identifier: str, what: str = "id") -> str:
    """Return `root/<2 hex of sha256(id)>/<id>`: a path for one of many, so no directory grows large.

    git rewrites a whole directory listing on each commit that touches it, so a
    flat directory of thousands makes every write slower; 256 shards keep it flat.
    """
    check_id(identifier, what)
    return f"{root}/{hashlib.sha256(identifier.encode()).hexdigest()[:2]}/{identifier}"


def normalise_handle(raw: str) -> Handle:
    """Fold a handle as typed (any case, NFC or NFD) into its one stored form, or refuse it."""
    if not isinstance(raw, str):
        raise BadInput("handle must be a string")
    if len(raw) > MAX_RAW_HANDLE:
        raise BadInput(f"a handle has at most 63 characters, got {len(raw)}")
    for ch in raw:
        if unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp") or unicodedata.bidirectional(ch) in BIDI_CONTROLS:
            raise BadInput(
                f"handle {raw!r} holds an invisible or direction-changing character "
                f"(U+{ord(ch):04X}); type it with plain letters"
            )
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", raw).casefold())
    if not folded.isascii():
        hint = "".join(ch if ch.isascii() else _IMITATES.get(ch, ch) for ch in folded)
        shown = f" (it looks like {hint!r})" if hint.isascii() and ID_PATTERN.fullmatch(hint) else ""
        raise BadInput(f"handle {raw!r} must use a-z, 0-9 and '-' only{shown}")
    return check_id(folded, "handle")


def skeleton(handle: Handle) -> str:
    """Return the form two look-alike handles share (rn reads as m, 1 as l, 0 as o); linear time.

    A simplification of the UTS #39 skeleton for the ASCII alphabet handles use.
    """
    for sequence, single in _SEQUENCES.items():
        handle = handle.replace(sequence, single)
    return "".join(_CLASSES.get(ch, ch) for ch in handle)


def check_new_handle(handle: Handle, existing: set[Handle] | frozenset[Handle]) -> None:
    """Refuse a handle that is taken or looks like one that is."""
    if handle in existing:
        raise Conflict(f"handle {handle!r} is taken")
    mine = skeleton(handle)
    for other in sorted(existing):
        if skeleton(other) == mine:
            raise Conflict(f"handle {handle!r} looks like the existing handle {other!r}; choose another")
