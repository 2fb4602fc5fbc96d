"""MLPipeline and AblationTester: the same numbers as `tickml train` and `tickml ablate`,
the corrected t-test against scipy, the ensemble's regimes against `tickml regimes`."""
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from conftest import ROOT, cli, cli_csv
from tickml import (AblationTester, MLPipeline, ModelType, PurgedKFold, RegimeType, StrategyArbitrator,
                    StrategyType)


@pytest.fixture(scope="module")
def prepared(spx):
    ml = MLPipeline()
    X, y = ml.prepare_data(spx, "direction", 5)
    return ml, X, y


def test_train_models_scores_every_fold_as_tickml_train(prepared, tmp_path):
    ml, X, y = prepared
    ml.create_cv_splitter("purged")
    assert [(list(a), list(b)) for a, b in ml.cv_splitter.split(X)] == [tuple(s) for s in ml.data_.splits()]
    results = ml.train_models(X, y)
    cli("train", "--input", "data/spx_daily.csv", "--out", str(tmp_path))
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["samples"] == len(X) and report["features"] == X.shape[1]
    for model in report["models"]:
        ours = results[model["model"]]
        assert ours["scores"].to_dict("records") == model["folds"], model["model"]
        assert ours["out_of_fold"] == model["out_of_fold"], model["model"]
        assert len(ours["models"]) == 5 and f"{model['model']}_fold_4" in ours["models"]


def test_run_ablation_study_equals_tickml_ablate(prepared):
    ml, X, y = prepared
    ml.create_cv_splitter("purged")
    ours = ml.run_ablation_study(X, y)
    text = cli("ablate", "--input", "data/spx_daily.csv")
    theirs = pd.read_csv(io.StringIO("\n".join(text.splitlines()[1:])), sep=r"\s+").set_index("group")
    assert list(ours.index) == list(theirs.index)
    for ours_name, their_name in [("features", "features"), ("baseline", "baseline"), ("ablated", "ablated"),
                                  ("importance", "importance"), ("p_value", "p_value"), ("p_adjusted", "p_bh")]:
        assert np.allclose(ours[ours_name], theirs[their_name], atol=5e-5), ours_name
    assert np.allclose(ours["importance_pct"], theirs["pct"], atol=0.05)


def test_ablation_statistics_equal_scipy(learners_frame):
    X, y = learners_frame
    groups = {"signal": ["f0", "f1", "f2"], "noise": ["f7", "f8", "f9"], "mixed": ["f3", "f9"]}
    cv = PurgedKFold(n_splits=6, purge_gap=0, embargo_pct=0.0, horizon=0)
    table = AblationTester(LogisticRegression(max_iter=1000), cv, "roc_auc").run_ablation(X, y, groups)
    from sklearn.metrics import roc_auc_score

    splits = list(cv.split(X, y))

    def scores(columns):
        out = []
        for train, test in splits:
            m = LogisticRegression(max_iter=1000).fit(X.iloc[train][columns], y[train])
            out.append(roc_auc_score(y[test], m.predict_proba(X.iloc[test][columns])[:, 1]))
        return np.array(out)

    base = scores(list(X.columns))
    n_train = np.mean([len(t) for t, _ in splits])
    n_test = np.mean([len(t) for _, t in splits])
    p = []
    for name, cols in groups.items():
        d = base - scores([c for c in X.columns if c not in cols])
        k = len(d)
        t = d.mean() / math.sqrt((1 / k + n_test / n_train) * d.var(ddof=1))
        p.append(stats.t.sf(t, k - 1))
        assert table.loc[name, "importance"] == pytest.approx(d.mean(), abs=1e-12)
        assert table.loc[name, "t"] == pytest.approx(t, rel=1e-9)
        assert table.loc[name, "p_value"] == pytest.approx(p[-1], rel=1e-7, abs=1e-12)
    assert np.allclose(table["p_adjusted"], stats.false_discovery_control(p, method="bh"), atol=1e-12)
    assert table.loc["signal", "p_value"] < 0.01 < table.loc["noise", "p_value"]


@pytest.fixture(scope="module")
def learners_frame():
    d = pd.read_csv(ROOT / "tests" / "fixtures" / "learners.csv").head(2400)
    X = pd.DataFrame(d.iloc[:, :10].to_numpy(), columns=[f"f{i}" for i in range(10)])
    return X, d.iloc[:, 11].to_numpy()


def test_the_ensemble_replays_out_of_fold_predictions_with_the_live_regimes(prepared):
    ml, X, y = prepared
    ml.create_cv_splitter("walk_forward")
    ml.train_models(X, y, [ModelType.GRADIENT_BOOSTING, ModelType.LOGISTIC_REGRESSION])
    families = {"gradient_boosting": StrategyType.MOMENTUM, "logistic_regression": StrategyType.TREND_FOLLOWING}
    arbitrator = ml.create_ensemble(X, y, families)
    decisions = ml.decisions_
    tested = ml.models["gradient_boosting"]["oof"].dropna().index
    assert list(decisions.index) == list(tested) and tested[0] > X.index[500]
    regimes = cli_csv("regimes", "--input", "data/spx_daily.csv")
    regimes.index = pd.to_datetime(regimes["timestamp"], utc=True)
    assert [r.value for r in decisions["regime"]] == list(regimes.loc[decisions.index, "regime"])
    # every decision's weights: softmax over the active strategies of score x the
    # design's multiplier for the bar's regime / 0.1
    checked = 0
    for _, d in decisions.iterrows():
        active = [n for n in families if d[f"active_{n}"]]
        if not active or d["regime"] is RegimeType.UNKNOWN:
            continue
        table = arbitrator.regime_strategy_map[d["regime"]]
        raw = np.array([(0.0 if pd.isna(d[f"score_{n}"]) else d[f"score_{n}"]) * table[families[n]] / 0.1
                        for n in active])
        expected = np.exp(raw - raw.max()) / np.exp(raw - raw.max()).sum()
        assert np.allclose([d[f"weight_{n}"] for n in active], expected, atol=1e-12)
        checked += len(active) > 1
    assert checked > 1000
    summary = arbitrator.get_strategy_summary()
    assert list(summary.index) == list(families)
    assert isinstance(arbitrator, StrategyArbitrator)
    with pytest.raises(ValueError, match="prepare_data"):
        ml.create_ensemble(X.head(10), y.head(10))
