"""`coop member add / list / show / invite / invitations / cancel-invitation / move`: who belongs to the co-op.

The node makes no member's key: a member-to-be gets an invitation (a link, or a
code read out over a call) and makes their key on their own machine (`coop join`,
or the page behind the link). `coop member add --public-key` stays for scripts
that hold the member's public key already.
"""
from __future__ import annotations

import json

import click

from api.context import Context, existing_member, pass_ctx, skills_list
from api.usecases import members as usecases
from coop.ids import normalise_handle
from coop.index import find_members
from coop.node import Node
from governance.durations import format_duration, parse_duration

DEFAULT_URL = "http://127.0.0.1:8000"
INVITED_ROLES = ("learner", "member", "mentor")
HELD = "this node"


@click.group()
def member() -> None:
    """Invite, add, list and show members."""


def with_implied(roles: tuple[str, ...]) -> list[str]:
    """Return the roles as recorded: mentors and founders are members too."""
    return sorted(set(roles) | ({"member"} if {"mentor", "founder"} & set(roles) else set()))


@member.command("add")
@click.argument("handle")
@click.option("--role", "roles", multiple=True, type=click.Choice(["learner", "member", "mentor", "founder"]), default=["learner"],
              show_default=True, help="Role (repeat for several). Mentors and founders are members too.")
@click.option("--skills", default="", help="Comma-separated skill tags, e.g. python,web.")
@click.option("--public-key", help="Base64 ed25519 public key of a key the member holds (`coop keys new` makes one).")
@pass_ctx
def member_add(ctx: Context, handle: str, roles: tuple[str, ...], skills: str, public_key: str | None) -> None:
    """Register a member with the public half of a key they hold (for scripts; people are invited)."""
    key, pair = usecases.registered_key(ctx.node, normalise_handle(handle), public_key)
    receipt = ctx.node.add_member(handle, with_implied(roles), skills_list(skills), author=ctx.overrides["identity"], public=key)
    if pair is not None and not ctx.node.keys.has(pair.handle):
        ctx.node.keys.save(pair)
        click.echo(f"note: a demo node makes and holds {pair.handle}'s key; a real co-op invites (`coop member invite`)", err=True)
    click.echo(f"added {receipt.path} in commit {receipt.commit[:12]}")


