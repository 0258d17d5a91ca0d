"""The books as a plain-text journal for hledger or beancount, so anyone can check them with their own tools.

Both exports take the entries in log order, (index, body) pairs as
`records.entry_bodies` yields them (drop the raw bytes), and return the journal as
text. Nothing is read or written here.

Accounts map to the five classic kinds, keeping our signs (so a journal balance
equals ours to the minor unit): `assets:x` -> assets:x, `income:c` ->
income:clients:c, `treasury` -> equity:treasury, `fund:n` -> equity:funds:n,
`member:h` -> liabilities:members:h. Beancount wants every component to start
with a capital letter or digit: ids are lower-case a-z, 0-9 and '-', so the
first letter is capitalised (assets:wise-eur -> Assets:Wise-eur), which maps
distinct ids to distinct names.

Dates: an entry is dated on the day of its `created` time, but never before the
entry logged before it. Both tools order a journal by date, while our balances
(and so our balance assertions) follow log order; without this an entry signed
with an earlier clock would move before entries it follows in the log.

Balance assertions: in hledger, a posting of zero with `= amount`, checked
after the entries before it on the same day (hledger keeps file order within a
day). Beancount's `balance` checks the balance at the start of its day, before
that day's transactions, so an assertion taken after entry n is dated the day
after entry n and every later entry is dated that day or after: the journal
moves later entries forward by a day rather than weaken the check. Its
tolerance is written as `~ 0`, because beancount would otherwise accept a
balance one minor unit off (its default tolerance for 2 decimal places is 0.01).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from ledger import entries as E
from ledger.money import CURRENCIES, CurrencyCode, MinorUnits, to_decimal
from ledger.splits import TREASURY

Entry = tuple[int, Mapping[str, Any]]
Dated = tuple[date, int, Mapping[str, Any]]

FIRST_DAY = date(1970, 1, 1)
POSTING_WIDTH = 56
NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\s]+")

_PATHS: dict[str, tuple[str, ...]] = {
    "assets": ("assets",),
    "income": ("income", "clients"),
    "fund": ("equity", "funds"),
    "member": ("liabilities", "members"),
}


def account_path(account: E.Account) -> tuple[str, ...]:
    """Return the journal components of one of our accounts, e.g. member:bob -> (liabilities, members, bob)."""
    if E.check_account(account) == TREASURY:
        return ("equity", "treasury")
    prefix, _, name = account.partition(":")
    return (*_PATHS[prefix], name)


def hledger_account(account: E.Account) -> str:
    """Return the hledger name of an account, e.g. fund:learners -> equity:funds:learners."""
    return ":".join(account_path(account))


def beancount_account(account: E.Account) -> str:
    """Return the beancount name of an account, e.g. assets:wise-eur -> Assets:Wise-eur."""
    return ":".join(part[0].upper() + part[1:] for part in account_path(account))


def dated(entries: Iterable[Entry], days_after_assertion: int = 0) -> Iterator[Dated]:
    """Yield (date, index, body): the day of `created`, never earlier than the entry before.

    An assertion is dated `days_after_assertion` days after that, and the entries
    after it never earlier than the assertion (beancount asserts at the start of a day).
    """
    floor: date | None = None
    for index, body in entries:
        known = [d for d in (floor, _created_day(body)) if d is not None]
        day = max(known) if known else FIRST_DAY
        if body["type"] == E.ASSERT:
            day += timedelta(days=days_after_assertion)
        floor = day
        yield day, index, body


def _created_day(body: Mapping[str, Any]) -> date | None:
    """Return the day of an entry's `created` time, or None when it is not a date (the time is informational)."""
    try:
        return date.fromisoformat(str(body.get("created", ""))[:10])
    except ValueError:
        return None


def one_line(text: str) -> str:
    """Return text as one line of printable characters, runs of spaces and control characters made one space."""
    return NOT_PRINTABLE.sub(" ", text).strip()


def describe(body: Mapping[str, Any]) -> str:
    """Return a one-line description of an entry, starting with its id."""
    kind = body["type"]
    if kind == E.REVENUE:
        what = f"revenue from {body['client']}" + (f" for project {body['project']}" if body.get("project") else "")
    elif kind == E.SPLIT:
        what = f"split of revenue {body['revenue']['id']} (entry {body['revenue']['index']})"
    elif kind == E.PAYOUT:
        what = f"payout to {body['member']} by {body['method']}"
    elif kind == E.EXPENSE:
        what = f"expense ({body['category']}): {body['description']}"
    elif kind == E.TRANSFER:
        what = f"transfer from {body['from']} to {body['to']}"
    else:
        what = f"balance of {body['account']}"
    return one_line(f"{body['id']}: {what}")


