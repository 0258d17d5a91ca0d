"""Tamper-evident list cursors: the sort key of the last item given, MAC'd with a node-private secret.

A cursor is `base64url(JCS(key)) "." base64url(HMAC-SHA256(secret, path "\\n" JCS(key))[:16])`.
The MAC binds the key to the list it came from, so a cursor this server never
gave (forged, edited, from another list or from before the secret changed) is
refused before its key is parsed or reaches a query. The secret is 32 random
bytes in `<home>/keys/cursor.secret` (mode 0600), made on first use.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from coop import canonical
from coop.canonical import JSONValue
from coop.errors import BadCursor, IntegrityError
from coop.node import KEYS_DIR

SECRET_FILE = "cursor.secret"
SECRET_SIZE = 32
MAC_SIZE = 16
MAX_CURSOR = 512
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
REFUSED = "cursor is not one this server gave for this list; start again without it"


def node_secret(home: Path) -> bytes:
    """Return the node's cursor secret, making it on first use (written whole, never replacing one that exists)."""
    path = home / KEYS_DIR / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(SECRET_SIZE))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic, and the first process to make a secret wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    secret = path.read_bytes()
    if len(secret) != SECRET_SIZE:
        raise IntegrityError(f"{path} holds {len(secret)} bytes, not a {SECRET_SIZE}-byte secret; remove it to make a new one")
    return secret


def seal(secret: bytes, scope: str, key: JSONValue) -> str:
    """Return the cursor that continues the list at `scope` after a sort key."""
    content = canonical.encode(key)
    return f"{_b64(content)}.{_b64(_mac(secret, scope, content))}"


def unseal(secret: bytes, scope: str, cursor: str) -> JSONValue:
    """Return the sort key of a cursor this server gave for the list at `scope`, or raise BadCursor."""
    encoded, dot, tag = cursor.partition(".") if len(cursor) <= MAX_CURSOR else ("", "", "")
    if not dot or not _BASE64URL.fullmatch(encoded) or not _BASE64URL.fullmatch(tag):
        raise BadCursor(REFUSED)
    try:
        content, mac = _unb64(encoded), _unb64(tag)
    except (binascii.Error, ValueError):
        raise BadCursor(REFUSED) from None
    if not hmac.compare_digest(mac, _mac(secret, scope, content)):
        raise BadCursor(REFUSED)
    return canonical.decode(content)


def _mac(secret: bytes, scope: str, content: bytes) -> bytes:
    return hmac.new(secret, scope.encode("utf-8") + b"\n" + content, hashlib.sha256).digest()[:MAC_SIZE]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
