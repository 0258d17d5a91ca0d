"""`coop ledger ...`: record money, show balances, verify the books, prove and export them."""
from __future__ import annotations

import hashlib
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import click

from api import keeper_keys
from api.context import Context, existing_member, parse_shares, pass_ctx, progress
from coop import statements
from coop.errors import BadInput, NotFound
from coop.ids import check_id
from coop.view import View
from governance.proposals import proposal_path
from ledger import entries as E
from ledger import log, records, witness
from ledger.balances import balances_now
from ledger.index import find_entry
from ledger.money import check_currency, from_decimal, parse_money, to_decimal
from ledger.note import Note, TlogProof, Verifier, WitnessPolicy, verify_tlog_proof


def new_id(prefix: str) -> str:
    """Return a fresh entry id such as rev-3f9a1c2e."""
    return f"{prefix}-{secrets.token_hex(4)}"


def proposal_reference(view: View, proposal: str) -> dict[str, str]:
    """Return {proposal, sha256} naming the exact version of a proposal that authorises spending."""
    raw = view.read(proposal_path(check_id(proposal, "proposal id")))
    if raw is None:
        raise NotFound(f"no proposal {proposal!r}")
    return {"proposal": proposal, "sha256": hashlib.sha256(raw).hexdigest()}


def record(ctx: Context, kind: str, fields: dict[str, Any]) -> None:
    """Sign and append one entry as the acting identity; print where it landed."""
    node = ctx.node
    receipt = node.write(kind, E.with_postings(kind, fields), ctx.identity)
    entry = node.index.query(lambda: find_entry(fields["id"]))
    where = f"entry {entry.index}" if entry is not None else receipt.path
    click.echo(f"recorded {fields['id']} as {where} (commit {receipt.commit[:12]})")


@click.group()
def ledger() -> None:
    """The co-op's books: a signed, append-only Merkle log anyone can verify."""


@ledger.command("record-revenue")
@click.argument("amount")
@click.argument("currency")
@click.option("--client", required=True, help="Client id the money came from.")
@click.option("--project", help="Project id, if any.")
@click.option("--account", required=True, help="Where it arrived, e.g. wise-eur, bank, mpesa.")
@click.option("--id", "entry_id", help="Entry id (default: a fresh rev-xxxxxxxx).")
@pass_ctx
def record_revenue(ctx: Context, amount: str, currency: str, client: str, project: str | None, account: str, entry_id: str | None) -> None:
    """Record revenue received, e.g. `coop ledger record-revenue 1500.00 EUR --client acme --account wise-eur`."""
    currency = check_currency(currency.upper())
    record(ctx, E.REVENUE, {"id": entry_id or new_id("rev"), "client": check_id(client, "client"), "project": project,
                            "amount": from_decimal(amount, currency), "currency": currency, "account": account})


@ledger.command()
@click.argument("index", type=int)
@click.option("--team", required=True, help="Team shares in basis points, e.g. alice:5000,bob:5000 (sum 10000).")
@click.option("--referrer", help="Member who brought the client in.")
@click.option("--referral-expired", is_flag=True, help="The referral share has run out: it goes to the team.")
@click.option("--liaison", help="Member who talked to the client.")
@pass_ctx
def split(ctx: Context, index: int, team: str, referrer: str | None, referral_expired: bool, liaison: str | None) -> None:
    """Split the revenue entry at INDEX by the policy in force."""
    view = ctx.node.view()
    raw = log.entry_at(view, index)
    revenue = statements.parse(raw)[0]
    policy, sha = records.policy_in_force(view)
    fields = E.split_fields(index, records.leaf_hash_hex(raw), revenue, policy, sha, parse_shares(team, view), referrer and existing_member(view, referrer),
                           not referral_expired, liaison and existing_member(view, liaison))
    record(ctx, E.SPLIT, fields)


