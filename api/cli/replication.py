"""Commands that replicate the repository between nodes: clone, sync, and the evidence kept of misbehaving peers."""
from __future__ import annotations

import json
from pathlib import Path

import click

from api.context import Context, pass_ctx
from api.usecases import replication as R
from coop import replication
from coop.errors import IntegrityError


@click.command()
@click.argument("source")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def clone(ctx: Context, source: str, directory: Path) -> None:
    """Fetch a co-op's repository from SOURCE (a node's URL, e.g. http://host:8000), verify it all, and make a node in DIRECTORY.

    The new node holds no keys: it reads, verifies and serves. Add your own
    identity's key later to act as yourself.
    """
    report = R.clone(source, directory)
    click.echo(f"cloned {source} into {directory}: {report.commits} commits and {report.statements} statements verified")


@click.command()
@click.argument("peers", nargs=-1)
@click.option("--no-offer", is_flag=True, help="Only take from peers: do not post our statements to their API.")
@pass_ctx
def sync(ctx: Context, peers: tuple[str, ...], no_offer: bool) -> None:
    """Sync with PEERS (default: every git remote, `origin` after a clone): offer, verify, take, merge.

    Statements this node holds and a peer lacks are posted to the peer's API
    (they pass its checks like any write; plain pushes are refused). The peer's
    new commits are verified before they touch the branch, then taken by a
    fast-forward or joined by the deterministic merge (docs/replication.md). A
    peer that rewrote the history it served before, or whose checkpoint
    contradicts ours, is refused; both sides are kept under <home>/evidence/
    (see `coop evidence`). If this node's identity is a witness the charter
    names, it then cosigns the checkpoint and posts the cosignature to the peer.
    """
    node = ctx.node
    sources = R.peers_to_sync(node, peers)
    refused = []
    for peer in R.sync(node, sources, offer=not no_offer):
        for line in describe(peer):
            click.echo(f"{peer.source}: {line}", err=peer.refused)
        if peer.refused:
            refused.append(peer.source)
    moved = R.after_sync(node)
    if moved:
        click.echo(moved)
    if refused:
        raise IntegrityError(f"{len(refused)} of {len(sources)} peers refused or could not be reached; "
                             "this node kept its own history")


def describe(peer: R.PeerSynced) -> list[str]:
    """Return what a sync with one peer did, a line each, as a person reads it."""
    if peer.result is None:
        return [f"unreachable, skipped: {peer.unreachable}"]
    result = peer.result
    lines = []
    if result.offered:
        lines.append(f"offered {result.offered} of our statements; the peer took them")
    lines += [f"offer: {problem}" for problem in result.offer_problems]
    if not result:
        kept = f" (evidence kept in {result.evidence})" if result.evidence else ""
        return lines + [f"REFUSED: {result.refused}{kept}"]
    taken = f"took {result.taken} new commits" if result.taken else "nothing new"
    lines.append(taken + (" and merged them with ours" if result.merged else ""))
    lines += [f"left out by the merge rule: {path} ({why})" for path, why in result.left_out]
    return lines + ([f"witness: {peer.witnessed}"] if peer.witnessed else [])


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
