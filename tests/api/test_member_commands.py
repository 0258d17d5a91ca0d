"""`coop member invite / invitations / cancel-invitation / move / add / list`: people are invited, the node makes no key.

The node fixture is founded by alice, with members bob and carol and learner dan, whose keys the node holds (as the demo's).
"""
from __future__ import annotations

import json
import re

import pytest
from cli_harness import CoopRunner

from api.cli.main import run
from api.usecases import members
from coop import invitations
from coop.keys import KeyPair
from coop.node import Node

LINK = re.compile(r"^  (http\S+/join/\S+)$", re.M)
CODE = re.compile(r"^  ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})$", re.M)


def refusal(node: Node, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a command at the node's home that must be refused; return its one-line error."""
    capsys.readouterr()
    status = run(["--home", str(node.home), *args])
    err = capsys.readouterr().err
    assert status == 2, err
    return err


def test_an_invitation_prints_its_link_and_code_once_and_the_node_keeps_only_the_hash(node: Node, runner: CoopRunner) -> None:
    result = runner.invoke("member", "invite", "hana", "--role", "mentor", "--url", "https://coop.example/")

    assert result.exit_code == 0, result.output
    link, code = LINK.search(result.stdout), CODE.search(result.stdout)
    assert link and code and link[1] == f"https://coop.example/join/hana~{code[1]}"
    assert "Send hana this link" in result.stdout and "shown only this once" in result.stdout
    stored = invitations.invitation(node.view(), "hana") or {}
    assert stored["roles"] == ["member", "mentor"] and stored["secret_sha256"] == invitations.secret_sha256(code[1])


def test_an_invitation_links_to_the_public_url_setting(runner: CoopRunner) -> None:
    result = runner.invoke("member", "invite", "hana", env={"COOP_PUBLIC_URL": "https://harbour.example"})

    assert (link := LINK.search(result.stdout)) and link[1].startswith("https://harbour.example/join/hana~")


def test_an_invitation_without_an_address_says_the_link_reaches_this_machine_only(runner: CoopRunner) -> None:
    result = runner.invoke("member", "invite", "hana")

    assert (link := LINK.search(result.stdout)) and link[1].startswith("http://127.0.0.1:8000/join/hana~")
    assert "only this machine reaches" in result.stderr


def test_an_invitation_lasts_at_most_thirty_days(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    assert "within 30 days" in refusal(node, capsys, "member", "invite", "hana", "--expires", "40d")
    assert invitations.invitation(node.view(), "hana") is None


def test_the_pending_invitations_are_listed_with_their_inviter(runner: CoopRunner) -> None:
    runner.invoke("--as", "bob", "member", "invite", "hana", "--url", "https://coop.example")
    runner.invoke("member", "move", "carol", "--url", "https://coop.example")

    rows = [line.split() for line in runner.invoke("member", "invitations").stdout.splitlines()]

    assert rows[0] == ["HANDLE", "ROLES", "EXPIRES", "INVITER"]
    assert [(r[0], r[1], r[-1]) for r in rows[1:]] == [("carol", "(move", "alice"), ("hana", "learner", "bob")]


def test_a_cancelled_invitation_is_no_longer_listed(runner: CoopRunner) -> None:
    runner.invoke("member", "invite", "hana", "--url", "https://coop.example")

    cancelled = runner.invoke("member", "cancel-invitation", "hana")

    assert cancelled.exit_code == 0 and "cancelled the invitation of hana" in cancelled.stdout
    assert runner.invoke("member", "invitations").stdout == "no pending invitations\n"


def test_cancelling_an_invitation_that_is_not_pending_says_so(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no pending invitation of 'hana'" in refusal(node, capsys, "member", "cancel-invitation", "hana")


def test_a_move_link_names_the_key_the_node_holds(node: Node, runner: CoopRunner) -> None:
    result = runner.invoke("member", "move", "bob", "--url", "https://coop.example")

    assert result.exit_code == 0, result.output
    assert "this node holds their key now" in result.stdout and LINK.search(result.stdout)
    assert members.invitation(node.view(), "bob", node.clock()).move


def test_a_move_of_someone_who_is_not_a_member_is_refused(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal(node, capsys, "member", "move", "zed") == "error: no such member 'zed'\n"


def test_adding_a_member_without_their_public_key_points_to_an_invitation(node: Node, capsys: pytest.CaptureFixture[str]) -> None:
    assert "invite them with `coop member invite hana`" in refusal(node, capsys, "member", "add", "hana")
    assert node.view().member("hana") is None and not node.keys.has("hana")


def test_adding_a_member_with_their_public_key_keeps_no_key_on_the_node(node: Node, runner: CoopRunner) -> None:
    own = KeyPair.generate("hana")

    result = runner.invoke("member", "add", "hana", "--public-key", own.public.to_b64())

    assert result.exit_code == 0, result.output
    assert [k.kid for k in node.view().keys("hana")] == [own.kid] and not node.keys.has("hana")


def test_the_member_list_marks_every_key_the_node_holds(node: Node, runner: CoopRunner) -> None:
    runner.invoke("member", "add", "hana", "--public-key", KeyPair.generate("hana").public.to_b64())

    listed = json.loads(runner.invoke("member", "list", "--json").stdout)

    assert {m["handle"]: m["key_held_by_node"] for m in listed} == {"alice": True, "bob": True, "carol": True, "dan": True, "hana": False}


def test_the_member_list_table_says_what_a_node_held_key_means(runner: CoopRunner) -> None:
    result = runner.invoke("member", "list")

    assert [line.split()[2:4] for line in result.stdout.splitlines()[1:]] == [["this", "node"]] * 4
    assert "whoever runs it can sign as them" in result.stderr