def metadata(index: int, body: Mapping[str, Any]) -> dict[str, str]:
    """Return what a journal records about an entry besides its postings: id, log index, author and details."""
    meta = {"entry": body["id"], "index": str(index), "author": body["author"], "kind": body["type"][len(E.PREFIX):].split("/")[0]}
    if body["type"] == E.PAYOUT:
        meta["fee"] = amount_text(body["fee"], body["currency"])
        meta["arrived"] = amount_text(body["arrived"]["amount"], body["arrived"]["currency"])
        meta["rate"] = body["rate"]
    for role in ("referrer", "liaison"):
        if body.get(role):
            meta[role] = body[role]
    if "authorised_by" in body:
        meta["proposal"] = body["authorised_by"]["proposal"]
    return meta


def amount_text(amount: MinorUnits, currency: CurrencyCode) -> str:
    """Return an amount as the journals write it, e.g. 1500.00 EUR or 300 JPY."""
    return f"{to_decimal(amount, currency)} {currency}"


def _first_uses(entries: Iterable[Dated]) -> tuple[dict[E.Account, date], set[CurrencyCode]]:
    """Return the day each account is first used, and every currency used."""
    opened: dict[E.Account, date] = {}
    currencies: set[CurrencyCode] = set()
    for day, _, body in entries:
        for account, _, currency in _touched(body):
            opened.setdefault(account, day)
            currencies.add(currency)
    return opened, currencies


def _touched(body: Mapping[str, Any]) -> list[E.Posting]:
    """Return the postings of an entry, or for an assertion the account and currency it checks."""
    if body["type"] == E.ASSERT:
        return [(body["account"], body["amount"], body["currency"])]
    return E.postings_of(body)


def _posting(indent: str, account: str, amount: str) -> str:
    """Return a posting line with the amounts right-aligned (both tools need two spaces before an amount)."""
    return f"{indent}{account}  {amount.rjust(max(POSTING_WIDTH - len(account), len(amount)))}"


def to_hledger(entries: Iterable[Entry]) -> str:
    """Return an hledger journal of the entries (passes `hledger check --strict ordereddates`)."""
    rows = list(dated(entries))
    opened, currencies = _first_uses(rows)
    lines = ["; The co-op's books, exported from its signed log. Dates never go back: balances follow log order.",
             "decimal-mark .", ""]
    # A commodity directive needs a decimal mark even with no decimals ("1000."); it fixes display precision.
    lines += [f"commodity 1000.{'0' * CURRENCIES[c]} {c}" for c in sorted(currencies)] + [""]
    lines += [f"account {hledger_account(a)}" for a in sorted(opened, key=hledger_account)]
    for day, index, body in rows:
        tags = ", ".join(f"{key}:{value}" for key, value in metadata(index, body).items())
        # hledger reads ';' as the start of a comment, so it cannot stay in a description.
        lines += ["", f"{day.isoformat()} {describe(body).replace(';', ',')}  ; {tags}"]
        if body["type"] == E.ASSERT:
            zero = amount_text(0, body["currency"])
            lines.append(_posting("    ", hledger_account(body["account"]), f"{zero} = {amount_text(body['amount'], body['currency'])}"))
        else:
            lines += [_posting("    ", hledger_account(a), amount_text(n, c)) for a, n, c in E.postings_of(body)]
    return "\n".join(lines) + "\n"


def beancount_string(text: str) -> str:
    """Return text as a beancount string literal."""
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _beancount_meta(index: int, body: Mapping[str, Any]) -> list[str]:
    meta = metadata(index, body)
    return [f"  {key}: {value if key == 'index' else beancount_string(value)}" for key, value in meta.items()]


def to_beancount(entries: Iterable[Entry]) -> str:
    """Return a beancount ledger of the entries (passes `bean-check`), accounts opened on their first day."""
    rows = list(dated(entries, days_after_assertion=1))
    opened, currencies = _first_uses(rows)
    lines = ['option "title" "The co-op\'s books, exported from its signed log"']
    lines += [f"option \"operating_currency\" \"{c}\"" for c in sorted(currencies)]
    opening: dict[date, list[E.Account]] = {}
    for account, day in opened.items():
        opening.setdefault(day, []).append(account)
    for day, index, body in rows:
        lines += [""] + [f"{day.isoformat()} open {beancount_account(a)}" for a in sorted(opening.pop(day, []), key=beancount_account)]
        if body["type"] == E.ASSERT:
            # `~ 0`: an exact check; beancount's default tolerance lets a balance one minor unit off pass.
            amount = to_decimal(body["amount"], body["currency"])
            lines.append(f"{day.isoformat()} balance {beancount_account(body['account'])}  {amount} ~ 0 {body['currency']}")
            lines += _beancount_meta(index, body)
            continue
        lines.append(f"{day.isoformat()} * {beancount_string(describe(body))}")
        lines += _beancount_meta(index, body)
        lines += [_posting("  ", beancount_account(a), amount_text(n, c)) for a, n, c in E.postings_of(body)]
    return "\n".join(lines) + "\n"

