"""`coop client / request / project / milestone / learner / earnings / report`: the co-op's work from the terminal."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import click

from api.cli.areas import AreaGroup
from api.context import Context, existing_member, parse_shares, pass_ctx, read_text, skills_list
from api.usecases import members
from api.usecases.payments import pay_milestone
from coop import statements
from coop.errors import BadInput
from coop.ids import check_id, normalise_handle
from coop.index import find_members
from ledger import entries as E
from ledger import records
from ledger.index import find_earnings
from ledger.money import check_currency, from_decimal, parse_money, to_decimal
from projects import clients, learners, matching, outcomes, work
from projects.index import find_clients, find_learners, find_projects

# -- clients --------------------------------------------------------------------------------

@click.group()
def client() -> None:
    """Clients the co-op works for, and who brought them in."""


@client.command("add")
@click.argument("client_id")
@click.option("--name", required=True, help="The client's business name (no personal data).")
@click.option("--liaison", help="Member who talks to the client.")
@click.option("--no-referrer", is_flag=True, help="Nobody referred this client (no referral share is paid).")
@pass_ctx
def client_add(ctx: Context, client_id: str, name: str, liaison: str | None, no_referrer: bool) -> None:
    """Register a client you brought in: you are its referrer."""
    me = ctx.node.identity(ctx.identity).handle
    now = statements.now()
    liaison = liaison and existing_member(ctx.node.view(), liaison)
    fields = clients.client_fields(check_id(client_id, "client id"), name, None if no_referrer else me, liaison, now)
    receipt = ctx.node.write(clients.CLIENT_TYPE, fields, me, created=now)
    click.echo(f"client {client_id} registered at {receipt.path} (referrer: {fields['referrer'] or 'nobody'})")


@client.command("list")
@pass_ctx
def client_list(ctx: Context) -> None:
    """List clients with their referrer and liaison."""
    rows = ctx.node.index.query(find_clients)
    click.echo(f"{'CLIENT':<20} {'REFERRER':<14} {'LIAISON':<14} REGISTERED")
    for r in rows:
        click.echo(f"{r.client_id:<20} {(r.referrer or '-'):<14} {(r.liaison or '-'):<14} {r.registered[:10]}")


# -- requests and projects ------------------------------------------------------------------

@click.group(cls=AreaGroup)
def request() -> None:
    """Clients' requests for work: post, list, apply, match."""


@request.command("post")
@click.argument("project_id")
@click.option("--client", "client_id", required=True, help="Client id.")
@click.option("--title", required=True)
@click.option("--file", "text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Markdown description.")
@click.option("--skills", required=True, help="Required skills, e.g. python,web.")
@click.option("--budget", required=True, help="e.g. '3000.00 EUR'.")
@click.option("--deadline", required=True, help="e.g. 2027-03-31.")
@pass_ctx
def request_post(ctx: Context, project_id: str, client_id: str, title: str, text_file: Path | None, skills: str, budget: str, deadline: str) -> None:
    """Post a client's request for work."""
    amount, currency = parse_money(budget, "a budget")
    fields = {"id": check_id(project_id, "project id"), "client": client_id, "title": title,
              "text": read_text(text_file) if text_file else "", "skills": skills_list(skills),
              "budget": {"amount": amount, "currency": currency}, "deadline": deadline}
    receipt = ctx.node.write(work.PROJECT_TYPE, fields, ctx.identity)
    click.echo(f"request {project_id} posted at {receipt.path}")


@request.command("list")
@pass_ctx
def request_list(ctx: Context) -> None:
    """List open requests (not yet staffed)."""
    rows = ctx.node.index.query(lambda: find_projects("requested", order="deadline"))
    click.echo(f"{'PROJECT':<16} {'CLIENT':<14} {'BUDGET':>14}  {'DEADLINE':<10}  SKILLS / TITLE")
    for r in rows:
        click.echo(f"{r.project_id:<16} {r.client:<14} {to_decimal(r.budget, r.currency):>10} {r.currency}  {r.deadline:<10}  "
                   f"{', '.join(r.skills)} / {r.title}")


@request.command("apply")
@click.argument("project_id")
@click.option("--note", required=True, help="A short note: why you, what you bring.")
@pass_ctx
def request_apply(ctx: Context, project_id: str, note: str) -> None:
    """Apply to a requested project."""
    ctx.node.write(work.APPLICATION_TYPE, {"project": check_id(project_id, "project id"), "note": note}, ctx.identity)
    click.echo(f"applied to {project_id}")


