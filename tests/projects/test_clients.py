"""Clients and referrals: who brought a client in, how long that earns, and who may change it (DESIGN section 7)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from api.cli.main import cli
from coop import statements
from coop.errors import BadInput, Conflict, CoopError, Forbidden, Invalid, NotFound
from coop.node import Node
from governance import proposals as P
from ledger import entries as E
from ledger import records
from projects import clients

if TYPE_CHECKING:
    from tests.projects.conftest import Decide, Refused, Shop


def register(node: Node, author: str, referrer: str | None, liaison: str | None = None, name: str = "Acme Bakery",
             registered: str | None = None) -> None:
    """Register the client acme as `author`, registered when the statement is made unless told otherwise."""
    created = statements.now()
    node.write(clients.CLIENT_TYPE, clients.client_fields("acme", name, referrer, liaison, registered or created), author, created=created)


def edit(node: Node, author: str, **changes: Any) -> None:
    """Write acme's record again with some fields changed."""
    current = clients.client(node.view(), "acme")
    fields = {k: v for k, v in current.items() if k not in statements.COMMON_FIELDS}
    node.write(clients.CLIENT_TYPE, {**fields, **changes}, author)


def test_member_who_registers_a_client_is_its_referrer(node: Node) -> None:
    register(node, "carol", "carol", liaison="alice")

    assert clients.referrer(node.view(), "acme") == "carol"
    assert clients.client(node.view(), "acme")["liaison"] == "alice"


@pytest.mark.parametrize(("author", "referrer", "changes", "error", "match"), [
    ("dan", "dan", {}, Forbidden, "only members register clients"),
    ("carol", "bob", {}, Forbidden, "the referrer is you"),
    ("carol", "carol", {"registered": "2026-01-01T00:00:00Z"}, BadInput, "registration time is the time of the statement"),
    ("carol", "carol", {"liaison": "dan"}, Invalid, "'dan' is not a member"),
    ("carol", "carol", {"name": ""}, BadInput, "needs a name"),
], ids=["by-a-learner", "referrer-someone-else", "registered-another-time", "liaison-not-a-member", "no-name"])
def test_client_registration_breaking_a_rule_is_refused(node: Node, refused: Refused, author: str, referrer: str, changes: dict[str, Any],
                                                        error: type[CoopError], match: str) -> None:
    refused(lambda: register(node, author, referrer, **changes), error, match)


@pytest.mark.parametrize("author", ["carol", "alice"], ids=["by-the-referrer", "by-the-liaison"])
def test_referrer_cannot_be_changed_by_editing_the_client_record(node: Node, refused: Refused, author: str) -> None:
    register(node, "carol", "carol", liaison="alice")

    refused(lambda: edit(node, author, referrer="bob"), Forbidden, "only by a passed proposal")
    assert clients.referrer(node.view(), "acme") == "carol"


def test_referrer_cannot_give_up_the_referral_by_editing_the_record(node: Node, refused: Refused) -> None:
    register(node, "carol", "carol")

    refused(lambda: edit(node, "carol", referrer=None), Forbidden, "only by a passed proposal")


def test_liaison_may_edit_the_client_and_the_referrer_stays(node: Node) -> None:
    register(node, "carol", "carol", liaison="alice")

    edit(node, "alice", name="Acme Bakery and Cafe")

    assert clients.client(node.view(), "acme")["name"] == "Acme Bakery and Cafe"
    assert clients.referrer(node.view(), "acme") == "carol"


def test_client_edit_by_someone_else_is_refused(node: Node, refused: Refused) -> None:
    register(node, "carol", "carol", liaison="alice")

    refused(lambda: edit(node, "bob", name="Bob's Bakery"), Forbidden, "only the referrer or liaison")


def test_registration_date_of_a_client_never_changes(node: Node, refused: Refused) -> None:
    register(node, "carol", "carol")

    refused(lambda: edit(node, "carol", registered="2020-01-01T00:00:00Z"), Conflict, "never changes")


def test_referral_effect_reassigns_the_referrer(node: Node, shop: Shop, decide: Decide) -> None:
    shop.upto("milestone_accepted")

    outcome = decide({"kind": "referral", "client": "acme", "referrer": "bob"})
    shop.pay()

    assert outcome["applied"] is True
    assert clients.referrer(node.view(), "acme") == "bob"
    split = next(body for _, body, _ in records.entry_bodies(node.view()) if body["type"] == E.SPLIT)
    assert (split["referrer"], split["referral_active"]) == ("bob", True)


def test_referral_effect_shows_in_the_client_list(node: Node, home: Path, decide: Decide) -> None:
    register(node, "carol", "carol", liaison="alice")

    decide({"kind": "referral", "client": "acme", "referrer": "bob"})
    result = CliRunner().invoke(cli, ["--home", str(home), "client", "list"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split()[:3] == ["acme", "bob", "alice"]


@pytest.mark.parametrize(("effect", "error", "match"), [
    ({"kind": "referral", "client": "acme", "referrer": "dan"}, BadInput, "'dan' is not a member"),
    ({"kind": "referral", "client": "globex", "referrer": "bob"}, NotFound, "no client 'globex'"),
    ({"kind": "referral", "client": "acme"}, BadInput, "a referral effect is"),
], ids=["to-a-learner", "unknown-client", "no-referrer-field"])
def test_referral_effect_that_cannot_apply_is_refused_when_proposed(node: Node, refused: Refused, effect: dict[str, Any],
                                                                    error: type[CoopError], match: str) -> None:
    register(node, "carol", "carol")
    fields = P.proposal_fields("p-bad", "Re-assign", "# Re-assign\n\nA referral that cannot be.\n", "majority", effect, node.view(), 60)

    refused(lambda: node.write(P.PROPOSAL_TYPE, fields, "alice"), error, match)


@pytest.mark.parametrize(("registered", "paid", "months", "active"), [
    ("2025-10-01T00:00:00Z", "2026-09-30T23:59:59Z", 12, True),
    ("2025-10-01T00:00:00Z", "2026-10-01T00:00:00Z", 12, False),
    ("2025-01-31T12:00:00Z", "2025-02-27T23:00:00Z", 1, True),
    ("2025-01-31T12:00:00Z", "2025-02-28T00:00:00Z", 1, False),
    ("2023-02-28T09:00:00Z", "2024-02-28T08:00:00Z", 12, False),
    ("2015-10-01T00:00:00Z", "2026-11-01T00:00:00Z", None, True),
], ids=["last-day-inside", "first-day-after", "short-month-inside", "short-month-end", "a-year-to-the-day", "no-end"])
def test_referral_lasts_the_policys_months_from_registration(registered: str, paid: str, months: int | None, active: bool) -> None:
    assert clients.referral_active(registered, paid, months) is active

