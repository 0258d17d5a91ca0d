"""Wiring: the one place that knows every area and builds a node from them."""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from api import keeper_keys
from coop import apps, config
from coop.area import CORE
from coop.area_contract import Area
from coop.errors import Conflict, Forbidden
from coop.keys import KeyStore
from coop.node import REPO_DIR, Node, create, key_store
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


def cannot_sign(view: View) -> LogSigner:
    """The log signer of a registry that only verifies (a clone being checked): it signs nothing."""
    raise Forbidden("this copy of the co-op only verifies: it holds no log key and appends nothing")


def areas(log_signer: Callable[[View], LogSigner] = cannot_sign) -> tuple[Area, ...]:
    """Return every area, with the effects and hooks that tie them together.

    Appending to the ledger asks `log_signer` for the log key. It is given the node's
    key store, not the node, so nothing built here points back at the node it serves.
    """
    governance = governance_area.build()
    governance.register_effect("split_policy", money_effects.check_split_policy, money_effects.apply_split_policy)
    governance.register_effect("spend", money_effects.check_spend, money_effects.apply_spend)
    governance.register_effect(keepers.EFFECT, keepers.check_effect, keepers.apply_effect)
    governance.register_effect("staff", work.check_staffing_effect, work.apply_staffing_effect)
    governance.register_effect("referral", clients.check_referral_effect, clients.apply_referral_effect)
    hooks = acceptance.Hooks(signer=log_signer, authorise=effects.authorise_spending,
                             check_split=payments.check_split, check_revenue=payments.check_revenue)
    # Every kind refuses a statement by an app outside the app's scopes (coop/apps.py).
    return tuple(apps.scoped(area) for area in (CORE, ledger_area.area(hooks), governance_area.area(governance), projects_area.area()))


def signing_areas(keys: KeyStore, node_name: str, home: Path) -> tuple[Area, ...]:
    """Return every area, the ledger signing with this node's log key when the node keeps the log."""
    return areas(functools.partial(keeper_keys.signer, keys, node_name, home))


def open_node(overrides: Mapping[str, Any] | None = None, passphrase: str | None = None) -> Node:
    """Open the node that the settings point at."""
    cfg = config.load(overrides)
    keys = key_store(cfg, passphrase)
    return Node(cfg, signing_areas(keys, cfg["node_name"], cfg.home), keys)


def create_node(overrides: Mapping[str, Any] | None, name: str, origin: str, founder: str,
                node_name: str = "node", passphrase: str | None = None, fill: Callable[[Node], None] | None = None,
                rules: Mapping[str, Any] | None = None) -> Node:
    """Create a node with every area (its charter's rules over the defaults), keeper of a new ledger, filled by `fill`; a failure leaves no directory behind."""
    settings = dict(overrides or {})
    home = config.load(settings).home
    if (home / REPO_DIR).exists():
        raise Conflict(f"a node already exists at {home}")
    with built_in_place(home, "init") as scratch:
        cfg = config.load({**settings, "home": str(scratch)})
        keys = key_store(cfg, passphrase)
        node = create(cfg, signing_areas(keys, node_name, scratch), name, origin, founder, keys, node_name, rules)
        keeper_keys.setup(node)
        if fill is not None:
            fill(node)
        node.index.db.close()
    # Opened with the settings it was given (an index on PostgreSQL, say), and its index filled there.
    built = open_node({**settings, "home": str(home)}, passphrase)
    built.refresh()
    return built