@click.group()
def project() -> None:
    """Look at projects, form their teams and move them along."""


@project.command("list")
@click.option("--mine", is_flag=True, help="Only projects whose team you are in.")
@click.option("--state", type=click.Choice(work.STATES), help="Only projects in this state.")
@pass_ctx
def project_list(ctx: Context, mine: bool, state: str | None) -> None:
    """List projects."""
    me = ctx.node.identity(ctx.identity).handle if mine else None
    for r in ctx.node.index.query(lambda: find_projects(state, team_member=me)):
        click.echo(f"{r.project_id:<16} {r.state:<12} {r.client:<14} {r.title}")


@project.command("show")
@click.argument("project_id")
@pass_ctx
def project_show(ctx: Context, project_id: str) -> None:
    """Show a project: request, state, team, milestones."""
    view = ctx.node.view()
    body = work.project(view, check_id(project_id, "project id"))
    click.echo(f"{body['id']}: {body['title']}  for {body['client']}  [{work.state(view, body['id'])}]")
    click.echo(f"skills {', '.join(body['skills'])}; budget {to_decimal(body['budget']['amount'], body['budget']['currency'])} "
               f"{body['budget']['currency']}; deadline {body['deadline']}; liaison {work.liaison(view, body['id']) or '-'}")
    shares = work.team(view, body["id"])
    click.echo("team: " + (", ".join(f"{h} {bp / 100:.2f}%" for h, bp in sorted(shares.items())) or "not formed"))
    for stone in work.milestones(view, body["id"]):
        click.echo(f"  milestone {stone['milestone']:<10} {stone['status']:<9} {to_decimal(stone['amount'], stone['currency']):>10} "
                   f"{stone['currency']}  {stone['title']}")


@project.command("team")
@click.argument("project_id")
@click.option("--shares", required=True, help="e.g. bilal:6000,chen:4000 (basis points, sum 10000).")
@pass_ctx
def project_team(ctx: Context, project_id: str, shares: str) -> None:
    """Form a project's team from its applicants (the liaison does this)."""
    ctx.node.write(work.TEAM_TYPE, {"project": check_id(project_id, "project id"), "shares": parse_shares(shares, ctx.node.view())}, ctx.identity)
    click.echo(f"{project_id} is staffed")


def _move(ctx: Context, project_id: str, target: str, reason: str = "") -> None:
    fields: dict[str, Any] = {"project": check_id(project_id, "project id"), "state": target}
    if reason:
        fields["reason"] = reason
    ctx.node.write(work.MOVE_TYPE, fields, ctx.identity)
    click.echo(f"{project_id} is now {target}")


@project.command("start")
@click.argument("project_id")
@pass_ctx
def project_start(ctx: Context, project_id: str) -> None:
    """Move a staffed project to in progress."""
    _move(ctx, project_id, "in_progress")


@project.command("deliver")
@click.argument("project_id")
@pass_ctx
def project_deliver(ctx: Context, project_id: str) -> None:
    """Mark a project delivered (every milestone accepted)."""
    _move(ctx, project_id, "delivered")


@project.command("close-paid")
@click.argument("project_id")
@pass_ctx
def project_paid(ctx: Context, project_id: str) -> None:
    """Mark a delivered project paid (every milestone paid)."""
    _move(ctx, project_id, "paid")


@project.command("cancel")
@click.argument("project_id")
@click.option("--reason", required=True)
@pass_ctx
def project_cancel(ctx: Context, project_id: str, reason: str) -> None:
    """Cancel a project before delivery."""
    _move(ctx, project_id, "cancelled", reason)


@click.group()
def milestone() -> None:
    """Plan, deliver, accept milestones; record a client's payment."""


def _milestone(ctx: Context, project_id: str, milestone_id: str, status: str, title: str | None = None, amount: str | None = None) -> None:
    view = ctx.node.view()
    if status == "planned":
        if not title or not amount:
            raise BadInput("a new milestone needs --title and --amount")
        minor, currency = parse_money(amount, "--amount")
        fields = {"project": project_id, "milestone": milestone_id, "title": title, "amount": minor, "currency": currency, "status": status}
    else:
        previous = view.body(work.milestone_path(check_id(project_id, "project id"), milestone_id))
        if previous is None:
            raise BadInput(f"{project_id} has no milestone {milestone_id!r}")
        fields = {**{k: v for k, v in previous.items() if k not in statements.COMMON_FIELDS}, "status": status}
    ctx.node.write(work.MILESTONE_TYPE, fields, ctx.identity)
    click.echo(f"milestone {milestone_id} of {project_id}: {status}")


