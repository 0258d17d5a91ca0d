"""Split policy arithmetic in integers: basis points, largest remainder, ties by key.

The shares of a split always sum to exactly the amount; every verifier
recomputes them and compares with the postings recorded in the entry.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coop.errors import BadInput, Invalid
from coop.ids import Handle, check_id
from ledger.money import CurrencyCode, MinorUnits, check_amount, check_currency

Account = str
BasisPoints = int

WHOLE: BasisPoints = 10_000
TREASURY: Account = "treasury"


def member_account(handle: Handle) -> Account:
    """Name the account of a member."""
    return f"member:{check_id(handle, 'handle')}"


def fund_account(name: str) -> Account:
    """Name the account of a fund set aside by the policy."""
    return f"fund:{check_id(name, 'fund name')}"


def _check_count(value: object, what: str) -> int:
    """Return value if it is a non-negative int (bools refused), else raise BadInput."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(f"{what} must be a non-negative integer, got {value!r}")
    return value


def allocate(amount: MinorUnits, weights: Mapping[str, int]) -> dict[str, MinorUnits]:
    """Split a non-negative amount by integer weights using the largest remainder method.

    Each key gets the floor of its exact share; the units left over go one each to
    the largest remainders, ties broken by sorted key order, so the parts sum to
    exactly the amount and no part is negative.
    """
    if check_amount(amount) < 0:
        raise BadInput(f"only a non-negative amount can be split, got {amount}")
    total = sum(_check_count(w, f"weight of {key!r}") for key, w in weights.items())
    if total == 0:
        raise BadInput("weights must not all be zero")
    parts = {key: amount * w // total for key, w in weights.items()}
    left = amount - sum(parts.values())
    by_remainder = sorted(weights, key=lambda key: (-(amount * weights[key] % total), key))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


@dataclass(frozen=True)
class SplitPolicy:
    """How revenue is shared: fixed basis points for the treasury, referral, liaison and funds; the team gets the rest.

    Funds are given as a mapping of name to basis points and kept as sorted
    (name, basis points) pairs, so a policy is immutable, hashable and picklable.
    """

    treasury_bp: BasisPoints = 0
    referral_bp: BasisPoints = 0
    referral_months: int | None = None
    liaison_bp: BasisPoints = 0
    funds: tuple[tuple[str, BasisPoints], ...] = ()

    def __post_init__(self) -> None:
        for name in ("treasury_bp", "referral_bp", "liaison_bp"):
            _check_count(getattr(self, name), name)
        if self.referral_months is not None and _check_count(self.referral_months, "referral_months") == 0:
            raise BadInput("referral_months must be at least 1, or absent for a referral share without end")
        pairs = tuple(self.funds.items()) if isinstance(self.funds, Mapping) else self.funds
        if not isinstance(pairs, tuple) or not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
            raise BadInput("funds must map fund names to basis points")
        for name, bp in pairs:
            check_id(name, "fund name")
            _check_count(bp, f"basis points of fund {name!r}")
        if len(dict(pairs)) != len(pairs):
            raise BadInput("a fund is named twice")
        object.__setattr__(self, "funds", tuple(sorted(pairs)))
        if self.fixed_bp > WHOLE:
            raise Invalid(f"fixed shares total {self.fixed_bp} basis points, more than {WHOLE}")

    @property
    def fixed_bp(self) -> BasisPoints:
        """Return the basis points taken before the team's share."""
        return self.treasury_bp + self.referral_bp + self.liaison_bp + sum(bp for _, bp in self.funds)

    @classmethod
    def from_dict(cls, data: object) -> SplitPolicy:
        """Build a policy from its record, refusing unknown fields."""
        if not isinstance(data, Mapping):
            raise BadInput("a split policy is an object")
        unknown = set(data) - {"treasury_bp", "referral_bp", "referral_months", "liaison_bp", "funds"}
        if unknown:
            raise BadInput(f"unknown split policy fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a record, omitting an absent referral duration."""
        record: dict[str, Any] = {
            "treasury_bp": self.treasury_bp,
            "referral_bp": self.referral_bp,
            "liaison_bp": self.liaison_bp,
            "funds": dict(self.funds),
        }
        if self.referral_months is not None:
            record["referral_months"] = self.referral_months
        return record


def _check_team(team_shares: Mapping[Handle, BasisPoints]) -> None:
    if not team_shares:
        raise Invalid("a split needs a team of at least one member")
    total = sum(_check_count(bp, f"share of {handle!r}") for handle, bp in team_shares.items())
    if total != WHOLE:
        raise Invalid(f"team shares must total {WHOLE} basis points, got {total}")


def compute_split(
    policy: SplitPolicy,
    amount: MinorUnits,
    currency: CurrencyCode,
    team_shares: Mapping[Handle, BasisPoints],
    referrer: Handle | None,
    referral_active: bool,
    liaison: Handle | None,
) -> list[tuple[Account, MinorUnits]]:
    """Return the postings (account, amount) that share revenue under a policy.

    First the amount is allocated between the treasury, each fund, the referrer,
    the liaison and the team; then the team's part between its members by their
    shares (both by largest remainder; ties in the first step go by role name:
    fund:<name>, liaison, referral, team, treasury). With no referrer, an expired
    referral (referral_active false) or no liaison, that share goes to the team:
    the people who did the work, rather than a treasury nobody voted it to.
    A member with several roles gets one posting with the sum; postings come
    sorted by account and zero amounts are left out.
    """
    check_currency(currency)
    _check_team(team_shares)
    roles: dict[str, BasisPoints] = {f"fund:{name}": bp for name, bp in policy.funds}
    roles["treasury"] = policy.treasury_bp
    roles["referral"] = policy.referral_bp if referrer is not None and referral_active else 0
    roles["liaison"] = policy.liaison_bp if liaison is not None else 0
    roles["team"] = WHOLE - sum(roles.values())
    by_role = allocate(amount, roles)

    shares = [(TREASURY, by_role["treasury"])]
    shares += [(fund_account(name), by_role[f"fund:{name}"]) for name, _ in policy.funds]
    shares += [(member_account(handle), by_role[role]) for handle, role in ((referrer, "referral"), (liaison, "liaison")) if handle is not None]
    shares += [(member_account(handle), part) for handle, part in allocate(by_role["team"], team_shares).items()]
    totals: dict[Account, MinorUnits] = {}
    for account, part in shares:
        totals[account] = totals.get(account, 0) + part
    return sorted((account, part) for account, part in totals.items() if part)
