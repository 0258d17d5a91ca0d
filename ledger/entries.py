"""Ledger entries: what each kind says, the postings it must carry, and balances.

Every entry records its postings explicitly, and every verifier recomputes them
from the entry's fields and refuses an entry whose postings differ. Postings are
integer minor units and sum to exactly zero per currency.

Accounts, and the sign of a balance:
- `assets:<where>`: money the co-op holds (a Wise balance, a bank account, cash); positive.
- `income:<client>`: revenue received from a client and not yet split; negative until split.
- `treasury`, `fund:<name>`, `member:<handle>`: who the money belongs to; negative
  means the co-op holds that much for them (a member's balance of -1500 is 15.00 owed).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from coop.errors import BadInput, Forbidden, Invalid
from coop.ids import check_id
from ledger.money import CurrencyCode, MinorUnits, check_amount, check_currency, to_decimal
from ledger.splits import TREASURY, SplitPolicy, compute_split, member_account

PREFIX = "coop.ledger."
REVENUE = PREFIX + "revenue/v1"
SPLIT = PREFIX + "split/v1"
PAYOUT = PREFIX + "payout/v1"
EXPENSE = PREFIX + "expense/v1"
TRANSFER = PREFIX + "transfer/v1"
ASSERT = PREFIX + "assert/v1"
TYPES = (REVENUE, SPLIT, PAYOUT, EXPENSE, TRANSFER, ASSERT)

PAYOUT_METHODS = ("bank", "wise", "mobile-money", "cash", "paypal", "other")
RATE = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,12})?")
HEX64 = re.compile(r"[0-9a-f]{64}")

Account = str
Posting = tuple[Account, MinorUnits, CurrencyCode]
Balances = dict[tuple[Account, CurrencyCode], MinorUnits]


def asset_account(where: object) -> Account:
    """Return the account of a place money is held."""
    return f"assets:{check_id(where, 'account')}"


def income_account(client: object) -> Account:
    """Return the account revenue from a client waits in until it is split."""
    return f"income:{check_id(client, 'client')}"


def check_account(account: object) -> Account:
    """Refuse an account name outside the chart of accounts."""
    if account == TREASURY:
        return TREASURY
    if isinstance(account, str) and ":" in account:
        prefix, _, name = account.partition(":")
        if prefix in ("assets", "income", "fund", "member"):
            check_id(name, "account name")
            return account
    raise BadInput(f"unknown account {account!r}: use assets:<where>, income:<client>, treasury, fund:<name> or member:<handle>")


def is_common_money(account: Account) -> bool:
    """Tell whether an account belongs to the collective as a whole (leaving it needs a proposal)."""
    return account == TREASURY or account.startswith("fund:")


@dataclass(frozen=True)
class Authorisation:
    """The passed proposal that lets money leave the common treasury: its id and content hash."""

    proposal: str
    sha256: str

    @classmethod
    def from_dict(cls, data: object) -> Authorisation:
        """Parse `authorised_by` from an entry."""
        if not isinstance(data, Mapping) or set(data) != {"proposal", "sha256"}:
            raise BadInput("authorised_by is an object with exactly 'proposal' and 'sha256'")
        if not isinstance(data["sha256"], str) or not HEX64.fullmatch(data["sha256"]):
            raise BadInput("authorised_by.sha256 must be 64 lower-case hex digits")
        return cls(check_id(data["proposal"], "proposal id"), data["sha256"])


def _money(body: Mapping[str, Any], field: str = "amount", positive: bool = True) -> tuple[MinorUnits, CurrencyCode]:
    amount = check_amount(body.get(field))
    currency = check_currency(body.get("currency"))
    if positive and amount <= 0:
        raise Invalid(f"{field} must be more than zero")
    return amount, currency


def _optional_handle(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    return None if value is None else check_id(value, field)


def expected_postings(body: Mapping[str, Any]) -> list[Posting]:
    """Compute the postings an entry's fields imply; raise on malformed fields."""
    kind = body.get("type")
    if kind == REVENUE:
        amount, currency = _money(body)
        return [(asset_account(body.get("account")), amount, currency), (income_account(body.get("client")), -amount, currency)]
    if kind == SPLIT:
        amount, currency = _money(body)
        policy = SplitPolicy.from_dict(body.get("policy"))
        team = body.get("team")
        if not isinstance(team, Mapping):
            raise BadInput("split team must map handles to basis points")
        for handle in team:
            check_id(handle, "team member")
        active = body.get("referral_active")
        if not isinstance(active, bool):
            raise BadInput("referral_active must be true or false")
        parts = compute_split(policy, amount, currency, dict(team), _optional_handle(body, "referrer"), active,
                              _optional_handle(body, "liaison"))
        return [(income_account(body.get("client")), amount, currency)] + [(account, -part, currency) for account, part in parts]
    if kind == PAYOUT:
        amount, currency = _money(body)
        _check_payout_details(body, amount)
        return [(member_account(check_id(body.get("member"), "member")), amount, currency), (asset_account(body.get("account")), -amount, currency)]
    if kind == EXPENSE:
        amount, currency = _money(body)
        check_id(body.get("category"), "category")
        _check_text(body, "description")
        return [(TREASURY, amount, currency), (asset_account(body.get("account")), -amount, currency)]
    if kind == TRANSFER:
        amount, currency = _money(body)
        source, target = check_account(body.get("from")), check_account(body.get("to"))
        if source == target:
            raise Invalid("a transfer needs two different accounts")
        if source.startswith("assets:") != target.startswith("assets:") or source.startswith("income:") or target.startswith("income:"):
            raise Invalid("a transfer moves money between two places (assets) or between two owners (treasury, funds, members)")
        if source.startswith("assets:"):
            return [(target, amount, currency), (source, -amount, currency)]
        return [(source, amount, currency), (target, -amount, currency)]
    if kind == ASSERT:
        check_account(body.get("account"))
        _money(body, positive=False)
        return []
    raise BadInput(f"{kind!r} is not a ledger entry type")


