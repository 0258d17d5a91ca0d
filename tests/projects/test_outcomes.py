"""The outcomes report: cohorts of learners, who earned, and what payments cost (pure, then `coop report outcomes`)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from api import demo
from api.cli.main import cli
from api.wiring import create_node
from coop.node import Node
from projects import outcomes
from projects.outcomes import CohortRow, CostRow, Person

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A generated history of 200 learners over four months. Per cohort: learners, how many of them became members,
# members who joined directly (not as learners), and the EUR earnings (cents) of those who earned, in order:
# direct members earn first, then the learners who became members, then learners who did not.
COHORTS: dict[str, tuple[int, int, int, list[int]]] = {
    "2026-01": (50, 20, 3, [1000, 2000, 3000, 4000, 5000, 6000, 7000]),  # median 4000
    "2026-02": (50, 15, 0, [11000, 500, 900, 700]),  # median (700 + 900) / 2 = 800
    "2026-03": (50, 5, 1, []),  # three of them earn, but only in USD
    "2026-04": (50, 0, 0, [2500]),  # a learner on a team, not (yet) a member
}
USD_EARNERS = ("m-2026-03-0", "l-2026-03-0", "l-2026-03-1")


def people() -> list[Person]:
    """Return everyone in the generated history: direct members `m-<cohort>-<n>`, learners `l-<cohort>-<n>`."""
    out = []
    for cohort, (learner_count, admitted, direct, _) in COHORTS.items():
        out += [Person(f"m-{cohort}-{n}", cohort, was_learner=False, is_member=True) for n in range(direct)]
        out += [Person(f"l-{cohort}-{n}", cohort, was_learner=True, is_member=n < admitted) for n in range(learner_count)]
    return out


def earners() -> dict[str, int]:
    """Return the EUR cents each earner earned, per the COHORTS table."""
    earned: dict[str, int] = {}
    for cohort, (learner_count, _, direct, amounts) in COHORTS.items():
        handles = [f"m-{cohort}-{n}" for n in range(direct)] + [f"l-{cohort}-{n}" for n in range(learner_count)]
        earned.update(zip(handles, amounts, strict=False))
    return earned


def posting(account: str, amount: int, currency: str) -> dict[str, Any]:
    """Return one posting of a split."""
    return {"account": account, "amount": amount, "currency": currency}


def split(shares: dict[str, int], currency: str) -> dict[str, Any]:
    """Return a split body paying members their shares, the treasury a tenth more, from one client's revenue."""
    parts = [posting(f"member:{h}", -amount, currency) for h, amount in shares.items()]
    treasury = sum(shares.values()) // 9
    parts += [posting("treasury", -treasury, currency), posting("income:acme", sum(shares.values()) + treasury, currency)]
    return {"type": "coop.ledger.split/v1", "currency": currency, "postings": parts}


def splits() -> list[dict[str, Any]]:
    """Return split bodies: every EUR earning in two parts from two projects, plus USD earnings outside the medians."""
    earned = earners()
    first = {h: amount // 3 for h, amount in earned.items()}
    return [split(first, "EUR"), split({h: amount - first[h] for h, amount in earned.items()}, "EUR"),
            split({h: 9000 for h in USD_EARNERS}, "USD")]


def payout(created: str, amount: int, fee: int, arrived: int, arrived_currency: str, rate: str, currency: str = "EUR") -> dict[str, Any]:
    """Return a payout body."""
    return {"type": "coop.ledger.payout/v1", "created": created, "member": "bob", "amount": amount, "currency": currency, "fee": fee,
            "arrived": {"amount": arrived, "currency": arrived_currency}, "rate": rate}


PAYOUTS = [
    payout("2026-01-10T09:00:00Z", 20000, 250, 21298, "USD", "1.0784"),  # loss 0
    payout("2026-01-20T09:00:00Z", 20000, 250, 21100, "USD", "1.0784"),  # loss 184
    payout("2026-01-31T23:59:59Z", 10000, 0, 10000, "EUR", "1"),  # loss 0
    payout("2026-02-01T00:00:00Z", 10000, 100, 9800, "EUR", "1"),  # loss 100
    payout("2026-02-14T12:00:00Z", 5000, 50, 4950, "USD", "1", currency="USD"),  # loss 0
    payout("2026-02-28T12:00:00Z", 10000, 0, 16000, "JPY", "162"),  # loss 123
    payout("2026-04-01T08:00:00Z", 5000, 0, 5100, "EUR", "1"),  # more arrived than sent: loss 0, never negative
]


# -- pure --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "fee", "arrived", "arrived_currency", "rate", "loss"), [
    (20000, 250, 21298, "USD", "1.0784", 0),
    (20000, 250, 21100, "USD", "1.0784", 184),
    (10000, 100, 9900, "EUR", "1", 0),
    (10000, 100, 9800, "EUR", "1", 100),
    (10000, 0, 10100, "EUR", "1", 0),
    (10000, 0, 16000, "JPY", "162", 123),
    (1000, 0, 2940, "KWD", "0.3", 20),
    (10000, 0, 19999, "USD", "2", 0),
    (10000, 0, 19997, "USD", "2", 2),
], ids=["usd-at-the-rate", "usd-short-by-1.84", "same-currency-fee-only", "same-currency-short", "more-arrived", "to-zero-decimals",
        "to-three-decimals", "half-cent-rounds-to-even-0", "cent-and-a-half-rounds-to-even-2"])
