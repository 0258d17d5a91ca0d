"""docs/api.md keeps up with the server: its example runs, and every setting, error code and event is in it."""
from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import PASSPHRASE, Server, make_node

from api.http.errors import HTTP_CODES
from api.sdk import key_seed, new_key
from api.settings import SETTINGS
from api.wiring import open_node
from coop import errors
from coop.apps import EVENTS
from coop.statements import KeyRecord

PAGE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CODES = sorted({(cls.code, cls.status) for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.CoopError)}
               | {(code, status) for status, code in HTTP_CODES.items()})


@pytest.fixture(scope="module")
def page() -> str:
    """Return the text of docs/api.md."""
    return PAGE.read_text(encoding="utf-8")


def example(page: str) -> str:
    """Return the Python code of the end-to-end example."""
    section = page.split("## An allied app, end to end", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))


@pytest.fixture
def hana_server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    """Return a running server whose co-op has member hana with her own key, and her key's seed."""
    home = tmp_path / "node"
    make_node(home)
    hana = new_key("hana")
    node = open_node({"home": str(home)}, PASSPHRASE)
    node.add_member("hana", ["member"], [], author="alice", public=KeyRecord(hana.public))
    node.index.db.close()
    server = Server(home).start()
    yield server, key_seed(hana)
    server.stop()


def test_the_allied_app_example_runs_end_to_end(page: str, hana_server: tuple[Server, str]) -> None:
    server, seed = hana_server
    env = {**os.environ, "COOP_URL": server.url, "HANA_SEED": seed}

    result = subprocess.run([sys.executable, "-c", example(page)], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "received request.posted cafe-menu evt_" in result.stdout


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_server_setting_is_documented(page: str, name: str) -> None:
    assert f"| `{name}` | `COOP_{name.upper()}` |" in page


@pytest.mark.parametrize(("code", "status"), CODES, ids=[c for c, _ in CODES])
def test_every_error_code_is_documented_with_its_status(page: str, code: str, status: int) -> None:
    assert f"| `{code}` | {status} |" in page


@pytest.mark.parametrize("name", EVENTS)
def test_every_webhook_event_is_documented(page: str, name: str) -> None:
    assert f"| `{name}` |" in page
