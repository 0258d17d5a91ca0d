"""Journal export: hledger and bean-check accept the books and agree with our balances to the minor unit.

The tools are the real ones an accountant runs: hledger from Debian, beancount
from PyPI. A missing tool fails these tests; it never skips them.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from coop.node import Node
from ledger import balances, records
from ledger import entries as E
from ledger.export import beancount_account, dated, hledger_account, to_beancount, to_hledger
from ledger.money import from_decimal

ENTRIES = 1000
Balances = dict[tuple[str, str], int]


def tool(name: str) -> str:
    """Return the path of a command-line tool, failing the test (never skipping it) when it is missing."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `apt-get install -y hledger` and `pip install 'beancount>=3'` (CI installs both)")
    return found


def run(*command: str) -> str:
    """Run a tool and return its output, failing with its messages when it refuses."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}{result.stdout}"[:4000])
    return result.stdout


def refuses(*command: str) -> str:
    """Run a tool that must refuse its input; return what it said."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, f"{' '.join(command)} accepted the journal"
    return result.stderr + result.stdout


def hledger_balances(path: Path) -> Balances:
    """Return every non-zero balance hledger computes, in minor units."""
    out = run(tool("hledger"), "-f", str(path), "balance", "--flat", "--no-total", "-O", "csv", "--layout=bare")
    rows = list(csv.DictReader(io.StringIO(out)))
    return {(r["account"], r["commodity"]): from_decimal(r["balance"], r["commodity"]) for r in rows if from_decimal(r["balance"], r["commodity"])}


def beancount_balances(path: Path) -> Balances:
    """Return every non-zero balance summed from beancount's own parse of the ledger, in minor units."""
    try:
        from beancount import loader
        from beancount.core import data
    except ImportError:
        pytest.fail("beancount is not installed: `pip install 'beancount>=3'` (CI installs it)")
    directives, errors, _ = loader.load_file(str(path))
    assert not errors, [e.message for e in errors[:5]]
    totals: Balances = {}
    for directive in directives:
        if isinstance(directive, data.Transaction):
            for posting in directive.postings:
                units = posting.units
                assert units is not None and units.currency is not None
                key = (posting.account, units.currency)
                totals[key] = totals.get(key, 0) + from_decimal(str(units.number), units.currency)
    return {key: amount for key, amount in totals.items() if amount}


def our_balances(view_balances: E.Balances, name: Callable[[str], str]) -> Balances:
    """Return our non-zero balances under the journal's account names."""
    return {(name(account), currency): amount for (account, currency), amount in view_balances.items() if amount}


def body(kind: str, fields: Mapping[str, Any], created: str = "2024-03-01T10:00:00Z") -> dict[str, Any]:
    """Return an entry body as the log holds it, postings computed (the exports are pure: no node needed)."""
    return {"type": kind, "coop": "coop.example/books", "author": "alice", "seq": 1, "created": created, **E.with_postings(kind, fields)}


def revenue(entry_id: str, amount: int, created: str = "2024-03-01T10:00:00Z") -> dict[str, Any]:
    """Return a revenue body in EUR, arriving in assets:wise-eur."""
    fields = {"id": entry_id, "client": "acme", "project": None, "amount": amount, "currency": "EUR", "account": "wise-eur"}
    return body(E.REVENUE, fields, created)


def assertion(entry_id: str, amount: int, created: str = "2024-03-01T10:00:00Z") -> dict[str, Any]:
    """Return a balance assertion body on assets:wise-eur."""
    return body(E.ASSERT, {"id": entry_id, "account": "assets:wise-eur", "amount": amount, "currency": "EUR"}, created)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a journal file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def books(books_factory: Callable[[int], Node]) -> Node:
    """Return a node whose log holds 1,000 generated entries."""
    return books_factory(ENTRIES)


