"""StrategyArbitrator: the core's arbitrator behind the design's class, checked against a
naive recomputation of the design's rules, the CLI's regime detector and the design's
multiplier table."""
import math

import numpy as np
import pandas as pd
import pytest

from conftest import cli_csv
from tickml import (FeatureConfig, FeatureEngineer, RegimeType, SignalType, StrategyArbitrator, StrategySignal,
                    StrategyType)

REGIMES = [r for r in RegimeType if r is not RegimeType.UNKNOWN]
TYPES = [StrategyType.TREND_FOLLOWING, StrategyType.MEAN_REVERSION, StrategyType.MOMENTUM]
NO_SILENCING = {"silence_below": -1e9, "revive_above": -1e9}


def naive_run(bars, temperature, multipliers, lookback=63, min_history=20, threshold=0.1):
    """The design's arbitration by hand: realised return = previous signal x market
    return, score = rolling Sharpe (sample std), softmax of score x multiplier /
    temperature over the strategies that signalled, confidence 0.4/0.2/0.2/0.2."""
    n = len(TYPES)
    last = [0] * n
    realised = [[] for _ in range(n)]
    out = []
    for sent, regime, regime_confidence, market_return in bars:
        scores = []
        for i in range(n):
            realised[i].append(last[i] * market_return)
            window = np.array(realised[i][-lookback:])
            if len(window) < min_history:
                scores.append(None)
            else:
                sd = window.std(ddof=1)
                scores.append(window.mean() / sd if sd > 0 else 0.0)
        active = [i for i in range(n) if i in sent]
        raw = {i: (scores[i] or 0.0) * multipliers[TYPES[i]][regime] / temperature for i in active}
        top = max(raw.values()) if raw else 0.0
        e = {i: math.exp(v - top) for i, v in raw.items()}
        weights = {i: e[i] / sum(e.values()) for i in active}
        for i in range(n):
            last[i] = sent[i][0] if i in sent else 0
        weighted_sum = sum(weights[i] * sent[i][0] * sent[i][1] for i in active)
        weighted = max(-1.0, min(1.0, weighted_sum)) if active else 0.0
        signal = 1 if weighted > threshold else -1 if weighted < -threshold else 0
        consensus = sum(sent[i][0] == signal for i in active) / len(active) if active else 0.0
        mean_confidence = sum(sent[i][1] for i in active) / len(active) if active else 0.0
        confidence = min(1.0, 0.4 * abs(weighted) + 0.2 * mean_confidence + 0.2 * consensus
                         + 0.2 * regime_confidence) if active else 0.0
        out.append((signal, weighted, confidence, consensus, [weights.get(i, 0.0) for i in range(n)], scores))
    return out


def random_bars(seed, count=400):
    rng = np.random.default_rng(seed)
    bars = []
    for _ in range(count):
        sent = {i: (int(rng.choice([-1, 0, 1])), float(rng.uniform())) for i in range(len(TYPES)) if rng.uniform() > 0.15}
        bars.append((sent, REGIMES[int(rng.integers(len(REGIMES)))], float(rng.uniform()), float(rng.normal(0, 0.01))))
    return bars


def run(arbitrator, bars):
    start = pd.Timestamp("2020-01-01", tz="UTC")
    out = []
    for k, (sent, regime, regime_confidence, market_return) in enumerate(bars):
        t = start + pd.Timedelta(days=k)
        signals = [StrategySignal(f"s{i}", t, SignalType(s), c) for i, (s, c) in sent.items()]
        out.append(arbitrator.process_signals(signals, {"regime": regime, "regime_confidence": regime_confidence},
                                              market_return))
    return out


def arbitrator(config):
    a = StrategyArbitrator(config)
    for i, kind in enumerate(TYPES):
        a.register_strategy(f"s{i}", kind)
    return a


@pytest.mark.parametrize("temperature", [1.0, 0.1])
def test_decisions_equal_a_naive_recomputation_of_the_design(temperature):
    bars = random_bars(7)
    a = arbitrator({**NO_SILENCING, "temperature": temperature})
    ours = run(a, bars)
    table = a.regime_strategy_map  # checked against the design's values below
    theirs = naive_run(bars, temperature, {t: {r: table[r][t] for r in REGIMES} for t in TYPES})
    moved = 0
    for d, (signal, weighted, confidence, consensus, weights, scores) in zip(ours, theirs):
        assert d["signal"] == SignalType(signal)
        assert d["weighted_signal"] == pytest.approx(weighted, abs=1e-12)
        assert d["confidence"] == pytest.approx(confidence, abs=1e-12)
        assert d["consensus_ratio"] == pytest.approx(consensus, abs=1e-12)
        got = [d["strategy_breakdown"][f"s{i}"]["weight"] for i in range(len(TYPES))]
        assert got == pytest.approx(weights, abs=1e-12)
        for i, s in enumerate(scores):
            score = d["strategy_breakdown"][f"s{i}"]["score"]
            assert (score is None) == (s is None)
            if s is not None:
                assert score == pytest.approx(s, abs=1e-9)
        active = [w for w in got if w > 0]
        moved += len(active) > 1 and max(active) - min(active) > 0.05
    assert moved > 50  # performance does move the weights