@member.command("list")
@click.option("--role", help="Only members with this role.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_ctx
def member_list(ctx: Context, role: str | None, as_json: bool) -> None:
    """List members from the index, marking those whose key this node itself holds."""
    node = ctx.node
    found = node.index.query(lambda: find_members(role))
    held = usecases.held_by_node(node, node.view(), [m.handle for m in found])
    if as_json:
        click.echo(json.dumps([{"handle": m.handle, "roles": list(m.roles), "skills": list(m.skills), "key_held_by_node": m.handle in held}
                               for m in found], indent=2))
        return
    click.echo(f"{'HANDLE':<20} {'ROLES':<24} {'KEY':<10} SKILLS")
    for m in found:
        click.echo(f"{m.handle:<20} {','.join(m.roles):<24} {HELD if m.handle in held else 'own':<10} {', '.join(m.skills)}")
    if held:
        click.echo(f"\nKEY {HELD!r}: the key is held by this node, so whoever runs it can sign as them "
                   "(the demo's people, or members added before invitations). `coop member move HANDLE` gives them a link "
                   "to a key of their own.", err=True)


@member.command("show")
@click.argument("handle")
@pass_ctx
def member_show(ctx: Context, handle: str) -> None:
    """Show a member's record, with the roles in force (a proposal may have changed those recorded)."""
    view = ctx.node.view()
    handle = normalise_handle(handle)
    record = dict(view.require_member(handle))
    record["roles_in_force"] = sorted(view.roles(handle))
    click.echo(json.dumps(record, indent=2, ensure_ascii=False))


def node_url(node: Node, given: str | None) -> tuple[str, bool]:
    """Return the URL links point at (--url, else the public_url setting, else this machine's) and whether it was a default."""
    chosen = given or node.config["public_url"]
    return (usecases.check_node_url(chosen), False) if chosen else (DEFAULT_URL, True)


def show_invitation(sent: usecases.Invited, defaulted: bool, what: str) -> None:
    """Print an invitation's link and code, plainly, and that they are shown once."""
    click.echo(f"{what}, until {sent.expires}.\n\n"
               f"Send {sent.handle} this link:\n\n  {sent.link}\n\n"
               f"or read out this code, with this node's address ({sent.link.partition(usecases.JOIN_PATH)[0]}):\n\n  {sent.code}\n\n"
               "They are shown only this once (the node keeps only the code's hash), and they work once. "
               f"`coop member cancel-invitation {sent.handle}` withdraws them.")
    if defaulted:
        click.echo(f"note: no public_url is set, so the link points at {DEFAULT_URL}, which only this machine reaches: "
                   "pass --url, or set COOP_PUBLIC_URL (or public_url in node.toml) to the address people reach this node at.",
                   err=True)


@member.command("invite")
@click.argument("handle")
@click.option("--role", "roles", multiple=True, type=click.Choice(INVITED_ROLES), default=["learner"], show_default=True,
              help="Role (repeat for several). Mentors are members too.")
@click.option("--skills", default="", help="Comma-separated skill tags, e.g. python,web.")
@click.option("--expires", default="7d", show_default=True, help="How long the link works: 2d, 12h (at most 30 days).")
@click.option("--url", help="The node's address in the link (default: the public_url setting).")
@pass_ctx
def member_invite(ctx: Context, handle: str, roles: tuple[str, ...], skills: str, expires: str, url: str | None) -> None:
    """Invite a member-to-be: a link and a code for them to make their key on their own machine."""
    seconds = parse_duration(expires)
    link_to, defaulted = node_url(ctx.node, url)
    sent = usecases.invite(ctx.node, ctx.identity, handle, with_implied(roles), skills_list(skills), seconds, link_to)
    show_invitation(sent, defaulted, f"Invited {sent.handle} as {', '.join(with_implied(roles))} for {format_duration(seconds)}")


@member.command("invitations")
@pass_ctx
def member_invitations(ctx: Context) -> None:
    """List the pending invitations: whom, to which roles, until when, by whom."""
    found = usecases.pending(ctx.node.view(), ctx.node.clock())
    if not found:
        click.echo("no pending invitations")
        return
    click.echo(f"{'HANDLE':<20} {'ROLES':<24} {'EXPIRES':<21} INVITER")
    for invited in found:
        roles = "(move to own key)" if invited.roles is None else ",".join(invited.roles)
        click.echo(f"{invited.handle:<20} {roles:<24} {invited.expires:<21} {invited.inviter}")


@member.command("cancel-invitation")
@click.argument("handle")
@pass_ctx
def member_cancel_invitation(ctx: Context, handle: str) -> None:
    """Cancel a pending invitation: its link and code open nothing from then on."""
    receipt = usecases.cancel(ctx.node, ctx.identity, normalise_handle(handle))
    click.echo(f"cancelled the invitation of {normalise_handle(handle)} in commit {receipt.commit[:12]}")


@member.command("move")
@click.argument("handle")
@click.option("--expires", default="7d", show_default=True, help="How long the link works: 2d, 12h (at most 30 days).")
@click.option("--url", help="The node's address in the link (default: the public_url setting).")
@pass_ctx
def member_move(ctx: Context, handle: str, expires: str, url: str | None) -> None:
    """Give a member a one-time link to a key of their own (the founder, or the member).

    Meant for a member whose key this node holds: once they claim the link, their
    old key is revoked and this node deletes it.
    """
    node = ctx.node
    handle = existing_member(node.view(), handle)
    seconds = parse_duration(expires)
    link_to, defaulted = node_url(node, url)
    sent = usecases.invite(node, ctx.identity, handle, None, [], seconds, link_to)
    held = "this node holds their key now: once they claim the link it is revoked and deleted" if node.keys.has(handle) else (
        "this node holds no key of theirs: the link replaces every key they have")
    show_invitation(sent, defaulted, f"{handle} may move to a key of their own ({held})")


COMMANDS = (member,)
