"""Pages from template files (api/templates/): one per page, all in base.html's layout with the co-op's name.

The older pages in api/http/pages.py still render inline strings; new pages are
files here, so a page's words and markup can be read (and later translated) apart
from the Python that fills them in.
"""
from __future__ import annotations

from typing import Any

from flask import Response, render_template

from api.http.service import service
from coop import statements


def render(template: str, title: str, status: int = 200, **values: Any) -> Response:
    """Render a page of api/templates/ in the common layout, with the co-op's name."""
    html = render_template(template, title=title, name=service().view().charter()["name"], **values)
    return Response(html, status=status, mimetype="text/html")


def message(title: str, text: str, status: int, hint: str = "") -> Response:
    """Render a page that only tells one thing (a link that opens nothing, a code that ended), with its status."""
    return render("message.html", title, status, message=text, hint=hint)


def in_words(time: str) -> str:
    """Return a statement time as a person reads it: 30 November 2026, 18:00 UTC."""
    moment = statements.parse_time(time)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"
