"""Pictures for reports (matplotlib, drawn off-screen to PNG files)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from ledger.money import to_decimal  # noqa: E402
from projects.outcomes import Report  # noqa: E402


def outcomes_chart(report: Report, path: Path) -> None:
    """Draw cohorts (joined, became members, earned) and payment costs by month into a PNG."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), constrained_layout=True)
    cohorts = [row.cohort for row in report.cohorts]
    positions = range(len(cohorts))
    width = 0.27
    for offset, (label, values) in enumerate([("joined", [r.joined for r in report.cohorts]),
                                              ("learners who became members", [r.became_members for r in report.cohorts]),
                                              ("earned", [r.earned for r in report.cohorts])]):
        top.bar([p + (offset - 1) * width for p in positions], values, width, label=label)
    top.set_xticks(list(positions), cohorts, rotation=45, ha="right")
    top.set_title("Cohorts by month of joining")
    top.set_ylabel("people")
    top.legend()
    for currency in sorted({c.currency for c in report.costs}):
        rows = [c for c in report.costs if c.currency == currency]
        months = [c.month for c in rows]
        bottom.plot(months, [float(to_decimal(c.fees, currency)) for c in rows], marker="o", label=f"fees ({currency})")
        bottom.plot(months, [float(to_decimal(c.fx_loss, currency)) for c in rows], marker="s", label=f"exchange-rate loss ({currency})")
    bottom.set_title("What getting paid cost members, by month")
    bottom.set_ylabel("amount")
    bottom.set_ylim(bottom=0)
    if report.costs:
        bottom.legend()
        bottom.tick_params(axis="x", rotation=45)
    figure.savefig(path, dpi=110)
    plt.close(figure)
