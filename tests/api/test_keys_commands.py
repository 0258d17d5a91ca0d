"""`coop join` and `coop keys ...` on a member's own machine, against a node served by `coop serve`.

The served node is founded by alice, with bob, carol and dan, whose keys it holds. Each member's machine is a home of
its own that holds keys and no node. Handles are not reused between tests: they share the served node.
"""
from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from api_harness import Coop
from cli_harness import CoopRunner
from click.testing import Result

from api import recovery
from api.cli.main import run
from coop import config
from coop.keys import KeyStore
from coop.node import Node
from coop.statements import KeyRecord

LINK = re.compile(r"^  (http\S+/join/\S+)$", re.M)
WORD = re.compile(r"\b\d+\. ([a-z]+)")
KEY = re.compile(r"key ([0-9a-f]{16})")
PUBLIC = re.compile(r"^  ([A-Za-z0-9+/]{43}=)$", re.M)
PASSPHRASE = "test passphrase"  # the autouse fixture's COOP_PASSPHRASE, which the served node's keys use too


def invite(coop: Coop, handle: str, verb: str = "invite") -> str:
    """Invite a member-to-be (or, with verb "move", a member to move) on the served node's home, as its founder; return the link."""
    result = CoopRunner(coop.home).invoke("member", verb, handle, "--url", coop.url)
    assert result.exit_code == 0, result.output
    found = LINK.search(result.stdout)
    assert found, result.stdout
    return found[1]


def machine(tmp_path: Path, name: str) -> CoopRunner:
    """Return a runner of `coop` in a member's own home, which holds no node."""
    return CoopRunner(tmp_path / name)


def joined(coop: Coop, tmp_path: Path, handle: str, verb: str = "invite") -> tuple[CoopRunner, Result]:
    """Invite a handle and join from a new machine (with `--label laptop`); return the machine and what join said."""
    laptop = machine(tmp_path, f"{handle}-laptop")
    result = laptop.invoke("join", invite(coop, handle, verb), "--label", "laptop")
    assert result.exit_code == 0, result.output
    return laptop, result


def record_keys(coop: Coop, handle: str) -> list[KeyRecord]:
    """Return the keys the served node lists for a member."""
    return [KeyRecord.from_dict(k) for k in coop.client().get(f"/api/v1/members/{handle}")["keys"]]


def words(result: Result) -> str:
    """Return the recovery words join printed, in order."""
    return " ".join(WORD.findall(result.stdout))


