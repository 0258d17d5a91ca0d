"""Voting methods as pure functions: ballots and charter rules in, a `Tally` out.

Methods:

- consent: agree / abstain / object / block. Objecting and blocking need a
  reason. Passes with quorum and no block; objections are recorded, not counted
  against it.
- majority: yes / no / abstain. Passes with quorum when yes / (yes + no) is
  strictly above `majority_bp` (a tie fails).
- supermajority: as majority, but yes / (yes + no) must reach at least
  `supermajority_bp`. The comparison is exact, so with 6667 basis points
  exactly two thirds (66.66...%) is not enough.
- ranked choice (instant runoff): each ballot ranks some of the options, with no
  repeats. In each round a ballot counts for its highest-ranked continuing
  option; a ballot with none left is exhausted. An option holding a strict
  majority of the non-exhausted ballots wins; otherwise the option with the
  fewest votes is eliminated. If several options tie for fewest, the tie is
  broken by their counts in earlier rounds, newest first: only those with the
  fewest votes in that round stay tied. If they are still tied after round one,
  the option listed last in the proposal's options goes out. So there is always
  one option to eliminate, even when every remaining option ties. The proposal
  passes when an option wins. An abstaining ballot counts toward quorum and is
  not part of the rounds.

In every method, abstaining counts toward quorum. Quorum is the number of
distinct eligible voters who cast a ballot; the number needed is
ceil(quorum_bp * eligible / 10000), and never less than one. Ballots from voters
outside the eligible set are ignored. Every count is an integer and every ratio
a `Fraction`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

from coop.charter import DEFAULT_RULES
from coop.errors import BadInput, Invalid
from coop.ids import Handle, check_id

BasisPoints = int
Option = str

WHOLE: BasisPoints = 10_000
RANK = "rank"
ABSTAIN = "abstain"
NEEDS_REASON = frozenset({"object", "block"})

_E = TypeVar("_E", bound=StrEnum)


class Method(StrEnum):
    """A way of deciding a proposal."""

    CONSENT = "consent"
    MAJORITY = "majority"
    SUPERMAJORITY = "supermajority"
    RANKED_CHOICE = "ranked_choice"


class Outcome(StrEnum):
    """How a tally ends."""

    PASSED = "passed"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


CHOICES: Mapping[Method, tuple[str, ...]] = MappingProxyType({
    Method.CONSENT: ("agree", ABSTAIN, "object", "block"),
    Method.MAJORITY: ("yes", "no", ABSTAIN),
    Method.SUPERMAJORITY: ("yes", "no", ABSTAIN),
    Method.RANKED_CHOICE: (RANK, ABSTAIN),
})
ALL_CHOICES = frozenset(choice for choices in CHOICES.values() for choice in choices)


def _parse(kind: type[_E], value: object, what: str) -> _E:
    """Return the enum member named by value, or raise BadInput listing the known ones."""
    try:
        return kind(value)  # type: ignore[arg-type]  # a value that is not text raises the ValueError handled below
    except ValueError as e:
        known = ", ".join(member.value for member in kind)
        raise BadInput(f"unknown {what} {value!r}; expected one of: {known}") from e


def _check_count(value: object, what: str) -> int:
    """Return value if it is a non-negative int (bools refused), else raise BadInput."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(f"{what} must be a non-negative integer, got {value!r}")
    return value


def _check_counts(counts: object, what: str, keys: Sequence[str] | None = None) -> Mapping[str, int]:
    """Return counts as a read-only mapping, in the order of keys when given, or raise BadInput."""
    if not isinstance(counts, Mapping):
        raise BadInput(f"{what} must be an object")
    keys = list(counts) if keys is None else keys
    if set(counts) != set(keys):
        raise BadInput(f"{what} must count exactly: {', '.join(keys)}")
    return MappingProxyType({key: _check_count(counts[key], f"{what} of {key!r}") for key in keys})


