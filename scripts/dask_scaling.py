"""The same research run in one process and on a LocalCluster of 1 and 2 worker
processes (one thread each, rayon pinned to one thread so a worker is one core): the
default walk-forward backtest of data/spx_daily.csv (69 windows) and the default
MLPipeline's three models over purged 5-fold CV. Prints wall-clock seconds and checks
that every run gives the same result.

    target/py-venv/bin/python scripts/dask_scaling.py     (dask[distributed]==2026.8.0)
"""
import json
import os
import pathlib
import time

os.environ["RAYON_NUM_THREADS"] = "1"  # before the extension starts its pool; workers inherit it

import distributed  # noqa: E402
import pandas as pd  # noqa: E402

from tickml import MLPipeline, WalkForwardBacktest  # noqa: E402
from tickml import dask as tdask  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main():
    bars = pd.read_csv(ROOT / "data" / "spx_daily.csv")
    backtest = WalkForwardBacktest(bars)
    ml = MLPipeline()
    X, y = ml.prepare_data(bars)
    ml.create_cv_splitter("purged")
    reference, t_bt = timed(backtest.run)
    models, t_cv = timed(lambda: {k: v["oof"] for k, v in ml.train_models(X, y).items()})
    print(f"one process:   backtest {t_bt:6.1f} s ({backtest.n_windows} windows)   CV {t_cv:5.1f} s")
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            client.run(lambda: None)  # workers up before the clock starts
            there, t_bt = timed(lambda: tdask.walk_forward_backtest(client, bars))
            oof, t_cv = timed(lambda: {k: v["oof"] for k, v in tdask.train_models(client, ml, X, y).items()})
            same = json.dumps(there, sort_keys=True) == json.dumps(reference, sort_keys=True)
            same = same and all(oof[k].equals(models[k]) for k in models)
            print(f"{workers} worker(s):   backtest {t_bt:6.1f} s   CV {t_cv:5.1f} s   equal to one process: {same}")


if __name__ == "__main__":
    main()
