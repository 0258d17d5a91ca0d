"""The documentation keeps up with the code: every setting and error code is documented, the examples verify."""
from __future__ import annotations

import base64
import inspect
import json
from pathlib import Path

import nacl.pwhash
import nacl.secret
import pytest

from coop import canonical, errors, sshsig, statements
from coop.config import SETTINGS
from coop.keys import KeyPair
from coop.statements import KeyRecord

DOCS = Path(__file__).resolve().parent.parent / "docs"
ERRORS = sorted(
    (cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.CoopError)),
    key=lambda cls: cls.__name__,
)


@pytest.fixture(scope="module")
def settings_page() -> str:
    """Return the text of docs/settings.md."""
    return (DOCS / "settings.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def formats_page() -> str:
    """Return the text of docs/formats.md."""
    return (DOCS / "formats.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SETTINGS), ids=sorted(SETTINGS))
def test_setting_is_documented_with_its_environment_variable(name: str, settings_page: str) -> None:
    assert f"`{name}`" in settings_page, f"docs/settings.md does not mention the setting `{name}`"
    variable = f"COOP_{name.upper()}"
    assert f"`{variable}`" in settings_page, f"docs/settings.md does not mention `{variable}`"


@pytest.mark.parametrize("error", ERRORS, ids=[cls.__name__ for cls in ERRORS])
def test_error_code_is_documented_with_its_status(error: type[errors.CoopError], formats_page: str) -> None:
    rows = [line for line in formats_page.splitlines() if line.startswith(f"| `{error.__name__}` |")]
    assert rows, f"docs/formats.md has no row for {error.__name__} in its error table"
    assert f"| `{error.code}` | {error.status} |" in rows[0], (
        f"docs/formats.md does not give {error.__name__} its code `{error.code}` and status {error.status}"
    )


def test_statement_example_in_formats_verifies(formats_page: str) -> None:
    example = next(line for line in formats_page.splitlines() if line.startswith('{"body":{'))
    signer = KeyPair("amina", bytes(range(32)))  # the key the page names: seed 00 01 ... 1f
    statement = statements.verify(example.encode(), origin="doc.example/coop", keys=lambda author: [KeyRecord(signer.public)])
    message = statements.pae(statement.type, canonical.encode(dict(statement.body))).decode()
    assert message in formats_page, "the PAE shown in docs/formats.md is not the one its example signs"
    assert statement.sha256 in formats_page, "the sha256 shown in docs/formats.md is not its example's"


def test_commit_example_in_formats_verifies(formats_page: str) -> None:
    lines = formats_page.split("`git cat-file commit HEAD`):\n\n```\n", 1)[1].split("\n```", 1)[0].split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("gpgsig "))
    end = next(i for i, line in enumerate(lines) if line == " " + sshsig.END)
    armored = "\n".join([lines[start].removeprefix("gpgsig "), *(line[1:] for line in lines[start + 1:end + 1])])
    payload = "\n".join(lines[:start] + lines[end + 1:]) + "\n"
    key = sshsig.verify(armored, payload.encode())
    assert f'node namespaces="git" {sshsig.ssh_public_line(key)}' in formats_page


def test_key_file_example_in_formats_opens_with_its_passphrase(formats_page: str) -> None:
    example = next(line for line in formats_page.splitlines() if line.startswith('{"box":'))
    record = json.loads(example)
    kdf = record["kdf"]
    secret = nacl.pwhash.argon2id.kdf(32, b"x", base64.b64decode(kdf["salt"]), opslimit=kdf["opslimit"], memlimit=kdf["memlimit"])
    seed = nacl.secret.SecretBox(secret).decrypt(base64.b64decode(record["box"]))
    assert seed == bytes(range(32, 64))  # the seed and passphrase the page names
    assert KeyPair("node", seed).public.to_b64() == record["public"]
