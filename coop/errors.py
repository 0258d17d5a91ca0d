"""One exception hierarchy for the whole platform.

Subclasses are grouped by who is at fault, and each carries the HTTP status and a
stable machine-readable code, so the API maps errors in one place and the CLI
prints one message.
"""
from __future__ import annotations


class CoopError(Exception):
    """Root of every error the platform raises on purpose."""

    status: int = 500
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(CoopError):
    """The caller sent something malformed: wrong shape, type, encoding or size."""

    status = 400
    code = "bad_input"


class BadCursor(BadInput):
    """A list cursor this server did not give for that list: forged, edited, from another list or an older secret."""

    code = "bad_cursor"


class Invalid(CoopError):
    """Well-formed input that breaks a domain rule (unbalanced postings, illegal move)."""

    status = 422
    code = "invalid"


class BadSignature(CoopError):
    """A signature is missing, malformed, made by an unknown key or does not verify."""

    status = 401
    code = "bad_signature"


class Forbidden(CoopError):
    """The signer is known but not allowed to make this statement."""

    status = 403
    code = "forbidden"


class NotFound(CoopError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class Conflict(CoopError):
    """The statement clashes with what is already recorded (replay, taken handle, double split)."""

    status = 409
    code = "conflict"


class SequenceUsed(Conflict):
    """The author already used this sequence number: a replay, or a concurrent write by the same author."""

    code = "sequence_used"


class TooLarge(BadInput):
    """A body or document is above its size limit."""

    status = 413
    code = "too_large"


class IntegrityError(CoopError):
    """Stored data failed verification: tampering or corruption was detected."""

    status = 500
    code = "integrity"


class StoreError(CoopError):
    """The git store or the index could not complete an operation."""

    status = 503
    code = "store"