@milestone.command("add")
@click.argument("project_id")
@click.argument("milestone_id")
@click.option("--title", required=True)
@click.option("--amount", required=True, help="e.g. '1500.00 EUR'.")
@pass_ctx
def milestone_add(ctx: Context, project_id: str, milestone_id: str, title: str, amount: str) -> None:
    """Plan a milestone."""
    _milestone(ctx, project_id, milestone_id, "planned", title, amount)


@milestone.command("deliver")
@click.argument("project_id")
@click.argument("milestone_id")
@pass_ctx
def milestone_deliver(ctx: Context, project_id: str, milestone_id: str) -> None:
    """Deliver a milestone (a team member)."""
    _milestone(ctx, project_id, milestone_id, "delivered")


@milestone.command("accept")
@click.argument("project_id")
@click.argument("milestone_id")
@pass_ctx
def milestone_accept(ctx: Context, project_id: str, milestone_id: str) -> None:
    """Accept a delivered milestone for the client (the liaison)."""
    _milestone(ctx, project_id, milestone_id, "accepted")


@milestone.command("pay")
@click.argument("project_id")
@click.argument("milestone_id")
@click.argument("amount")
@click.argument("currency")
@click.option("--account", default="wise-eur", show_default=True, help="Where the money arrived.")
@pass_ctx
def milestone_pay(ctx: Context, project_id: str, milestone_id: str, amount: str, currency: str, account: str) -> None:
    """Record that the client paid a milestone (money in): revenue and its split in one step."""
    currency = check_currency(currency.upper())
    paid = pay_milestone(ctx.node, ctx.identity, project_id, milestone_id, from_decimal(amount, currency), currency, account)
    click.echo(f"paid {milestone_id} of {project_id}: {amount} {currency}, split in commit {paid.receipts[0].commit[:12]}")
    for posting in paid.postings:
        if not posting["account"].startswith("income:"):
            click.echo(f"  {posting['account']:<24} {to_decimal(-posting['amount'], currency):>12} {currency}")


@request.command("match")
@click.argument("project_id", required=False)
@click.option("--member", help="Rank open requests for this member instead.")
@pass_ctx
def request_match(ctx: Context, project_id: str | None, member: str | None) -> None:
    """Rank members for a request, or open requests for a member, and say why."""
    node = ctx.node
    if bool(project_id) == bool(member):
        raise BadInput("give a request id, or --member HANDLE")
    if project_id:
        body = work.project(node.view(), check_id(project_id, "project id"))
        people = {m.handle: m.skills for m in node.index.query(find_members)}
        ranked = matching.rank(body["skills"], people)
    else:
        skills = node.view().require_member(normalise_handle(member or ""))["skills"]
        requests = {p.project_id: p.skills for p in node.index.query(lambda: find_projects("requested"))}
        ranked = matching.fitting(skills, requests)
    for position, found in enumerate(ranked, 1):
        click.echo(f"{position:>3}. {found.name:<16} {found.explain()}")
    if not ranked:
        click.echo("no match")


# -- learners -------------------------------------------------------------------------------

@click.group()
def learner() -> None:
    """Learners: join, list, mentors, progress notes."""


@learner.command("join")
@click.argument("handle")
@click.option("--track", type=click.Choice(learners.TRACKS), required=True)
@click.option("--skills", default="", help="e.g. html,css.")
@click.option("--public-key", help="For someone not yet a member: the public half of a key they hold (`coop keys new` prints one).")
@pass_ctx
def learner_join(ctx: Context, handle: str, track: str, skills: str, public_key: str | None) -> None:
    """Give a learner their track: one who joined by invitation, or (a member does this) a new one with their own key."""
    handle = normalise_handle(handle)
    held = not public_key and ctx.node.view().member(handle) is None
    members.add_learner(ctx.node, ctx.identity, handle, track, skills_list(skills), public_key)
    if held:
        click.echo(f"note: a demo node makes and holds {handle}'s key; a real co-op invites (`coop member invite`)", err=True)
    click.echo(f"welcome, {handle}: track {track}; a mentor will be assigned")


