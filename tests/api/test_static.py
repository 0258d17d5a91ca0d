"""The browser's JavaScript modules and stylesheet, served from api/static/ at /static/ with caching a browser can use."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.app import STATIC_MAX_AGE

JAVASCRIPT = ("text/javascript", "application/javascript")
STATIC = Path(__file__).parents[2] / "api" / "static"
# The modules, the pages' scripts (js/pages/) and the vendored ones (vendor/): a browser loads every one as a module.
MODULES = sorted(path.relative_to(STATIC).as_posix() for path in STATIC.rglob("*.js"))


@pytest.mark.parametrize("name", MODULES)
def test_a_module_is_served_as_javascript(client: FlaskClient, name: str) -> None:
    with client.get(f"/static/{name}") as answer:
        assert answer.status_code == 200
        # A browser runs a module only under a JavaScript type (which one depends on the machine's /etc/mime.types).
        assert answer.mimetype in JAVASCRIPT


def test_a_module_may_be_kept_a_while_and_then_asked_for_again(client: FlaskClient) -> None:
    with client.get("/static/js/jcs.js") as answer:
        assert answer.cache_control.public and answer.cache_control.max_age == STATIC_MAX_AGE
    with client.get("/static/js/jcs.js", headers={"If-None-Match": answer.headers["ETag"]}) as again:
        assert again.status_code == 304 and again.get_data() == b""


def test_a_missing_static_file_is_not_found(client: FlaskClient) -> None:
    assert client.get("/static/js/missing.js").status_code == 404


def test_the_stylesheet_is_served_as_css(client: FlaskClient) -> None:
    with client.get("/static/css/coop.css") as answer:
        assert answer.status_code == 200 and answer.mimetype == "text/css"