def test_fx_loss_matches_known_answers(amount: int, fee: int, arrived: int, arrived_currency: str, rate: str, loss: int) -> None:
    assert outcomes.fx_loss(payout("2026-01-01T00:00:00Z", amount, fee, arrived, arrived_currency, rate)) == loss


def test_history_has_200_learners_in_four_cohorts() -> None:
    learners = [p for p in people() if p.was_learner]

    assert len(learners) == 200
    assert sorted({p.joined for p in learners}) == ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_cohort_rows_count_learners_members_and_earners_with_the_median() -> None:
    report = outcomes.build(people(), splits(), PAYOUTS)

    assert report.cohorts == [
        CohortRow("2026-01", joined=53, learners=50, became_members=20, earned=7, median_earnings=4000, currency="EUR"),
        CohortRow("2026-02", joined=50, learners=50, became_members=15, earned=4, median_earnings=800, currency="EUR"),
        CohortRow("2026-03", joined=51, learners=50, became_members=5, earned=0, median_earnings=0, currency="EUR"),
        CohortRow("2026-04", joined=50, learners=50, became_members=0, earned=1, median_earnings=2500, currency="EUR"),
    ]


def test_cost_rows_sum_payouts_fees_and_fx_losses_per_month_and_currency() -> None:
    report = outcomes.build(people(), splits(), PAYOUTS)

    assert report.costs == [
        CostRow("2026-01", "EUR", paid=50000, fees=500, fx_loss=184),
        CostRow("2026-02", "EUR", paid=20000, fees=100, fx_loss=223),
        CostRow("2026-02", "USD", paid=5000, fees=50, fx_loss=0),
        CostRow("2026-04", "EUR", paid=5000, fees=0, fx_loss=0),
    ]


def test_report_says_earnings_in_other_currencies_are_not_in_the_medians() -> None:
    report = outcomes.build(people(), splits(), PAYOUTS)

    assert report.currency == "EUR"
    assert report.notes == ["median earnings are in EUR; earnings in USD are not in the medians"]


def test_report_of_nobody_is_empty_and_in_eur() -> None:
    report = outcomes.build([], [], [])

    assert (report.cohorts, report.costs, report.currency, report.notes) == ([], [], "EUR", [])


# -- `coop report outcomes` on the demo co-op ------------------------------------------------------

@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """Return the demo co-op (made once for this module: filling it waits out a vote window)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("COOP_HOME", "COOP_IDENTITY", "COOP_DATABASE_URL", "COOP_NODE_NAME"):
            patch.delenv(name, raising=False)
        patch.setenv("COOP_PASSPHRASE", "test passphrase")
        patch.setenv("COOP_KDF_COST", "min")
        node = create_node({"home": str(tmp_path_factory.mktemp("demo") / "node")}, "Demo Co-op", "coop.example/demo", "amina",
                           rules=demo.charter_rules("amina"))
        demo.fill(node)
    yield node
    node.index.db.close()


def report(node: Node, *args: str) -> Result:
    """Run `coop report outcomes` on a node."""
    result = CliRunner().invoke(cli, ["--home", str(node.home), "report", "outcomes", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_coop_report_outcomes_writes_a_png(demo_node: Node, tmp_path: Path) -> None:
    chart = tmp_path / "outcomes.png"

    report(demo_node, "--png", str(chart))

    assert chart.read_bytes()[:8] == PNG_SIGNATURE


def test_coop_report_outcomes_counts_the_demo_story(demo_node: Node) -> None:
    month = demo_node.view().require_member("amina")["created"][:7]

    lines = report(demo_node).output.splitlines()

    # Six joined; esra and farid as learners, esra admitted; chen and bilal earned 537.00 and 768.00 EUR from the
    # bakery's 1,500.00 EUR (median 652.50); chen's payout of 200.00 EUR lost 2.50 in fees and 1.84 to the rate.
    assert lines[1].split() == [month, "6", "2", "1", "2", "652.50", "EUR"]
    assert lines[4].split() == [month, "200.00", "EUR", "2.50", "1.84"]
