"""Query parameters and cursor pagination, checked the same way on every list.

A list answers `{"items": [...], "next": CURSOR or null}` and, when there is
more, a `Link: <...>; rel="next"` header. The cursor is opaque to clients: it
carries the sort key of the last item given, so a page never repeats or skips
an item when others are added meanwhile, and a MAC (api/http/cursors.py), so
only a cursor this server gave for this list is followed.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, jsonify, request

from api.http import cursors
from api.http.service import service
from coop.digits import MAX_SAFE_INT, parse_whole
from coop.errors import BadCursor, BadInput
from coop.ids import check_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")


def integer(name: str, low: int = 0, high: int = MAX_SAFE_INT, default: int | None = None) -> int:
    """Return an integer query parameter within bounds, or refuse it."""
    text = request.args.get(name)
    if text is None:
        if default is None:
            raise BadInput(f"query parameter {name!r} is required")
        return default
    return parse_whole(text, f"query parameter {name!r}", low, high)


def optional_id(name: str) -> str | None:
    """Return an id-like query parameter (handle, client, project...), checked, or None."""
    value = request.args.get(name)
    return None if value is None else check_id(value, name)


def choice(name: str, options: Sequence[str]) -> str | None:
    """Return a query parameter that must be one of a few words, or None."""
    value = request.args.get(name)
    if value is not None and value not in options:
        raise BadInput(f"query parameter {name!r} must be one of {', '.join(options)}")
    return value


def limit() -> int:
    """Return the page size asked for."""
    return integer("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)


def after(kind: type[T]) -> T | None:
    """Return the sort key a cursor carries (None on the first page)."""
    text = request.args.get("cursor")
    if text is None:
        return None
    value = cursors.unseal(service().cursor_secret, request.path, text)
    if not isinstance(value, kind) or isinstance(value, bool):  # given before an upgrade changed this list's sort key
        raise BadCursor(cursors.REFUSED)
    return value


def after_pair() -> tuple[str, str] | None:
    """Return the two-part sort key (e.g. account and currency) a cursor carries."""
    value = after(list)
    if value is None:
        return None
    if len(value) != 2 or not all(isinstance(part, str) for part in value):
        raise BadCursor(cursors.REFUSED)
    return value[0], value[1]


def cursor_of(key: Any) -> str:
    """Return the cursor that continues after a sort key."""
    return cursors.seal(service().cursor_secret, request.path, key)


def page(rows: Sequence[T], size: int, key: Callable[[T], Any], render: Callable[[T], Any]) -> Response:
    """Answer one page of rows fetched with size + 1 (the extra one says whether there is more)."""
    shown = list(rows[:size])
    more = len(rows) > size
    next_cursor = cursor_of(key(shown[-1])) if more and shown else None
    response = jsonify({"items": [render(r) for r in shown], "next": next_cursor})
    if next_cursor is not None:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        response.headers["Link"] = f'<{request.path}?{urlencode({**args, "cursor": next_cursor})}>; rel="next"'
    return response
