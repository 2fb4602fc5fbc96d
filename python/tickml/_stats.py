"""Multiple-testing corrections."""
from __future__ import annotations

import numpy as np

from . import _core


class MultipleHypothesisCorrection:
    """The design's corrections for many strategies or features tested at once, on the
    train crate's implementation (equal to statsmodels' ``multipletests``). NaN p-values
    are not tests: left out of the family size, adjusted NaN, not rejected.
    """

    @staticmethod
    def _run(p_values, alpha, method):
        rejected, adjusted = _core.multiple_testing([float(p) for p in np.asarray(p_values, dtype=float)], float(alpha), method)
        return np.asarray(rejected, dtype=bool), np.asarray(adjusted, dtype=float)

    @staticmethod
    def benjamini_hochberg(p_values, alpha=0.05):
        """Benjamini-Hochberg (false discovery rate): ``(rejected, adjusted)`` arrays."""
        return MultipleHypothesisCorrection._run(p_values, alpha, "fdr_bh")

    @staticmethod
    def benjamini_yekutieli(p_values, alpha=0.05):
        """Benjamini-Yekutieli (false discovery rate under any dependence)."""
        return MultipleHypothesisCorrection._run(p_values, alpha, "fdr_by")

    @staticmethod
    def holm(p_values, alpha=0.05):
        """Holm's step-down (family-wise error rate)."""
        return MultipleHypothesisCorrection._run(p_values, alpha, "holm")


def sharpe_stats(returns, periods_per_year: float = 252.0) -> dict:
    """The Sharpe ratio of per-period ``returns`` and what it rests on: ``n``,
    ``sharpe`` (mean / sd, ddof 1), ``sharpe_annualised``, ``sharpe_se`` (Lo 2002, HAC
    with Newey-West lags), ``skew``, ``kurtosis`` (population, non-excess) and ``psr``
    (against 0)."""
    return dict(_core.sharpe_statistics([float(v) for v in np.asarray(returns, dtype=float)], float(periods_per_year)))


def probabilistic_sharpe_ratio(returns, benchmark: float = 0.0) -> float:
    """Bailey and Lopez de Prado's PSR: the probability that the true per-period Sharpe
    ratio of ``returns`` exceeds ``benchmark`` (per period), given their length, skewness
    and kurtosis. NaN when undefined."""
    return float(_core.sharpe_ratio_probability([float(v) for v in np.asarray(returns, dtype=float)], float(benchmark)))


def deflated_sharpe_ratio(returns, trials: int, variance: float) -> float:
    """The DSR: the PSR against the expected maximum Sharpe ratio of ``trials`` unskilled
    trials whose per-period Sharpe ratios have ``variance`` (the selection bias of
    picking the best of many)."""
    return float(_core.sharpe_ratio_probability([float(v) for v in np.asarray(returns, dtype=float)], 0.0,
                                                int(trials), float(variance)))


def expected_max_sharpe(trials: int, variance: float) -> float:
    """``sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))``."""
    return float(_core.expected_max_sharpe(int(trials), float(variance)))


def probability_of_backtest_overfitting(returns, splits: int = 16) -> dict:
    """CSCV (Bailey, Borwein, Lopez de Prado and Zhu 2017) over a periods x
    configurations matrix of returns (array or DataFrame) cut into ``splits`` blocks:
    ``pbo``, ``logits``, ``degradation_slope``, ``prob_oos_loss``, ``sharpe_is``,
    ``sharpe_oos``."""
    m = np.ascontiguousarray(np.asarray(returns, dtype=np.float64))
    if m.ndim != 2:
        raise ValueError("returns must be a periods x configurations matrix")
    return dict(_core.backtest_overfitting(m, int(splits)))
