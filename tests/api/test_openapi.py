"""The OpenAPI document says what the server does: schemathesis over every operation, and every route documented."""
from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import PASSPHRASE, Coop, Server, make_node
from flask import Flask

from api import demo
from api.app import BLUEPRINTS
from api.openapi import document
from api.sdk import Client, new_key
from api.wiring import open_node

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
TILE_RULE = "/ledger/tile/{tile}"
TILE_PATHS = {"/ledger/tile/{level}/{index}", "/ledger/tile/{level}/{index}.p/{width}",
              "/ledger/tile/entries/{index}", "/ledger/tile/entries/{index}.p/{width}"}
# Every check, but one: "positive_data_acceptance" expects any body the schema admits to be
# accepted, and no JSON schema can say "canonically encoded and validly signed" (nor "a cursor
# this server gave"); those are refused with 400 as documented. One worker: CPython 3.11's
# ast.parse, which hypothesis calls to describe strategies, is not safe across threads.
CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]


@pytest.fixture(scope="module")
def coop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coop]:
    """Return a served node with the demo story in it, so lists have items and the links reach real ones."""
    home = tmp_path_factory.mktemp("openapi") / "node"
    keys, vkey = make_node(home, founder="amina", rules=demo.charter_rules("amina"))  # the demo story's founder and charter
    node = open_node({"home": str(home), "kdf_cost": "min"}, PASSPHRASE)
    demo.fill(node)
    node.index.db.close()
    server = Server(home).start()
    Client(server.url).register_app(keys["amina"], "board", "Notice board", new_key("board"), [], "https://board.example/hook",
                                    ["proposal.opened"])
    yield Coop(home, keys, vkey, server)
    server.stop()


def test_schemathesis_finds_no_server_error_and_no_answer_that_breaks_the_document(coop: Coop) -> None:
    result = subprocess.run([str(SCHEMATHESIS), "run", f"{coop.url}/api/v1/openapi.json", *CHECKS, "--max-examples", "5",
                             "--workers", "1", "--seed", "1", "--no-color", "--suppress-health-check", "all"],
                            capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "Tested: 50" in result.stdout or re.search(r"Selected: (\d+)/\1", result.stdout), result.stdout[-3000:]


def routes() -> set[tuple[str, str]]:
    """Return (method, path in OpenAPI form) for every route the app serves."""
    app = Flask("routes")
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        found |= {(method.lower(), path) for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return found


def documented() -> set[tuple[str, str]]:
    """Return (method, path) for every operation in the document, the tile paths folded into their one route."""
    return {(method, TILE_RULE if path in TILE_PATHS else path) for path, item in document()["paths"].items() for method in item}


def test_every_route_is_documented_and_every_documented_operation_exists() -> None:
    assert routes() == documented()