def refusal(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a command at a home that must be refused; return its one-line error."""
    capsys.readouterr()
    status = run(["--home", str(home), *args])
    err = capsys.readouterr().err
    assert status == 2, err
    return err


# -- joining ------------------------------------------------------------------------------------------

def test_join_makes_the_members_key_on_their_machine_and_none_on_the_node(coop: Coop, tmp_path: Path) -> None:
    _, result = joined(coop, tmp_path, "hana")

    device, spare = record_keys(coop, "hana")
    assert (device.label, device.recovery, spare.label, spare.recovery) == ("laptop", False, "paper", True)
    mine = KeyStore(tmp_path / "hana-laptop" / "keys", PASSPHRASE, "min")
    assert mine.identities() == ["hana"] and mine.public("hana").kid == device.kid
    assert not (coop.home / "keys" / "hana.key").exists() and f"key {device.kid}" in result.stdout


def test_join_remembers_the_node_it_joined(coop: Coop, tmp_path: Path) -> None:
    joined(coop, tmp_path, "ines")

    assert config.read_node_file(tmp_path / "ines-laptop") == {"public_url": coop.url}


def test_join_shows_the_recovery_words_once_and_the_machine_keeps_no_recovery_key(coop: Coop, tmp_path: Path) -> None:
    _, result = joined(coop, tmp_path, "jana")

    spare = recovery.key_of("jana", words(result))
    assert spare.kid == record_keys(coop, "jana")[1].kid
    assert KeyStore(tmp_path / "jana-laptop" / "keys", PASSPHRASE, "min").public("jana").kid != spare.kid
    assert "it only manages your keys" in result.stdout.lower() and "cannot vote" in result.stdout


def test_join_writes_a_printable_sheet_only_its_owner_reads(coop: Coop, tmp_path: Path) -> None:
    _, result = joined(coop, tmp_path, "kemal")

    sheet = tmp_path / "kemal-laptop" / "recovery-kemal.html"
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    text = sheet.read_text()
    assert all(f"<li>{word}</li>" in text for word in words(result).split()) and "<svg" in text


def test_a_link_joins_once(coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = invite(coop, "lena")
    assert machine(tmp_path, "first").invoke("join", link).exit_code == 0

    assert "used already: each link works once" in refusal(tmp_path / "second", capsys, "join", link)
    assert not (tmp_path / "second" / "keys" / "lena.key").exists()


def test_a_wrong_code_joins_nothing(coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = invite(coop, "mona")
    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")

    assert "code does not match" in refusal(tmp_path / "mona", capsys, "join", forged)
    assert coop.client().get("/api/v1/invitations/mona")["state"] == "pending"


def test_a_broken_link_says_what_a_link_looks_like(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "a join link looks like" in refusal(tmp_path / "nobody", capsys, "join", "hana~7K2M")


def test_join_of_a_move_link_leaves_the_node_no_key_of_the_member(coop: Coop, tmp_path: Path) -> None:
    held = KeyStore(coop.home / "keys", PASSPHRASE, "min").public("carol").kid

    _, result = joined(coop, tmp_path, "carol", "move")

    assert not (coop.home / "keys" / "carol.key").exists()
    assert [k.revoked_after is not None for k in record_keys(coop, "carol") if k.kid == held] == [True]
    assert "The key the node held is revoked" in result.stdout


# -- keys on this machine ------------------------------------------------------------------------------

def test_keys_list_shows_labels_recovery_and_which_key_is_here(coop: Coop, tmp_path: Path) -> None:
    laptop, _ = joined(coop, tmp_path, "nadia")

    rows = [line.split() for line in laptop.invoke("keys", "list").stdout.splitlines()]

    assert rows[0] == ["HANDLE", "KEY", "LABEL", "KIND", "STATE", "HERE"]
    assert [(r[2], r[3], r[4], r[5]) for r in rows[1:]] == [("laptop", "device", "valid", "yes"), ("paper", "recovery", "valid", "-")]


def test_a_second_machine_makes_its_key_and_the_first_adds_it(coop: Coop, tmp_path: Path) -> None:
    laptop, _ = joined(coop, tmp_path, "omar")
    phone = machine(tmp_path, "omar-phone")

    made = phone.invoke("keys", "new", "omar", "--label", "phone")
    public = PUBLIC.search(made.stdout)
    assert public, made.output
    added = laptop.invoke("keys", "add", "omar", public[1], "--label", "phone")

    assert added.exit_code == 0, added.output
    assert [(k.label, k.revoked_after) for k in record_keys(coop, "omar")][-1] == ("phone", None)
    assert phone.invoke("keys", "list", "--node", coop.url).stdout.splitlines()[-1].split()[-1] == "yes"


def test_a_key_revoked_from_another_machine_signs_nothing_more(coop: Coop, tmp_path: Path) -> None:
    laptop, _ = joined(coop, tmp_path, "pia")
    phone = machine(tmp_path, "pia-phone")
    public = PUBLIC.search(phone.invoke("keys", "new", "pia").stdout)
    assert public
    laptop.invoke("keys", "add", "pia", public[1], "--label", "phone")
    lost = record_keys(coop, "pia")[-1].kid

    revoked = laptop.invoke("keys", "revoke", lost)

    assert revoked.exit_code == 0, revoked.output
    assert record_keys(coop, "pia")[-1].revoked_after is not None


def test_a_key_cannot_revoke_itself(coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    joined(coop, tmp_path, "quinn")
    own = record_keys(coop, "quinn")[0].kid

    assert "cannot revoke itself" in refusal(tmp_path / "quinn-laptop", capsys, "keys", "revoke", own)


def test_the_recovery_words_give_a_new_machine_a_key_and_revoke_the_lost_one(coop: Coop, tmp_path: Path) -> None:
    _, result = joined(coop, tmp_path, "rosa")
    lost = record_keys(coop, "rosa")[0].kid

    recovered = machine(tmp_path, "rosa-new").invoke("keys", "recover", "rosa", "--words", words(result), "--label", "phone",
                                                     "--node", coop.url)

    assert recovered.exit_code == 0, recovered.output
    keys = {k.kid: k for k in record_keys(coop, "rosa")}
    assert keys[lost].revoked_after is not None and [k.label for k in keys.values() if k.revoked_after is None] == ["paper", "phone"]
    assert KeyStore(tmp_path / "rosa-new" / "keys", PASSPHRASE, "min").public("rosa").kid == next(
        k.kid for k in keys.values() if k.label == "phone")


def test_another_members_recovery_words_recover_nothing(coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, result = joined(coop, tmp_path, "sami")
    joined(coop, tmp_path, "tara")

    err = refusal(tmp_path / "tara-new", capsys, "keys", "recover", "tara", "--words", words(result), "--node", coop.url)

    assert "not the recovery key of 'tara'" in err and not (tmp_path / "tara-new" / "keys").exists()


def test_a_mistyped_recovery_word_is_caught_before_anything_is_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typed = " ".join(["abandon"] * 23 + ["abandoned"])

    assert "'abandoned' is not a word" in refusal(tmp_path / "new", capsys, "keys", "recover", "uma", "--words", typed)


def test_a_home_without_a_node_must_be_told_which_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    machine(tmp_path, "vera").invoke("keys", "new", "vera")

    assert "say which node to reach with --node URL" in refusal(tmp_path / "vera", capsys, "keys", "list")


def test_an_exported_key_imports_on_another_machine(node: Node, runner: CoopRunner, tmp_path: Path) -> None:
    carried = tmp_path / "bob.coopkey"
    exported = runner.invoke("keys", "export", "bob", str(carried), env={"COOP_EXPORT_PASSPHRASE": "for the trip"})
    assert exported.exit_code == 0, exported.output

    imported = machine(tmp_path, "bob-laptop").invoke("keys", "import", str(carried), env={"COOP_EXPORT_PASSPHRASE": "for the trip",
                                                                                          "COOP_PASSPHRASE": "bob's own"})

    assert imported.exit_code == 0, imported.output
    assert stat.S_IMODE(carried.stat().st_mode) == 0o600
    assert KeyStore(tmp_path / "bob-laptop" / "keys", "bob's own", "min").unlock("bob").seed == node.keys.unlock("bob").seed


def test_an_export_without_a_passphrase_is_refused(node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refusal(node.home, capsys, "keys", "export", "bob", str(tmp_path / "bob.coopkey"))

    assert "set COOP_EXPORT_PASSPHRASE" in err and not (tmp_path / "bob.coopkey").exists()