def _check_payout_details(body: Mapping[str, Any], amount: MinorUnits) -> None:
    if body.get("method") not in PAYOUT_METHODS:
        raise BadInput(f"payout method must be one of {', '.join(PAYOUT_METHODS)}")
    fee = check_amount(body.get("fee"))
    if not 0 <= fee <= amount:
        raise Invalid("the fee must be between zero and the amount paid out")
    arrived = body.get("arrived")
    if not isinstance(arrived, Mapping) or set(arrived) != {"amount", "currency"}:
        raise BadInput("arrived is an object with 'amount' and 'currency' (what reached the member)")
    if check_amount(arrived["amount"]) < 0:
        raise Invalid("the amount that arrived cannot be negative")
    check_currency(arrived["currency"])
    rate = body.get("rate")
    if not isinstance(rate, str) or not RATE.fullmatch(rate) or Decimal(rate) == 0:
        raise BadInput("rate is a positive decimal string, e.g. '1' or '1.0834' (units of the arrived currency per unit paid)")


def _check_text(body: Mapping[str, Any], field: str, limit: int = 500) -> None:
    value = body.get(field)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise BadInput(f"{field} must be text of 1-{limit} characters")


def postings_of(body: Mapping[str, Any]) -> list[Posting]:
    """Parse the postings recorded in an entry."""
    raw = body.get("postings")
    if not isinstance(raw, list):
        raise BadInput("an entry lists its postings")
    out = []
    for item in raw:
        if not isinstance(item, Mapping) or set(item) != {"account", "amount", "currency"}:
            raise BadInput("each posting is an object with exactly 'account', 'amount' and 'currency'")
        out.append((check_account(item["account"]), check_amount(item["amount"]), check_currency(item["currency"])))
    return out


def postings_field(postings: Iterable[Posting]) -> list[dict[str, Any]]:
    """Return postings as an entry records them: sorted, one object each."""
    return [{"account": a, "amount": n, "currency": c} for a, n, c in sorted(postings)]


def check_entry(body: Mapping[str, Any]) -> list[Posting]:
    """Check an entry on its own: fields, recorded postings equal to recomputed ones, zero sums."""
    check_id(body.get("id"), "entry id")
    recorded = postings_of(body)
    if sorted(recorded) != sorted(expected_postings(body)):
        raise Invalid(f"entry {body.get('id')}: recorded postings differ from what its fields imply")
    sums: dict[CurrencyCode, int] = {}
    for _, amount, currency in recorded:
        sums[currency] = sums.get(currency, 0) + amount
    unbalanced = {c: s for c, s in sums.items() if s != 0}
    if unbalanced:
        raise Invalid(f"entry {body.get('id')}: postings do not sum to zero: {unbalanced}")
    if money_leaving_common(recorded) and "authorised_by" not in body:
        raise Invalid(f"entry {body.get('id')}: money leaves the common treasury without naming the proposal that authorised it")
    if "authorised_by" in body:
        Authorisation.from_dict(body["authorised_by"])
    return recorded


def apply(balances: Balances, body: Mapping[str, Any]) -> None:
    """Add an entry's postings to running balances, checking a balance assertion against them."""
    if body["type"] == ASSERT:
        key = (body["account"], body["currency"])
        actual = balances.get(key, 0)
        if actual != body["amount"]:
            held, claimed = to_decimal(actual, body["currency"]), to_decimal(body["amount"], body["currency"])
            raise Invalid(f"balance assertion {body['id']}: {body['account']} holds {held} {body['currency']}, not {claimed}")
        return
    for posting in body["postings"]:  # checked by check_entry before any entry is applied
        key = (posting["account"], posting["currency"])
        balances[key] = balances.get(key, 0) + posting["amount"]


