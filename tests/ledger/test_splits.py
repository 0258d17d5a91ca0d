"""Split arithmetic: largest remainder in integers, policies, revenue splits (catalogue E)."""
from __future__ import annotations

import pickle
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.errors import BadInput, Invalid
from ledger.money import MAX_AMOUNT
from ledger.splits import SplitPolicy, allocate, compute_split

POLICY = SplitPolicy(treasury_bp=1000, referral_bp=500, referral_months=12, liaison_bp=200, funds={"learning": 300})  # type: ignore[arg-type]  # funds may be given as a mapping
TEAM = {"alice": 6000, "bob": 4000}


@pytest.mark.parametrize(("amount", "weights", "expected"), [
    (10_000, {"a": 3334, "b": 3333, "c": 3333}, {"a": 3334, "b": 3333, "c": 3333}),
    (10_001, {"a": 8000, "b": 500, "c": 1500}, {"a": 8001, "b": 500, "c": 1500}),
    (1, {"a": 5000, "b": 5000}, {"a": 1, "b": 0}),
], ids=["thirds", "80-5-15", "one-cent-halves"])
def test_allocation_matches_the_reference_known_answers(amount: int, weights: dict[str, int], expected: dict[str, int]) -> None:
    assert allocate(amount, weights) == expected


def test_allocation_tie_goes_to_the_first_key_in_sorted_order() -> None:
    assert allocate(1, {"zoe": 1, "amy": 1}) == {"zoe": 0, "amy": 1}


def test_allocation_of_zero_gives_every_key_zero() -> None:
    assert allocate(0, {"a": 1, "b": 2}) == {"a": 0, "b": 0}


@pytest.mark.parametrize(("amount", "weights"), [
    (-1, {"a": 1}), (1.0, {"a": 1}), (True, {"a": 1}), (MAX_AMOUNT + 1, {"a": 1}),
    (1, {}), (1, {"a": 0, "b": 0}), (1, {"a": -1, "b": 2}), (1, {"a": True}), (1, {"a": 0.5}),
], ids=["negative-amount", "float-amount", "bool-amount", "huge-amount", "no-weights", "zero-weights",
        "negative-weight", "bool-weight", "float-weight"])
def test_impossible_allocation_is_refused(amount: object, weights: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        allocate(amount, weights)  # type: ignore[arg-type]


@given(st.integers(0, MAX_AMOUNT), st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 10_000), min_size=1, max_size=8).filter(lambda w: sum(w.values()) > 0))
def test_allocation_sums_to_the_amount_with_no_negative_part(amount: int, weights: dict[str, int]) -> None:
    parts = allocate(amount, weights)
    assert sum(parts.values()) == amount
    total = sum(weights.values())
    for key, part in parts.items():
        assert amount * weights[key] // total <= part <= amount * weights[key] // total + 1


@pytest.mark.parametrize("fields", [
    {"treasury_bp": -1}, {"referral_bp": 1.5}, {"liaison_bp": True}, {"referral_months": 0},
    {"referral_months": "12"}, {"funds": {"Bad Name": 10}}, {"funds": {"ok": -5}}, {"funds": [("ok", 5)]},
    {"funds": (("ok", 5), ("ok", 6))}, {"funds": (("ok", 5, 6),)},
], ids=["negative", "float", "bool", "zero-months", "months-as-text", "bad-fund-name", "negative-fund", "funds-not-a-mapping",
        "fund-named-twice", "fund-not-a-pair"])
def test_malformed_policy_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        SplitPolicy(**fields)  # type: ignore[arg-type]


def test_policy_whose_fixed_shares_exceed_the_whole_is_refused() -> None:
    with pytest.raises(Invalid):
        SplitPolicy(treasury_bp=6000, referral_bp=2000, liaison_bp=1000, funds={"learning": 1001})  # type: ignore[arg-type]  # funds may be given as a mapping


def test_policy_may_take_the_whole_amount() -> None:
    assert SplitPolicy(treasury_bp=10_000).fixed_bp == 10_000


def test_policy_round_trips_through_its_record() -> None:
    assert SplitPolicy.from_dict(POLICY.to_dict()) == POLICY
    assert "referral_months" not in SplitPolicy().to_dict()


def test_policy_record_with_unknown_field_is_refused() -> None:
    with pytest.raises(BadInput, match="bonus_bp"):
        SplitPolicy.from_dict({"treasury_bp": 100, "bonus_bp": 5})


