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