def as_read(account: Account, amount: MinorUnits) -> MinorUnits:
    """Return a balance as a person reads it: what a place holds, or what the co-op owes an owner."""
    return amount if account.startswith("assets:") else -amount


def overdrawn(balances: Balances, postings: Iterable[Posting]) -> list[str]:
    """Say which accounts an entry's postings left overdrawn: an owner owing the co-op, a place below zero.

    Owners' balances are negative while the co-op holds money for them, so a
    payout, expense or transfer may take a claim down to zero and no further.
    """
    found = []
    for account, _, currency in sorted(set(postings)):
        balance = balances.get((account, currency), 0)
        if account.startswith("assets:") and balance < 0:
            found.append(f"{account} would hold {to_decimal(balance, currency)} {currency}")
        elif (is_common_money(account) or account.startswith("member:")) and balance > 0:
            found.append(f"{account} would owe the co-op {to_decimal(balance, currency)} {currency}")
    return found


def members_named(body: Mapping[str, Any], postings: Iterable[Posting]) -> list[str]:
    """Return the members whose accounts an entry moves money in or out of, or (an assertion) states the balance of."""
    accounts = [account for account, _, _ in postings] + ([body["account"]] if body["type"] == ASSERT else [])
    return sorted({account[len("member:"):] for account in accounts if account.startswith("member:")})


def check_owner_moves(body: Mapping[str, Any], treasurers: Collection[str]) -> None:
    """Refuse money out of a member's account signed by anyone but that member (or, for a payout, a treasurer)."""
    author = body["author"]
    if body["type"] == TRANSFER and body["from"].startswith("member:") and body["from"] != f"member:{author}":
        raise Forbidden(f"only {body['from'][7:]!r} moves money out of their own account")
    if body["type"] == PAYOUT and body["member"] != author and author not in treasurers:
        named = ", ".join(sorted(treasurers)) or "nobody yet"
        raise Forbidden(f"a payout to {body['member']!r} is recorded only by {body['member']!r} or a treasurer the charter names "
                        f"({named}), not by {author!r}")


def check_within_means(balances: Balances, body: Mapping[str, Any], postings: Sequence[Posting]) -> None:
    """Refuse an entry that would leave an account overdrawn (or whose assertion fails), given the balances before it."""
    if body["type"] == ASSERT:
        apply(balances, body)  # an assertion moves no money: this only checks it
        return
    after = {(account, currency): balances.get((account, currency), 0) for account, _, currency in postings}
    apply(after, body)
    problems = overdrawn(after, postings)
    if problems:
        raise Invalid(f"overdrawn: {'; '.join(problems)}")


def takes_money_out(postings: Iterable[Posting]) -> bool:
    """Tell whether an entry lowers what someone is owed or what a place holds (and so could overdraw it)."""
    return any((a.startswith("assets:") and n < 0) or ((is_common_money(a) or a.startswith("member:")) and n > 0) for a, n, _ in postings)


def spent_under(bodies: Iterable[Mapping[str, Any]], proposal: str, currency: str) -> MinorUnits:
    """Return how much earlier entries already took from common money under one proposal."""
    return sum(b["amount"] for b in bodies if b.get("authorised_by", {}).get("proposal") == proposal and b.get("currency") == currency)


def split_fields(revenue_index: int, revenue_leaf_hash: str, revenue: Mapping[str, Any], policy: SplitPolicy, policy_sha256: str,
                 team: Mapping[str, int], referrer: str | None, referral_active: bool, liaison: str | None) -> dict[str, Any]:
    """Return the fields of the split of one revenue entry, postings computed."""
    fields: dict[str, Any] = {
        "id": f"split-{revenue_index}",
        "revenue": {"index": revenue_index, "leaf_hash": revenue_leaf_hash, "id": revenue["id"]},
        "client": revenue["client"], "project": revenue.get("project"), "amount": revenue["amount"], "currency": revenue["currency"],
        "policy": policy.to_dict(), "policy_sha256": policy_sha256,
        "team": dict(sorted(team.items())), "referrer": referrer, "referral_active": referral_active, "liaison": liaison,
    }
    fields["postings"] = postings_field(expected_postings({"type": SPLIT, **fields}))
    return fields


def with_postings(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return entry fields with their postings computed, ready to sign."""
    out = dict(fields)
    out["postings"] = postings_field(expected_postings({"type": kind, **fields}))
    return out


def money_leaving_common(postings: Sequence[Posting]) -> bool:
    """Tell whether any posting takes money out of the treasury or a fund."""
    return any(is_common_money(a) and n > 0 for a, n, _ in postings)