@ledger.command()
@click.argument("member")
@click.argument("amount")
@click.argument("currency")
@click.option("--account", required=True, help="Where the money leaves from, e.g. wise-eur.")
@click.option("--method", type=click.Choice(E.PAYOUT_METHODS), required=True, help="How it is paid.")
@click.option("--fee", default="0", show_default=True, help="Fee taken on the way, in CURRENCY (borne by the member).")
@click.option("--arrived", help="What reached the member, e.g. '21500 SYP' or '212.34 USD' (default: AMOUNT - FEE).")
@click.option("--rate", default="1", show_default=True, help="Units of the arrived currency per unit paid, e.g. 1.0834.")
@click.option("--id", "entry_id", help="Entry id (default: a fresh pay-xxxxxxxx).")
@pass_ctx
def payout(ctx: Context, member: str, amount: str, currency: str, account: str, method: str, fee: str, arrived: str | None, rate: str, entry_id: str | None) -> None:
    """Pay a member what the co-op holds for them (money out), with the fee and exchange rate (as that member, or a treasurer the charter names)."""
    currency = check_currency(currency.upper())
    minor, fee_minor = from_decimal(amount, currency), from_decimal(fee, currency)
    if arrived:
        arrived_minor, arrived_currency = parse_money(arrived, "--arrived")
        got = {"amount": arrived_minor, "currency": arrived_currency}
    else:
        got = {"amount": minor - fee_minor, "currency": currency}
    record(ctx, E.PAYOUT, {"id": entry_id or new_id("pay"), "member": check_id(member, "member"), "amount": minor, "currency": currency,
                           "account": account, "method": method, "fee": fee_minor, "arrived": got, "rate": rate})


@ledger.command()
@click.argument("amount")
@click.argument("currency")
@click.option("--account", required=True, help="Where the money leaves from.")
@click.option("--category", required=True, help="e.g. hosting, tools, training.")
@click.option("--description", required=True, help="What it was for.")
@click.option("--proposal", required=True, help="Id of the passed proposal that authorised it.")
@click.option("--id", "entry_id", help="Entry id (default: a fresh exp-xxxxxxxx).")
@pass_ctx
def expense(ctx: Context, amount: str, currency: str, account: str, category: str, description: str, proposal: str, entry_id: str | None) -> None:
    """Spend from the treasury, naming the passed proposal that authorised it."""
    currency = check_currency(currency.upper())
    record(ctx, E.EXPENSE, {"id": entry_id or new_id("exp"), "amount": from_decimal(amount, currency), "currency": currency,
                            "account": account, "category": category, "description": description,
                            "authorised_by": proposal_reference(ctx.node.view(), proposal)})


@ledger.command()
@click.argument("amount")
@click.argument("currency")
@click.option("--from", "source", required=True, help="Account the value leaves (treasury, fund:NAME, member:H or assets:W).")
@click.option("--to", "target", required=True, help="Account it goes to (same family as --from).")
@click.option("--proposal", help="Passed proposal authorising it (needed when it leaves treasury or a fund).")
@click.option("--id", "entry_id", help="Entry id (default: a fresh tr-xxxxxxxx).")
@pass_ctx
def transfer(ctx: Context, amount: str, currency: str, source: str, target: str, proposal: str | None, entry_id: str | None) -> None:
    """Move value between two places (assets) or two owners (treasury, funds, members)."""
    currency = check_currency(currency.upper())
    fields: dict[str, Any] = {"id": entry_id or new_id("tr"), "amount": from_decimal(amount, currency), "currency": currency,
                              "from": source, "to": target}
    if proposal:
        fields["authorised_by"] = proposal_reference(ctx.node.view(), proposal)
    record(ctx, E.TRANSFER, fields)


@ledger.command("assert-balance")
@click.argument("account")
@click.argument("amount")
@click.argument("currency")
@click.option("--id", "entry_id", help="Entry id (default: a fresh chk-xxxxxxxx).")
@pass_ctx
def assert_balance(ctx: Context, account: str, amount: str, currency: str, entry_id: str | None) -> None:
    """Record that ACCOUNT holds exactly AMOUNT now (refused if it does not)."""
    currency = check_currency(currency.upper())
    record(ctx, E.ASSERT, {"id": entry_id or new_id("chk"), "account": account, "amount": from_decimal(amount, currency), "currency": currency})