def _check_keys(data: object, required: set[str], optional: set[str], what: str) -> Mapping[str, Any]:
    """Return data if it is a mapping with all required and no unknown keys, else raise BadInput."""
    if not isinstance(data, Mapping):
        raise BadInput(f"{what} must be an object")
    missing, unknown = sorted(required - set(data)), sorted(set(data) - required - optional)
    if missing:
        raise BadInput(f"{what} lacks fields: {', '.join(missing)}")
    if unknown:
        raise BadInput(f"{what} has unknown fields: {', '.join(unknown)}")
    return data


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot: a choice, a reason (needed to object or block), and the options ranked, best first."""

    voter: Handle
    choice: str
    reason: str = ""
    ranking: tuple[Option, ...] = ()

    def __post_init__(self) -> None:
        check_id(self.voter, "voter")
        if not isinstance(self.choice, str) or self.choice not in ALL_CHOICES:
            raise BadInput(f"unknown choice {self.choice!r}; expected one of: {', '.join(sorted(ALL_CHOICES))}")
        if not isinstance(self.reason, str):
            raise BadInput("a reason must be text")
        if self.choice in NEEDS_REASON and not self.reason.strip():
            raise BadInput(f"to {self.choice}, {self.voter} must give a reason")
        if not isinstance(self.ranking, tuple):
            raise BadInput("a ranking must be a tuple of options")
        if (self.choice == RANK) != bool(self.ranking):
            raise BadInput(f"choice {RANK!r} goes with a non-empty ranking, and only it")
        for option in self.ranking:
            check_id(option, "ranked option")
        if len(set(self.ranking)) != len(self.ranking):
            raise BadInput(f"{self.voter} ranks an option more than once: {', '.join(self.ranking)}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ballot:
        """Build a ballot from its record."""
        _check_keys(data, {"voter", "choice"}, {"reason", "ranking"}, "a ballot")
        ranking = data.get("ranking", [])
        if not isinstance(ranking, list):
            raise BadInput("a ranking must be a list of options")
        return cls(data["voter"], data["choice"], data.get("reason", ""), tuple(ranking))

    def to_dict(self) -> dict[str, Any]:
        """Return the ballot as a record, leaving out an empty reason and ranking."""
        record: dict[str, Any] = {"voter": self.voter, "choice": self.choice}
        if self.reason:
            record["reason"] = self.reason
        if self.ranking:
            record["ranking"] = list(self.ranking)
        return record


@dataclass(frozen=True)
class Rules:
    """The charter's decision rules, in basis points of 10,000."""

    quorum_bp: BasisPoints = DEFAULT_RULES["quorum_bp"]
    majority_bp: BasisPoints = DEFAULT_RULES["majority_bp"]
    supermajority_bp: BasisPoints = DEFAULT_RULES["supermajority_bp"]

    def __post_init__(self) -> None:
        for name in ("quorum_bp", "majority_bp", "supermajority_bp"):
            if _check_count(getattr(self, name), name) > WHOLE:
                raise BadInput(f"{name} must be basis points from 0 to {WHOLE}")

    @classmethod
    def from_charter(cls, rules: Mapping[str, Any]) -> Rules:
        """Take the decision rules from the charter's rules, defaults for those it does not set."""
        return cls(**{f.name: rules[f.name] for f in fields(cls) if f.name in rules})


@dataclass(frozen=True)
class Round:
    """One instant-runoff round: votes per continuing option, ballots exhausted so far, the option eliminated."""

    counts: Mapping[Option, int] = field(hash=False)
    exhausted: int
    eliminated: Option | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", _check_counts(self.counts, "round counts"))
        _check_count(self.exhausted, "exhausted ballots")
        if self.eliminated is not None and self.eliminated not in self.counts:
            raise BadInput(f"eliminated option {self.eliminated!r} is not in the round")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Round:
        """Build a round from its record."""
        _check_keys(data, {"counts", "exhausted"}, {"eliminated"}, "a round")
        return cls(data["counts"], data["exhausted"], data.get("eliminated"))

    def to_dict(self) -> dict[str, Any]:
        """Return the round as a record, leaving out `eliminated` in the last round."""
        record: dict[str, Any] = {"counts": dict(self.counts), "exhausted": self.exhausted}
        if self.eliminated is not None:
            record["eliminated"] = self.eliminated
        return record


