"""Arbitrary frames never crash the extension: each either computes or raises
ValueError (a Rust panic would surface as pyo3's PanicException, which is not one)."""
import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from tickml import FeatureEngineer, Pipeline

BUNDLE = ROOT / "stream-cli" / "assets" / "default_bundle.tml"
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -1.0, 1e-300, 1e300, 100.0]),
)
rows = st.tuples(st.integers(0, 40), values, values, values, values, values)


def frame(data, with_symbol):
    df = pd.DataFrame(
        [(pd.Timestamp("2020-01-01") + pd.Timedelta(days=t), o, h, l, c, v) for t, o, h, l, c, v in data],
        columns=["timestamp", "open", "high", "low", "close", "volume"],
    )
    if with_symbol:
        df["symbol"] = np.where(np.arange(len(df)) % 2 == 0, "A", "B")
    return df


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, max_size=30), st.booleans())
def test_features_compute_or_raise_value_error(data, with_symbol):
    df = frame(data, with_symbol)
    try:
        out = FeatureEngineer().fit_transform(df)
    except ValueError:
        return
    assert out.shape == (len(df), 110)


@settings(max_examples=100, deadline=None)
@given(st.lists(rows, max_size=30))
def test_the_pipeline_decides_or_raises_value_error(data):
    df = frame(data, False)
    try:
        out = Pipeline.from_bundle(BUNDLE).stream(df)
    except ValueError:
        return
    assert len(out) == len(df)


valid = st.tuples(
    st.integers(1, 3),  # days after the previous bar
    st.floats(1.0, 1000.0),
    st.floats(1.0, 1000.0),
    st.floats(0.0, 0.1),
    st.floats(0.0, 1e9),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(valid, min_size=1, max_size=60), st.integers(0, 59), values)
def test_valid_bars_compute_and_one_bad_value_is_named(data, at, bad):
    t = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.cumsum([d[0] for d in data]), unit="D")
    o = np.array([d[1] for d in data])
    c = np.array([d[2] for d in data])
    spread = np.array([d[3] for d in data])
    df = pd.DataFrame({"timestamp": t, "open": o, "high": np.maximum(o, c) * (1 + spread),
                       "low": np.minimum(o, c) * (1 - spread), "close": c, "volume": [d[4] for d in data]})
    out = FeatureEngineer().fit_transform(df)
    assert out.shape == (len(df), 110) and np.isfinite(out.to_numpy()[~np.isnan(out.to_numpy())]).all()
    decisions = Pipeline.from_bundle(BUNDLE).stream(df)
    assert len(decisions) == len(df)
    at = at % len(df)
    df.loc[at, "close"] = bad
    try:
        FeatureEngineer().fit_transform(df)
    except ValueError as e:
        assert f"row {at}" in str(e)


signal_rows = st.tuples(st.integers(-1, 2), st.sampled_from(["a", "b", "c"]), values, st.integers(-2, 3), values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(signal_rows, max_size=4), max_size=25), st.lists(values, min_size=25, max_size=25))
def test_the_arbitrator_decides_or_raises_value_error(bars, market_returns):
    from tickml import RegimeType, SignalType, StrategyArbitrator, StrategySignal, StrategyType

    a = StrategyArbitrator({"min_history": 2, "lookback_window": 5})
    for name, kind in zip("abc", [StrategyType.MOMENTUM, StrategyType.MEAN_REVERSION, StrategyType.OTHER]):
        a.register_strategy(name, kind)
    regimes = list(RegimeType)
    for day, (signals, r) in enumerate(zip(bars, market_returns)):
        try:
            sent = [StrategySignal(sid, pd.Timestamp("2020-01-01") + pd.Timedelta(days=day + dt), SignalType(s), c)
                    for s, sid, c, dt, _ in signals]
            d = a.process_signals(sent, {"regime": regimes[day % len(regimes)], "regime_confidence": 0.5}, r)
        except ValueError:
            continue
        assert 0.0 <= d["confidence"] <= 1.0 and -1.0 <= d["weighted_signal"] <= 1.0
        total = sum(b["weight"] for b in d["strategy_breakdown"].values())
        assert total == 0.0 or abs(total - 1.0) < 1e-9


@settings(max_examples=100, deadline=None)
@given(st.lists(rows, max_size=30))
def test_on_bar_decides_or_raises_value_error(data):
    p = Pipeline.from_bundle(BUNDLE)
    for bar in frame(data, False).to_dict("records"):
        try:
            d = p.on_bar(bar)
        except ValueError:
            continue
        assert 0.0 <= d["confidence"] <= 1.0
