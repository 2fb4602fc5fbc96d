"""Feature-group ablation over any scikit-learn-style estimator, with the statistics of
``tickml ablate``."""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._splitters import PurgedKFold


def _clone(estimator):
    try:
        from sklearn.base import clone

        return clone(estimator)
    except ImportError:  # pragma: no cover
        import copy

        return copy.deepcopy(estimator)


def _scorer(scoring, estimator):
    if callable(scoring):
        return scoring
    from sklearn.base import is_classifier
    from sklearn.metrics import get_scorer

    return get_scorer(scoring or ("roc_auc" if is_classifier(estimator) else "r2"))


class AblationTester:
    """Retrains an estimator without each feature group under purged CV and measures what
    is lost.

    Per group: the mean score with every feature (``baseline``) and without the group
    (``ablated``), ``importance = mean(baseline - ablated)`` over the splits, its share
    of the positive importances, the Nadeau-Bengio corrected resampled t-test of "the
    group helps" (one-sided; splits with disjoint test sets only) and the
    Benjamini-Hochberg adjusted p-value across groups: the train crate's computation,
    the one ``tickml ablate`` prints.

    Parameters
    ----------
    estimator : scikit-learn-style estimator
        Cloned for every fit.
    cv : splitter, default PurgedKFold()
    scoring : str or callable, optional
        A scikit-learn scorer name or ``scorer(estimator, X, y)``; default ROC AUC for a
        classifier, R^2 otherwise.
    fold : callable, optional
        ``fold(train, test) -> (X_train, y_train, w_train, X_test, y_test)`` for data that
        needs per-fold preparation (``MLPipeline`` passes its dataset's); default: rows of
        ``X`` and ``y``, ``sample_weight`` rows as given.
    """

    def __init__(self, estimator, cv=None, scoring=None, fold: Optional[Callable] = None) -> None:
        self.estimator = estimator
        self.cv = cv
        self.scoring = scoring
        self.fold = fold

    def _setup(self, X, y, feature_groups, sample_weight):
        """What the ablation fits: the column sets (every column first, then each group's
        complement), the prepared folds (splits with disjoint test sets) and the scorer."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError("X must be a DataFrame (feature groups are column names)")
        columns = [str(c) for c in X.columns]
        if feature_groups is None:
            groups = [(name, list(cols)) for name, cols in _core.family_groups(columns)]
        else:
            groups = []
            for name, names in feature_groups.items():
                missing = [c for c in names if c not in columns]
                if missing:
                    raise ValueError(f"group {name!r}: no column {', '.join(map(str, missing))}")
                groups.append((name, [columns.index(c) for c in names]))
        cv = self.cv if self.cv is not None else PurgedKFold()
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y)]
        splits = [splits[i] for i in _core.disjoint_tests([te.tolist() for _, te in splits])]
        y = np.asarray(y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        x = X.to_numpy(dtype=np.float64)

        def fold(train, test):
            if self.fold is not None:
                return self.fold(train, test)
            return x[train], y[train], None if w is None else w[train], x[test], y[test]

        every = list(range(len(columns)))
        sets = [every] + [[c for c in every if c not in set(cols)] for _, cols in groups]
        prepared = [fold(train, test) for train, test in splits]
        return columns, groups, sets, prepared, _scorer(self.scoring, self.estimator)

    @staticmethod
    def _fold_score(estimator, scorer, columns, kept, fold) -> float:
        """One job: ``estimator`` fitted on a fold's training rows with the columns
        ``kept``, scored on its test rows."""
        xtr, ytr, wtr, xte, yte = fold
        names = [columns[c] for c in kept]
        model = _clone(estimator)
        train = pd.DataFrame(xtr[:, kept], columns=names)
        fitted = model.fit(train, ytr) if wtr is None else model.fit(train, ytr, sample_weight=wtr)
        return float(scorer(fitted, pd.DataFrame(xte[:, kept], columns=names), yte))

    @staticmethod
    def _table(groups, scores, prepared) -> pd.DataFrame:
        """The table from the scores of every column set on every fold."""
        n_train = float(np.mean([len(p[1]) for p in prepared]))
        n_test = float(np.mean([len(p[4]) for p in prepared]))
        ablated = [(name, len(cols), s) for (name, cols), s in zip(groups, scores[1:])]
        return pd.DataFrame(_core.ablation_table(scores[0], ablated, n_train, n_test)).set_index("group")

    def run_ablation(self, X: pd.DataFrame, y, feature_groups: Optional[Dict[str, Sequence[str]]] = None,
                     sample_weight=None) -> pd.DataFrame:
        """The ablation table, one row per group (index ``group``).

        ``feature_groups`` maps a name to column names of ``X``; default: the core's 8
        feature families among ``X``'s columns.
        """
        columns, groups, sets, prepared, scorer = self._setup(X, y, feature_groups, sample_weight)
        scores = [[self._fold_score(self.estimator, scorer, columns, kept, f) for f in prepared] for kept in sets]
        return self._table(groups, scores, prepared)
