"""`coop proposal open / list / show / vote / close`: deciding together from the terminal."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import click

from api.context import Context, existing_member, pass_ctx, read_text
from api.usecases import governance as usecases
from coop import canonical, statements
from coop.errors import BadInput, NotFound
from coop.view import View
from governance.durations import parse_duration
from governance.index import find_proposals
from governance.methods import Method
from governance.render import to_text
from ledger.money import parse_money

EFFECT_KINDS = ("general", "admit", "charter", "split_policy", "spend")


def effect_from_options(view: View, kind: str, handle: str | None, rules: tuple[str, ...], policy: Path | None,
                        amount: str | None, purpose: str | None, effect_json: str | None) -> dict[str, Any]:
    """Build a proposal's effect from the command's options."""
    if effect_json:
        effect = canonical.parse_text(effect_json, "--effect-json")
        if not isinstance(effect, dict):
            raise BadInput("--effect-json must be a JSON object")
        return effect
    if kind == "general":
        return {"kind": "general"}
    if kind == "admit":
        if not handle:
            raise BadInput("an admit proposal needs --handle LEARNER")
        return {"kind": "admit", "handle": existing_member(view, handle)}
    if kind == "charter":
        changed: dict[str, Any] = {}
        for rule in rules:
            name, _, value = rule.partition("=")
            changed[name] = canonical.parse_text(value, f"rule {name!r}") if value else _bad_rule(rule)
        return {"kind": "charter", "rules": changed}
    if kind == "split_policy":
        if policy is None:
            raise BadInput("a split_policy proposal needs --policy FILE.json")
        return {"kind": "split_policy", "policy": canonical.parse_text(read_text(policy), str(policy))}
    if kind == "spend":
        if not amount or not purpose:
            raise BadInput("a spend proposal needs --amount 'AMOUNT CURRENCY' and --purpose")
        minor, currency = parse_money(amount, "--amount")
        return {"kind": "spend", "amount": minor, "currency": currency, "purpose": purpose}
    return {"kind": kind}


def _bad_rule(rule: str) -> Any:
    raise BadInput(f"--rule {rule!r} must be NAME=JSON_VALUE, e.g. quorum_bp=6000")


@click.group()
def proposal() -> None:
    """Open, list, show, vote on and close proposals."""


@proposal.command("open")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(EFFECT_KINDS), default="general", show_default=True, help="What passing it does.")
@click.option("--method", type=click.Choice([m.value for m in Method]), default="consent", show_default=True, help="How it is decided.")
@click.option("--closes-in", help="Voting window, e.g. 2s, 90m, 7d: at least the charter's minimum for the kind "
              "(48h unless it says otherwise). Without it the proposal is a draft.")
@click.option("--title", help="Title (default: the first heading of FILE).")
@click.option("--option", "options", multiple=True, help="An option for ranked choice (repeat).")
@click.option("--handle", help="The learner to admit (--kind admit).")
@click.option("--rule", "rules", multiple=True, help="NAME=VALUE of a charter rule to change (--kind charter), e.g. quorum_bp=6000.")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="JSON split policy (--kind split_policy).")
@click.option("--amount", help="'AMOUNT CURRENCY' to spend (--kind spend), e.g. '120.00 EUR'.")
@click.option("--purpose", help="What the money is for (--kind spend).")
@click.option("--effect-json", help="The effect as JSON, for effects other areas add (e.g. staffing a project).")
@click.option("--id", "proposal_id", help="Proposal id (default: a fresh p-xxxxxx); reuse a draft's id to amend it.")
@pass_ctx
def proposal_open(ctx: Context, file: Path, kind: str, method: str, closes_in: str | None, title: str | None, options: tuple[str, ...],
                  handle: str | None, rules: tuple[str, ...], policy: Path | None, amount: str | None, purpose: str | None,
                  effect_json: str | None, proposal_id: str | None) -> None:
    """Make a proposal from a markdown FILE; prints its id on the last line."""
    text = read_text(file)
    heading = next((line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")), None)
    chosen_title = title or heading or file.stem
    effect = effect_from_options(ctx.node.view(), kind, handle, rules, policy, amount, purpose, effect_json)
    pid = proposal_id or f"p-{secrets.token_hex(3)}"
    seconds = parse_duration(closes_in) if closes_in else None
    written = usecases.open_proposal(ctx.node, ctx.identity, pid, chosen_title, text, method, effect, seconds, options)
    state = f"open until {written.closes}" if written.closes else "a draft (open it with --closes-in)"
    click.echo(f"proposal {pid!r} is {state}")
    click.echo(pid)


@proposal.command("list")
@click.option("--state", type=click.Choice(["open", "draft", "closed", "all"]), default="open", show_default=True)
@click.option("--not-voted", is_flag=True, help="Only open proposals the acting identity has not voted on.")
@pass_ctx
def proposal_list(ctx: Context, state: str, not_voted: bool) -> None:
    """List proposals from the index."""
    node = ctx.node
    me = node.identity(ctx.identity).handle if not_voted else None

    found = node.index.query(lambda: find_proposals(None if state == "all" else state, not_voted_by=me, order="closing"))
    now = statements.now()
    click.echo(f"{'ID':<16} {'STATE':<9} {'RESULT':<10} {'CLOSES':<21} {'EFFECT':<13} TITLE")
    for r in found:
        shown = "to close" if r.state == "open" and r.closes <= now else r.state
        click.echo(f"{r.proposal_id:<16} {shown:<9} {(r.result or ''):<10} {(r.closes or ''):<21} {r.effect:<13} {r.title}")


@proposal.command("show")
@click.argument("proposal_id")
@pass_ctx
def proposal_show(ctx: Context, proposal_id: str) -> None:
    """Show a proposal's text, its current tally and who has not voted yet."""
    try:
        status = usecases.proposal_status(ctx.node.view(), proposal_id)
    except NotFound as e:
        raise BadInput(e.message) from None
    body = status.body
    click.echo(f"{body['id']}: {body['title']}  (by {body['author']}, {body['method']}, effect {body['effect']['kind']})")
    if body.get("opens"):
        click.echo(f"open {body['opens']} - {body['closes']}")
    click.echo("")
    click.echo(to_text(body["text"]))
    if status.tally is None:
        click.echo("\n(draft: not open for votes)")
        return
    tally, outcome = status.tally, status.outcome
    click.echo(f"\n{'Outcome' if outcome else 'Tally so far'}: {tally['outcome']}  counts {tally['counts']}  "
               f"quorum {tally['quorum_reached']}/{tally['quorum_needed']}")
    if tally.get("winner"):
        click.echo(f"winner: {tally['winner']}")
    if outcome and not outcome["applied"] and tally["outcome"] == "passed":
        click.echo(f"passed but not applied: {outcome.get('not_applied_because', '')}")
    click.echo(f"not voted yet: {', '.join(status.not_voted) if status.not_voted else 'nobody'}")


