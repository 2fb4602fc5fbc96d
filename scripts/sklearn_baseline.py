"""The default `tickml train` run, redone with scikit-learn on the same features, labels
and purged folds, for a side-by-side time (README, Performance).

Pinned: Python 3.11, scikit-learn==1.9.1, numpy==2.4.6, pandas==3.1.1.
Run from the repository root after `cargo build --release -p tickml-cli`:
    python scripts/sklearn_baseline.py
Features come from `tickml features` (the core engine) and the splits from
`tickml cv-splits --scheme purged --horizon 5 --embargo-pct 0.01`, so only the
model fitting differs. Uses 2 threads, like tickml on this machine.
"""
import io
import json
import subprocess
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TICKML = "target/release/tickml"
HORIZON = 5

started = time.perf_counter()
csv = subprocess.run([TICKML, "features", "--input", "data/spx_daily.csv"], capture_output=True, check=True, text=True).stdout
features = pd.read_csv(io.StringIO(csv)).drop(columns=["timestamp"])
features = features.dropna(axis=1, how="all")
close = pd.read_csv("data/spx_daily.csv")["close"].to_numpy()
forward = np.full(len(close), np.nan)
forward[:-HORIZON] = close[HORIZON:] / close[:-HORIZON] - 1
keep = features.notna().all(axis=1).to_numpy() & ~np.isnan(forward)
X, r = features[keep].to_numpy(), forward[keep]
y = (r > 0).astype(int)
splits = json.loads(subprocess.run([TICKML, "cv-splits", "--scheme", "purged", "--n-samples", str(len(y)), "--horizon", str(HORIZON), "--embargo-pct", "0.01"], capture_output=True, check=True, text=True).stdout)["splits"]
prepared = time.perf_counter() - started

models = {
    "gradient_boosting": lambda: HistGradientBoostingClassifier(max_iter=100, max_depth=4, learning_rate=0.1, min_samples_leaf=20, max_bins=64, l2_regularization=1.0, early_stopping=False),
    "random_forest": lambda: RandomForestClassifier(n_estimators=100, max_depth=4, min_samples_leaf=20, max_features="sqrt", n_jobs=2, random_state=42),
    "logistic_regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)),
}
total = 0.0
for name, make in models.items():
    t0 = time.perf_counter()
    aucs = []
    for s in splits:
        m = make().fit(X[s["train"]], y[s["train"]])
        aucs.append(roc_auc_score(y[s["test"]], m.predict_proba(X[s["test"]])[:, 1]))
    make().fit(X, y)
    elapsed = time.perf_counter() - t0
    total += elapsed
    print(f"{name:22} mean ROC AUC {np.mean(aucs):.4f}   {elapsed:.1f} s")
print(f"features and splits {prepared:.1f} s, models {total:.1f} s, total {prepared + total:.1f} s")
