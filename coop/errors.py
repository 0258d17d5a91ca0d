"""One exception hierarchy for the whole platform.

Subclasses are grouped by who is at fault, and each carries the HTTP status and a
stable machine-readable code, so the API maps errors in one place and the CLI
prints one message. Every exception class of the platform is defined here (a test
walks the packages to keep it so), including the one signal that is not an error.
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


class MalformedCommand(BadInput):
    """A chat message that starts like a command but is not one; the message is the helpful reply."""


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


class SizeMismatch(Conflict):
    """A witness was asked to extend a tree size other than the one it last cosigned; `size` is that one."""

    def __init__(self, size: int) -> None:
        super().__init__(f"this witness last cosigned the tree of size {size}")
        self.size = size


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


class RateLimited(CoopError):
    """The client made more requests than its limit allows; it may retry after `retry_after` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RemoteRefused(CoopError):
    """Another server refused a request; the instance carries the `status` and `code` that server answered."""

    status = 502
    code = "remote_refused"
    answered = ""  # what the message says before the status: who answered

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{self.answered}{status} {code}: {message}")
        self.status = status
        self.code = code
        self.reason = message


class ApiError(RemoteRefused):
    """A co-op's API refused a request made with the SDK; the message reads `409 conflict: ...`."""


class MatrixError(RemoteRefused):
    """The Matrix homeserver refused a request (not a rate limit, not an outage)."""

    answered = "homeserver answered "


class StaleWrite(Exception):
    """Send a commit's `prepare` step back to retry on a fresh head, because another writer outran its snapshot.

    Not a CoopError on purpose: it never reaches a user (`Store.commit` catches it and
    retries), and the many `except CoopError` that turn errors into refusals or
    reported problems must not swallow it and refuse a write that only needs a retry.
    """
