"""Commands for the nodes of a co-op: make this node's key, and register another node's key (the founder)."""
from __future__ import annotations

import click

from api.context import Context, pass_ctx
from coop import config
from coop.errors import Conflict
from coop.ids import check_id
from coop.keys import PublicKey
from coop.members import NODE_TYPE
from coop.statements import KeyRecord


@click.group("node")
def node_group() -> None:
    """This node's key, and registering nodes so their commits count."""


@node_group.command("key")
@click.argument("name")
@pass_ctx
def node_key(ctx: Context, name: str) -> None:
    """Make this node's key as node NAME (on a clone) and print its public key for the founder to register.

    Until the founder registers it (`coop node add NAME KEY` on a node that takes
    writes), this node verifies, syncs and serves read-only.
    """
    node = ctx.node
    name = check_id(name, "node name")
    if node.name and node.name != name:
        raise Conflict(f"this node is already {node.name!r}")
    pair = node.keys.unlock(name) if node.keys.has(name) else node.keys.create(name)
    config.write_node_file(node.home, {**config.read_node_file(node.home), "node_name": name})
    click.echo(pair.public.to_b64())


@node_group.command("add")
@click.argument("name")
@click.argument("public_key")
@pass_ctx
def node_add(ctx: Context, name: str, public_key: str) -> None:
    """Register node NAME with its PUBLIC_KEY (base64 ed25519), so commits it signs are accepted (the founder)."""
    fields = {"name": check_id(name, "node name"), "keys": [KeyRecord(PublicKey.from_b64(public_key)).to_dict()]}
    receipt = ctx.node.write(NODE_TYPE, fields, ctx.overrides["identity"])
    click.echo(f"registered node {name} in {receipt.path}, commit {receipt.commit[:12]}")


COMMANDS = (node_group,)
