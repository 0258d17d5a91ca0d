"""Commands that replicate the repository between nodes: clone, sync, and the evidence kept of misbehaving peers."""
from __future__ import annotations

import json
from pathlib import Path

import click

from api.context import Context, pass_ctx
from api.node import Wiring
from coop import replication
from coop.errors import BadInput, IntegrityError
from coop.kinds import Registry
from ledger import log
from ledger.fork import check_fork


def registry() -> Registry:
    """Return the kinds of statement every node accepts, for replaying a fetched history."""
    return Registry(Wiring().areas())


@click.command()
@click.argument("source")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def clone(ctx: Context, source: str, directory: Path) -> None:
    """Fetch a co-op's repository from SOURCE (e.g. http://host:8000/git/), verify it all, and make a node in DIRECTORY.

    The new node holds no keys: it reads, verifies and serves. Add your own
    identity's key later to act as yourself.
    """
    report = replication.clone(source, directory, registry())
    click.echo(f"cloned {source} into {directory}: {report.commits} commits and {report.statements} statements verified")


@click.command()
@click.argument("peers", nargs=-1)
@pass_ctx
def sync(ctx: Context, peers: tuple[str, ...]) -> None:
    """Fetch from PEERS (default: where this node was cloned from), verify the new commits, then take them.

    A peer that rewrote the history it served before, or whose checkpoint
    contradicts ours, is refused; both sides are kept under <home>/evidence/
    (see `coop evidence`).
    """
    node = ctx.node
    sources = list(peers) or replication.peers(node.store)
    if not sources:
        raise BadInput("no peers: name one (a URL such as http://host:8000/git/ or a path), or clone from one first")
    refused = []
    for source in sources:
        result = replication.sync(node.store, node.registry, node.home, source, check_fork, keep=[log.CHECKPOINT])
        if result:
            click.echo(f"{source}: {'took ' + str(result.taken) + ' new commits' if result.taken else 'nothing new'}")
        else:
            refused.append(result)
            kept = f" (evidence kept in {result.evidence})" if result.evidence else ""
            click.echo(f"{source}: REFUSED: {result.refused}{kept}", err=True)
    node.refresh()
    if refused:
        raise IntegrityError(f"{len(refused)} of {len(sources)} peers refused; this node kept its own history")


@click.command("evidence")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@pass_ctx
def evidence_list(ctx: Context, as_json: bool) -> None:
    """List the evidence kept of peers that rewrote history or showed a contradicting checkpoint."""
    reports = replication.evidence(ctx.node.home)
    if as_json:
        click.echo(json.dumps(reports, indent=2))
        return
    if not reports:
        click.echo("no evidence kept: no peer has misbehaved")
    for r in reports:
        click.echo(f"{r['found']}  {r['kind']:<12} {r['peer']}\n    {r['reason']}\n    kept in {r['directory']}")


COMMANDS = (clone, sync, evidence_list)
