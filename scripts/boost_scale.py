"""Gradient boosting at scale, the LightGBM side (README, Performance; run by
scripts/boost_scale.sh).

Pinned: Python 3.11, numpy==2.4.6, lightgbm==4.7.0.
    python scripts/boost_scale.py make DIR   # 1,000,000 x 100 float32 rows and labels
    python scripts/boost_scale.py train DIR  # LightGBM: 100 trees, depth 6, 64 bins, 2 threads
The rows: standard normal inputs, the label 1 when x0 x1 + sin(2 x2) + x3^2 / 2 - 1/2
+ 0.8 x4 plus N(0, 0.7) noise is positive; the other 95 inputs are noise.
"""
import resource
import sys
import time

import numpy as np

ROWS, COLS = 1_000_000, 100


def make(out):
    rng = np.random.default_rng(20261202)
    x = rng.standard_normal((ROWS, COLS), dtype=np.float32)
    s = x[:, 0] * x[:, 1] + np.sin(2 * x[:, 2]) + 0.5 * x[:, 3] ** 2 - 0.5 + 0.8 * x[:, 4]
    y = (s + rng.normal(0, 0.7, ROWS) > 0).astype(np.float32)
    x.tofile(f"{out}/x.f32")
    y.tofile(f"{out}/y.f32")


def train(out):
    import lightgbm as lgb

    x = np.fromfile(f"{out}/x.f32", dtype=np.float32).reshape(ROWS, COLS)
    y = np.fromfile(f"{out}/y.f32", dtype=np.float32)
    params = dict(objective="binary", num_leaves=64, max_depth=6, max_bin=64, min_data_in_leaf=20,
                  learning_rate=0.1, lambda_l2=1.0, num_threads=2, verbose=-1, force_col_wise=True)
    started = time.perf_counter()
    data = lgb.Dataset(x, y, params=params)
    booster = lgb.train(params, data, num_boost_round=100)
    elapsed = time.perf_counter() - started
    p = booster.predict(x[:100_000], num_threads=2)
    accuracy = float(((p > 0.5) == (y[:100_000] > 0.5)).mean())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"lightgbm {lgb.__version__}: {elapsed:.1f} s (binning and 100 trees), peak RSS {peak:.0f} MB, "
          f"training accuracy on the first 100,000 rows {accuracy:.4f}")


if __name__ == "__main__":
    {"make": make, "train": train}[sys.argv[1]](sys.argv[2])
