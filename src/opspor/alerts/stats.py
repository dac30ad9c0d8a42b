"""The statistics of a data alert: exact Poisson test and interval, multiple-testing control.

``observed`` is a count of patients, ``expected`` the count the unit would have at the
reference rates (indirect standardisation). Under "no excess" the count is taken as Poisson
with mean ``expected``:

* one-sided p-value ``P(X >= observed)`` = ``poisson.sf(observed - 1, expected)`` (1 when 0);
* the standardised ratio ``observed / expected`` with the exact (Garwood) interval
  ``chi2(a/2, 2 O) / 2E`` to ``chi2(1 - a/2, 2 O + 2) / 2E``;
* adjusted p-values over a family of units (Holm or Benjamini-Hochberg) from statsmodels.
"""

from __future__ import annotations

from scipy import stats
from statsmodels.stats.multitest import multipletests


def p_excess(observed: int, expected: float) -> float:
    """One-sided exact Poisson p-value of observing ``observed`` or more."""
    if observed <= 0:
        return 1.0
    return float(stats.poisson.sf(observed - 1, expected))


def ratio_interval(observed: int, expected: float, level: float) -> tuple[float, float]:
    """Exact (Garwood) interval of ``observed / expected`` at ``level`` (e.g. 0.95)."""
    a = 1.0 - level
    low = 0.0 if observed == 0 else float(stats.chi2.ppf(a / 2, 2 * observed)) / 2
    high = float(stats.chi2.ppf(1 - a / 2, 2 * observed + 2)) / 2
    return low / expected, high / expected


def adjust(p_values: list[float], method: str) -> list[float]:
    """Adjusted p-values (``holm`` or ``fdr_bh``) in the order given."""
    if not p_values:
        return []
    return [float(x) for x in multipletests(p_values, method=method)[1]]