def test_the_multiplier_table_is_the_designs_and_overrides_replace_cells():
    table = StrategyArbitrator().regime_strategy_map
    assert table[RegimeType.BULL_TREND][StrategyType.TREND_FOLLOWING] == 1.5
    assert table[RegimeType.CRISIS][StrategyType.TREND_FOLLOWING] == 0.3
    assert table[RegimeType.RANGING][StrategyType.MEAN_REVERSION] == 1.5
    assert table[RegimeType.TRENDING][StrategyType.MEAN_REVERSION] == 0.4
    assert table[RegimeType.BULL_TREND][StrategyType.MOMENTUM] == 1.4
    assert table[RegimeType.HIGH_VOLATILITY][StrategyType.VOLATILITY] == 1.5
    assert table[RegimeType.CRISIS][StrategyType.ML_MODEL] == 1.0
    custom = StrategyArbitrator({"regime_strategy_map": {RegimeType.CRISIS: {StrategyType.MOMENTUM: 0.1}}})
    assert custom.regime_strategy_map[RegimeType.CRISIS][StrategyType.MOMENTUM] == 0.1
    assert custom.regime_strategy_map[RegimeType.BULL_TREND][StrategyType.MOMENTUM] == 1.4


def test_regimes_from_feature_rows_equal_the_cli(spx):
    bars = spx.head(1500)
    features = FeatureEngineer(FeatureConfig()).fit_transform(bars)
    a = StrategyArbitrator()
    got = [a.process_signals([], features.iloc[k], 0.0) for k in range(len(features))]
    cli = cli_csv("regimes", "--input", "data/spx_daily.csv").head(1500)
    assert [d["regime"].value for d in got] == list(cli["regime"])
    assert np.allclose([d["regime_confidence"] for d in got], cli["regime_confidence"], atol=1e-12)
    assert sum(d["regime"] is not RegimeType.UNKNOWN for d in got) > 1000


def test_a_losing_strategy_is_silenced_and_gets_no_weight():
    a = StrategyArbitrator({"min_history": 5, "lookback_window": 10})
    a.register_strategy("loser", StrategyType.MOMENTUM)
    a.register_strategy("winner", StrategyType.TREND_FOLLOWING)
    t0 = pd.Timestamp("2021-01-01", tz="UTC")
    market = {"regime": RegimeType.RANGING, "regime_confidence": 0.5}
    for k in range(40):
        r = 0.01 if k % 2 else 0.02  # the market rises: the loser is short, the winner long
        d = a.process_signals([StrategySignal("loser", t0 + pd.Timedelta(days=k), SignalType.SHORT, 0.9),
                               StrategySignal("winner", t0 + pd.Timedelta(days=k), SignalType.LONG, 0.6)], market, r)
    loser = d["strategy_breakdown"]["loser"]
    assert loser["silenced"] and not loser["active"] and loser["weight"] == 0.0
    assert d["strategy_breakdown"]["winner"]["weight"] == 1.0
    summary = a.get_strategy_summary()
    assert list(summary.index) == ["loser", "winner"]
    assert bool(summary.loc["loser", "silenced"]) and summary.loc["loser", "bars_silenced"] > 0
    assert summary.loc["winner", "recent_return"] == pytest.approx(0.015, abs=1e-3)


def test_refused_calls_raise_and_change_nothing():
    bars = random_bars(3, count=120)
    clean = run(arbitrator(NO_SILENCING), bars)
    a = arbitrator(NO_SILENCING)
    start = pd.Timestamp("2020-01-01", tz="UTC")
    got = []
    for k, bar in enumerate(bars):
        t = start + pd.Timedelta(days=k)
        with pytest.raises(ValueError, match="confidence"):
            a.process_signals([StrategySignal("s0", t, SignalType.LONG, 1.5)], {"regime": RegimeType.RANGING}, 0.0)
        with pytest.raises(ValueError, match="unknown strategy"):
            a.process_signals([StrategySignal("nobody", t, SignalType.LONG, 0.5)], {}, 0.0)
        if k:
            with pytest.raises(ValueError):
                a.process_signals([StrategySignal("s0", t - pd.Timedelta(days=2), SignalType.LONG, 0.5)], {}, 0.0)
        got.extend(run_one(a, bar, t))
    assert [d["weighted_signal"] for d in got] == [d["weighted_signal"] for d in clean]
    assert [d["confidence"] for d in got] == [d["confidence"] for d in clean]
    with pytest.raises(ValueError, match="already registered"):
        a.register_strategy("s0", StrategyType.OTHER)
    with pytest.raises(ValueError, match="unknown arbitrator setting"):
        StrategyArbitrator({"lookback": 10})
    with pytest.raises(ValueError, match="lookback"):
        StrategyArbitrator({"lookback_window": 1})


def run_one(a, bar, t):
    sent, regime, regime_confidence, market_return = bar
    signals = [StrategySignal(f"s{i}", t, SignalType(s), c) for i, (s, c) in sent.items()]
    return [a.process_signals(signals, {"regime": regime, "regime_confidence": regime_confidence}, market_return)]
