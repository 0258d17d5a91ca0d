"""Wiring: the one place that knows every area and builds a node from them."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api import keeper_keys
from coop import apps, config
from coop.area import CORE
from coop.area_contract import Area
from coop.errors import Conflict
from coop.node import REPO_DIR, Node, create
from coop.scratch import built_in_place
from coop.view import View
from governance import area as governance_area
from governance import effects
from ledger import acceptance, keepers
from ledger import area as ledger_area
from ledger import effects as money_effects
from ledger.log import LogSigner
from projects import area as projects_area
from projects import clients, payments, work


class Wiring:
    """The areas of one node, with the hooks that need the node itself."""

    def __init__(self) -> None:
        self.node: Node | None = None

    def log_signer(self, view: View) -> LogSigner:
        """Return this node's log signer (the ledger asks for it when it appends)."""
        if self.node is None:
            raise RuntimeError("the node is not open yet")
        return keeper_keys.signer(self.node, view)

    def areas(self) -> tuple[Area, ...]:
        """Return every area, with the effects and hooks that tie them together."""
        governance = governance_area.build()
        governance.register_effect("split_policy", money_effects.check_split_policy, money_effects.apply_split_policy)
        governance.register_effect("spend", money_effects.check_spend, money_effects.apply_spend)
        governance.register_effect(keepers.EFFECT, keepers.check_effect, keepers.apply_effect)
        governance.register_effect("staff", work.check_staffing_effect, work.apply_staffing_effect)
        governance.register_effect("referral", clients.check_referral_effect, clients.apply_referral_effect)
        hooks = acceptance.Hooks(signer=self.log_signer, authorise=effects.authorise_spending,
                                 check_split=payments.check_split, check_revenue=payments.check_revenue)
        # Every kind refuses a statement by an app outside the app's scopes (coop/apps.py).
        return tuple(apps.scoped(area) for area in (CORE, ledger_area.area(hooks), governance_area.area(governance), projects_area.area()))

    def attach(self, node: Node) -> Node:
        """Give the hooks the node they serve."""
        self.node = node
        return node


def open_node(overrides: Mapping[str, Any] | None = None, passphrase: str | None = None) -> Node:
    """Open the node that the settings point at."""
    wiring = Wiring()
    return wiring.attach(Node(config.load(overrides), wiring.areas(), passphrase))


def create_node(overrides: Mapping[str, Any] | None, name: str, origin: str, founder: str,
                node_name: str = "node", passphrase: str | None = None, fill: Callable[[Node], None] | None = None,
                rules: Mapping[str, Any] | None = None) -> Node:
    """Create a node with every area (its charter's rules over the defaults), keeper of a new ledger, filled by `fill`; a failure leaves no directory behind."""
    settings = dict(overrides or {})
    home = config.load(settings).home
    if (home / REPO_DIR).exists():
        raise Conflict(f"a node already exists at {home}")
    with built_in_place(home, "init") as scratch:
        wiring = Wiring()
        node = wiring.attach(create(config.load({**settings, "home": str(scratch)}), wiring.areas(), name, origin, founder,
                                    passphrase, node_name, rules))
        keeper_keys.setup(node)
        if fill is not None:
            fill(node)
        node.index.db.close()
    # Opened with the settings it was given (an index on PostgreSQL, say), and its index filled there.
    built = open_node({**settings, "home": str(home)}, passphrase)
    built.refresh()
    return built