@proposal.command("vote")
@click.argument("proposal_id")
@click.argument("choice")
@click.option("--reason", default="", help="Why (required to object or block).")
@click.option("--rank", help="For ranked choice: options in order of preference, comma-separated (CHOICE is 'rank').")
@pass_ctx
def proposal_vote(ctx: Context, proposal_id: str, choice: str, reason: str, rank: str | None) -> None:
    """Vote on the current version of a proposal; voting again replaces your vote until it closes."""
    ranking = [r.strip() for r in rank.split(",")] if rank else []
    receipt = usecases.vote(ctx.node, ctx.identity, proposal_id, choice, reason, ranking)
    click.echo(f"vote {choice!r} on {proposal_id} recorded at {receipt.path}")


@proposal.command("close")
@click.argument("proposal_id")
@pass_ctx
def proposal_close(ctx: Context, proposal_id: str) -> None:
    """Close a proposal after its window: count, record the outcome, apply the effect."""
    closed = usecases.close(ctx.node, ctx.identity, proposal_id)
    tally = closed.tally
    applied = "applied" if closed.applied else f"not applied: {closed.not_applied_because or 'it did not pass'}"
    winner = f", winner {tally['winner']}" if tally.get("winner") else ""
    click.echo(f"{proposal_id}: {tally['outcome']}{winner} (counts {tally['counts']}, quorum {tally['quorum_reached']}/{tally['quorum_needed']}); effect {applied}")


COMMANDS = (proposal,)
