"""The ledger's index reads: entries with their postings, balances and earnings agree with the log they were indexed from."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from coop.node import Node
from ledger import entries as E
from ledger.balances import balances_now
from ledger.index import Balance, Earning, EntrySummary, find_balances, find_earnings, find_entries, find_entry

if TYPE_CHECKING:
    from tests.ledger.conftest import BooksFactory

COUNT = 80


@pytest.fixture(scope="module")
def books(books_factory: BooksFactory) -> Node:
    """Return a node whose log holds COUNT generated entries of every type."""
    return books_factory(COUNT)


@pytest.fixture(scope="module")
def everything(books: Node) -> list[EntrySummary]:
    """Return every indexed entry."""
    return books.index.query(find_entries)


def test_every_entry_is_found_in_log_order_with_postings_that_balance(books: Node, everything: list[EntrySummary]) -> None:
    assert [e.index for e in everything] == list(range(COUNT))
    for entry in everything:
        assert sorted((p.account, p.currency) for p in entry.postings) == [(p.account, p.currency) for p in entry.postings]
        for currency in {p.currency for p in entry.postings}:
            assert sum(p.amount for p in entry.postings if p.currency == currency) == 0


@pytest.mark.parametrize("field, value, keep", [
    ("kind", E.SPLIT, lambda e: e.type == E.SPLIT),
    ("member", "bob", lambda e: e.member == "bob"),
    ("client", "acme", lambda e: e.client == "acme"),
], ids=["of a type", "of a member", "of a client"])
def test_entries_are_found_by_type_member_and_client(books: Node, everything: list[EntrySummary], field: str, value: Any,
                                                     keep: Callable[[EntrySummary], bool]) -> None:
    found = books.index.query(lambda: find_entries(**{field: value}))

    assert found == [e for e in everything if keep(e)]
    assert found


def test_entries_of_a_period_are_those_dated_in_it(books: Node, everything: list[EntrySummary]) -> None:
    assert books.index.query(lambda: find_entries(period="2024")) == everything  # the books are written from 2024-01-01 on
    assert books.index.query(lambda: find_entries(period="2025")) == []


@pytest.mark.parametrize("size", [1, 7, COUNT])
def test_pages_of_entries_after_an_index_give_every_entry_once(books: Node, everything: list[EntrySummary], size: int) -> None:
    pages: list[EntrySummary] = []
    after = None
    while page := books.index.query(partial(find_entries, after=after, limit=size)):
        assert len(page) <= size
        pages += page
        after = page[-1].index

    assert pages == everything


def test_an_entry_is_found_by_its_id(books: Node, everything: list[EntrySummary]) -> None:
    assert books.index.query(lambda: find_entry(everything[5].entry_id)) == everything[5]
    assert books.index.query(lambda: find_entry("rev-none")) is None


def test_balances_are_the_sums_the_log_gives_by_account_and_currency(books: Node) -> None:
    sums = sorted(balances_now(books.view()).items())

    assert books.index.query(find_balances) == [Balance(account, currency, amount) for (account, currency), amount in sums]


def test_balances_of_a_family_or_an_account_and_after_one(books: Node) -> None:
    every = books.index.query(find_balances)
    members = books.index.query(lambda: find_balances("member:"))

    assert members == [b for b in every if b.account.startswith("member:")]
    assert books.index.query(lambda: find_balances("member:bob")) == [b for b in every if b.account == "member:bob"]
    after = (every[2].account, every[2].currency)
    assert books.index.query(lambda: find_balances(after=after, limit=3)) == every[3:6]


def test_earnings_are_a_members_shares_of_the_splits(books: Node, everything: list[EntrySummary]) -> None:
    shares = [Earning(e.created, e.project, e.client, -p.amount, p.currency)
              for e in everything if e.type == E.SPLIT for p in e.postings if p.account == "member:bob"]

    assert books.index.query(lambda: find_earnings("bob")) == shares
    assert shares