@ledger.command()
@click.argument("index", type=int, required=False)
@click.option("--last", default=20, show_default=True, help="How many recent entries to list.")
@pass_ctx
def show(ctx: Context, index: int | None, last: int) -> None:
    """Show one entry in full, or list the most recent ones."""
    view = ctx.node.view()
    if index is not None:
        click.echo(json.dumps(json.loads(log.entry_at(view, index)), indent=2, ensure_ascii=False))
        return
    size = log.size(view)
    for i, raw in log.entries(view, max(0, size - last)):
        body = statements.parse(raw)[0]
        amount = f"{to_decimal(body['amount'], body['currency'])} {body['currency']}" if "currency" in body else ""
        click.echo(f"{i:>6}  {body['created'][:10]}  {body['type'].removeprefix(E.PREFIX).split('/')[0]:<8} {body['id']:<20} {amount:>16}  by {body['author']}")


def signed_balances(view: View) -> dict[tuple[str, str], int]:
    """Return balances as a person reads them: what each owner is owed, what each place holds."""
    return {key: E.as_read(key[0], amount) for key, amount in balances_now(view).items()}


@ledger.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (raw postings' sums) instead of a table.")
@pass_ctx
def balances(ctx: Context, as_json: bool) -> None:
    """Balances per member, treasury, fund, client and place, per currency."""
    view = ctx.node.view()
    if as_json:
        totals = balances_now(view)
        click.echo(json.dumps([{"account": a, "currency": c, "amount": n} for (a, c), n in sorted(totals.items())], indent=2))
        return
    groups: list[tuple[str, str | tuple[str, ...]]] = [("Owed to members", "member:"), ("Treasury and funds", ("treasury", "fund:")),
                                                       ("Waiting to be split", "income:"), ("Held at", "assets:")]
    for title, prefix in groups:
        rows = [(a, c, n) for (a, c), n in sorted(signed_balances(view).items()) if a.startswith(prefix) and n]
        if rows:
            click.echo(title)
            for account, currency, amount in rows:
                click.echo(f"  {account:<28} {to_decimal(amount, currency):>14} {currency}")


@ledger.command()
@pass_ctx
def verify(ctx: Context) -> None:
    """Re-check every entry, tile and the checkpoint from the repository alone."""
    node = ctx.node
    view = node.view()
    area = node.registry.area("ledger")
    bar, step = progress(log.size(view), "verifying ledger", " entries")
    with bar:
        problems = [p for check in area.checks for p in check(view, step)]  # type: ignore[call-arg]  # the ledger's checks take a progress callback
    if problems:
        for problem in problems:
            click.echo(f"BAD {problem}", err=True)
        raise SystemExit(f"ledger verification failed: first bad object: {problems[0]}")
    click.echo(f"ok: {log.size(view)} entries, tiles and checkpoint verified")
    policy = witness.policy(view)
    if policy is not None:
        cosigned = [name for name, size in witness.summary(view).items() if size == log.size(view)]
        state = "counts" if len(cosigned) >= policy.threshold else "does not count yet"
        click.echo(f"witnesses: {len(cosigned)} of the {policy.threshold} required cosigned this checkpoint; it {state}")


@ledger.command()
@click.argument("index", type=int)
@pass_ctx
def prove(ctx: Context, index: int) -> None:
    """Write the c2sp.org/tlog-proof receipt of entry INDEX (entry and cosignatures included) to stdout."""
    view = ctx.node.view()
    cosigned = Note.from_bytes(witness.cosigned_checkpoint(view))
    sys.stdout.buffer.write(log.receipt(view, index, cosigned).to_bytes())


@ledger.command("check-proof")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--vkey", required=True, help="The log's verifier key (`coop ledger vkey`).")
@click.option("--origin", help="The log origin (default: the key's name).")
@click.option("--witness", "witness_keys", multiple=True, help="A witness's verifier key (repeat); see --quorum.")
@click.option("--quorum", default=0, show_default=True, help="How many distinct witnesses must have cosigned.")
def check_proof(file: Path, vkey: str, origin: str | None, witness_keys: tuple[str, ...], quorum: int) -> None:
    """Verify a receipt offline, with nothing but the log's verifier key (and the witnesses' keys)."""
    data = file.read_bytes()
    proof = TlogProof.from_bytes(data)
    if proof.extra is None:
        raise BadInput("this receipt does not carry its entry (no extra line)")
    key = Verifier.from_vkey(vkey)
    witnesses = WitnessPolicy(tuple(Verifier.from_vkey(w) for w in witness_keys), quorum) if quorum else None
    checked = verify_tlog_proof(data, proof.extra, key, origin or key.name, witnesses)
    checkpoint = checked.checkpoint
    body = json.loads(proof.extra)["body"]
    cosigned = f", cosigned by {', '.join(name for name, _ in checked.cosigned_at)}" if checked.cosigned_at else ""
    click.echo(f"ok: entry {proof.index} ({body['id']}, {body['type']}) is in the log of {checkpoint.origin} at size {checkpoint.size}{cosigned}")


@ledger.command()
@pass_ctx
def checkpoint(ctx: Context) -> None:
    """Print the current signed checkpoint with the witnesses' cosignatures for its size."""
    sys.stdout.write(witness.cosigned_checkpoint(ctx.node.view()).decode("utf-8"))


@ledger.command("witness-key")
@pass_ctx
def witness_key(ctx: Context) -> None:
    """Print your witness key (propose adding it to the charter's `witnesses` rule)."""
    handle = ctx.node.identity(ctx.identity).handle
    click.echo(keeper_keys.witness_for(ctx.node, handle).signer.verifier.to_vkey())


@ledger.command()
@pass_ctx
def cosign(ctx: Context) -> None:
    """Witness the checkpoint: check it extends the last one you cosigned, then cosign it."""
    node = ctx.node
    handle = node.identity(ctx.identity).handle
    witnessing = keeper_keys.witness_for(node, handle)
    checked, line = witnessing.cosign(node.view())
    node.write(witness.COSIGNATURE_TYPE, witness.cosignature_fields(checked, line), handle)
    witnessing.remember(checked)
    click.echo(f"cosigned the tree of {checked.size} entries as {line.name}")


@ledger.command("keeper-key")
@pass_ctx
def keeper_key(ctx: Context) -> None:
    """Make this node's log key and print its verifier key, to propose this node as the next log keeper.

    Nothing is published: the key signs checkpoints only once a proposal with the
    effect {"kind": "keeper", "node": ..., "vkey": ..., "url": ...} passes.
    """
    click.echo(keeper_keys.new_key(ctx.node))


@ledger.command()
@pass_ctx
def keepers(ctx: Context) -> None:
    """List the log keepers' terms: which node and key signs checkpoints from which tree size."""
    from ledger.keepers import terms  # the command's name shadows the module here

    for term in terms(ctx.node.view()):
        decided = f", by proposal {term.proposal}" if term.proposal else " (the founder's log.json)"
        click.echo(f"from size {term.first_size}: {term.keeper} {term.vkey}{decided}" + (f" at {term.url}" if term.url else ""))


@ledger.command()
@pass_ctx
def vkey(ctx: Context) -> None:
    """Print the log's verifier key (publish it; receipts are checked against it)."""
    click.echo(records.verifier(ctx.node.view()).to_vkey())


@ledger.command()
@click.option("--format", "fmt", type=click.Choice(["hledger", "beancount"]), required=True, help="Journal format.")
@pass_ctx
def export(ctx: Context, fmt: str) -> None:
    """Write the books as an hledger or beancount journal to stdout."""
    from ledger.export import to_beancount, to_hledger  # loaded only for this command

    bodies = [(index, body) for index, body, _ in records.entry_bodies(ctx.node.view())]
    click.echo((to_hledger if fmt == "hledger" else to_beancount)(bodies), nl=False)