def test_policy_keeps_funds_as_sorted_pairs_whatever_the_order_given() -> None:
    policy = SplitPolicy(funds={"tools": 100, "learning": 300})  # type: ignore[arg-type]  # funds may be given as a mapping
    assert policy.funds == (("learning", 300), ("tools", 100))
    assert policy == SplitPolicy(funds={"learning": 300, "tools": 100})  # type: ignore[arg-type]  # funds may be given as a mapping
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert replace(policy, treasury_bp=100).funds == policy.funds


def test_split_gives_every_role_its_share_and_the_team_the_rest() -> None:
    postings = compute_split(POLICY, 150_000, "EUR", TEAM, referrer="carol", referral_active=True, liaison="dave")
    assert postings == [
        ("fund:learning", 4500),
        ("member:alice", 72000),
        ("member:bob", 48000),
        ("member:carol", 7500),
        ("member:dave", 3000),
        ("treasury", 15000),
    ]


@pytest.mark.parametrize(("referrer", "active", "liaison", "team_bp"), [
    (None, True, "dave", 8500),
    ("carol", False, "dave", 8500),
    ("carol", True, None, 8200),
    (None, False, None, 8700),
], ids=["no-referrer", "expired-referral", "no-liaison", "neither"])
def test_missing_referrer_or_liaison_share_goes_to_the_team(referrer: str | None, active: bool, liaison: str | None, team_bp: int) -> None:
    postings = dict(compute_split(POLICY, 100_000, "EUR", TEAM, referrer=referrer, referral_active=active, liaison=liaison))
    assert postings["member:alice"] + postings["member:bob"] == team_bp * 10
    assert sum(postings.values()) == 100_000


def test_member_with_several_roles_gets_one_summed_posting() -> None:
    postings = compute_split(POLICY, 100_000, "EUR", TEAM, referrer="alice", referral_active=True, liaison="alice")
    assert dict(postings)["member:alice"] == 5000 + 2000 + 48000
    assert [account for account, _ in postings].count("member:alice") == 1


def test_zero_parts_are_left_out() -> None:
    assert compute_split(SplitPolicy(), 1, "JPY", {"amy": 5000, "zoe": 5000}, None, False, None) == [("member:amy", 1)]


@pytest.mark.parametrize(("team", "error"), [
    ({}, Invalid), ({"alice": 5000}, Invalid), ({"alice": 6000, "bob": 5000}, Invalid),
    ({"alice": 10_000.0}, BadInput), ({"Alice": 10_000}, BadInput), ({"../x": 10_000}, BadInput),
], ids=["empty-team", "under-whole", "over-whole", "float-share", "upper-case-handle", "path-handle"])
def test_malformed_team_is_refused(team: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        compute_split(POLICY, 100, "EUR", team, None, False, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "currency"), [(-100, "EUR"), (100, "XYZ"), (1.5, "EUR")], ids=["negative", "unknown-currency", "float"])
def test_split_of_invalid_money_is_refused(amount: object, currency: str) -> None:
    with pytest.raises(BadInput):
        compute_split(POLICY, amount, currency, TEAM, None, False, None)  # type: ignore[arg-type]


HANDLES = st.sampled_from(["amy", "bob", "cy", "dee", "eve"])


@given(
    st.integers(0, MAX_AMOUNT),
    st.lists(st.integers(0, 2500), min_size=4, max_size=4),
    st.lists(HANDLES, min_size=1, max_size=5, unique=True).flatmap(
        lambda handles: st.lists(st.integers(1, 100), min_size=len(handles), max_size=len(handles)).map(lambda w: (handles, w))
    ),
    st.one_of(st.none(), HANDLES),
    st.booleans(),
    st.one_of(st.none(), HANDLES),
)
def test_split_always_sums_to_the_amount_with_no_negative_part(
    amount: int, fixed: list[int], team: tuple[list[str], list[int]], referrer: str | None, active: bool, liaison: str | None,
) -> None:
    handles, weights = team
    shares = allocate(10_000, dict(zip(handles, weights, strict=False)))
    policy = SplitPolicy(treasury_bp=fixed[0], referral_bp=fixed[1], liaison_bp=fixed[2], funds={"learning": fixed[3]})  # type: ignore[arg-type]  # funds may be given as a mapping
    postings = compute_split(policy, amount, "EUR", shares, referrer, active, liaison)
    assert sum(part for _, part in postings) == amount
    assert all(part > 0 for _, part in postings)
    assert postings == compute_split(policy, amount, "EUR", shares, referrer, active, liaison)
