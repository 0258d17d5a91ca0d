"""Voting methods: ballots, quorum, consent, (super)majority, instant runoff and tally records."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.errors import BadInput, Invalid
from governance.methods import (
    CHOICES,
    RANK,
    Ballot,
    Method,
    Outcome,
    Round,
    Rules,
    Tally,
    quorum_needed,
    tally,
)

MEMBERS = frozenset({"ann", "bo", "cy", "di", "ed", "fay", "gus", "hal"})
CANDIDATES = ("ann", "bo", "cy", "di")


def cast(text: str) -> list[Ballot]:
    """Read ballots, one a line: 'voter choice [reason]', or 'voter: a > b > c' to rank options."""
    ballots = []
    for line in text.strip().splitlines():
        voter, sep, ranking = line.partition(":")
        if sep:
            ballots.append(Ballot(voter.strip(), RANK, ranking=tuple(o.strip() for o in ranking.split(">"))))
        else:
            voter, choice, *reason = line.split(maxsplit=2)
            ballots.append(Ballot(voter, choice, " ".join(reason)))
    return ballots


def count(method: Method, text: str, rules: Rules = Rules(), eligible: frozenset[str] = MEMBERS) -> Tally:
    """Tally readable ballots of the eight members, ranked ballots over CANDIDATES."""
    options = CANDIDATES if method is Method.RANKED_CHOICE else ()
    return tally(method, cast(text), eligible, rules, options)


# Ballots


@pytest.mark.parametrize("choice", ["object", "block"])
@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_objecting_or_blocking_without_reason_is_refused(choice: str, reason: str) -> None:
    with pytest.raises(BadInput, match="reason"):
        Ballot("ann", choice, reason)


@pytest.mark.parametrize(
    ("voter", "choice", "ranking"),
    [
        ("ann", "maybe", ()),
        ("ann", "yes", ("bo",)),
        ("ann", RANK, ()),
        ("ann", RANK, ("bo", "cy", "bo")),
        ("ann", RANK, ("Bo",)),
        ("../ann", "yes", ()),
    ],
    ids=["unknown-choice", "ranking-without-rank", "rank-without-ranking", "repeated-option", "bad-option-id",
         "bad-voter"],
)
def test_malformed_ballot_is_refused(voter: str, choice: str, ranking: tuple[str, ...]) -> None:
    with pytest.raises(BadInput):
        Ballot(voter, choice, ranking=ranking)


@pytest.mark.parametrize(
    ("method", "ballot"),
    [
        (Method.CONSENT, "ann yes"),
        (Method.MAJORITY, "ann agree"),
        (Method.SUPERMAJORITY, "ann block it costs too much"),
        (Method.MAJORITY, "ann: bo"),
        (Method.RANKED_CHOICE, "ann no"),
        (Method.RANKED_CHOICE, "ann: bo > zed"),
    ],
    ids=["yes-under-consent", "agree-under-majority", "block-under-supermajority", "ranking-under-majority",
         "no-under-ranked-choice", "unknown-option"],
)
def test_ballot_that_does_not_fit_the_method_is_refused(method: Method, ballot: str) -> None:
    with pytest.raises(Invalid):
        count(method, ballot)


def test_two_ballots_from_one_voter_are_refused() -> None:
    with pytest.raises(Invalid, match="one ballot per voter"):
        count(Method.MAJORITY, "ann yes\nbo no\nann no")


def test_ballots_of_voters_outside_the_eligible_set_are_ignored() -> None:
    result = count(Method.MAJORITY, "ann yes\nbo no\nzed no\nyan no", eligible=frozenset({"ann", "bo", "cy"}))
    assert (result.quorum_reached, dict(result.counts)) == (2, {"yes": 1, "no": 1, "abstain": 0})


@pytest.mark.parametrize(
    ("method", "options"),
    [(Method.RANKED_CHOICE, ()), (Method.MAJORITY, ("ann", "bo")), (Method.RANKED_CHOICE, ("ann", "ann"))],
    ids=["ranked-without-options", "options-without-ranking", "repeated-option"],
)
def test_options_that_do_not_fit_the_method_are_refused(method: Method, options: tuple[str, ...]) -> None:
    with pytest.raises(BadInput):
        tally(method, [], MEMBERS, Rules(), options)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(BadInput, match="unknown method"):
        tally("dictator", [], MEMBERS, Rules())


def test_ballot_record_round_trips() -> None:
    ballot = Ballot("ann", RANK, ranking=("cy", "bo"))
    assert Ballot.from_dict(ballot.to_dict()) == ballot


# Rules and quorum


def test_rules_come_from_the_charter_with_defaults_for_missing_ones() -> None:
    charter_rules = {"quorum_bp": 3000, "supermajority_bp": 7500, "learners_vote": False}
    assert Rules.from_charter(charter_rules) == Rules(quorum_bp=3000, majority_bp=5000, supermajority_bp=7500)


@pytest.mark.parametrize("value", [-1, 10_001, True, "5000"], ids=["negative", "over-whole", "bool", "string"])
def test_rule_outside_basis_points_is_refused(value: object) -> None:
    with pytest.raises(BadInput):
        Rules(quorum_bp=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("quorum_bp", "eligible", "needed"),
    [
        (5000, 10, 5),
        (5000, 9, 5),
        (3333, 3, 1),
        (6667, 3, 3),
        (10_000, 7, 7),
        (0, 10, 1),
        (5000, 0, 1),
    ],
    ids=["half-of-ten", "half-of-nine-rounds-up", "third-of-three", "two-thirds-of-three-rounds-up", "everyone",
         "zero-still-needs-one", "nobody-eligible-needs-one"],
)
def test_quorum_needed_rounds_up_and_is_at_least_one(quorum_bp: int, eligible: int, needed: int) -> None:
    assert quorum_needed(quorum_bp, eligible) == needed


def test_abstentions_count_toward_quorum() -> None:
    result = count(Method.MAJORITY, "ann yes\nbo abstain\ncy abstain\ndi abstain")
    assert (result.quorum_needed, result.quorum_reached, result.outcome) == (4, 4, Outcome.PASSED)


@pytest.mark.parametrize(
    ("method", "ballots"),
    [
        (Method.CONSENT, "ann agree\nbo agree\ncy agree"),
        (Method.MAJORITY, "ann yes\nbo yes\ncy yes"),
        (Method.SUPERMAJORITY, "ann yes\nbo yes\ncy yes"),
        (Method.RANKED_CHOICE, "ann: bo\nbo: bo\ncy: bo"),
    ],
    ids=["consent", "majority", "supermajority", "ranked-choice"],
)
def test_unanimous_ballots_below_quorum_do_not_pass(method: Method, ballots: str) -> None:
    result = count(method, ballots)
    assert (result.outcome, bool(result), result.winner) == (Outcome.NO_QUORUM, False, None)


# Consent


@pytest.mark.parametrize(
    ("ballots", "outcome"),
    [
        ("ann agree\nbo agree\ncy agree\ndi abstain", Outcome.PASSED),
        ("ann agree\nbo agree\ncy object the budget is tight\ndi object too soon", Outcome.PASSED),
        ("ann abstain\nbo abstain\ncy abstain\ndi abstain", Outcome.PASSED),
        ("ann agree\nbo agree\ncy agree\ndi block it breaks the charter", Outcome.REJECTED),
    ],
    ids=["all-agree", "objections-tie-agreement", "all-abstain", "one-block"],
)
def test_consent_passes_with_quorum_unless_someone_blocks(ballots: str, outcome: Outcome) -> None:
    assert count(Method.CONSENT, ballots).outcome is outcome


def test_consent_records_objections_and_blocks_with_their_reasons() -> None:
    result = count(Method.CONSENT, "cy block it breaks the charter\nann agree\nbo object too soon\ndi agree")
    assert [b.to_dict() for b in result.objections] == [
        {"voter": "bo", "choice": "object", "reason": "too soon"},
        {"voter": "cy", "choice": "block", "reason": "it breaks the charter"},
    ]


# Majority and supermajority


@pytest.mark.parametrize(
    ("ballots", "rules", "outcome"),
    [
        ("ann yes\nbo yes\ncy yes\ndi no", Rules(), Outcome.PASSED),
        ("ann yes\nbo yes\ncy no\ndi no", Rules(), Outcome.REJECTED),
        ("ann yes\nbo no\ncy no\ndi no", Rules(), Outcome.REJECTED),
        ("ann yes\nbo yes\ncy no\ndi abstain\ned abstain\nfay abstain", Rules(), Outcome.PASSED),
        ("ann abstain\nbo abstain\ncy abstain\ndi abstain", Rules(), Outcome.REJECTED),
        ("ann yes\nbo yes\ncy yes\ndi no", Rules(majority_bp=7500), Outcome.REJECTED),
    ],
    ids=["three-to-one", "tie", "one-to-three", "abstain-not-in-ratio", "all-abstain", "exactly-at-threshold"],
)
def test_majority_needs_yes_strictly_above_the_threshold(ballots: str, rules: Rules, outcome: Outcome) -> None:
    assert count(Method.MAJORITY, ballots, rules).outcome is outcome


@pytest.mark.parametrize(
    ("ballots", "rules", "outcome"),
    [
        ("ann yes\nbo yes\ncy yes\ndi no", Rules(), Outcome.PASSED),
        ("ann yes\nbo yes\ncy yes\ndi no", Rules(supermajority_bp=7500), Outcome.PASSED),
        ("ann yes\nbo yes\ncy no\ndi abstain", Rules(), Outcome.REJECTED),
        ("ann yes\nbo yes\ncy no\ndi abstain", Rules(supermajority_bp=6666), Outcome.PASSED),
        ("ann yes\nbo yes\ncy no\ndi no", Rules(), Outcome.REJECTED),
        ("ann abstain\nbo abstain\ncy abstain\ndi abstain", Rules(), Outcome.REJECTED),
    ],
    ids=["three-quarters", "exactly-at-threshold", "two-thirds-below-6667", "two-thirds-at-6666", "tie",
         "all-abstain"],
)
def test_supermajority_needs_yes_at_least_the_threshold(ballots: str, rules: Rules, outcome: Outcome) -> None:
    assert count(Method.SUPERMAJORITY, ballots, rules).outcome is outcome


# Ranked choice (instant runoff)


def test_option_with_a_first_round_majority_wins_at_once() -> None:
    result = count(Method.RANKED_CHOICE, "ann: cy > bo\nbo: cy\ncy: cy\ndi: bo > cy\ned: ann")
    assert (result.winner, len(result.rounds), dict(result.rounds[0].counts)) == (
        "cy", 1, {"ann": 1, "bo": 1, "cy": 3, "di": 0},
    )


def test_eliminations_over_several_rounds_transfer_ballots_to_next_preferences() -> None:
    result = count(Method.RANKED_CHOICE, """
        ann: ann > bo
        bo: ann > bo
        cy: bo > cy
        di: cy > bo
        ed: cy
        fay: di > bo
        gus: di > cy
    """)
    assert [r.to_dict() for r in result.rounds] == [
        {"counts": {"ann": 2, "bo": 1, "cy": 2, "di": 2}, "exhausted": 0, "eliminated": "bo"},
        {"counts": {"ann": 2, "cy": 3, "di": 2}, "exhausted": 0, "eliminated": "di"},
        {"counts": {"ann": 2, "cy": 4}, "exhausted": 1},
    ]
    assert (result.winner, result.outcome) == ("cy", Outcome.PASSED)


def test_exhausted_ballots_drop_out_of_the_majority_needed() -> None:
    # ann wins with 3 of 7 ballots: a majority of the 5 still ranking a continuing option.
    result = count(Method.RANKED_CHOICE, """
        ann: ann
        bo: ann
        cy: ann
        di: bo
        ed: bo
        fay: cy
        gus: cy
    """)
    assert [(r.exhausted, r.eliminated) for r in result.rounds] == [(0, "di"), (0, "cy"), (2, None)]
    assert result.winner == "ann"


def test_elimination_tie_is_broken_by_the_latest_earlier_round_that_differs() -> None:
    # Round 2: ann and bo tie for fewest; in round 1 ann had fewer, so ann goes out, not bo (listed later).
    result = count(Method.RANKED_CHOICE, """
        ann: ann
        bo: bo
        cy: bo
        di: di > ann
        ed: cy
        fay: cy
        gus: cy
    """)
    assert [r.eliminated for r in result.rounds] == ["di", "ann", None]
    assert result.winner == "cy"


def test_elimination_tied_in_every_earlier_round_removes_the_option_listed_last() -> None:
    result = count(Method.RANKED_CHOICE, """
        ann: ann > cy
        bo: bo
        cy: cy
        di: di > bo
        ed: ann
        fay: bo
        gus: cy
        hal: di
    """)
    assert [r.eliminated for r in result.rounds] == ["di", "cy", None]
    assert result.winner == "bo"


def test_options_tied_to_the_end_are_decided_by_the_listed_order() -> None:
    result = count(Method.RANKED_CHOICE, "ann: bo\nbo: bo\ncy: ann\ndi: ann")
    assert [r.to_dict() for r in result.rounds] == [
        {"counts": {"ann": 2, "bo": 2, "cy": 0, "di": 0}, "exhausted": 0, "eliminated": "di"},
        {"counts": {"ann": 2, "bo": 2, "cy": 0}, "exhausted": 0, "eliminated": "cy"},
        {"counts": {"ann": 2, "bo": 2}, "exhausted": 0, "eliminated": "bo"},
        {"counts": {"ann": 2}, "exhausted": 2},
    ]
    assert result.winner == "ann"


def test_ranked_choice_with_every_ballot_abstaining_is_rejected() -> None:
    result = count(Method.RANKED_CHOICE, "ann abstain\nbo abstain\ncy abstain\ndi abstain")
    assert (result.outcome, result.winner, result.rounds[-1].to_dict()) == (
        Outcome.REJECTED, None, {"counts": dict.fromkeys(CANDIDATES, 0), "exhausted": 0},
    )


# Tally records


def test_tally_is_truthy_only_when_passed() -> None:
    passed = count(Method.MAJORITY, "ann yes\nbo yes\ncy yes\ndi no")
    rejected = count(Method.MAJORITY, "ann no\nbo no\ncy no\ndi no")
    assert (bool(passed), bool(rejected)) == (True, False)


def test_tally_record_holds_only_ints_and_strings() -> None:
    record = count(Method.RANKED_CHOICE, "ann: ann > bo\nbo: bo\ncy: cy > bo\ndi: di\ned abstain").to_dict()

    def leaves(value: object) -> list[object]:
        """Return the scalars inside nested dicts and lists."""
        if isinstance(value, dict):
            return [leaf for item in value.values() for leaf in leaves(item)]
        if isinstance(value, list):
            return [leaf for item in value for leaf in leaves(item)]
        return [value]

    assert {type(leaf) for leaf in leaves(record)} == {int, str}
    assert json.loads(json.dumps(record)) == record


@pytest.mark.parametrize(
    "change",
    [
        {"surprise": 1},
        {"outcome": "won"},
        {"counts": {"yes": 3, "no": 1}},
        {"counts": {"yes": 3, "no": 1, "abstain": -1}},
        {"quorum_reached": 9},
        {"winner": "bo"},
        {"rounds": [{"counts": {"ann": 4}, "exhausted": 0}]},
        {"objections": [{"voter": "bo", "choice": "block", "reason": "no"}]},
    ],
    ids=["unknown-field", "unknown-outcome", "missing-count", "negative-count", "reached-not-ballots",
         "winner-without-ranking", "rounds-without-ranking", "objection-under-majority"],
)
def test_inconsistent_tally_record_is_refused(change: dict[str, object]) -> None:
    record = count(Method.MAJORITY, "ann yes\nbo yes\ncy yes\ndi no").to_dict()
    with pytest.raises(BadInput):
        Tally.from_dict({**record, **change})


def test_round_cannot_eliminate_an_option_it_does_not_count() -> None:
    with pytest.raises(BadInput, match="not in the round"):
        Round({"ann": 1}, 0, "bo")


# Properties

voters = st.lists(st.sampled_from(sorted(MEMBERS | {"zed", "yan"})), unique=True)


@st.composite
def ballots_for(draw: st.DrawFn, method: Method) -> list[Ballot]:
    """Draw one valid ballot for each of some voters, some of them not eligible."""
    ballots = []
    for voter in draw(voters):
        choice = draw(st.sampled_from(CHOICES[method]))
        ranking = tuple(draw(st.lists(st.sampled_from(CANDIDATES), min_size=1, unique=True))) if choice == RANK else ()
        ballots.append(Ballot(voter, choice, "because" if choice in ("object", "block") else "", ranking))
    return ballots


rules = st.builds(Rules, *(st.integers(0, 10_000) for _ in range(3)))


@pytest.mark.parametrize("method", list(Method))
@given(data=st.data())
def test_tally_does_not_depend_on_the_order_ballots_arrive_in(method: Method, data: st.DataObject) -> None:
    ballots = data.draw(ballots_for(method))
    shuffled = data.draw(st.permutations(ballots))
    drawn_rules = data.draw(rules)
    options = CANDIDATES if method is Method.RANKED_CHOICE else ()
    first = tally(method, ballots, MEMBERS, drawn_rules, options)
    assert tally(method, shuffled, MEMBERS, drawn_rules, options).to_dict() == first.to_dict()


@pytest.mark.parametrize("method", list(Method))
@given(data=st.data())
def test_tally_record_round_trips(method: Method, data: st.DataObject) -> None:
    options = CANDIDATES if method is Method.RANKED_CHOICE else ()
    result = tally(method, data.draw(ballots_for(method)), MEMBERS, data.draw(rules), options)
    assert Tally.from_dict(json.loads(json.dumps(result.to_dict()))) == result


@given(ballots=ballots_for(Method.RANKED_CHOICE))
def test_option_with_a_majority_of_first_preferences_always_wins(ballots: list[Ballot]) -> None:
    result = tally(Method.RANKED_CHOICE, ballots, MEMBERS, Rules(quorum_bp=0), CANDIDATES)
    first = result.rounds[0]
    majority = [option for option, n in first.counts.items() if 2 * n > sum(first.counts.values())]
    assert majority == [] or result.winner == majority[0]


@given(ballots=ballots_for(Method.RANKED_CHOICE))
def test_ranked_choice_finds_a_winner_unless_no_counted_ballot_ranks(ballots: list[Ballot]) -> None:
    result = tally(Method.RANKED_CHOICE, ballots, MEMBERS, Rules(quorum_bp=0), CANDIDATES)
    assert (result.winner is None) == (result.counts[RANK] == 0)


@given(ballots=ballots_for(Method.RANKED_CHOICE))
def test_every_ranked_ballot_counts_or_is_exhausted_in_each_round(ballots: list[Ballot]) -> None:
    result = tally(Method.RANKED_CHOICE, ballots, MEMBERS, Rules(), CANDIDATES)
    assert {sum(r.counts.values()) + r.exhausted for r in result.rounds} == {result.counts[RANK]}
