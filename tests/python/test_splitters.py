"""The splitters equal `tickml cv-splits` and work inside scikit-learn."""
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score

from conftest import cli_json
from tickml import PurgedKFold, WalkForwardCV

N = 700


def as_lists(splitter, X):
    return [(list(tr), list(te)) for tr, te in splitter.split(X)]


def test_purged_kfold_equals_the_cli():
    X = np.zeros((N, 2))
    theirs = cli_json("cv-splits", "--scheme", "purged", "--n-samples", str(N), "--horizon", "5",
                      "--purge", "5", "--embargo-pct", "0.02")["splits"]
    ours = as_lists(PurgedKFold(horizon=5), X)
    assert ours == [(s["train"], s["test"]) for s in theirs]
    assert PurgedKFold().get_n_splits(X) == 5


def test_walk_forward_equals_the_cli():
    X = np.zeros((N, 2))
    theirs = cli_json("cv-splits", "--scheme", "walk-forward", "--n-samples", str(N), "--horizon", "5",
                      "--train-size", "300", "--test-size", "50", "--step-size", "50", "--purge", "5")["splits"]
    ours = as_lists(WalkForwardCV(train_size=300, test_size=50, step_size=50, purge_gap=5, horizon=5), X)
    assert ours == [(s["train"], s["test"]) for s in theirs]


def test_label_end_times_purge_overlaps():
    index = pd.date_range("2020-01-01", periods=200, freq="D")
    X = pd.DataFrame({"a": np.arange(200.0)}, index=index)
    t1 = pd.Series(index.shift(10), index=index)  # every label reads the next 10 days
    for train, test in PurgedKFold(n_splits=4, purge_gap=0, embargo_pct=0.0, t1=t1).split(X):
        start, end = index[test[0]], t1.iloc[test].max()
        spans = zip(index[train], t1.iloc[train])
        assert all(e < start or s > end for s, e in spans)


def test_scikit_learn_uses_them():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(N, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=N) > 0).astype(int)
    scores = cross_val_score(LogisticRegression(), X, y, cv=PurgedKFold(), scoring="roc_auc")
    assert len(scores) == 5 and scores.mean() > 0.8
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=WalkForwardCV(), scoring="roc_auc")
    search.fit(X, y)
    assert search.n_splits_ == WalkForwardCV().get_n_splits(X)


def test_bad_label_ends_raise():
    with pytest.raises(ValueError, match="before it starts"):
        list(PurgedKFold(t1=np.arange(10) - 1).split(np.zeros((10, 1))))
