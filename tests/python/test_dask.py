"""tickml.dask on a two-process LocalCluster (127.0.0.1, no dashboard): every result
equals its single-process twin exactly, and the single-process backtest equals `tickml
backtest`."""
import json

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from conftest import cli  # noqa: E402
from tickml import (AblationTester, MLPipeline, ModelFactory, ModelType, WalkForwardBacktest,  # noqa: E402
                    probability_of_backtest_overfitting)
from tickml import dask as tdask  # noqa: E402

# a yearly retrain keeps the backtest to 18 windows
BACKTEST = {"retrain_every": 252, "cpcv": None}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, memory_limit="4GiB")
    c = distributed.Client(cluster, timeout=60)
    yield c
    c.close(timeout=30)
    cluster.close(timeout=30)


@pytest.fixture(scope="module")
def prepared(spx):
    ml = MLPipeline(model_config={"n_estimators": 30})
    X, y = ml.prepare_data(spx)
    ml.create_cv_splitter("purged")
    return ml, X, y


def test_the_backtest_windows_on_dask_equal_one_process_and_the_cli(client, spx, tmp_path):
    backtest = WalkForwardBacktest(spx, BACKTEST)
    assert backtest.n_windows == 18
    here = backtest.run()
    there = tdask.walk_forward_backtest(client, spx, BACKTEST)
    assert json.dumps(here, sort_keys=True) == json.dumps(there, sort_keys=True)
    cli("backtest", "--input", "data/spx_daily.csv", "--retrain-every", "252", "--cpcv-splits", "0",
        "--out", str(tmp_path))
    report = json.loads((tmp_path / "report.json").read_text())["backtest"]
    assert [c["name"] for c in here["configurations"]] == [c["name"] for c in report["configurations"]]
    for ours, theirs in zip(here["configurations"], report["configurations"]):
        assert ours["performance"]["sharpe"] == theirs["performance"]["sharpe"], ours["name"]
        assert ours["performance"]["total_return"] == theirs["performance"]["total_return"]
    assert here["pbo"] == report["pbo"]
    assert [r["net"] for r in here["rows"]] == [r["net"] for r in report["rows"]]


def test_train_models_on_dask_equal_one_process(client, prepared):
    ml, X, y = prepared
    types = [ModelType.GRADIENT_BOOSTING, ModelType.LOGISTIC_REGRESSION]
    here = {k: dict(v) for k, v in ml.train_models(X, y, types).items()}
    there = tdask.train_models(client, ml, X, y, types)
    for name in here:
        assert here[name]["scores"].equals(there[name]["scores"]), name
        assert here[name]["oof"].equals(there[name]["oof"]), name
        assert here[name]["out_of_fold"] == there[name]["out_of_fold"], name
        assert list(here[name]["models"]) == list(there[name]["models"])


def test_the_ablation_on_dask_equals_one_process(client, prepared):
    ml, X, y = prepared
    model = ModelFactory.create_model(ModelType.LOGISTIC_REGRESSION)
    tester = AblationTester(model, ml.cv_splitter, fold=ml._fold(X, y))
    here = tester.run_ablation(X, y)
    there = tdask.run_ablation(client, tester, X, y)
    pd.testing.assert_frame_equal(here, there, check_exact=True)
    assert len(here) == 8


def test_the_pbo_grid_on_dask_equals_one_process(client, prepared):
    ml, X, y = prepared
    grid = {f"gb_depth{d}_lr{lr}": (ModelType.GRADIENT_BOOSTING, {"n_estimators": 20, "max_depth": d,
                                                                   "learning_rate": lr})
            for d in (2, 4) for lr in (0.05, 0.2)}
    here = ml.grid_returns(X, y, grid)
    there = tdask.grid_returns(client, ml, X, y, grid)
    pd.testing.assert_frame_equal(here, there, check_exact=True)
    assert list(here.columns) == list(grid) and len(here) == len(X)
    p = probability_of_backtest_overfitting(here, splits=8)
    assert 0.0 <= p["pbo"] <= 1.0 and len(p["logits"]) == 70
    assert np.isfinite(here.to_numpy()).all()
