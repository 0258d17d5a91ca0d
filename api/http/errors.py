"""One JSON shape for every failure: `{"error": {"code": ..., "message": ...}}`.

Platform errors carry their HTTP status and code on their class (coop/errors.py);
errors Flask raises itself (no such route, wrong method, body too large) get a
code from the table below (any other 4xx is `bad_input`, 5xx `internal`); anything else is a bug, logged with its traceback
and answered with a generic 500 that reveals nothing of the server.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from coop.errors import CoopError, RateLimited

HTTP_CODES = {
    400: "bad_input",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal",
}
INTERNAL_MESSAGE = "the server failed to answer this request; the failure is logged"

logger = logging.getLogger("coop.api")


def error_document(code: str, message: str) -> dict[str, dict[str, str]]:
    """Return the JSON document of a failure (also answered by the git layer, outside Flask)."""
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str) -> Response:
    """Return the JSON error response every failure uses."""
    response = jsonify(error_document(code, message))
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CoopError)
    def coop_error(e: CoopError) -> Response:
        response = error_response(e.status, e.code, e.message)
        if isinstance(e, RateLimited):
            response.headers["Retry-After"] = str(e.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        status = e.code or 500
        code = HTTP_CODES.get(status) or ("bad_input" if status < 500 else "internal")
        response = error_response(status, code, e.description or e.name or "error")
        for name, value in e.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        logger.exception("unexpected error", exc_info=e)
        return error_response(500, "internal", INTERNAL_MESSAGE)