@dataclass(frozen=True)
class Tally:
    """The result of counting a proposal's ballots; truthy when the proposal passed."""

    method: Method
    outcome: Outcome
    quorum_needed: int
    quorum_reached: int
    counts: Mapping[str, int] = field(hash=False)
    objections: tuple[Ballot, ...] = ()
    options: tuple[Option, ...] = ()
    rounds: tuple[Round, ...] = ()
    winner: Option | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", _parse(Method, self.method, "method"))
        object.__setattr__(self, "outcome", _parse(Outcome, self.outcome, "outcome"))
        object.__setattr__(self, "counts", _check_counts(self.counts, "counts", CHOICES[self.method]))
        object.__setattr__(self, "options", check_options(self.method, self.options))
        _check_count(self.quorum_needed, "quorum needed")
        if _check_count(self.quorum_reached, "quorum reached") != sum(self.counts.values()):
            raise BadInput("quorum reached must equal the number of ballots counted")
        if self.objections and self.method is not Method.CONSENT:
            raise BadInput("only consent records objections")
        if any(b.choice not in NEEDS_REASON for b in self.objections):
            raise BadInput("objections hold only ballots that object or block")
        ranked = self.method is Method.RANKED_CHOICE
        if ranked != bool(self.rounds):
            raise BadInput("rounds belong to ranked choice, which records at least one")
        if (self.winner is not None) != (ranked and self.outcome is Outcome.PASSED):
            raise BadInput("a winner is named exactly when a ranked choice passes")
        if not all(set(r.counts) <= set(self.options) for r in self.rounds):
            raise BadInput("rounds count only the proposal's options")
        if self.winner is not None and self.winner not in self.options:
            raise BadInput(f"winner {self.winner!r} is not one of the options")

    def __bool__(self) -> bool:
        return self.outcome is Outcome.PASSED

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tally:
        """Build a tally from an outcome record's `to_dict` form."""
        _check_keys(data, {"method", "outcome", "quorum_needed", "quorum_reached", "counts"},
                    {"objections", "options", "rounds", "winner"}, "a tally")
        lists = {name: data.get(name, []) for name in ("objections", "options", "rounds")}
        if not all(isinstance(value, list) for value in lists.values()):
            raise BadInput("objections, options and rounds must be lists")
        return cls(
            data["method"], data["outcome"], data["quorum_needed"], data["quorum_reached"], data["counts"],
            objections=tuple(Ballot.from_dict(b) for b in lists["objections"]),
            options=tuple(lists["options"]),
            rounds=tuple(Round.from_dict(r) for r in lists["rounds"]),
            winner=data.get("winner"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the tally as a JSON-able record of ints and strings, leaving out empty fields."""
        record: dict[str, Any] = {
            "method": self.method.value,
            "outcome": self.outcome.value,
            "quorum_needed": self.quorum_needed,
            "quorum_reached": self.quorum_reached,
            "counts": dict(self.counts),
        }
        if self.objections:
            record["objections"] = [b.to_dict() for b in self.objections]
        if self.options:
            record["options"] = list(self.options)
        if self.rounds:
            record["rounds"] = [r.to_dict() for r in self.rounds]
        if self.winner is not None:
            record["winner"] = self.winner
        return record


def quorum_needed(quorum_bp: BasisPoints, eligible: int) -> int:
    """Return how many eligible voters must cast a ballot: ceil(quorum_bp * eligible / 10000), at least one."""
    return max(1, -(-quorum_bp * eligible // WHOLE))


def check_options(method: Method, options: Sequence[Option]) -> tuple[Option, ...]:
    """Return the options of a proposal: distinct ids for ranked choice, none for other methods."""
    options = tuple(check_id(option, "option") for option in options)
    if (method is Method.RANKED_CHOICE) != bool(options):
        raise BadInput("ranked choice needs a list of options, and only ranked choice has them")
    if len(set(options)) != len(options):
        raise BadInput(f"options must be distinct: {', '.join(options)}")
    return options


def check_ballot(method: Method, ballot: Ballot, options: Sequence[Option] = ()) -> Ballot:
    """Return the ballot if its choice fits the method and it ranks only the proposal's options."""
    if ballot.choice not in CHOICES[method]:
        raise Invalid(f"{ballot.voter} chose {ballot.choice!r}, but {method} takes: {', '.join(CHOICES[method])}")
    unknown = [option for option in ballot.ranking if option not in options]
    if unknown:
        raise Invalid(f"{ballot.voter} ranks unknown options: {', '.join(unknown)}")
    return ballot


def instant_runoff(
    options: Sequence[Option], rankings: Iterable[tuple[Option, ...]]
) -> tuple[tuple[Round, ...], Option | None]:
    """Run instant-runoff rounds; return them and the winner, None when every ballot is exhausted."""
    rankings = list(rankings)
    continuing = list(options)
    rounds: list[Round] = []
    while True:
        counts = dict.fromkeys(continuing, 0)
        for ranking in rankings:
            top = next((option for option in ranking if option in counts), None)
            if top is not None:
                counts[top] += 1
        active = sum(counts.values())
        exhausted = len(rankings) - active
        leader = max(counts, key=counts.__getitem__)
        if active == 0 or 2 * counts[leader] > active:
            rounds.append(Round(counts, exhausted))
            return tuple(rounds), leader if active else None
        loser = _loser(counts, rounds)
        rounds.append(Round(counts, exhausted, loser))
        continuing.remove(loser)


def _loser(counts: Mapping[Option, int], earlier: Sequence[Round]) -> Option:
    """Pick the option to eliminate: fewest votes, then fewest in earlier rounds newest first, then listed last."""
    fewest = min(counts.values())
    tied = [option for option in counts if counts[option] == fewest]
    for previous in reversed(earlier):
        if len(tied) == 1:
            break
        low = min(previous.counts[option] for option in tied)
        tied = [option for option in tied if previous.counts[option] == low]
    return tied[-1]


def _carries(method: Method, counts: Mapping[str, int], rules: Rules, winner: Option | None) -> bool:
    """Tell whether counted ballots that reached quorum carry the proposal."""
    if method is Method.CONSENT:
        return counts["block"] == 0
    if method is Method.RANKED_CHOICE:
        return winner is not None
    decisive = counts["yes"] + counts["no"]
    if decisive == 0:
        return False
    share = Fraction(counts["yes"], decisive)
    if method is Method.MAJORITY:
        return share > Fraction(rules.majority_bp, WHOLE)
    return share >= Fraction(rules.supermajority_bp, WHOLE)


def tally(
    method: Method | str,
    ballots: Iterable[Ballot],
    eligible: frozenset[Handle],
    rules: Rules,
    options: Sequence[Option] = (),
) -> Tally:
    """Count one ballot per voter under a method; ballots of voters outside `eligible` are ignored."""
    method = _parse(Method, method, "method")
    options = check_options(method, options)
    checked = [check_ballot(method, ballot, options) for ballot in ballots]
    repeated = sorted(voter for voter, n in Counter(b.voter for b in checked).items() if n > 1)
    if repeated:
        raise Invalid(f"one ballot per voter: more than one from {', '.join(repeated)}")
    counted = sorted((b for b in checked if b.voter in eligible), key=lambda b: b.voter)
    votes = Counter(b.choice for b in counted)
    counts = {choice: votes[choice] for choice in CHOICES[method]}
    rounds: tuple[Round, ...] = ()
    leader: Option | None = None
    if method is Method.RANKED_CHOICE:
        rounds, leader = instant_runoff(options, (b.ranking for b in counted if b.ranking))
    needed = quorum_needed(rules.quorum_bp, len(eligible))
    if len(counted) < needed:
        outcome = Outcome.NO_QUORUM
    else:
        outcome = Outcome.PASSED if _carries(method, counts, rules, leader) else Outcome.REJECTED
    return Tally(
        method, outcome, needed, len(counted), counts,
        objections=tuple(b for b in counted if b.choice in NEEDS_REASON),
        options=options,
        rounds=rounds,
        winner=leader if outcome is Outcome.PASSED else None,
    )