@pytest.fixture(scope="module")
def exported(books: Node, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Return the paths of the books exported in both formats."""
    entries = [(index, entry) for index, entry, _ in records.entry_bodies(books.view())]
    folder = tmp_path_factory.mktemp("export")
    return {"hledger": write(folder, "books.journal", to_hledger(entries)), "beancount": write(folder, "books.beancount", to_beancount(entries))}


@pytest.mark.parametrize(("account", "in_hledger", "in_beancount"), [
    ("assets:wise-eur", "assets:wise-eur", "Assets:Wise-eur"),
    ("income:acme", "income:clients:acme", "Income:Clients:Acme"),
    ("treasury", "equity:treasury", "Equity:Treasury"),
    ("fund:learners", "equity:funds:learners", "Equity:Funds:Learners"),
    ("member:bob", "liabilities:members:bob", "Liabilities:Members:Bob"),
    ("member:3d-studio", "liabilities:members:3d-studio", "Liabilities:Members:3d-studio"),
], ids=["assets", "income", "treasury", "fund", "member", "starts-with-digit"])
def test_accounts_map_to_the_classic_kinds(account: str, in_hledger: str, in_beancount: str) -> None:
    assert (hledger_account(account), beancount_account(account)) == (in_hledger, in_beancount)


def test_dates_follow_created_but_never_go_back() -> None:
    entries = [(0, revenue("a", 1, "2024-03-05T10:00:00Z")), (1, revenue("b", 1, "2024-03-02T10:00:00Z")),
               (2, revenue("c", 1, "2024-03-09T23:59:59Z")), (3, revenue("d", 1, "not a time"))]
    assert [day for day, _, _ in dated(entries)] == [date(2024, 3, 5), date(2024, 3, 5), date(2024, 3, 9), date(2024, 3, 9)]


def test_beancount_asserts_the_next_morning_and_later_entries_follow_it(tmp_path: Path) -> None:
    entries = [(0, revenue("a", 100)), (1, assertion("chk", 100)), (2, revenue("b", 50))]
    text = to_beancount(entries)
    assert "2024-03-02 balance Assets:Wise-eur  1.00 ~ 0 EUR" in text
    assert '2024-03-02 * "b: revenue from acme"' in text
    run(tool("bean-check"), str(write(tmp_path, "b.beancount", text)))


@pytest.mark.parametrize("off", [-1, 1], ids=["one-under", "one-over"])
def test_assertion_one_minor_unit_off_is_refused_by_both_tools(tmp_path: Path, off: int) -> None:
    entries = [(0, revenue("a", 150_000)), (1, assertion("chk", 150_000 + off)), (2, revenue("b", 7))]
    assert "balance assertion" in refuses(tool("hledger"), "-f", str(write(tmp_path, "j.journal", to_hledger(entries))), "check")
    assert "Balance failed" in refuses(tool("bean-check"), str(write(tmp_path, "b.beancount", to_beancount(entries))))


def test_free_text_stays_one_line_and_both_tools_read_it(tmp_path: Path) -> None:
    expense = body(E.EXPENSE, {"id": "exp-1", "category": "rent", "description": 'Desk; "Q1"\nback\\office', "amount": 5_000,
                               "currency": "EUR", "account": "wise-eur", "authorised_by": {"proposal": "p-1", "sha256": "0" * 64}})
    entries = [(0, revenue("a", 10_000)), (1, expense)]
    journal, ledger = to_hledger(entries), to_beancount(entries)
    assert 'exp-1: expense (rent): Desk, "Q1" back\\office  ; entry:exp-1' in journal
    assert '* "exp-1: expense (rent): Desk; \\"Q1\\" back\\\\office"' in ledger
    run(tool("hledger"), "-f", str(write(tmp_path, "j.journal", journal)), "check", "--strict", "ordereddates")
    run(tool("bean-check"), str(write(tmp_path, "b.beancount", ledger)))
    assert beancount_balances(tmp_path / "b.beancount")[("Equity:Treasury", "EUR")] == 5_000


@pytest.mark.parametrize("fmt", ["hledger", "beancount"])
def test_every_entry_is_exported_once_with_its_id_and_index(books: Node, exported: dict[str, Path], fmt: str) -> None:
    text = exported[fmt].read_text(encoding="utf-8")
    pattern = r"entry:(\S+), index:(\d+)," if fmt == "hledger" else r'entry: "(\S+)"\n  index: (\d+)\n'
    found = [(entry_id, int(index)) for entry_id, index in re.findall(pattern, text)]
    assert found == [(entry["id"], index) for index, entry, _ in records.entry_bodies(books.view())]
    assert len(found) == ENTRIES


def test_hledger_checks_the_exported_books(exported: dict[str, Path]) -> None:
    # --strict: every account and commodity is declared; ordereddates: dates never go back.
    run(tool("hledger"), "-f", str(exported["hledger"]), "check", "--strict", "ordereddates")


def test_bean_check_accepts_the_exported_books(exported: dict[str, Path]) -> None:
    assert run(tool("bean-check"), str(exported["beancount"])) == ""


def test_exported_books_hold_every_kind_of_movement(exported: dict[str, Path]) -> None:
    text = exported["hledger"].read_text(encoding="utf-8")
    kinds = {kind: len(re.findall(rf"kind:{kind}\b", text)) for kind in ("revenue", "split", "payout", "transfer", "assert")}
    assert min(kinds.values()) >= 5, kinds
    assert {" JPY", " KWD", " EUR", " USD"} <= {m for m in re.findall(r" [A-Z]{3}$", text, re.MULTILINE)}
    assert "referrer:" in text and "liaison:" in text and "fee:" in text


def test_hledger_balances_equal_ours(books: Node, exported: dict[str, Path]) -> None:
    assert hledger_balances(exported["hledger"]) == our_balances(balances.balances_now(books.view()), hledger_account)


def test_beancount_balances_equal_ours(books: Node, exported: dict[str, Path]) -> None:
    assert beancount_balances(exported["beancount"]) == our_balances(balances.balances_now(books.view()), beancount_account)
