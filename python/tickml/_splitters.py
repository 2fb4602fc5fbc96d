"""Purged cross-validation as scikit-learn splitters."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import _core


def _labels(X, t1, horizon):
    """Bar positions of each sample and of its label's end.

    ``t1`` (AFML's label end times) is a Series aligned with ``X``: its values are
    positions in ``X``'s index (the last bar each label reads); without it every label
    ends ``horizon`` samples later.
    """
    n = len(X)
    t0 = np.arange(n)
    if t1 is None:
        return t0, t0 + int(horizon)
    if isinstance(t1, pd.Series):
        index = X.index if isinstance(X, (pd.DataFrame, pd.Series)) else pd.RangeIndex(n)
        if len(t1) != n:
            raise ValueError(f"t1 has {len(t1)} entries for {n} samples")
        ends = index.get_indexer(pd.Index(t1.to_numpy()))
        if (ends < 0).any():
            # a label may end past the last sample: position it after the data
            ends = np.where(ends < 0, index.searchsorted(t1.to_numpy(), side="right") - 1, ends)
        return t0, ends.astype(np.int64)
    ends = np.asarray(t1, dtype=np.int64)
    if ends.shape != (n,):
        raise ValueError(f"t1 has shape {ends.shape} for {n} samples")
    return t0, ends


class _Splitter:
    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of splits of ``X`` (scikit-learn's protocol)."""
        return len(self._splits(X))

    def split(self, X, y=None, groups=None):
        """Yields ``(train, test)`` index arrays, purged by label overlap."""
        for train, test in self._splits(X):
            yield np.asarray(train, dtype=np.intp), np.asarray(test, dtype=np.intp)


class PurgedKFold(_Splitter):
    """K contiguous test folds; training samples whose labels overlap a test fold's
    window (or end within ``purge_gap`` bars before it) are purged, and an embargo of
    ``floor(embargo_pct x span)`` bars follows each fold (AFML 7.4). The train crate's
    ``PurgedKFold``; defaults are the design's.

    Parameters
    ----------
    n_splits : int, default 5
    purge_gap : int, default 5
    embargo_pct : float, default 0.02
    t1 : pandas.Series or array, optional
        Each sample's label end (see ``_labels``); default: ``horizon`` samples later.
    horizon : int, default 5
    """

    def __init__(self, n_splits=5, purge_gap=5, embargo_pct=0.02, t1=None, horizon=5):
        self.n_splits = n_splits
        self.purge_gap = purge_gap
        self.embargo_pct = embargo_pct
        self.t1 = t1
        self.horizon = horizon

    def _splits(self, X):
        t0, t1 = _labels(X, self.t1, self.horizon)
        return _core.purged_kfold(t0.tolist(), t1.tolist(), self.n_splits, self.purge_gap, float(self.embargo_pct))


class WalkForwardCV(_Splitter):
    """Rolling (or expanding) training windows of ``train_size`` samples, ``purge_gap``
    samples left out, then ``test_size`` test samples; the windows move by
    ``step_size``. The train crate's ``WalkForwardCV``; defaults 504 / 63 / 21 / 5.

    Parameters
    ----------
    train_size, test_size, step_size, purge_gap : int
    expand_train : bool, default False
    t1 : pandas.Series or array, optional
    horizon : int, default 5
    """

    def __init__(self, train_size=504, test_size=63, step_size=21, purge_gap=5, expand_train=False, t1=None, horizon=5):
        self.train_size = train_size
        self.test_size = test_size
        self.step_size = step_size
        self.purge_gap = purge_gap
        self.expand_train = expand_train
        self.t1 = t1
        self.horizon = horizon

    def _splits(self, X):
        t0, t1 = _labels(X, self.t1, self.horizon)
        return _core.walk_forward(t0.tolist(), t1.tolist(), self.train_size, self.test_size,
                                  self.step_size, self.purge_gap, bool(self.expand_train))


class CombinatorialCV(_Splitter):
    """Combinatorial purged CV (AFML 12): ``n_splits`` folds, every choice of
    ``n_test_splits`` of them as the test set, ``C(N, k)`` splits recombined into
    ``k C(N, k) / N`` backtest paths. The train crate's ``CombinatorialPurgedCV``.

    Parameters
    ----------
    n_splits : int, default 6
    n_test_splits : int, default 2
    purge : int, default 0
        Samples purged around each test block (without labels).
    embargo : int, default 0
        Samples embargoed after each test block.
    t1 : pandas.Series or array, optional
        Label ends: training samples are then purged by label overlap.
    horizon : int, optional
        Label horizon instead of ``t1``.
    """

    def __init__(self, n_splits=6, n_test_splits=2, purge=0, embargo=0, t1=None, horizon=None):
        self.n_splits = n_splits
        self.n_test_splits = n_test_splits
        self.purge = purge
        self.embargo = embargo
        self.t1 = t1
        self.horizon = horizon

    def _combinatorial(self, X):
        t0 = t1 = None
        if self.t1 is not None or self.horizon is not None:
            a, b = _labels(X, self.t1, self.horizon or 0)
            t0, t1 = a.tolist(), b.tolist()
        return _core.combinatorial(len(X), self.n_splits, self.n_test_splits, self.purge, self.embargo, t0, t1)

    def _splits(self, X):
        return self._combinatorial(X)[0]

    def get_paths(self, X):
        """``paths[p][f]``: the split whose test fold ``f`` belongs to backtest path ``p``."""
        return [list(p) for p in self._combinatorial(X)[1]]