@learner.command("mentor")
@click.argument("handle")
@click.argument("mentor")
@pass_ctx
def learner_mentor(ctx: Context, handle: str, mentor: str) -> None:
    """Assign or change a learner's mentor."""
    view = ctx.node.view()
    current = learners.profile(view, existing_member(view, handle))
    if current is None:
        raise BadInput(f"{handle!r} has no learner profile")
    fields = {**{k: v for k, v in current.items() if k not in statements.COMMON_FIELDS}, "mentor": existing_member(view, mentor)}
    ctx.node.write(learners.LEARNER_TYPE, fields, ctx.identity)
    click.echo(f"{handle}'s mentor is {mentor}")


@learner.command("note")
@click.argument("handle")
@click.argument("text")
@pass_ctx
def learner_note(ctx: Context, handle: str, text: str) -> None:
    """Add a progress note (the learner or their mentor)."""
    note_id = f"n-{secrets.token_hex(4)}"
    ctx.node.write(learners.NOTE_TYPE, {"learner": existing_member(ctx.node.view(), handle), "id": note_id, "note": text}, ctx.identity)
    click.echo(f"note {note_id} added")


@learner.command("list")
@click.option("--all", "show_all", is_flag=True, help="All learners, not only those without a mentor.")
@pass_ctx
def learner_list(ctx: Context, show_all: bool) -> None:
    """List learners who have no mentor yet (or all with --all)."""
    for r in ctx.node.index.query(lambda: find_learners(unmentored=not show_all, former=True)):
        joined = f"joined via {r.joined_via}" if r.track else "no learner profile yet"
        click.echo(f"{r.member.handle:<16} {r.track or '-':<8} mentor: {r.mentor or '-':<14} {joined}")


@click.command("earnings")
@click.option("--member", help="Whose earnings (default: yours).")
@pass_ctx
def earnings(ctx: Context, member: str | None) -> None:
    """What a member earned, and from which project."""
    handle = existing_member(ctx.node.view(), member) if member else ctx.node.identity(ctx.identity).handle
    found = ctx.node.index.query(lambda: find_earnings(handle))
    if not found:
        click.echo(f"{handle} has earned nothing from a project yet")
    for r in found:
        click.echo(f"{r.created[:10]}  {(r.project or '-'):<16} {(r.client or '-'):<14} {to_decimal(r.amount, r.currency):>12} {r.currency}")


@click.group()
def report() -> None:
    """Reports on how the co-op is doing."""


@report.command("outcomes")
@click.option("--png", "png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the report as a chart.")
@pass_ctx
def report_outcomes(ctx: Context, png: Path | None) -> None:
    """Per cohort: learners who became members, members who earned, median earnings; payment costs by month."""
    from api.charts import outcomes_chart  # matplotlib takes half a second to import: only when drawing

    if png and png.suffix.lower() != ".png":
        raise BadInput(f"--png writes a PNG image: give a file name ending in .png, not {png.name!r}")
    result = outcomes_report(ctx)
    click.echo(f"{'COHORT':<8} {'JOINED':>6} {'LEARNERS':>8} {'→MEMBERS':>8} {'EARNED':>6} {'MEDIAN':>12}")
    for row in result.cohorts:
        click.echo(f"{row.cohort:<8} {row.joined:>6} {row.learners:>8} {row.became_members:>8} {row.earned:>6} "
                   f"{to_decimal(row.median_earnings, row.currency):>8} {row.currency}")
    if result.costs:
        click.echo(f"\n{'MONTH':<8} {'PAID OUT':>12} {'FEES':>10} {'FX LOSS':>10}")
        for cost in result.costs:
            click.echo(f"{cost.month:<8} {to_decimal(cost.paid, cost.currency):>8} {cost.currency} {to_decimal(cost.fees, cost.currency):>10} "
                       f"{to_decimal(cost.fx_loss, cost.currency):>10}")
    for note in result.notes:
        click.echo(f"note: {note}")
    if png:
        outcomes_chart(result, png)
        click.echo(f"chart written to {png}")


def outcomes_report(ctx: Context) -> outcomes.Report:
    """Gather people, splits and payouts from the node into the outcomes report."""
    node = ctx.node
    view = node.view()
    people = [outcomes.Person(m.handle, m.joined[:7], "learner" in m.roles or m.decided_roles is not None
                              or view.read(learners.learner_path(m.handle)) is not None, "member" in m.roles)
              for m in node.index.query(find_members)]
    bodies = [body for _, body, _ in records.entry_bodies(view)]
    return outcomes.build(people, [b for b in bodies if b["type"] == E.SPLIT], [b for b in bodies if b["type"] == E.PAYOUT])


COMMANDS = (client, request, project, milestone, learner, earnings, report)
