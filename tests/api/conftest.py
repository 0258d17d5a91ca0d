"""API fixtures: the node's app, a client of it and a runner of `coop` in-process (as in flaskr's tests),
a node served by a real `coop serve` on 127.0.0.1 with the SDK, a webhook receiver, a Matrix homeserver."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Coop, Receiver, served_node
from cli_harness import CoopRunner
from flask import Flask
from flask.testing import FlaskClient
from matrix_harness import BRIDGE_APP, Homeserver, Room

from api import settings as api_settings
from api.app import create_app, stop
from api.chat import bridge as chat
from api.sdk import Client
from coop.node import Node


@pytest.fixture
def app(node: Node) -> Iterator[Flask]:
    """Return the web app of the fresh node, in testing mode and with no rate limit (a test may send many requests)."""
    made = create_app(node, api_settings.load(node.home, {"rate_reads": 0, "rate_writes": 0}))
    made.config["TESTING"] = True
    yield made
    stop(made)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return an in-process HTTP client of the app."""
    return app.test_client()


@pytest.fixture
def runner(node: Node) -> CoopRunner:
    """Return a runner of the `coop` command at the fresh node's home."""
    return CoopRunner(node.home)


@pytest.fixture(scope="module")
def coop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coop]:
    """Return a node served by `coop serve` for the tests of one module."""
    yield from served_node(tmp_path_factory.mktemp("api") / "node")


@pytest.fixture
def sdk(coop: Coop) -> Client:
    """Return an SDK client of the module's server."""
    return coop.client()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Return a running webhook receiver."""
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """Start a real Synapse once for the session (only if a test asks) and stop it afterwards."""
    server = Homeserver(tmp_path_factory.mktemp("synapse")).start()
    yield server
    server.close()


@pytest.fixture
def room(homeserver: Homeserver, node: Node) -> Iterator[Room]:
    """Return a fresh public room with a learner in it; the bridge app is registered on the node (owned by bob)."""
    chat.register(node, BRIDGE_APP, "bob")
    made = Room(homeserver)
    yield made
    made.close()
